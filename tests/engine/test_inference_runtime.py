"""Serving-runtime presets: version-dependent behavior pinned against hand-checked values and published ratios."""

from dataclasses import replace

import pytest
from inference_hardware import ACCELERATORS

from app.engine.inference import estimate_inference, kv_read_factor
from app.engine.inference_memory import RUNTIME_PRESETS, ServingRuntime, kv_replication, serving_runtime
from app.engine.workload import ModelShape, Precision
from app.models_library import get_preset

LLAMA70 = get_preset("llama-3.1-70b").shape
QWEN3 = get_preset("qwen3-235b-a22b").shape
FP8 = Precision("fp8")
H100 = ACCELERATORS["h100-sxm"]


def test_unknown_runtime_names_the_allowed_values():
    with pytest.raises(ValueError, match=r"trtllm-1\.0"):
        serving_runtime("tgi")


def test_default_runtime_is_trtllm_1_0():
    assert serving_runtime(None) is RUNTIME_PRESETS["trtllm-1.0"]


def test_kv_read_factor_hand_checked():
    # Llama 3 70B: 64 query heads / 8 KV heads = 8; reuse 0.400 -> 1 + 7 x 0.600 = 5.2
    assert kv_read_factor(LLAMA70, RUNTIME_PRESETS["trtllm-1.0"]) == 1.0
    assert kv_read_factor(LLAMA70, ServingRuntime(gqa_kv_reuse=0.4)) == pytest.approx(5.2)
    assert kv_read_factor(LLAMA70, RUNTIME_PRESETS["trtllm-0.6"]) > 4.0  # pre-XQA: most KV re-read per head


def test_pre_xqa_gqa_long_decode_is_much_slower():
    # performance.md: Llama 2 70B H100 TP4 bs~500 128/2048 went from 1,486 (v0.6.1) to 2,725 (v0.9) tok/s/GPU.
    old = estimate_inference(LLAMA70, H100, 4, FP8, 128, 2048, concurrency=480, runtime="trtllm-0.6")
    new = estimate_inference(LLAMA70, H100, 4, FP8, 128, 2048, concurrency=480, runtime="trtllm-0.9")
    assert 1.4 < new.output_tokens_per_s / old.output_tokens_per_s < 2.2


def test_static_batching_ttft_is_the_whole_batch_prefill():
    one = estimate_inference(LLAMA70, H100, 4, FP8, 2048, 128, concurrency=1, runtime="trtllm-0.9")
    batch = estimate_inference(LLAMA70, H100, 4, FP8, 2048, 128, concurrency=64, runtime="trtllm-0.9")
    assert batch.ttft_ms > 30 * one.ttft_ms


def test_vllm_caps_batch_at_max_num_seqs():
    est = estimate_inference(get_preset("llama-3.1-8b").shape, ACCELERATORS["h200-sxm"], 1, FP8, 128, 128,
                             runtime="vllm")
    assert est.max_concurrency == 256  # vLLM --max-num-seqs default
    assert any("vLLM" in w for w in est.warnings)


def test_attention_dp_holds_kv_once_and_warns():
    assert kv_replication(QWEN3, 8, attention_dp=True) == 1.0
    est = estimate_inference(QWEN3, ACCELERATORS["h200-sxm"], 8, FP8, 1000, 1000, attention_dp=True)
    assert any("attention data parallelism" in w for w in est.warnings)


def test_hopper_scale_applies_on_hopper_only():
    from app.engine.inference import runtime_efficiency

    v05 = RUNTIME_PRESETS["trtllm-0.5"]
    h100, a100 = ACCELERATORS["h100-sxm"], ACCELERATORS["a100-sxm-80gb"]
    assert runtime_efficiency(v05, h100) == pytest.approx(v05.efficiency_scale * v05.hopper_efficiency_scale)
    assert runtime_efficiency(v05, a100) == v05.efficiency_scale
    assert runtime_efficiency(RUNTIME_PRESETS["trtllm-1.0"], h100) == 1.0


