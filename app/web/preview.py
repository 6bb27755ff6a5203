"""Live preview on the new-plan page: the estimate for one chosen server SKU while the user types.

Training previews run on the fixed GPU count when the user gave one, else on PREVIEW_TRAINING_GPUS; inference
previews size one replica of a whole server. The saved plan does the full search; the preview says which case
it shows.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.catalog import service as catalog_service
from app.catalog.kinds import KINDS
from app.errors import AppError
from app.estimates import service as estimates_service
from app.estimates.schemas import InferenceRequest, TrainingRequest
from app.web import forms, plan_form

PREVIEW_TRAINING_GPUS = 1024


def _model(values: dict[str, str]) -> Any:
    return plan_form.transformer_model(values)


def _training_request(values: dict[str, str], server: str) -> tuple[BaseModel | None, dict[str, str]]:
    gpus = values.get("training.gpu_count", "").strip() if values.get("training.target") == "gpus" else ""
    data = {"model": _model(values), "server": server, "gpu_count": gpus or PREVIEW_TRAINING_GPUS,
            "precision": values.get("precision") or "bf16", "seq_len": values.get("training.seq_len") or 4096,
            "tokens": plan_form.quantity(values.get("training.tokens", "").strip()) or None}
    return forms.validate(TrainingRequest, data)


def _inference_request(values: dict[str, str], server: str, gpus: int) -> tuple[BaseModel | None, dict[str, str]]:
    data = {"model": _model(values), "server": server, "gpu_count": gpus,
            "precision": values.get("precision") or "bf16",
            "input_tokens": values.get("inference.input_tokens") or None,
            "output_tokens": values.get("inference.output_tokens") or None,
            "ttft_ms_max": values.get("inference.ttft_ms_max") or None,
            "tpot_ms_max": values.get("inference.tpot_ms_max") or None}
    return forms.validate(InferenceRequest, {k: v for k, v in data.items() if v is not None})


def run(session: Session, values: dict[str, str]) -> dict[str, Any]:
    """Preview context: {kind, server, gpus, estimate | errors | infeasible, replicas (inference)}."""
    kind = values.get("kind", "training")
    if kind == "classic":
        return {"kind": kind, "message": "The preview covers transformer workloads; classic models are sized "
                "when you create the plan."}
    row = catalog_service.get_row(session=session, kind=KINDS["servers"], slug=values.get("preview_server", ""))
    gpus = int(row.gpu_count)  # type: ignore[attr-defined]
    out: dict[str, Any] = {"kind": kind, "server": catalog_service.row_to_dict(KINDS["servers"], row),
                           "model": _model_info(values)}
    if kind == "training":
        body, errors = _training_request(values, row.slug)
    else:
        body, errors = _inference_request(values, row.slug, gpus)
    if body is None:
        return {**out, "errors": errors}
    try:
        if isinstance(body, TrainingRequest):
            out.update(gpus=body.gpu_count, estimate=estimates_service.training_estimate(session=session,
                                                                                          request=body))
        else:
            assert isinstance(body, InferenceRequest)
            out.update(gpus=gpus, estimate=estimates_service.inference_estimate(session=session, request=body))
            out["replicas"] = _replicas(values, out["estimate"])
    except AppError as exc:
        out.update(infeasible=exc.detail, tried=exc.extra.get("tried", []))
    return out


def _model_info(values: dict[str, str]) -> dict[str, Any] | None:
    slug = values.get("model", "custom")
    if slug == "custom":
        return None
    try:
        return estimates_service.preset_dict(slug)
    except AppError:
        return None


def _replicas(values: dict[str, str], estimate: dict[str, Any]) -> int | None:
    """Replicas for the requested rate at this replica's throughput (before availability headroom)."""
    try:
        rate = float(values.get("inference.requests_per_s", ""))
    except ValueError:
        return None
    per_replica = float(estimate.get("requests_per_s") or 0)
    return math.ceil(rate / per_replica) if per_replica > 0 and rate > 0 else None
