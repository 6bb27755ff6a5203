"""Inference memory formulas pinned against hand-computed values."""

import pytest
from inference_hardware import ACCELERATORS

from app.engine.errors import InfeasibleError
from app.engine.inference import estimate_inference
from app.engine.inference_memory import (
    GIB,
    ServingRuntime,
    kv_bytes_per_token,
    kv_replication,
    plan_memory,
    weights_bytes,
)
from app.engine.workload import Precision
from app.models_library import get_preset

LLAMA70 = get_preset("llama-3.1-70b").shape
BF16, FP8 = Precision("bf16"), Precision("fp8")


def test_llama3_70b_kv_cache_per_token_bf16():
    assert kv_bytes_per_token(LLAMA70, 2.0) == 2 * 80 * 8 * 128 * 2 == 327_680


def test_deepseek_v3_mla_latent_per_token():
    # 61 layers x (kv_lora_rank 512 + rope 64) x 2 bytes
    assert kv_bytes_per_token(get_preset("deepseek-v3").shape, 2.0) == 61 * 576 * 2


def test_qwen3_uses_explicit_head_dim():
    assert kv_bytes_per_token(get_preset("qwen3-235b-a22b").shape, 1.0) == 2 * 94 * 4 * 128


def test_weights_bytes():
    assert weights_bytes(LLAMA70, BF16) == pytest.approx(141.1e9)
    assert weights_bytes(LLAMA70, FP8) == pytest.approx(70.55e9)
    assert weights_bytes(LLAMA70, Precision("fp4")) == pytest.approx(70.55e9 * 0.5625)


def test_kv_replication_when_tp_exceeds_kv_heads():
    assert kv_replication(LLAMA70, 8) == 1.0
    assert kv_replication(get_preset("qwen3-235b-a22b").shape, 8) == 2.0


def test_max_concurrency_arithmetic():
    rt = ServingRuntime(kv_memory_fraction=0.9, reserve_gib_per_gpu=2.0, max_batch_size=100_000)
    plan = plan_memory(LLAMA70, BF16, 80e9, 4, 4, 2048, rt)
    workspace = 8192 * (4 * 8192 + 2 * 28672 / 4) * 2 + 8192 * 128256 / 4 * 4
    free = (80e9 - 141.1e9 / 4 - 2 * GIB - workspace) * 0.9 * 4
    assert plan.kv_pool_bytes == pytest.approx(free)
    assert plan.max_concurrency == int(free // (327_680 * 2048))


def test_batch_cap_limits_max_concurrency():
    plan = plan_memory(get_preset("llama-3.1-8b").shape, FP8, 141e9, 1, 1, 256, ServingRuntime(max_batch_size=512))
    assert plan.kv_limited_concurrency > 512 and plan.max_concurrency == 512


def test_405b_bf16_on_one_h100_is_infeasible_with_reason():
    with pytest.raises(InfeasibleError) as err:
        estimate_inference(get_preset("llama-3.1-405b").shape, ACCELERATORS["h100-sxm"], 1, BF16, 1000, 100)
    assert "756 GiB" in err.value.reason and "80 GiB" in err.value.reason
    assert "at least 11" in err.value.details[0]  # 811.7 GB / (0.9 x 85.9 GB) = 10.5


def test_estimate_reports_memory_fields():
    est = estimate_inference(LLAMA70, ACCELERATORS["h100-sxm"], 4, BF16, 1000, 1000)
    assert est.weights_gib == pytest.approx(141.1e9 / GIB)
    assert est.kv_cache_gib_per_sequence == pytest.approx(327_680 * 2000 / GIB)
    assert est.max_concurrency == int(est.kv_cache_gib // est.kv_cache_gib_per_sequence)
