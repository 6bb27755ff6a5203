"""Inference timing: physical floors, monotonic behaviour, targets and MoE expert counting."""

import math
from dataclasses import astuple, replace

import pytest
from inference_hardware import ACCELERATORS

from app.engine.errors import InfeasibleError
from app.engine.inference import estimate_inference
from app.engine.inference_timing import CALIBRATION, Hardware, allreduce_time, experts_touched
from app.engine.workload import Precision
from app.models_library import get_preset, list_presets

H100 = ACCELERATORS["h100-sxm"]
LLAMA70 = get_preset("llama-3.1-70b").shape
FP8 = Precision("fp8")


def test_batch1_tpot_is_above_the_weight_streaming_floor_and_memory_bound():
    est = estimate_inference(LLAMA70, H100, 2, FP8, 128, 128, concurrency=1)
    floor_ms = 70.55e9 / 2 / 3.35e12 * 1e3  # weights per GPU / HBM bandwidth = 10.5 ms
    assert floor_ms < est.tpot_ms < 2.5 * floor_ms
    assert est.limiting_bound == "memory_bandwidth"


def test_prefill_is_compute_bound_floor():
    est = estimate_inference(LLAMA70, H100, 2, FP8, 4096, 1, concurrency=1)
    floor_ms = 2 * 70.55e9 * 4096 / (2 * 1979e12) * 1e3  # at 100% of peak
    assert floor_ms < est.ttft_ms < 4 * floor_ms


def test_throughput_grows_with_concurrency_and_tpot_too():
    a = estimate_inference(LLAMA70, H100, 2, FP8, 512, 512, concurrency=8)
    b = estimate_inference(LLAMA70, H100, 2, FP8, 512, 512, concurrency=128)
    assert b.output_tokens_per_s > 4 * a.output_tokens_per_s
    assert b.tpot_ms > a.tpot_ms


def test_auto_concurrency_respects_tpot_target():
    free = estimate_inference(LLAMA70, H100, 2, FP8, 512, 512)
    capped = estimate_inference(LLAMA70, H100, 2, FP8, 512, 512, tpot_ms_max=25.0)
    assert capped.meets_latency_targets and capped.tpot_ms <= 25.0
    assert capped.concurrency < free.concurrency


def test_impossible_target_is_flagged():
    est = estimate_inference(LLAMA70, H100, 2, FP8, 512, 512, tpot_ms_max=1.0)
    assert not est.meets_latency_targets and est.warnings


def test_experts_touched_limits():
    mix = get_preset("mixtral-8x7b").shape
    assert experts_touched(mix, 1) == pytest.approx(2.0)
    assert experts_touched(mix, 512) == pytest.approx(8.0)


def test_moe_decode_reads_fewer_bytes_at_batch1_than_dense_of_same_total():
    qwen = get_preset("qwen3-235b-a22b").shape
    dense = replace(qwen, experts=1, experts_per_token=1, active_params=None)
    moe = estimate_inference(qwen, ACCELERATORS["h200-sxm"], 8, FP8, 128, 128, concurrency=1)
    same_total = estimate_inference(dense, ACCELERATORS["h200-sxm"], 8, FP8, 128, 128, concurrency=1)
    # a dense model of 235B streams 235 GB per step; the MoE streams ~8B dense + 8/128 of the experts
    assert same_total.tpot_ms - moe.tpot_ms > 0.8 * (235e9 - 22e9) / 8 / 4.8e12 * 1e3


@pytest.mark.parametrize("accel", sorted(ACCELERATORS))
def test_every_transformer_preset_answers_finite_on_every_accelerator(accel):
    for preset in list_presets():
        if preset.kind != "transformer":
            continue
        hw = ACCELERATORS[accel]
        try:
            est = estimate_inference(preset.shape, hw, 8, FP8, 1000, 200)
        except InfeasibleError as err:  # only when the weights cannot fit 8 GPUs; then two domains do
            assert preset.shape.params > 0.9 * 8 * hw.device_memory_bytes() * 0.9, err.reason
            est = estimate_inference(preset.shape, hw, 16, FP8, 1000, 200)
        numbers = [v for v in astuple(est) if isinstance(v, float)]
        assert all(math.isfinite(v) and v >= 0 for v in numbers), preset.slug
        assert est.limiting_bound in {"compute", "memory_bandwidth", "memory_capacity", "communication"}


