"""Public inference estimate: LLM serving (estimate_inference); classic models are in app/engine/classic.py.

Pure functions of frozen dataclasses; see inference_memory.py and inference_timing.py for the formulas.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from app.engine import custom_allreduce
from app.engine.efficiency import generation
from app.engine.errors import InfeasibleError
from app.engine.inference_memory import (
    MemoryPlan,
    ServingRuntime,
    plan_memory,
    serving_runtime,
    weight_bytes_per_value,
)
from app.engine.inference_timing import (
    CALIBRATION,
    Hardware,
    InferenceCalibration,
    collapsed_grid_time,
    decode_step,
    prefill_time,
)
from app.engine.specs import GIB, AcceleratorSpec, ServerSpec
from app.engine.workload import ModelShape, Precision

DEFAULT_SCALEUP_GPUS = 8  # HGX / OAM baseboards: 8 GPUs share NVLink / Infinity Fabric
PCIE_GBYTE_S = 32.0  # PCIe Gen4 x16 unidirectional, used for TP when a card has no scale-up link
CALIBRATED_FAMILIES = ("h100", "h200", "a100", "b200", "gb200", "l40s", "mi300x")  # accelerators in the case table


@dataclass(frozen=True)
class InferenceEstimate:
    output_tokens_per_s: float  # generated tokens per second, whole replica
    output_tokens_per_s_per_gpu: float
    requests_per_s: float
    ttft_ms: float  # time to first token: prefill of the batch the request joins
    tpot_ms: float  # time per output token: one decode step (x pipeline stages)
    concurrency: int  # sequences in flight
    max_concurrency: int  # KV-cache capacity capped by the runtime's batch limit
    kv_cache_gib: float  # KV pool of the replica
    weights_gib: float
    kv_cache_gib_per_sequence: float
    limiting_bound: str  # compute | memory_bandwidth | memory_capacity | communication
    meets_latency_targets: bool
    confidence: str  # high | medium | low
    warnings: tuple[str, ...]
    tensor_parallel: int = 1
    pipeline_parallel: int = 1


@dataclass(frozen=True)
class _Point:
    concurrency: int
    tokens_per_s: float
    ttft_s: float
    tpot_s: float
    bound: str


def _layout(target: ServerSpec | AcceleratorSpec, gpu_count: int) -> tuple[AcceleratorSpec, int, int]:
    accel = target.accelerator if isinstance(target, ServerSpec) else target
    domain = target.scaleup_domain_gpus if isinstance(target, ServerSpec) else DEFAULT_SCALEUP_GPUS
    tp = math.gcd(gpu_count, max(1, domain))
    return accel, tp, gpu_count // tp


def kv_read_factor(model: ModelShape, runtime: ServingRuntime) -> float:
    """KV bytes read per cached byte in decode: 1 + (g - 1)(1 - reuse) for g query heads per KV head."""
    group = 1 if model.kv_lora_rank else model.attention_heads / max(1, model.kv_heads)
    return 1.0 + (group - 1.0) * (1.0 - decode_kv_reuse(model, runtime, group))


def decode_kv_reuse(model: ModelShape, runtime: ServingRuntime, group: float) -> float:
    """The runtime's KV reuse across a GQA group: its grouped-query kernel where it takes the shape, else masked MHA."""
    grouped = not runtime.xqa_group_sizes or group in runtime.xqa_group_sizes
    sized = not runtime.xqa_head_sizes or model.head_dim in runtime.xqa_head_sizes
    return runtime.gqa_kv_reuse if grouped and sized else runtime.mmha_kv_reuse


