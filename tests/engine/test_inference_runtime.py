"""Serving-runtime presets: version-dependent behavior pinned against hand-checked values and published ratios."""

import pytest
from inference_hardware import ACCELERATORS

from app.engine.inference import estimate_inference, kv_read_factor
from app.engine.inference_memory import RUNTIME_PRESETS, kv_replication, serving_runtime
from app.engine.workload import Precision
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
    assert kv_read_factor(LLAMA70, RUNTIME_PRESETS["trtllm-0.6"]) == pytest.approx(5.2)


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
    falcon = get_preset("falcon-180b").shape
    short = estimate_inference(mixtral, H100, 2, FP8, 128, 1, concurrency=1, runtime="trtllm-0.9")
    long = estimate_inference(mixtral, H100, 2, FP8, 2048, 1, concurrency=1, runtime="trtllm-0.9")
    assert any("short-prompt MoE" in w for w in short.warnings)
    assert not any("short-prompt MoE" in w for w in long.warnings)
    old = estimate_inference(falcon, H100, 8, FP8, 128, 1, concurrency=1, runtime="trtllm-0.9")
    new = estimate_inference(falcon, H100, 8, FP8, 128, 1, concurrency=1, runtime="trtllm-1.0")
    assert any("Falcon-180B-class" in w for w in old.warnings)
    assert not any("Falcon-180B-class" in w for w in new.warnings)
    gptj = estimate_inference(get_preset("gpt-j-6b").shape, H100, 1, FP8, 128, 1, concurrency=1, runtime="trtllm-0.9")
    assert not any("Falcon" in w for w in gptj.warnings)  # GPT-J's 128-token rows are within 7%
