"""Training estimate of one strategy and the strategy search: behaviour and published anchors."""

import math

import pytest
from hardware_fixtures import ACCELERATORS

from app.engine import InfeasibleError, SoftwareStack, Strategy, estimate_training
from app.engine.workload import ModelShape, Precision

BF16, FP8 = Precision("bf16"), Precision("fp8")
H100 = ACCELERATORS["h100-sxm"]
LLAMA3_8B = ModelShape("llama3-8b", 8.0e9, 32, 4096, 32, 8, 14336, 128256)
LLAMA3_70B = ModelShape("llama3-70b", 70.6e9, 80, 8192, 64, 8, 28672, 128256)
LLAMA3_405B = ModelShape("llama3-405b", 405e9, 126, 16384, 128, 8, 53248, 128256)
DEEPSEEK_V3 = ModelShape(
    "deepseek-v3", 671e9, 61, 7168, 128, 128, 2048, 129280, active_params=37e9, experts=256, experts_per_token=8
)


def _floats(est):
    tb, mem = est.time_breakdown, est.memory
    return [
        est.tokens_per_s,
        est.tokens_per_s_per_gpu,
        est.model_tflops_per_gpu,
        est.mfu,
        est.step_time_s,
        tb.compute_s,
        tb.communication_s,
        tb.bubble_s,
        tb.other_s,
        mem.total_gib,
        mem.activations_gib,
    ]


def test_llama3_405b_on_16k_h100_matches_the_paper_mfu():
    # Llama 3 paper Table 4: BF16 MFU 38-43% on 8k-16k H100 with TP8 CP1 PP16 and a 16M-token batch.
    meta = estimate_training(
        LLAMA3_405B, H100, 16384, BF16, 8192, global_batch_tokens=16 * 2**20, strategy=Strategy(tp=8, pp=16, cp=1)
    )
    assert 0.33 <= meta.mfu <= 0.48
    searched = estimate_training(LLAMA3_405B, H100, 16384, BF16, 8192, global_batch_tokens=16 * 2**20)
    assert searched.tokens_per_s >= meta.tokens_per_s  # the search never returns worse than a known layout
    assert searched.strategy.tp <= 8  # tensor parallelism stays inside the 8-GPU NVLink domain
    assert searched.memory.fits
    assert all(math.isfinite(x) and x >= 0 for x in _floats(searched) + _floats(meta))


def test_throughput_identities():
    est = estimate_training(LLAMA3_70B, H100, 64, BF16, 8192)
    assert est.tokens_per_s == pytest.approx(est.tokens_per_s_per_gpu * 64)
    assert est.step_time_s == pytest.approx(est.global_batch_tokens / est.tokens_per_s)
    tb = est.time_breakdown
    assert tb.compute_s + tb.communication_s + tb.bubble_s + tb.other_s == pytest.approx(est.step_time_s)
    p = est.parallelism
    assert p["tp"] * p["pp"] * p["cp"] * p["dp"] == 64
    assert 0 < est.mfu < 1


def test_weights_alone_do_not_fit():
    with pytest.raises(InfeasibleError) as err:
        estimate_training(LLAMA3_405B, H100, 8, BF16, 8192)
    assert "for weights alone" in err.value.reason and "405B" in err.value.reason


def test_model_states_do_not_fit_even_when_weights_do():
    with pytest.raises(InfeasibleError) as err:
        estimate_training(LLAMA3_405B, H100, 16, BF16, 8192)
    assert "Adam states" in err.value.reason


def test_layout_must_use_every_gpu():
    with pytest.raises(InfeasibleError, match="tp x pp x cp x dp"):
        estimate_training(LLAMA3_8B, H100, 64, BF16, 8192, strategy=Strategy(tp=4, pp=2, dp=4))
    with pytest.raises(InfeasibleError, match="attention_heads"):
        estimate_training(LLAMA3_8B, H100, 48, BF16, 8192, strategy=Strategy(tp=3))


def test_fixed_recompute_that_does_not_fit_is_rejected_with_reasons():
    fixed = Strategy(tp=8, pp=16, dp=128, vp=8, sharding="megatron", recompute="none", micro_batch=4)
    with pytest.raises(InfeasibleError) as err:
        estimate_training(LLAMA3_405B, H100, 16384, BF16, 8192, global_batch_tokens=16 * 2**20, strategy=fixed)
    assert err.value.details[0].startswith("tp=8 pp=16") and "GiB per GPU, has" in err.value.details[0]