def test_v08_shares_every_v09_knob():
    # v0.8.0 has no MoE rows of its own to fit: it must answer exactly as v0.9 does, under its own name
    from dataclasses import replace

    assert RUNTIME_PRESETS["trtllm-0.8"] == replace(RUNTIME_PRESETS["trtllm-0.9"], name="trtllm-0.8")
    v08 = estimate_inference(LLAMA70, H100, 8, FP8, 128, 1, concurrency=1, runtime="trtllm-0.8")
    v09 = estimate_inference(LLAMA70, H100, 8, FP8, 128, 1, concurrency=1, runtime="trtllm-0.9")
    assert v08.ttft_ms == v09.ttft_ms


def test_short_prompt_gaps_are_stated_where_the_cases_show_them():
    mixtral = get_preset("mixtral-8x7b").shape
    short = estimate_inference(mixtral, H100, 2, FP8, 128, 1, concurrency=1, runtime="trtllm-0.9")
    long = estimate_inference(mixtral, H100, 2, FP8, 2048, 1, concurrency=1, runtime="trtllm-0.9")
    assert any("short-prompt MoE" in w for w in short.warnings)
    assert not any("short-prompt MoE" in w for w in long.warnings)
    assert not any("all-reduce" in w for w in short.warnings + long.warnings)  # 4,096 hidden: 16+ blocks


def test_a_collapsed_custom_allreduce_grid_is_named_with_its_cost():
    falcon = get_preset("falcon-180b").shape
    old = estimate_inference(falcon, H100, 8, FP8, 128, 1, concurrency=1, runtime="trtllm-0.9")
    new = estimate_inference(falcon, H100, 8, FP8, 128, 1, concurrency=1, runtime="trtllm-1.0")
    long = estimate_inference(falcon, H100, 8, FP8, 2048, 1, concurrency=1, runtime="trtllm-0.9")
    note = [w for w in old.warnings if "custom all-reduce" in w]
    assert len(note) == 1 and "14,848" in note[0] and "1 thread block" in note[0]
    assert not any("custom all-reduce" in w for w in new.warnings + long.warnings)  # v1.0; 2048 tokens go to NCCL
    mha = replace(falcon, attention_heads=116, kv_heads=116)  # same hidden size, no GQA (no masked-MHA warning)
    noted = estimate_inference(mha, H100, 8, FP8, 128, 1, concurrency=1, runtime="trtllm-0.9")
    assert any("custom all-reduce" in w for w in noted.warnings)
    assert noted.confidence == "high"  # modeled from the kernel's launch rule, not a known gap
    assert old.ttft_ms > new.ttft_ms + 15  # 80 all-reduces, each on one block at ~22 GB/s


def test_v09_decodes_gqa_shapes_outside_xqa_with_masked_mha():
    mistral = ModelShape(name="mistral-7b", params=7.24e9, layers=32, hidden_size=4096, ffn_hidden_size=14336,
                         attention_heads=32, kv_heads=8, vocab_size=32000)  # Mistral 7B v0.1 config.json
    llama70 = get_preset("llama-2-70b").shape
    v09, v06 = RUNTIME_PRESETS["trtllm-0.9"], RUNTIME_PRESETS["trtllm-0.6"]
    assert kv_read_factor(llama70, v09) == 1.0  # 8:1 groups of 128-wide heads: XQA
    assert kv_read_factor(mistral, v09) == pytest.approx(1 + 3 * (1 - v06.gqa_kv_reuse))  # 4:1: masked MHA
    falcon = get_preset("falcon-180b").shape  # 29:1 groups of 64-wide heads
    assert kv_read_factor(falcon, v09) == pytest.approx(1 + 28 * (1 - v06.gqa_kv_reuse))
    assert kv_read_factor(mistral, RUNTIME_PRESETS["trtllm-1.0"]) == 1.0
    est = estimate_inference(mistral, H100, 1, FP8, 128, 2048, concurrency=120, runtime="trtllm-0.9")
    assert any("masked MHA" in w for w in est.warnings) and est.confidence != "high"
    first = estimate_inference(mistral, H100, 1, FP8, 128, 1, concurrency=1, runtime="trtllm-0.9")
    assert not any("masked MHA" in w for w in first.warnings)  # no decode step, no KV re-reads
    assert not any("masked MHA" in w for w in estimate_inference(
        llama70, H100, 4, FP8, 128, 2048, concurrency=64, runtime="trtllm-0.9").warnings)


