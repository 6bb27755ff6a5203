"""Estimate use cases: resolve the model and hardware, call the engine, shape the answer.

Shared by the estimate endpoints and the capacity plans (which reuse resolve_model / hardware_spec).
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from app import engine
from app.catalog import repository as catalog_repository
from app.catalog.engine_specs import accelerator_spec, server_spec
from app.catalog.kinds import KINDS
from app.catalog.models import Accelerator, Server
from app.engine.inference import estimate_inference
from app.engine.inference_memory import serving_runtime
from app.engine.specs import AcceleratorSpec, ServerSpec
from app.engine.workload import ClassicModel, ModelShape, Precision
from app.errors import AppError, FieldError, InfeasibleProblem, NotFoundError, ValidationProblem
from app.estimates.schemas import (
    InferenceRequest,
    InferenceResponse,
    ModelShapeIn,
    TrainingRequest,
    TrainingResponse,
)
from app.memo import LruMemo
from app.metrics import ESTIMATES, counted
from app.models_library import get_preset, list_presets

RESULTS = LruMemo(maxsize=2048)  # JSON answers per (request, hardware spec); see app/memo.py


def preset_dicts() -> list[dict[str, Any]]:
    return [preset_dict(p.slug) for p in list_presets()]


def preset_dict(slug: str) -> dict[str, Any]:
    preset = get_preset(slug)
    if preset is None:
        raise NotFoundError(f"no model preset {slug!r}; see GET /api/v1/models for the list")
    return {"slug": preset.slug, "name": preset.display_name, "kind": preset.kind, "source_url": preset.source_url,
            "notes": preset.notes, "shape": dataclasses.asdict(preset.shape)}


def resolve_any_model(ref: str | ModelShapeIn) -> ModelShape | ClassicModel:
    """Preset slug or inline shape -> engine model (transformer or classic)."""
    if isinstance(ref, str):
        preset = get_preset(ref)
        if preset is None:
            raise NotFoundError(f"no model preset {ref!r}; see GET /api/v1/models for the list",
                                errors=[FieldError("model", "unknown preset")])
        return preset.shape
    data = ref.model_dump()
    data["kv_heads"] = data["kv_heads"] or data["attention_heads"]
    data["ffn_hidden_size"] = data["ffn_hidden_size"] or 4 * data["hidden_size"]
    return _with_preset_details(ModelShape(**data), ref.model_fields_set)


DETAIL_FIELDS = ("kv_lora_rank", "qk_rope_head_dim", "q_lora_rank", "qk_nope_head_dim", "v_head_dim",
                 "head_dim_override", "shared_experts", "routed_nodes_max",
                 "parallel_attention")


def _with_preset_details(shape: ModelShape, given: set[str]) -> ModelShape:
    """An inline shape that is a known architecture (same layers, hidden size and parameters within 2%) takes the
    preset's architecture details it did not state (DeepSeek-V3's MLA attention, Qwen3's head dim): a request
    that lists only the ten common fields is still modelled as the real network."""
    for preset in list_presets():
        known = preset.shape
        if (isinstance(known, ModelShape) and known.layers == shape.layers and known.hidden_size == shape.hidden_size
                and abs(known.params - shape.params) <= 0.02 * known.params):
            details = {f: getattr(known, f) for f in DETAIL_FIELDS if f not in given}
            return dataclasses.replace(shape, **details)
    return shape


def resolve_model(ref: str | ModelShapeIn) -> ModelShape:
    model = resolve_any_model(ref)
    if isinstance(model, ClassicModel):
        raise ValidationProblem(f"{ref!r} is a classic model described per sample; size it with a plan workload "
                                "of kind 'classic' (POST /api/v1/plans)", field="model")
    return model


def hardware_spec(session: Session, *, accelerator: str | None, server: str | None) -> AcceleratorSpec | ServerSpec:
    if server is not None:
        row = catalog_repository.get_by_slug(session, KINDS["servers"], server)
        if not isinstance(row, Server):
            raise NotFoundError(f"no server {server!r}; see GET /api/v1/servers for the list",
                                errors=[FieldError("server", "unknown slug")])
        return server_spec(row)
    row = catalog_repository.get_by_slug(session, KINDS["accelerators"], accelerator or "")
    if not isinstance(row, Accelerator):
        raise NotFoundError(f"no accelerator {accelerator!r}; see GET /api/v1/accelerators for the list",
                            errors=[FieldError("accelerator", "unknown slug")])
    return accelerator_spec(row)


def finite(value: Any) -> Any:
    """Recursively guarantee JSON-safe numbers: NaN or infinity would be an engine defect, never sent."""
    if isinstance(value, float) and not math.isfinite(value):
        raise AppError("the engine produced a non-finite number for this input; please report it")
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def infeasible(exc: engine.InfeasibleError) -> InfeasibleProblem:
    return InfeasibleProblem(exc.reason, extra={"tried": list(exc.details)})


def _strategy(req: TrainingRequest) -> engine.Strategy | None:
    if req.parallelism is None:
        return None
    p = req.parallelism
    return engine.Strategy(tp=p.tp, pp=p.pp, dp=p.dp or 0, cp=p.cp, ep=p.ep, vp=p.vp)


def _software(req: TrainingRequest) -> engine.SoftwareStack | None:
    if req.software is None:
        return None
    return engine.SoftwareStack(**req.software.model_dump())  # same field names


def _check_divisible(req: TrainingRequest) -> None:
    p = req.parallelism
    if p is None:
        return
    fixed = p.tp * p.pp * p.cp * (p.dp or 1)
    if req.gpu_count % fixed or (p.dp and fixed != req.gpu_count):
        raise ValidationProblem(
            f"gpu_count {req.gpu_count} is not divisible by tp x pp x cp{' x dp' if p.dp else ''} = {fixed}"
            + (" (and must equal it when dp is given)" if p.dp else ""), field="parallelism")


def training_estimate(*, session: Session, request: TrainingRequest) -> dict[str, Any]:
    hardware = hardware_spec(session, accelerator=request.accelerator, server=request.server)
    return json.loads(training_answer(request, hardware))  # type: ignore[no-any-return]


def training_answer(request: TrainingRequest, hardware: AcceleratorSpec | ServerSpec) -> bytes:
    """The JSON answer (TrainingResponse), memoized per identical request and hardware spec."""
    model = resolve_model(request.model)
    _check_divisible(request)

    def compute() -> bytes:
        with counted(ESTIMATES, kind="training"):  # only real engine work is counted, not memo hits
            return _json(TrainingResponse, _training(request, model, hardware))

    return RESULTS.get_or_compute(answer_key(request, hardware), compute)  # type: ignore[no-any-return]


def answer_key(request: TrainingRequest | InferenceRequest, hardware: AcceleratorSpec | ServerSpec) -> str:
    """Memo key: the full request and the full hardware spec (a catalog edit is a new key)."""
    kind = "training" if isinstance(request, TrainingRequest) else "inference"
    return f"{kind}|{request.model_dump_json()}|{hardware!r}"


def _json(schema: type[BaseModel], data: dict[str, Any]) -> bytes:
    return schema.model_validate(data).model_dump_json().encode()


def _training(request: TrainingRequest, model: ModelShape, hardware: AcceleratorSpec | ServerSpec) -> dict[str, Any]:
    try:
        est = engine.estimate_training(
            model, hardware, request.gpu_count, Precision(request.precision), request.seq_len,
            global_batch_tokens=request.global_batch_tokens, strategy=_strategy(request),
            software=_software(request), tokens=request.tokens)
    except engine.InfeasibleError as exc:
        raise infeasible(exc) from exc
    return finite(training_dict(est))


def training_dict(est: engine.TrainingEstimate) -> dict[str, Any]:
    out: dict[str, Any] = {
        "tokens_per_s": est.tokens_per_s, "tokens_per_s_per_gpu": est.tokens_per_s_per_gpu,
        "model_tflops_per_gpu": est.model_tflops_per_gpu, "hardware_tflops_per_gpu": est.hardware_tflops_per_gpu,
        "mfu": est.mfu, "step_time_s": est.step_time_s, "global_batch_tokens": est.global_batch_tokens,
        "parallelism": est.parallelism, "memory_per_gpu_gib": est.memory.total_gib,
        "memory_breakdown": dataclasses.asdict(est.memory), "time_breakdown": dataclasses.asdict(est.time_breakdown),
        "confidence": est.confidence, "warnings": list(est.warnings), "flops_definition": est.flops_definition,
        "engine_version": engine.VERSION,
    }
    if est.run is not None:
        for name, values in (("wall_clock_hours", est.run.wall_clock_hours), ("gpu_hours", est.run.gpu_hours)):
            out.update({name: values["expected"], f"{name}_low": values["low"], f"{name}_high": values["high"]})
        out.update(goodput=est.run.goodput, expected_interruptions=est.run.expected_interruptions,
                   checkpoint_interval_s=est.run.checkpoint_interval_s)
    return out


def inference_estimate(*, session: Session, request: InferenceRequest) -> dict[str, Any]:
    hardware = hardware_spec(session, accelerator=request.accelerator, server=request.server)
    return json.loads(inference_answer(request, hardware))  # type: ignore[no-any-return]


def inference_answer(request: InferenceRequest, hardware: AcceleratorSpec | ServerSpec) -> bytes:
    """The JSON answer (InferenceResponse), memoized per identical request and hardware spec."""
    model = resolve_model(request.model)

    def compute() -> bytes:
        with counted(ESTIMATES, kind="inference"):  # only real engine work is counted, not memo hits
            return _json(InferenceResponse, _inference(request, model, hardware))

    return RESULTS.get_or_compute(answer_key(request, hardware), compute)  # type: ignore[no-any-return]


def _inference(request: InferenceRequest, model: ModelShape, hardware: AcceleratorSpec | ServerSpec) -> dict[str, Any]:
    try:
        est = estimate_inference(model, hardware, request.gpu_count, Precision(request.precision),
                                 request.input_tokens, request.output_tokens, concurrency=request.concurrency,
                                 ttft_ms_max=request.ttft_ms_max, tpot_ms_max=request.tpot_ms_max,
                                 runtime=serving_runtime(request.runtime), requests=request.requests)
    except engine.InfeasibleError as exc:
        raise infeasible(exc) from exc
    out = dataclasses.asdict(est)
    out["warnings"] = list(est.warnings)
    out["engine_version"] = engine.VERSION
    return finite(out)