def _hardware(accel: AcceleratorSpec, tp: int, pp: int, precision: Precision, runtime: ServingRuntime,
              model: ModelShape, attention_dp: bool) -> Hardware:
    link = accel.scaleup_gbyte_s / 2 if accel.scaleup_gbyte_s > 0 else PCIE_GBYTE_S
    moe_precision = runtime.moe_compute_precision or ""
    if moe_precision and accel.peak_flops(moe_precision) >= accel.peak_flops(precision.name):
        moe_precision = ""  # serving precision is already as wide (or the card has no faster narrow format)
    return Hardware(
        peak_flops=accel.peak_flops(precision.name), hbm_byte_s=accel.memory_tbyte_s * 1e12,
        link_byte_s=link * 1e9, tp=tp, pp=pp, precision=precision.name,
        weight_bytes=weight_bytes_per_value(precision), efficiency_scale=runtime_efficiency(runtime, accel),
        overhead_scale=runtime.step_overhead_scale, prefill_overhead_scale=runtime.prefill_overhead_scale,
        allreduce_latency_scale=runtime.allreduce_latency_scale,
        hbm_eff_scale=runtime.hbm_eff_scale,
        moe_eff_scale=runtime_moe_efficiency(runtime, accel), kv_read_factor=kv_read_factor(model, runtime),
        attention_dp=attention_dp, moe_precision=moe_precision,
        moe_peak_flops=accel.peak_flops(moe_precision) if moe_precision else 0.0,
        fused_parallel_allreduce=runtime.fused_parallel_allreduce, pcie=accel.scaleup_gbyte_s <= 0,
        allreduce_block_byte_s=runtime.allreduce_block_gbyte_s * 1e9,
    )


def runtime_efficiency(runtime: ServingRuntime, accel: AcceleratorSpec) -> float:
    """The runtime's GEMM efficiency scale, times its Hopper scale on Hopper GPUs (kernels before wgmma/TMA)."""
    hopper = generation(accel) == "hopper"
    return runtime.efficiency_scale * (runtime.hopper_efficiency_scale if hopper else 1.0)


def runtime_moe_efficiency(runtime: ServingRuntime, accel: AcceleratorSpec) -> float:
    """The runtime's grouped expert-GEMM scale, times its Hopper MoE scale on Hopper GPUs."""
    hopper = generation(accel) == "hopper"
    return runtime.moe_eff_scale * (runtime.hopper_moe_eff_scale if hopper else 1.0)


def _check_inputs(gpu_count: int, input_tokens: int, output_tokens: int, concurrency: int | None) -> None:
    for name, value in (("gpu_count", gpu_count), ("input_tokens", input_tokens), ("output_tokens", output_tokens)):
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    if concurrency is not None and concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, got {concurrency}")


def _infeasible(model: ModelShape, precision: Precision, accel: AcceleratorSpec, gpus: int, plan: MemoryPlan) -> None:
    need = plan.weights_bytes / GIB
    if plan.kv_pool_bytes <= 0:
        reason = (f"{model.name} in {precision.name} needs {need:,.0f} GiB of weights; "
                  f"{gpus} x {accel.name} has {accel.device_memory_bytes() * gpus / GIB:,.0f} GiB")
    else:
        reason = f"{model.name} in {precision.name}: no room for the KV cache of one sequence on {gpus} x {accel.name}"
    per_gpu = plan.weights_bytes / (0.9 * accel.device_memory_bytes())
    raise InfeasibleError(reason, [f"weights alone need at least {math.ceil(per_gpu)} x {accel.name}",
                                   "runtime reserve and activation workspace also take memory on each GPU"])


