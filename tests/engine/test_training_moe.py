"""Mixture-of-experts training: MLA attention FLOPs (hand-checked) and the per-local-expert MoE cost."""

from dataclasses import replace

import pytest
from hardware_fixtures import ACCELERATORS

from app.engine import SoftwareStack, Strategy, estimate_training
from app.engine.errors import InfeasibleError
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


H800_RUN = (DSV3, ACCELERATORS["h800-sxm"], 2048, Precision("fp8"), 4096)
DEEPSEEK_LAYOUT = Strategy(tp=1, pp=16, ep=64, vp=1)  # arXiv 2412.19437 section 3.2: PP16, EP64 over 8 nodes


def _h800(software: SoftwareStack, model=DSV3):
    return estimate_training(model, *H800_RUN[1:], strategy=DEEPSEEK_LAYOUT, software=software,
                             global_batch_tokens=15360 * 4096)


def test_deepseek_v3_preset_limits_routing_to_four_nodes():
    assert DSV3.routed_nodes_max == 4  # arXiv 2412.19437 section 2.1.2 (M = 4)


def test_node_limited_deduplicated_dispatch_cuts_exposed_all_to_all():
    base = dict(recompute="full", micro_batch_size=1)
    plain = _h800(SoftwareStack(moe_dispatcher="alltoall", **base))
    deepep = _h800(SoftwareStack(moe_dispatcher="deepep", **base))
    unlimited = _h800(SoftwareStack(moe_dispatcher="deepep", **base), replace(DSV3, routed_nodes_max=0))
    comm = [e.time_breakdown.communication_s for e in (plain, unlimited, deepep)]
    assert comm[0] > comm[1] > comm[2]  # BF16 copy per expert > dedup over ~4.6 nodes > dedup over <= 4 nodes
    assert _h800(SoftwareStack(**base)).time_breakdown == deepep.time_breakdown  # node-limited default: DeepEP


def test_dualpipe_hides_the_all_to_all_at_the_cost_of_communication_sms():
    base = dict(recompute="full", micro_batch_size=1, moe_dispatcher="deepep")
    onef1b = _h800(SoftwareStack(**base))
    dual = _h800(SoftwareStack(pipeline_schedule="dualpipe", **base))
    # all-to-all hidden behind the paired chunk; compute slowed by the 20 of 132 SMs the kernels hold
    assert dual.time_breakdown.communication_s < 0.1 * onef1b.time_breakdown.communication_s
    assert dual.time_breakdown.compute_s == pytest.approx(onef1b.time_breakdown.compute_s * 132 / 112, rel=1e-9)
    # bubble: (p/2 - 1) 2t/3 = 4.67 t for p = 16 (DualPipe) vs (p - 1) t = 15 t (1F1B, no interleaving)
    t_dual = dual.time_breakdown.compute_s / dual.microbatches  # tp = cp = 1 and nothing exposed per microbatch
    assert dual.time_breakdown.bubble_s == pytest.approx(7 * 2 / 3 * t_dual, rel=1e-9)
    # two parameter copies: weights and gradients double
    assert dual.memory.weights_gib == pytest.approx(2 * onef1b.memory.weights_gib, rel=1e-9)
    assert dual.tokens_per_s_per_gpu > onef1b.tokens_per_s_per_gpu


def test_dualpipe_needs_an_even_pipeline_without_interleaving():
    with pytest.raises(InfeasibleError, match="even pipeline degree"):
        estimate_training(*H800_RUN, strategy=Strategy(tp=1, pp=1, ep=64), software=SoftwareStack(
            pipeline_schedule="dualpipe"))
    searched = estimate_training(*H800_RUN, software=SoftwareStack(pipeline_schedule="dualpipe"),
                                 global_batch_tokens=15360 * 4096)
    assert searched.strategy.pp % 2 == 0 and searched.strategy.vp == 1


def test_unknown_software_choices_are_rejected():
    for field in ("pipeline_schedule", "moe_dispatcher"):
        with pytest.raises(InfeasibleError, match=field):
            estimate_training(*H800_RUN, strategy=DEEPSEEK_LAYOUT, software=SoftwareStack(**{field: "magic"}))
