"""TensorRT-LLM 0.8/0.9 custom all-reduce: strategy choice and launch grid, hand-checked against the kernel source
(allreducePlugin.cpp selectImplementation, customAllReduceKernels.cu kernelLaunchConfig; see the module docstring)."""

import pytest

from app.engine.custom_allreduce import block_bytes, grid, strategy
from app.engine.inference_memory import RUNTIME_PRESETS
from app.engine.inference_timing import CALIBRATION, Hardware, allreduce_time, collapsed_grid_time
from app.models_library.presets import get_preset

FALCON = get_preset("falcon-180b").shape
LLAMA70 = get_preset("llama-2-70b").shape


@pytest.mark.parametrize(("message_bytes", "tp", "expected"), [
    (16_000_000, 2, "oneshot"), (16_000_001, 2, "nccl"),  # TP <= 2: one-shot up to the 16 MB workspace
    (999_999, 4, "oneshot"), (1_000_000, 4, "twoshot"), (8_000_001, 4, "nccl"),
    (499_999, 8, "oneshot"), (500_000, 8, "twoshot"), (8_000_000, 8, "twoshot"), (8_000_001, 8, "nccl"),
])
def test_strategy_thresholds(message_bytes, tp, expected):
    assert strategy(message_bytes, tp) == expected


def test_falcon_180b_128_tokens_collapses_to_one_block_at_tp8_and_two_at_tp4():
    # 128 x 14,848 bf16 = 3,801,088 B. TP8: 237,568 elements per rank / 8 per thread = 29,696 = 29 x 1,024 threads:
    # 29 blocks of 1,024, over the cap of 24, and 29 is prime, so 1 block does it all; it reads the rank's share
    # from 8 ranks twice (reduce, then gather): 2 x 8 x 237,568 x 2 B.
    message = 128 * 14848 * 2
    assert grid(message, 8) == ("twoshot", 1, 2 * 8 * 237_568 * 2)
    assert grid(message, 4) == ("twoshot", 2, 2 * 4 * 237_568 * 2)  # 58 blocks -> 58 / 29 = 2


def test_llama_2_70b_128_tokens_keeps_sixteen_blocks():
    message = 128 * 8192 * 2  # 131,072 elements per rank at TP8: 16,384 threads = 16 blocks of 1,024
    assert grid(message, 8) == ("twoshot", 16, 2 * 8 * 8192 * 2)
    assert grid(message, 4)[1] == 16  # 32 blocks -> halved


def test_nccl_messages_have_no_custom_grid():
    assert block_bytes(2048 * 14848 * 2, 8) == 0.0 and grid(2048 * 14848 * 2, 8) == ("nccl", 0, 0.0)


def _hw(tp: int, block_gbyte_s: float) -> Hardware:
    return Hardware(peak_flops=1.979e15, hbm_byte_s=3.35e12, link_byte_s=450e9, tp=tp, pp=1, precision="fp8",
                    weight_bytes=1.0, allreduce_block_byte_s=block_gbyte_s * 1e9)


def test_collapsed_grid_costs_falcon_its_block_time_per_layer():
    rate = RUNTIME_PRESETS["trtllm-0.9"].allreduce_block_gbyte_s
    extra = collapsed_grid_time(128, FALCON, _hw(8, rate), CALIBRATION)
    ring = 2 * 7 / 8 * 128 * 14848 * 2 / (450e9 * CALIBRATION.link_eff)
    assert extra == pytest.approx(80 * (2 * 8 * 237_568 * 2 / (rate * 1e9) - ring))  # one fused all-reduce per layer
    assert allreduce_time(128, FALCON, 80, _hw(8, rate), CALIBRATION) == pytest.approx(
        allreduce_time(128, FALCON, 80, _hw(8, 0.0), CALIBRATION) + extra)


def test_power_of_two_hidden_sizes_stay_link_bound():
    rate = RUNTIME_PRESETS["trtllm-0.9"].allreduce_block_gbyte_s
    assert collapsed_grid_time(128, LLAMA70, _hw(8, rate), CALIBRATION) == 0.0
    assert collapsed_grid_time(128, FALCON, _hw(8, 0.0), CALIBRATION) == 0.0  # runtimes without the custom kernel
    assert RUNTIME_PRESETS["trtllm-1.0"].allreduce_block_gbyte_s == 0.0
    assert RUNTIME_PRESETS["trtllm-0.8"].allreduce_block_gbyte_s == rate  # v0.8 takes v0.9's knobs


def _launch_loop(total_threads: int) -> int:
    """kernelLaunchConfig's two-shot grid as the kernel source writes it (two incrementing searches)."""
    blocks = 1
    while total_threads % blocks or total_threads // blocks > 1024:
        blocks += 1
    if blocks > 24:
        factor = 1
        while blocks // factor > 24 or blocks % factor:
            factor += 1
        blocks //= factor
    return blocks


@pytest.mark.parametrize("start", [32, 29_696, 59_392, 100_000, 31 * 1024 * 32])
def test_grid_search_matches_the_kernel_loop(start):
    from app.engine.custom_allreduce import _two_shot_blocks

    for threads in range(start, start + 32 * 400, 32):  # warp multiples, as the kernel rounds them
        assert _two_shot_blocks(threads) == _launch_loop(threads), threads


@pytest.mark.parametrize("tp", [1, 2, 3, 4, 6, 8, 16])
def test_every_message_size_has_a_grid(tp):
    for message in (0, 1, 15, 16, 499_999, 500_000, 1_000_000, 8_000_000, 8_000_001, 16_000_001, 1e12):
        kind, blocks, read = grid(message, tp)
        assert kind in ("oneshot", "twoshot", "nccl") and blocks >= 0 and read >= 0
