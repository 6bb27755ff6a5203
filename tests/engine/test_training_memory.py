"""Training memory against hand-computed values (ZeRO paper, Megatron, Korthikanti et al. 2022 Table 2)."""

import pytest

from app.engine.parallelism import Strategy
from app.engine.training_memory import (
    activation_bytes_per_layer,
    in_flight_microbatches,
    model_state_bytes,
    weights_bytes,
)

GIB = 1024**3


def test_llama3_70b_bf16_weights_are_131_5_gib():
    # 70.6e9 params x 2 bytes = 141.2e9 bytes = 131.5 GiB
    assert weights_bytes(70.6e9, 2.0) / GIB == pytest.approx(131.5, abs=0.05)


def test_korthikanti_table2_gpt3_175b_layer():
    # s=2048, b=1, h=12288, a=96, t=8: s b h (34 + 5 a s / h) / t = 25,165,824 x 114 / 8
    assert activation_bytes_per_layer(2048, 1, 12288, 96, 8, "none", "unfused") == pytest.approx(358_612_992)
    # selective recompute drops the 5 a s / h term: 34 s b h / t
    assert activation_bytes_per_layer(2048, 1, 12288, 96, 8, "selective", "unfused") == pytest.approx(106_954_752)
    # flash attention never stores the scores either
    assert activation_bytes_per_layer(2048, 1, 12288, 96, 8, "none", "flash") == pytest.approx(106_954_752)
    # full recompute keeps the layer input only: 2 s b h (sharded by sequence parallelism)
    assert activation_bytes_per_layer(2048, 1, 12288, 96, 8, "full", "flash") == pytest.approx(6_291_456)


def test_no_parallelism_table2_first_row():
    # t=1: s b h (34 + 5 a s / h) for s=2048, b=4, h=4096, a=32 -> 33,554,432 x (34 + 80) bytes
    assert activation_bytes_per_layer(2048, 4, 4096, 32, 1, "none", "unfused") == pytest.approx(33_554_432 * 114)


def test_megatron_distributed_optimizer_is_4_plus_12_over_dp():
    # bf16 weights 2 + bf16 gradient buffer 2 (NeMo perf recipes: grad_reduce_in_fp32=False) + 12 / d_p
    w, g, o = model_state_bytes(1e9, 8, "megatron", fp8=False)
    assert (w + g + o) / 1e9 == pytest.approx(4 + 12 / 8)


def test_zero_stages_shard_more_and_more():
    totals = [sum(model_state_bytes(1e9, 64, s, fp8=False)) / 1e9 for s in ("zero1", "zero2", "zero3")]
    assert totals == pytest.approx([4 + 12 / 64, 2 + 14 / 64, 16 / 64])


def test_first_stage_holds_p_microbatches_under_1f1b():
    assert in_flight_microbatches(pp=8, vp=1, microbatches=64) == 8
    assert in_flight_microbatches(pp=8, vp=1, microbatches=4) == 4
    assert in_flight_microbatches(pp=4, vp=2, microbatches=64) == pytest.approx(4 * (1 + 3 / 8))


def test_strategy_defaults_fill_in():
    s = Strategy(tp=8, pp=4)
    assert s.model_parallel == 32 and s.vp is None and s.recompute is None