def _evaluate(model: ModelShape, hw: Hardware, plan: MemoryPlan, conc: int, s_in: int, s_out: int,
              runtime: ServingRuntime, cal: InferenceCalibration) -> _Point:
    context = s_in + s_out / 2
    step = decode_step(model, conc / hw.pp, context, plan.kv_bytes_per_token, hw, cal)
    tpot = step.total_s * hw.pp
    prompt = s_in - 1 if runtime.first_token_from_decode else s_in  # tokens the prefill forward runs
    prefill_work = ttft = 0.0
    if prompt:
        chunk = conc * prompt if runtime.static_batching else min(conc * prompt, max(prompt, runtime.max_num_tokens))
        prefill_work = conc * prompt / chunk * prefill_time(model, chunk, s_in, hw, cal, hw.gpus)
        ttft = prefill_time(model, chunk, s_in, hw, cal, hw.tp)  # latency: all stages in turn, TP GPUs each
    if runtime.first_token_from_decode:  # the first token is the output of a decode step over the last prompt token
        ttft += decode_step(model, conc / hw.pp, s_in, plan.kv_bytes_per_token, hw, cal).total_s * hw.pp
    tokens_per_s = conc * s_out / (prefill_work + s_out * tpot)
    parts = {"memory_bandwidth": step.memory_s, "compute": step.compute_s, "communication": step.communication_s}
    if prefill_work > s_out * tpot:
        parts["compute"] = float("inf")
    return _Point(conc, tokens_per_s, ttft, tpot, max(parts, key=parts.__getitem__))


def _candidates(limit: int) -> list[int]:
    values = {limit}
    c = 1
    while c < limit:
        values.add(c)
        c *= 2
    return sorted(values)


def _meets(p: _Point, ttft_ms_max: float | None, tpot_ms_max: float | None) -> bool:
    ok_ttft = ttft_ms_max is None or p.ttft_s * 1e3 <= ttft_ms_max
    return ok_ttft and (tpot_ms_max is None or p.tpot_s * 1e3 <= tpot_ms_max)


def _best_point(
    evaluate: Callable[[int], _Point], limit: int, ttft_ms_max: float | None, tpot_ms_max: float | None
) -> _Point:
    points = [evaluate(c) for c in _candidates(limit)]
    ok = [p for p in points if _meets(p, ttft_ms_max, tpot_ms_max)]
    return max(ok or points[:1], key=lambda p: p.tokens_per_s)


def _warnings(model: ModelShape, accel: AcceleratorSpec, precision: Precision, pp: int) -> list[str]:
    notes = []
    if model.is_moe:
        notes.append("MoE: uniform expert routing assumed; expert GEMM efficiency from few published cases")
    if model.kv_lora_rank:
        notes.append("MLA: latent KV cache held on every TP rank (attention data parallelism would hold more)")
    if not any(f in accel.slug.lower() for f in CALIBRATED_FAMILIES):
        notes.append(f"no published inference measurements for {accel.name}; efficiencies borrowed from H100/A100")
    if not accel.supports(precision.name):
        notes.append(f"{accel.name} has no native {precision.name} tensor cores; modeled at the next wider rate")
    if pp > 1:
        notes.append(f"{pp} pipeline stages across scale-up domains; bubbles and inter-node hops not modeled")
    return notes


def _runtime_warnings(runtime: ServingRuntime, attention_dp: bool) -> list[str]:
    notes = []
    if runtime.name == "vllm":
        notes.append("vLLM profile fitted on one source (vLLM ROCm 2024 on MI300X); other vLLM builds differ")
    if attention_dp:
        notes.append("attention data parallelism: not validated; over-predicts published Qwen3 runs by 25-80%")
    return notes


# TensorRT-LLM releases whose tensor-parallel all-reduce is NCCL (custom all-reduce plugin opt-in before v0.8)
NCCL_TRTLLM_RUNTIMES = ("trtllm-0.5", "trtllm-0.6")
SHORT_PROMPT_TOKENS = 512  # the published short-prompt TTFT rows are 128 tokens; the gaps below were seen there


