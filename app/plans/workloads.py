"""Per workload kind: size one candidate and describe its compute, storage need and reliability (pure).

Each sizer returns a `Sized`: the engine ComputeNeed plus the result sections that only the workload knows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from app.engine.build import ComputeNeed
from app.engine.reliability import GPU_HOURS_PER_INTERRUPTION
from app.engine.specs import GIB, ServerSpec
from app.engine.storage import (
    CHECKPOINT_BYTES_PER_PARAM,
    DEFAULT_STALL_S,
    TOKEN_BYTES,
    StorageNeed,
    training_storage_need,
)
from app.engine.workload import ClassicModel, ModelShape, Precision
from app.plans import sizing

# Training keeps accelerators busy most of the time; expected draw uses TDP x (0.3 + 0.7 x 0.9) per GPU.
# Assumption (facility.py formula; busy share, not MFU: GEMMs, communication and optimizer steps all draw power).
TRAINING_BUSY = 0.9
WEIGHT_VERSIONS = 3  # assumption: three model versions kept on the serving store
SERVING_LOG_TB = 10.0  # assumption: request logs and images on the serving store [TB]
WEIGHT_LOAD_S = 600.0  # assumption: every replica can (re)load its weights within 10 minutes
SERVING_WRITE_GBYTE_S = 1.0  # assumption: logs only


@dataclass(frozen=True)
class Sized:
    need: ComputeNeed
    compute: dict[str, Any]
    reliability: dict[str, Any]
    checkpoint_interval_s: float | None
    time_hours: float | None  # expected run time (training)
    capacity: float | None  # requests/s or samples/s the active servers sustain
    latency_ms: float | None  # inference end-to-end latency of one request at the operating point
    tokens_per_s: float | None  # served tokens/s at the peak rate (input + output), for USD per million tokens
    output_tokens_per_s: float | None
    warnings: tuple[str, ...]
    tried: tuple[str, ...]


def _mtbf_hours(gpus: int) -> float:
    return GPU_HOURS_PER_INTERRUPTION / max(1, gpus)


def dataset_tb_default(tokens: float) -> float:
    """Tokenized training data [TB]: tokens x 4 bytes (uint32 ids)."""
    return tokens * TOKEN_BYTES / 1e12


def size_training(model: ModelShape, server: ServerSpec, wl: Any, precision: Precision) -> Sized:
    if wl.gpu_count is not None:
        size = sizing.size_training_fixed(model, server, precision, wl.seq_len, wl.tokens, wl.gpu_count)
    else:
        size = sizing.size_training_deadline(model, server, precision, wl.seq_len, wl.tokens, wl.deadline_days * 24)
    est, run = size.estimate, size.estimate.run
    assert run is not None  # tokens are always given for plans
    nodes = size.servers + size.spare_servers
    dataset = wl.dataset_tb if wl.dataset_tb is not None else dataset_tb_default(wl.tokens)
    storage = training_storage_need(model.params, est.tokens_per_s, nodes, dataset_tb=dataset)
    deadline = wl.deadline_days * 24 if wl.deadline_days else None
    hours = run.wall_clock_hours["expected"]
    interval = wl.checkpoint_interval_h * 3600 if wl.checkpoint_interval_h else run.checkpoint_interval_s
    compute = {
        "servers": nodes, "active_servers": size.servers, "spare_servers": size.spare_servers,
        "gpus": nodes * server.gpu_count, "active_gpus": size.gpus, "utilization": TRAINING_BUSY,
        "confidence": est.confidence, "strategy": est.parallelism, "tokens_per_s": est.tokens_per_s,
        "tokens_per_s_per_gpu": est.tokens_per_s_per_gpu, "mfu": est.mfu, "step_time_s": est.step_time_s,
        "global_batch_tokens": est.global_batch_tokens, "wall_clock_hours": run.wall_clock_hours,
        "gpu_hours": run.gpu_hours, "deadline_hours": deadline, "meets_deadline": deadline is None or hours <= deadline,
        "memory_per_gpu_gib": est.memory.total_gib, "memory_breakdown": dataclasses.asdict(est.memory),
        "time_breakdown": dataclasses.asdict(est.time_breakdown), "flops_definition": est.flops_definition,
        "sizing_tried": list(size.tried),
    }
    reliability = {"mtbf_hours": run.mtbf_hours, "expected_interruptions": run.expected_interruptions,
                   "goodput": run.goodput, "checkpoint_interval_s": interval, "checkpoint_s": run.checkpoint_s,
                   "spare_servers": size.spare_servers, "availability": None,
                   "spare_policy": f"hot spares cover servers in repair ({sizing.REPAIR_HOURS:g} h): Poisson mean "
                                   "+ 2 standard deviations"}
    need = ComputeNeed(size.servers, size.spare_servers, TRAINING_BUSY, nodes > 1, storage, hours)
    return Sized(need, compute, reliability, interval, hours, None, None, None, None, est.warnings, size.tried)


def _serving_storage(weights_gib: float, replicas: int) -> StorageNeed:
    weights_bytes = weights_gib * GIB
    return StorageNeed(capacity_tb=WEIGHT_VERSIONS * weights_bytes / 1e12 + SERVING_LOG_TB,
                       read_gbyte_s=replicas * weights_bytes / WEIGHT_LOAD_S / 1e9,
                       write_gbyte_s=SERVING_WRITE_GBYTE_S)


def size_serving(model: ModelShape, server: ServerSpec, wl: Any, precision: Precision) -> Sized:
    size = sizing.size_inference(model, server, precision, wl.input_tokens, wl.output_tokens, wl.requests_per_s,
                                 wl.ttft_ms_max, wl.tpot_ms_max, wl.availability)
    est = size.estimate
    active = sizing.servers_for(size.replicas_needed, size.replica_gpus, server.gpu_count)
    spares = size.servers - active
    util = wl.requests_per_s / (size.replicas * est.requests_per_s)
    latency = est.ttft_ms + wl.output_tokens * est.tpot_ms
    hbm_gib = server.accelerator.device_memory_bytes() * size.replica_gpus / GIB
    compute = {
        "servers": size.servers, "active_servers": active, "spare_servers": spares,
        "gpus": size.servers * server.gpu_count, "active_gpus": size.replicas * size.replica_gpus,
        "utilization": util, "confidence": est.confidence,
        "strategy": {"tp": est.tensor_parallel, "pp": est.pipeline_parallel},
        "replica_gpus": size.replica_gpus, "replicas": size.replicas, "replicas_needed": size.replicas_needed,
        "headroom_replicas": size.headroom_replicas, "per_replica_requests_per_s": est.requests_per_s,
        "capacity_requests_per_s": size.capacity_requests_per_s,
        "capacity_with_headroom_requests_per_s": size.replicas * est.requests_per_s,
        "ttft_ms": est.ttft_ms, "tpot_ms": est.tpot_ms, "end_to_end_ms": latency,
        "concurrency_per_replica": est.concurrency, "max_concurrency_per_replica": est.max_concurrency,
        "output_tokens_per_s": est.output_tokens_per_s * size.replicas_needed, "weights_gib": est.weights_gib,
        "kv_cache_gib": est.kv_cache_gib, "limiting_bound": est.limiting_bound,
        "memory_breakdown": {"weights_gib": est.weights_gib, "kv_cache_gib": est.kv_cache_gib,
                             "other_gib": max(0.0, hbm_gib - est.weights_gib - est.kv_cache_gib),
                             "capacity_gib": hbm_gib},
        "sizing_tried": list(size.tried),
    }
    gpus = size.servers * server.gpu_count
    reliability = {"mtbf_hours": _mtbf_hours(gpus), "expected_interruptions": 8760 / _mtbf_hours(gpus),
                   "interruptions_period": "year", "goodput": None, "checkpoint_interval_s": None,
                   "spare_servers": spares, "availability": wl.availability,
                   "spare_policy": f"{size.headroom_replicas} extra replica(s) ({wl.availability}) absorb a failed "
                                   "server at the peak rate"}
    need = ComputeNeed(active, spares, util, size.replica_gpus > server.gpu_count,
                       _serving_storage(est.weights_gib, size.replicas), None)
    tokens = wl.requests_per_s * (wl.input_tokens + wl.output_tokens)
    return Sized(need, compute, reliability, None, None, size.capacity_requests_per_s, latency, tokens,
                 wl.requests_per_s * wl.output_tokens, est.warnings, size.tried)


def size_classic(model: ClassicModel, server: ServerSpec, wl: Any, precision: Precision) -> Sized:
    rate = wl.required_samples_per_s()
    size = sizing.size_classic(model, server, precision, rate, wl.mode, 1)
    est = size.estimate
    training = wl.mode == "training"
    hours = (wl.dataset_samples * wl.epochs / est.samples_per_s / 3600) if training and wl.dataset_samples else None
    nodes = size.servers + size.spare_servers
    ckpt = model.params * CHECKPOINT_BYTES_PER_PARAM["full"]
    dataset_tb = (wl.dataset_samples or 0) * model.bytes_per_sample / 1e12
    storage = StorageNeed(capacity_tb=dataset_tb + 3 * ckpt / 1e12 + 1.0,
                          read_gbyte_s=rate * model.bytes_per_sample / 1e9,
                          write_gbyte_s=ckpt / DEFAULT_STALL_S / 1e9 if training else SERVING_WRITE_GBYTE_S,
                          checkpoint_tb=ckpt / 1e12 if training else 0.0)
    compute = {"servers": nodes, "active_servers": size.servers, "spare_servers": size.spare_servers,
               "gpus": nodes * server.gpu_count, "active_gpus": size.gpus,
               "utilization": min(1.0, rate / est.samples_per_s),
               "confidence": est.confidence, "strategy": {"dp": size.gpus}, "mode": wl.mode,
               "required_samples_per_s": rate, "samples_per_s": est.samples_per_s,
               "samples_per_s_per_gpu": est.samples_per_s_per_gpu, "bound": est.bound, "expected_hours": hours}
    gpus = nodes * server.gpu_count
    reliability = {"mtbf_hours": _mtbf_hours(gpus),
                   "expected_interruptions": (hours or 8760) / _mtbf_hours(gpus),
                   "interruptions_period": "run" if hours else "year", "goodput": None,
                   "checkpoint_interval_s": None, "spare_servers": size.spare_servers,
                   "availability": None if training else "n+1",
                   "spare_policy": "one spare server (N+1)" if not training else "hot spares for servers in repair"}
    need = ComputeNeed(size.servers, size.spare_servers, compute["utilization"], training and nodes > 1, storage,
                       hours)
    warnings = ("classic-model throughput is a prior (about a third of dense peak); confidence low",)
    return Sized(need, compute, reliability, None, hours, est.samples_per_s, None, None, None, warnings,
                 (f"{size.gpus} GPUs for {rate:,.0f} samples/s",))