MIXTRAL = get_preset("mixtral-8x7b").shape
L40S = ACCELERATORS["l40s"]


def test_hopper_moe_scale_applies_on_hopper_only():
    # TensorRT-LLM 0.9 ran CUTLASS Sm80 grouped GEMMs for the experts: native on Ada, short of Hopper's peak.
    v09 = RUNTIME_PRESETS["trtllm-0.9"]
    assert v09.hopper_moe_eff_scale < 1.0
    plain = ServingRuntime(name="x", moe_eff_scale=v09.moe_eff_scale, static_batching=True)
    for accel, slower in ((H100, True), (L40S, False)):
        with_scale = estimate_inference(MIXTRAL, accel, 4, FP8, 2048, 1, concurrency=1, runtime=v09)
        without = estimate_inference(MIXTRAL, accel, 4, FP8, 2048, 1, concurrency=1, runtime=plain)
        assert (with_scale.ttft_ms > without.ttft_ms * 1.05) is slower
        assert with_scale.ttft_ms >= without.ttft_ms


def test_dense_models_ignore_moe_scales():
    v09 = RUNTIME_PRESETS["trtllm-0.9"]
    plain = ServingRuntime(name="x", static_batching=True, allreduce_block_gbyte_s=v09.allreduce_block_gbyte_s,
                           logits_gather=v09.logits_gather)
    a = estimate_inference(LLAMA70, H100, 4, FP8, 2048, 128, concurrency=8, runtime=v09)
    b = estimate_inference(LLAMA70, H100, 4, FP8, 2048, 128, concurrency=8, runtime=plain)
    assert a.output_tokens_per_s == pytest.approx(b.output_tokens_per_s)


def test_trtllm_0_17_keeps_v1_dense_kernels_with_its_own_memory_knobs():
    v017, v10 = RUNTIME_PRESETS["trtllm-0.17"], RUNTIME_PRESETS["trtllm-1.0"]
    assert v017.kv_memory_fraction == 0.95  # perf-overview.md v0.17: 0.95 "in majority of cases"
    assert (v017.efficiency_scale, v017.hbm_eff_scale, v017.static_batching) == (1.0, 1.0, False)
    assert 1.0 < v017.reserve_gib_per_gpu < 4.0  # fitted: CUDA context, workspaces (v1.0 prior: 2.5 GiB)
    # the larger KV fraction leaves more KV cache for the same model on the same GPUs
    a = estimate_inference(LLAMA70, H100, 2, FP8, 1000, 1000, runtime=v017)
    b = estimate_inference(LLAMA70, H100, 2, FP8, 1000, 1000, runtime=v10)
    assert a.kv_cache_gib > b.kv_cache_gib


def test_tp8_long_outputs_over_nvlink_carry_the_known_gap():
    def warned(accel, gpus, out):
        est = estimate_inference(MIXTRAL, accel, gpus, FP8, 128, out)
        return any("TP8 over NVLink" in w for w in est.warnings)

    assert warned(H100, 8, 2048)
    assert not warned(H100, 8, 128)  # short outputs: within 10% in the published rows
    assert not warned(H100, 4, 2048)
    assert not warned(L40S, 8, 2048)  # PCIe TP8 rows are within 7%