def _short_prompt_warnings(model: ModelShape, runtime: ServingRuntime, input_tokens: int, tp: int) -> list[str]:
    """Known TTFT gaps on short prompts, measured on the held-out and fit cases (benchmarks/fidelity_inference.py)."""
    if input_tokens > SHORT_PROMPT_TOKENS:
        return []
    notes = []
    if model.is_moe:
        notes.append("short-prompt MoE prefill: published Mixtral 8x7B batch-1 first-token latencies at 128 tokens are "
                     "10-33% below this estimate (TensorRT-LLM 0.9)")
    if runtime.name in NCCL_TRTLLM_RUNTIMES and tp > 1 and not model.parallel_attention:
        notes.append("tensor parallelism on TensorRT-LLM 0.5/0.6 (NCCL all-reduce): the published 128-token "
                     "first-token latency of Llama 2 70B at TP4 is 27% above this estimate on H100 (within 4% on A100)")
    return notes


LONG_OUTPUT_TOKENS = 2000  # the v0.17 rows with 2,000-4,096 output tokens show the gap below


def _decode_kernel_warnings(model: ModelShape, runtime: ServingRuntime, output_tokens: int) -> list[str]:
    """A GQA shape the runtime's grouped-query decode kernel rejects decodes with masked MHA (KV re-read per head)."""
    group = 1 if model.kv_lora_rank else model.attention_heads / max(1, model.kv_heads)
    if output_tokens <= 1 or group <= 1 or decode_kv_reuse(model, runtime, group) == runtime.gqa_kv_reuse:
        return []
    factor = kv_read_factor(model, runtime)
    return [f"{runtime.name} decodes {group:.0f}:1 query groups with {model.head_dim:.0f}-wide heads with masked MHA, "
            f"not XQA (8:1 groups, 128/256-wide heads only), reading the KV cache {factor:.1f}x; published "
            "Mistral 7B rows (4:1) run 25-40% faster on A100/L40S and up to 40% slower on H200 than this"]


GRID_NOTE_S = 0.001  # a collapsed all-reduce grid is named when it costs one prompt's first token this much


def _grid_notes(model: ModelShape, hw: Hardware, runtime: ServingRuntime, input_tokens: int,
                cal: InferenceCalibration) -> list[str]:
    """Names a custom all-reduce grid that collapses to a few thread blocks (modeled, not a known gap)."""
    extra_s = collapsed_grid_time(input_tokens, model, hw, cal)
    if extra_s < GRID_NOTE_S:
        return []
    _, blocks, _ = custom_allreduce.grid(input_tokens * model.hidden_size * 2.0, hw.tp)
    return [f"{runtime.name} custom all-reduce: hidden size {model.hidden_size:,} splits a single {input_tokens}-token "
            f"prompt's all-reduce over {blocks} thread block(s) per GPU, which adds {extra_s * 1e3:.1f} ms to its "
            "first token; the NCCL path (--use_custom_all_reduce disable) would not pay it"]


def _long_decode_warnings(hw: Hardware, output_tokens: int) -> list[str]:
    """Known throughput gap at TP8 over NVLink with long outputs (benchmarks/fidelity_inference.py, v0.17 rows)."""
    if hw.tp < 8 or hw.pcie or output_tokens < LONG_OUTPUT_TOKENS:
        return []
    return ["TP8 over NVLink with 2,000+ output tokens: published TensorRT-LLM 0.17 Mixtral 8x7B/8x22B throughput "
            "is up to 24% below this estimate (about 15% in the median); treat it as an upper bound"]


def _confidence(notes: list[str]) -> str:
    return "high" if not notes else "medium" if len(notes) == 1 else "low"