def test_pipeline_across_domains_for_405b_bf16_on_16_gpus():
    est = estimate_inference(get_preset("llama-3.1-405b").shape, H100, 16, Precision("bf16"), 1000, 200)
    assert (est.tensor_parallel, est.pipeline_parallel) == (8, 2)
    assert est.confidence != "high"


def test_bad_input_rejected():
    with pytest.raises(ValueError):
        estimate_inference(LLAMA70, H100, 0, FP8, 100, 100)


def _tp_hardware(tp: int, pcie: bool = False, fused: bool = True) -> Hardware:
    return Hardware(peak_flops=1e15, hbm_byte_s=3e12, link_byte_s=32e9 if pcie else 450e9, tp=tp, pp=1,
                    precision="fp8", weight_bytes=1.0, fused_parallel_allreduce=fused, pcie=pcie)


def test_allreduce_time_hand_checked_on_nvlink_and_pcie():
    llama = get_preset("llama-3.1-70b").shape  # 80 layers, hidden 8192
    size = 128 * 8192 * 2.0  # bf16 activations of 128 tokens
    cal = CALIBRATION
    one = cal.allreduce_latency_s * 3**0.5 + 2 * 3 / 4 * size / (450e9 * cal.link_eff)
    assert allreduce_time(128, llama, 80, _tp_hardware(4), cal) == pytest.approx(2 * 80 * one)
    pcie = cal.pcie_allreduce_latency_s * 3**0.5 + 2 * 3 / 4 * size / (32e9 * cal.pcie_link_eff)
    assert allreduce_time(128, llama, 80, _tp_hardware(4, pcie=True), cal) == pytest.approx(2 * 80 * pcie)
    # eight PCIe cards span both CPU sockets: the whole all-reduce is cross_socket_slowdown slower
    pcie8 = cal.pcie_allreduce_latency_s * 7**0.5 + 2 * 7 / 8 * size / (32e9 * cal.pcie_link_eff)
    expected = 2 * 80 * pcie8 * cal.cross_socket_slowdown
    assert allreduce_time(128, llama, 80, _tp_hardware(8, pcie=True), cal) == pytest.approx(expected)


def test_parallel_attention_needs_one_allreduce_per_layer_when_the_runtime_fuses_it():
    falcon = get_preset("falcon-180b").shape
    assert falcon.parallel_attention and get_preset("gpt-j-6b").shape.parallel_attention
    fused = allreduce_time(128, falcon, 80, _tp_hardware(8), CALIBRATION)
    apart = allreduce_time(128, falcon, 80, _tp_hardware(8, fused=False), CALIBRATION)
    assert apart == pytest.approx(2 * fused)
    sequential = replace(falcon, parallel_attention=False)
    assert allreduce_time(128, sequential, 80, _tp_hardware(8), CALIBRATION) == pytest.approx(apart)


def test_logits_all_gather_of_a_decode_step():
    """Hand-checked: batch 1,536 x vocab 128,256 fp32 logits, 7/8 of them arriving at each of 8 NVLink ranks."""
    from dataclasses import replace as _replace

    from app.engine.inference_timing import CALIBRATION as CAL
    from app.engine.inference_timing import Hardware, logits_gather_time
    from app.models_library.presets import get_preset

    llama = get_preset("llama-3.1-70b").shape
    hw = Hardware(peak_flops=1.979e15, hbm_byte_s=3.35e12, link_byte_s=450e9, tp=8, pp=1, precision="fp8",
                  weight_bytes=1.0, logits_gather=True)
    expected = 1536 * 128256 * 4 * 7 / 8 / (450e9 * CAL.link_eff)  # ~2.6 ms
    assert logits_gather_time(1536, llama, hw, CAL) == pytest.approx(expected)
    assert 2e-3 < expected < 3e-3
    assert logits_gather_time(1536, llama, _replace(hw, logits_gather=False), CAL) == 0.0
    assert logits_gather_time(1536, llama, _replace(hw, tp=1), CAL) == 0.0
