"""Public inference estimate: LLM serving (estimate_inference); classic models are in app/engine/classic.py.

Pure functions of frozen dataclasses; see inference_memory.py and inference_timing.py for the formulas.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from app.engine.efficiency import generation
from app.engine.errors import InfeasibleError
from app.engine.inference_memory import (
    MemoryPlan,
    ServingRuntime,
    kv_read_factor,
    plan_memory,
    serving_runtime,
    weight_bytes_per_value,
)
from app.engine.inference_notes import confidence_of, known_gaps, modeled_notes
from app.engine.inference_timing import (
    CALIBRATION,
    Hardware,
    InferenceCalibration,
    StepTimes,
    decode_step,
    prefill_parts,
    prefill_time,
)
from app.engine.specs import GIB, AcceleratorSpec, ServerSpec
from app.engine.workload import ModelShape, Precision

DEFAULT_SCALEUP_GPUS = 8  # HGX / OAM baseboards: 8 GPUs share NVLink / Infinity Fabric
PCIE_GBYTE_S = 32.0  # PCIe Gen4 x16 unidirectional, used for TP when a card has no scale-up link


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
    job_seconds: float | None = None  # wall clock of an offline job of `requests` requests (None = steady state)


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
        allreduce_block_byte_s=runtime.allreduce_block_gbyte_s * 1e9, logits_gather=runtime.logits_gather,
    )


def runtime_efficiency(runtime: ServingRuntime, accel: AcceleratorSpec) -> float:
    """The runtime's GEMM efficiency scale, times its Hopper scale on Hopper GPUs (kernels before wgmma/TMA)."""
    hopper = generation(accel) == "hopper"
    return runtime.efficiency_scale * (runtime.hopper_efficiency_scale if hopper else 1.0)


def runtime_moe_efficiency(runtime: ServingRuntime, accel: AcceleratorSpec) -> float:
    """The runtime's grouped expert-GEMM scale, times its Hopper MoE scale on Hopper GPUs."""
    hopper = generation(accel) == "hopper"
    return runtime.moe_eff_scale * (runtime.hopper_moe_eff_scale if hopper else 1.0)


def _check_inputs(gpu_count: int, input_tokens: int, output_tokens: int, concurrency: int | None,
                  requests: int | None = None) -> None:
    for name, value in (("gpu_count", gpu_count), ("input_tokens", input_tokens), ("output_tokens", output_tokens)):
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    for name, optional in (("concurrency", concurrency), ("requests", requests)):
        if optional is not None and optional < 1:
            raise ValueError(f"{name} must be >= 1, got {optional}")


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
    prefill = StepTimes(0.0, 0.0, 0.0, 0.0, 0.0)
    if prompt:
        chunk = conc * prompt if runtime.static_batching else min(conc * prompt, max(prompt, runtime.max_num_tokens))
        prefill = prefill_parts(model, chunk, s_in, hw, cal, hw.gpus)
        prefill_work = conc * prompt / chunk * prefill.total_s
        ttft = prefill_time(model, chunk, s_in, hw, cal, hw.tp)  # latency: all stages in turn, TP GPUs each
    if runtime.first_token_from_decode:  # the first token is the output of a decode step over the last prompt token
        ttft += decode_step(model, conc / hw.pp, s_in, plan.kv_bytes_per_token, hw, cal).total_s * hw.pp
    tokens_per_s = conc * s_out / (prefill_work + s_out * tpot)
    busiest = prefill if prefill_work > s_out * tpot else step  # the phase that takes most of the time
    parts = {"memory_bandwidth": busiest.memory_s, "compute": busiest.compute_s,
             "communication": busiest.communication_s}
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


def estimate_inference(
    model: ModelShape, server_or_accel: ServerSpec | AcceleratorSpec, gpu_count: int, precision: Precision,
    input_tokens: int, output_tokens: int, *, concurrency: int | None = None, ttft_ms_max: float | None = None,
    tpot_ms_max: float | None = None, runtime: ServingRuntime | str | None = None, attention_dp: bool = False,
    calibration: InferenceCalibration | None = None, requests: int | None = None,
) -> InferenceEstimate:
    """Serving estimate of one replica (TP inside the scale-up domain, PP across domains).

    concurrency None = the throughput-optimal concurrency that fits memory and meets the latency targets.
    requests None = steady state; else an offline job of that many identical requests queued at once, whose
    throughput counts the last, partly filled wave (job_seconds is its wall clock).
    runtime: a RUNTIME_PRESETS name ("trtllm-1.0" default, "trtllm-0.17", "trtllm-0.15", "trtllm-0.9", "trtllm-0.8",
    "trtllm-0.6", "trtllm-0.5", "lmdeploy-0.1", "vllm") or a ServingRuntime. attention_dp (MoE only): attention
    data-parallel, experts expert-parallel on all GPUs.
    Raises InfeasibleError when the weights (plus one sequence of KV cache) do not fit.
    """
    _check_inputs(gpu_count, input_tokens, output_tokens, concurrency, requests)
    runtime = runtime if isinstance(runtime, ServingRuntime) else serving_runtime(runtime)
    cal, attention_dp = calibration or CALIBRATION, attention_dp and model.is_moe
    accel, tp, pp = _layout(server_or_accel, gpu_count)
    plan = plan_memory(model, precision, accel.device_memory_bytes(), gpu_count, tp, input_tokens + output_tokens,
                       runtime, attention_dp)
    if plan.kv_limited_concurrency < 1:
        _infeasible(model, precision, accel, gpu_count, plan)
    hw = _hardware(accel, tp, pp, precision, runtime, model, attention_dp)
    notes = known_gaps(model, accel, precision, runtime, hw, input_tokens, output_tokens)
    confidence = confidence_of(notes)
    notes += modeled_notes(model, hw, runtime, input_tokens, cal)

    def evaluate(c: int) -> _Point:
        return _evaluate(model, hw, plan, c, input_tokens, output_tokens, runtime, cal)

    if concurrency is not None and concurrency > plan.kv_limited_concurrency:
        notes.append(f"concurrency {concurrency} exceeds the KV cache capacity; "
                     f"{plan.kv_limited_concurrency} sequences run, the rest queue")
    if concurrency is None:
        point = _best_point(evaluate, min(plan.max_concurrency, requests or plan.max_concurrency), ttft_ms_max,
                            tpot_ms_max)
    else:
        point = evaluate(min(concurrency, plan.kv_limited_concurrency, requests or concurrency))
    job_s = None
    if requests is not None:
        point, job_s = _job(evaluate, point, requests, output_tokens)
    est = _result(model, plan, point, gpu_count, output_tokens, concurrency, ttft_ms_max, tpot_ms_max,
                  confidence, notes, tp, pp)
    return replace(est, job_seconds=job_s)


def _job(evaluate: Callable[[int], _Point], point: _Point, requests: int, s_out: int) -> tuple[_Point, float]:
    """An offline job of `requests` identical requests queued at once [s]: waves of `point.concurrency` (identical
    lengths finish together, so the freed slots refill as a block), the last wave with the remainder. The job's
    throughput replaces the steady-state one; latencies stay those of a full wave."""
    full, rest = divmod(requests, point.concurrency)

    def wave_s(p: _Point) -> float:
        return p.concurrency * s_out / p.tokens_per_s

    seconds = full * wave_s(point) + (wave_s(evaluate(rest)) if rest else 0.0)
    return replace(point, tokens_per_s=requests * s_out / seconds), seconds


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
