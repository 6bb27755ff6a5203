"""Search robustness: more GPUs never make a model infeasible, and infeasible errors rank their reasons."""

from dataclasses import replace

import pytest
from hardware_fixtures import ACCELERATORS, _spec

from app.engine.errors import InfeasibleError
from app.engine.strategy import estimate_training
from app.engine.workload import ModelShape, Precision

# NVIDIA L4 datasheet: 121 TFLOP/s dense BF16, 24 GB GDDR6 at 300 GB/s, 72 W, PCIe only (no NVLink).
L4 = replace(_spec("l4", "NVIDIA L4", "NVIDIA", "PCIe", {"bf16": 121.0, "fp16": 121.0, "fp8": 242.5}, 24, 0.3, 72, 0),
             memory_ecc_fraction=1 / 16)  # GDDR6, ECC on: 23,034 MiB visible
# Llama 2 70B (Touvron et al. 2023, Table 1 / config.json).
LLAMA2_70B = ModelShape("llama2-70b", 69e9, 80, 8192, 64, 8, 28672, 32000)


@pytest.mark.parametrize("gpus", [128, 256, 512, 1024, 2048, 4096, 16384])
def test_more_gpus_never_make_70b_on_l4_infeasible(gpus):
    est = estimate_training(LLAMA2_70B, L4, gpus, Precision("bf16"), 4096)
    assert est.gpu_count == gpus and est.memory.fits and est.tokens_per_s_per_gpu > 0


def test_default_batch_grows_with_a_warning_when_it_cannot_feed_the_gpus():
    est = estimate_training(LLAMA2_70B, L4, 16384, Precision("bf16"), 4096)
    assert est.global_batch_tokens > 8 * 1024 * 1024
    assert any("global batch" in w for w in est.warnings)


def test_a_given_batch_is_never_grown():
    with pytest.raises(InfeasibleError):
        estimate_training(LLAMA2_70B, L4, 16384, Precision("bf16"), 4096, global_batch_tokens=4096 * 64)


def test_infeasible_details_put_the_closest_memory_shortfall_first():
    with pytest.raises(InfeasibleError) as err:
        estimate_training(LLAMA2_70B, L4, 64, Precision("bf16"), 4096)
    details = err.value.details
    needs = [float(d.split("needs ")[1].split(" GiB")[0]) for d in details if "needs" in d]
    assert details[0].startswith("tp=") and "per GPU, has" in details[0]
    assert needs == sorted(needs)


def test_h100_search_stays_inside_the_nvlink_domain():
    est = estimate_training(LLAMA2_70B, ACCELERATORS["h100-sxm"], 64, Precision("bf16"), 4096)
    assert est.strategy.tp <= 8 and not any("across the network" in w for w in est.warnings)