def test_prefill_overhead_scale_moves_first_token_only():
    base = ServingRuntime(name="a")
    slow = ServingRuntime(name="b", prefill_overhead_scale=3.0)
    a = estimate_inference(LLAMA70, H100, 4, FP8, 128, 512, concurrency=1, runtime=base)
    b = estimate_inference(LLAMA70, H100, 4, FP8, 128, 512, concurrency=1, runtime=slow)
    assert a.tpot_ms == pytest.approx(b.tpot_ms)
    # fixed prefill costs: (0.262 ms + 80 x 51.3 us + 1.21 ms) x (3 - 1) = 11.1 ms more
    assert b.ttft_ms - a.ttft_ms == pytest.approx(2 * (0.262 + 80 * 0.0513 + 1.21), rel=0.01)


def test_nccl_trtllm_with_tp_short_prompts_carry_the_known_gap():
    def warned(runtime, gpus, prompt=128, model=LLAMA70):
        est = estimate_inference(model, H100, gpus, FP8, prompt, 128, concurrency=1, runtime=runtime)
        return any("(NCCL all-reduce)" in w for w in est.warnings)

    assert warned("trtllm-0.5", 4) and warned("trtllm-0.6", 4)
    assert not warned("trtllm-0.5", 1, model=get_preset("llama-2-7b").shape)  # no all-reduce at TP1
    assert not warned("trtllm-0.9", 4)  # custom all-reduce on by default from v0.8
    assert not warned("trtllm-0.5", 4, prompt=2048)  # long prompts within 9%
    assert not warned("lmdeploy-0.1", 4)  # its first token from a decode step explains its 70B TP4 rows (within 4%)


def test_first_token_from_decode_is_prefill_of_all_but_the_last_token_plus_one_decode_step():
    from dataclasses import replace

    from app.engine.inference import _hardware, _layout
    from app.engine.inference_timing import CALIBRATION, decode_step, prefill_time

    ft = ServingRuntime(name="ft", first_token_from_decode=True)
    llama7 = get_preset("llama-2-7b").shape
    a100 = ACCELERATORS["a100-sxm-80gb"]
    fp16 = Precision("fp16")
    accel, tp, pp = _layout(a100, 1)
    hw = _hardware(accel, tp, pp, fp16, ft, llama7, False)
    est = estimate_inference(llama7, a100, 1, fp16, 128, 128, concurrency=1, runtime=ft)
    kv_bytes = 2 * 32 * 32 * 128 * 2  # Llama 2 7B: 2 x layers x KV heads x head dim x 2 bytes = 524,288 per token
    step = decode_step(llama7, 1, 128, kv_bytes, hw, CALIBRATION).total_s
    assert est.ttft_ms == pytest.approx((prefill_time(llama7, 127, 128, hw, CALIBRATION, 1) + step) * 1e3)
    one = estimate_inference(llama7, a100, 1, fp16, 1, 128, concurrency=1, runtime=ft)
    assert one.ttft_ms == pytest.approx(decode_step(llama7, 1, 1, kv_bytes, hw, CALIBRATION).total_s * 1e3)
    # A 1-token prompt is one decode step: about one TPOT (LMDeploy 0.1 A100 7B: 11 ms FTL, 9-10 ms per token)
    assert 0.8 < one.ttft_ms / one.tpot_ms < 1.2
    plain = estimate_inference(llama7, a100, 1, fp16, 1, 128, concurrency=1, runtime=replace(ft, name="p",
                                                                                              first_token_from_decode=False))
    assert plain.tpot_ms == pytest.approx(one.tpot_ms)


def test_allreduce_latency_scale_slows_tp_only():
    nccl = ServingRuntime(name="n", allreduce_latency_scale=2.0)
    a = estimate_inference(LLAMA70, H100, 4, FP8, 128, 128, concurrency=1, runtime=ServingRuntime(name="c"))
    b = estimate_inference(LLAMA70, H100, 4, FP8, 128, 128, concurrency=1, runtime=nccl)
    # 2 all-reduces x 80 layers x 13.6 us x sqrt(3) more latency per forward
    assert b.ttft_ms - a.ttft_ms == pytest.approx(160 * 13.6e-3 * 3 ** 0.5, rel=0.01)
    one = estimate_inference(get_preset("llama-2-7b").shape, H100, 1, FP8, 128, 128, concurrency=1, runtime=nccl)
    assert one.ttft_ms == pytest.approx(estimate_inference(get_preset("llama-2-7b").shape, H100, 1, FP8, 128, 128,
                                                           concurrency=1, runtime=ServingRuntime(name="c")).ttft_ms)