def test_partial_strategy_fills_dp_and_searches_the_rest():
    est = estimate_training(LLAMA3_70B, H100, 64, BF16, 8192, strategy=Strategy(tp=4, pp=4, cp=2))
    assert est.strategy.dp == 2 and est.strategy.recompute in ("none", "selective", "full")
    assert est.strategy.vp == 5  # 20 layers per stage -> deepest interleaving <= 8 that divides them


def test_global_batch_caps_data_parallelism():
    est = estimate_training(LLAMA3_8B, H100, 1024, BF16, 8192, global_batch_tokens=128 * 8192)
    assert est.strategy.dp * est.strategy.micro_batch <= 128
    assert est.global_batch_tokens <= 128 * 8192


def test_interleaving_shrinks_the_bubble_by_v():
    base = Strategy(tp=8, pp=8, dp=1, vp=1, sharding="megatron", recompute="full", micro_batch=1)
    one = estimate_training(LLAMA3_70B, H100, 64, BF16, 8192, global_batch_tokens=16 * 8192, strategy=base)
    two = estimate_training(
        LLAMA3_70B,
        H100,
        64,
        BF16,
        8192,
        global_batch_tokens=16 * 8192,
        strategy=Strategy(**{**base.as_dict(), "vp": 2}),
    )
    # bubble = t_microbatch (p - 1) / v, Narayanan et al. 2021
    t_mb = (one.time_breakdown.compute_s + one.time_breakdown.communication_s) / 16
    assert one.time_breakdown.bubble_s == pytest.approx(7 * t_mb, rel=0.05)
    assert two.time_breakdown.bubble_s == pytest.approx(one.time_breakdown.bubble_s / 2, rel=0.05)


def test_fp8_is_faster_than_bf16_but_not_twice():
    bf16 = estimate_training(LLAMA3_70B, H100, 64, BF16, 8192)
    fp8 = estimate_training(LLAMA3_70B, H100, 64, FP8, 8192)
    assert 1.1 < fp8.tokens_per_s / bf16.tokens_per_s < 1.9


def test_more_gpus_at_fixed_batch_lower_per_gpu_throughput():
    small = estimate_training(LLAMA3_70B, H100, 256, BF16, 8192, global_batch_tokens=4 * 2**20)
    large = estimate_training(LLAMA3_70B, H100, 4096, BF16, 8192, global_batch_tokens=4 * 2**20)
    assert large.tokens_per_s_per_gpu < small.tokens_per_s_per_gpu
    assert large.tokens_per_s > small.tokens_per_s


def test_moe_search_uses_expert_parallelism():
    est = estimate_training(DEEPSEEK_V3, ACCELERATORS["h800-sxm"], 2048, FP8, 4096)
    assert est.strategy.ep > 1
    assert est.confidence in ("medium", "low") and any("MoE" in w for w in est.warnings)


def test_pcie_card_without_nvlink_gets_no_tensor_parallelism():
    est = estimate_training(LLAMA3_8B, ACCELERATORS["l40s"], 16, BF16, 4096)
    assert est.strategy.tp == 1
    assert est.confidence == "low"


def test_unfused_attention_is_slower_and_uses_more_memory():
    flash = estimate_training(
        LLAMA3_8B, H100, 8, BF16, 8192, software=SoftwareStack(recompute="none", micro_batch_size=1)
    )
    unfused = estimate_training(
        LLAMA3_8B,
        H100,
        8,
        BF16,
        8192,
        software=SoftwareStack(attention="unfused", recompute="full", micro_batch_size=1),
    )
    assert unfused.tokens_per_s < flash.tokens_per_s


def test_bad_shapes_are_rejected():
    bad = ModelShape("bad", 1e9, 10, 1000, 7, 7, 4000, 32000)
    with pytest.raises(InfeasibleError, match="attention_heads must divide"):
        estimate_training(bad, H100, 8, BF16, 2048)
    with pytest.raises(InfeasibleError, match="gpu_count"):
        estimate_training(LLAMA3_8B, H100, 0, BF16, 2048)
    with pytest.raises(InfeasibleError, match="1e15"):
        estimate_training(ModelShape("huge", 2e15, 10, 4096, 32, 8, 14336, 32000), H100, 8, BF16, 2048)
