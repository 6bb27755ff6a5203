"""Mixture-of-experts training: MLA attention FLOPs (hand-checked) and the per-local-expert MoE cost."""

from dataclasses import replace

import pytest
from hardware_fixtures import ACCELERATORS

from app.engine import SoftwareStack, Strategy, estimate_training
from app.engine.flops import attention_flops_per_token, model_flops_per_token
from app.engine.workload import Precision
from app.models_library import get_preset

DSV3 = get_preset("deepseek-v3").shape


def test_deepseek_v3_preset_carries_the_mla_dims_of_its_config():
    # config.json of deepseek-ai/DeepSeek-V3: q_lora_rank 1536, kv_lora_rank 512, qk_nope 128, qk_rope 64, v 128
    assert (DSV3.q_lora_rank, DSV3.kv_lora_rank, DSV3.qk_nope_head_dim, DSV3.qk_rope_head_dim, DSV3.v_head_dim) == (
        1536,
        512,
        128,
        64,
        128,
    )


def test_mla_attention_flops_use_the_per_head_dims():
    # 6 x 61 layers x 4096 x 128 heads x (192 + 128) = 6.1405e10 per token, vs 12 L s h = 2.1492e10
    assert attention_flops_per_token(DSV3, 4096) == pytest.approx(6.1405e10, rel=1e-4)
    assert model_flops_per_token(DSV3, 4096) == pytest.approx(6 * 37e9 + 6.1405e10, rel=1e-4)
    plain = replace(DSV3, kv_lora_rank=0)
    assert attention_flops_per_token(plain, 4096) == pytest.approx(12 * 61 * 4096 * 7168)


def test_mla_makes_deepseek_v3_steps_longer():
    args = (ACCELERATORS["b200"], 256, Precision("fp8"), 4096)
    kw = {"strategy": Strategy(tp=1, pp=16, ep=8, vp=1), "software": SoftwareStack(micro_batch_size=1)}
    mla = estimate_training(DSV3, *args, **kw)
    plain = estimate_training(replace(DSV3, kv_lora_rank=0), *args, **kw)
    assert mla.tokens_per_s_per_gpu < plain.tokens_per_s_per_gpu


def test_more_experts_per_gpu_cost_more_per_microbatch():
    # Same pipeline layout: ep 8 holds 32 experts per GPU, ep 32 holds 8; Megatron-Bridge 25.11 measured
    # DeepSeek-V3 FP8 at 2139 tok/s/GPU on B200 (ep 8) vs 4018 on GB200 (ep 32).
    args = (DSV3, ACCELERATORS["b200"], 256, Precision("fp8"), 4096)
    sw = SoftwareStack(micro_batch_size=1, recompute="full")
    times = []
    for ep in (8, 32):
        est = estimate_training(*args, strategy=Strategy(tp=1, pp=16, ep=ep, vp=1), software=sw)
        times.append(est.time_breakdown.compute_s / est.microbatches)
    assert times[0] > 1.3 * times[1]