def test_legacy_presets_take_their_derived_knobs_from_v09_and_v06():
    from app.engine.inference_memory import LEGACY_MOE_RATIO

    v05, v06, v09 = (RUNTIME_PRESETS[k] for k in ("trtllm-0.5", "trtllm-0.6", "trtllm-0.9"))
    assert v05.gqa_kv_reuse == v06.gqa_kv_reuse
    for legacy in (v05, v06):
        assert legacy.moe_eff_scale == pytest.approx(v09.moe_eff_scale * LEGACY_MOE_RATIO)
        assert legacy.hopper_moe_eff_scale == v09.hopper_moe_eff_scale


def test_job_of_two_and_a_half_waves_is_two_full_waves_and_a_half_one():
    llama70 = get_preset("llama-2-70b").shape
    full = estimate_inference(llama70, H100, 4, FP8, 1000, 500, concurrency=64)
    half = estimate_inference(llama70, H100, 4, FP8, 1000, 500, concurrency=32)

    def wave_s(est):
        return est.concurrency * 500 / est.output_tokens_per_s

    job = estimate_inference(llama70, H100, 4, FP8, 1000, 500, concurrency=64, requests=160)
    assert job.job_seconds == pytest.approx(2 * wave_s(full) + wave_s(half))
    assert job.output_tokens_per_s == pytest.approx(160 * 500 / job.job_seconds)
    assert job.tpot_ms == full.tpot_ms and full.job_seconds is None
    exact = estimate_inference(llama70, H100, 4, FP8, 1000, 500, concurrency=64, requests=128)
    assert exact.output_tokens_per_s == pytest.approx(full.output_tokens_per_s)  # whole waves: steady state
    with pytest.raises(ValueError, match="requests"):
        estimate_inference(llama70, H100, 4, FP8, 1000, 500, requests=0)


def test_a100_pcie_states_its_measured_gap():
    est = estimate_inference(get_preset("llama-2-70b").shape, ACCELERATORS["a100-pcie-80gb"], 4, Precision("bf16"),
                             128, 2048)
    assert any("A100 PCIe (300 W)" in w for w in est.warnings)


def test_a_prefill_dominated_request_names_its_own_bound():
    falcon = get_preset("falcon-180b").shape  # 128-token prompt: 80 all-reduces on a collapsed grid dominate
    short = estimate_inference(falcon, H100, 8, FP8, 128, 1, concurrency=1, runtime="trtllm-0.9")
    assert short.limiting_bound == "communication"
    long = estimate_inference(get_preset("llama-3.1-8b").shape, H100, 1, FP8, 8000, 1, concurrency=1)
    assert long.limiting_bound == "compute"  # 8,000-token prefill on one GPU: GEMM math


def test_prefill_parts_sum_to_the_prefill_time():
    from app.engine.inference import _hardware
    from app.engine.inference_timing import CALIBRATION, prefill_parts, prefill_time

    llama70 = get_preset("llama-2-70b").shape
    hw = _hardware(H100, 4, 1, FP8, RUNTIME_PRESETS["trtllm-1.0"], llama70, False)
    parts = prefill_parts(llama70, 2048, 2048, hw, CALIBRATION, 4)
    assert parts.total_s == pytest.approx(prefill_time(llama70, 2048, 2048, hw, CALIBRATION, 4))
    busy = max(parts.compute_s, parts.memory_s) + CALIBRATION.prefill_nonoverlap * min(parts.compute_s, parts.memory_s)
    assert parts.total_s == pytest.approx(busy + parts.communication_s + parts.overhead_s)