def estimate_inference(
    model: ModelShape, server_or_accel: ServerSpec | AcceleratorSpec, gpu_count: int, precision: Precision,
    input_tokens: int, output_tokens: int, *, concurrency: int | None = None, ttft_ms_max: float | None = None,
    tpot_ms_max: float | None = None, runtime: ServingRuntime | str | None = None, attention_dp: bool = False,
    calibration: InferenceCalibration | None = None,
) -> InferenceEstimate:
    """Serving estimate of one replica (TP inside the scale-up domain, PP across domains).

    concurrency None = the throughput-optimal concurrency that fits memory and meets the latency targets.
    runtime: a RUNTIME_PRESETS name ("trtllm-1.0" default, "trtllm-0.17", "trtllm-0.9", "trtllm-0.8", "trtllm-0.6",
    "trtllm-0.5", "lmdeploy-0.1", "vllm") or a ServingRuntime. attention_dp (MoE only): attention data-parallel, experts
    expert-parallel on all GPUs.
    Raises InfeasibleError when the weights (plus one sequence of KV cache) do not fit.
    """
    _check_inputs(gpu_count, input_tokens, output_tokens, concurrency)
    runtime = runtime if isinstance(runtime, ServingRuntime) else serving_runtime(runtime)
    cal, attention_dp = calibration or CALIBRATION, attention_dp and model.is_moe
    accel, tp, pp = _layout(server_or_accel, gpu_count)
    plan = plan_memory(model, precision, accel.device_memory_bytes(), gpu_count, tp, input_tokens + output_tokens,
                       runtime, attention_dp)
    if plan.kv_limited_concurrency < 1:
        _infeasible(model, precision, accel, gpu_count, plan)
    hw = _hardware(accel, tp, pp, precision, runtime, model, attention_dp)
    notes = (_warnings(model, accel, precision, pp) + _runtime_warnings(runtime, attention_dp)
             + _short_prompt_warnings(model, runtime, input_tokens, tp) + _long_decode_warnings(hw, output_tokens)
             + _decode_kernel_warnings(model, runtime, output_tokens))
    confidence = _confidence(notes)
    notes += _grid_notes(model, hw, runtime, input_tokens, cal)

    def evaluate(c: int) -> _Point:
        return _evaluate(model, hw, plan, c, input_tokens, output_tokens, runtime, cal)

    if concurrency is not None and concurrency > plan.kv_limited_concurrency:
        notes.append(f"concurrency {concurrency} exceeds the KV cache capacity; "
                     f"{plan.kv_limited_concurrency} sequences run, the rest queue")
    if concurrency is None:
        point = _best_point(evaluate, plan.max_concurrency, ttft_ms_max, tpot_ms_max)
    else:
        point = evaluate(min(concurrency, plan.kv_limited_concurrency))
    return _result(model, plan, point, gpu_count, output_tokens, concurrency, ttft_ms_max, tpot_ms_max,
                   confidence, notes, tp, pp)


def _result(model: ModelShape, plan: MemoryPlan, point: _Point, gpus: int, s_out: int, requested: int | None,
            ttft_ms_max: float | None, tpot_ms_max: float | None, confidence: str, notes: list[str],
            tp: int, pp: int) -> InferenceEstimate:
    meets = _meets(point, ttft_ms_max, tpot_ms_max)
    if not meets:
        notes.append("no concurrency meets the latency targets on this hardware; showing concurrency "
                     f"{point.concurrency}")
    bound = point.bound
    at_kv_limit = point.concurrency >= plan.kv_limited_concurrency
    if (requested is None and at_kv_limit) or (requested or 0) > plan.kv_limited_concurrency:
        bound = "memory_capacity"
    return InferenceEstimate(
        output_tokens_per_s=point.tokens_per_s, output_tokens_per_s_per_gpu=point.tokens_per_s / gpus,
        requests_per_s=point.tokens_per_s / s_out, ttft_ms=point.ttft_s * 1e3, tpot_ms=point.tpot_s * 1e3,
        concurrency=point.concurrency, max_concurrency=plan.max_concurrency,
        kv_cache_gib=plan.kv_pool_bytes / GIB, weights_gib=plan.weights_bytes / GIB,
        kv_cache_gib_per_sequence=plan.kv_bytes_per_token * plan.seq_tokens / GIB, limiting_bound=bound,
        meets_latency_targets=meets, confidence=confidence, warnings=tuple(notes), tensor_parallel=tp,
        pipeline_parallel=pp,
    )
