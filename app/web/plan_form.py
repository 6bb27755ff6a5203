"""The new-plan form: flat HTML field names <-> the nested PlanCreate schema, and errors mapped back.

Field names: `kind` picks the workload tab; transformer workloads share `model` (preset slug or "custom"),
`shape.*` (custom shape) and `precision`; tab-specific fields are prefixed `training.`, `inference.`,
`classic.`; site assumptions are `site.*`. Quantities accept k/M/B/T suffixes ("15T" tokens, "70B" params).
"""

from __future__ import annotations

import re
from typing import Any

from app.plans.schemas import PlanCreate
from app.web import forms

KINDS = ("training", "inference", "classic")
SHAPE_FIELDS = ("params", "active_params", "layers", "hidden_size", "ffn_hidden_size", "attention_heads",
                "kv_heads", "vocab_size", "experts", "experts_per_token")
TAB_FIELDS = {
    "training": ("tokens", "seq_len", "deadline_days", "gpu_count", "dataset_tb", "checkpoint_interval_h"),
    "inference": ("input_tokens", "output_tokens", "requests_per_s", "ttft_ms_max", "tpot_ms_max", "availability"),
    "classic": ("model", "mode", "precision", "samples_per_s", "dataset_samples", "epochs", "deadline_days"),
}
QUANTITY_FIELDS = {"training.tokens", "shape.params", "shape.active_params", "classic.dataset_samples"}
SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12, "p": 1e15}
_QUANTITY = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmbgtp]?)\s*$", re.IGNORECASE)

DEFAULTS: dict[str, str] = {
    "name": "", "kind": "training", "objective": "tco", "model": "llama-3.1-70b", "precision": "bf16",
    "training.tokens": "15T", "training.seq_len": "8192", "training.target": "deadline",
    "training.deadline_days": "90", "training.gpu_count": "",
    "inference.input_tokens": "2000", "inference.output_tokens": "500", "inference.requests_per_s": "20",
    "inference.ttft_ms_max": "2000", "inference.tpot_ms_max": "100", "inference.availability": "n+1",
    "classic.model": "resnet-50", "classic.mode": "inference", "classic.precision": "bf16",
    "classic.samples_per_s": "10000", "preview_server": "",
}


def quantity(text: str) -> float | str:
    """'15T' -> 1.5e13, '70b' -> 7e10, '1e12' -> 1e12; anything else is returned as is (pydantic reports it)."""
    match = _QUANTITY.match(text)
    if not match:
        return text
    return float(match.group(1)) * SUFFIXES.get(match.group(2).lower(), 1.0)


def _value(name: str, raw: str) -> Any:
    return quantity(raw) if name in QUANTITY_FIELDS else raw


def _pick(values: dict[str, str], prefix: str, names: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for name in names:
        raw = values.get(f"{prefix}{name}", "").strip()
        if raw:
            out[name] = _value(f"{prefix}{name}", raw)
    return out


def transformer_model(values: dict[str, str]) -> Any:
    if values.get("model", "custom") != "custom":
        return values["model"]
    shape = _pick(values, "shape.", SHAPE_FIELDS)
    shape["name"] = values.get("shape.name", "").strip()[:100] or "custom model"
    return shape


def _workload(values: dict[str, str], kind: str) -> dict[str, Any]:
    workload: dict[str, Any] = {"kind": kind, **_pick(values, f"{kind}.", TAB_FIELDS[kind])}
    if kind != "classic":
        workload["model"] = transformer_model(values)
        workload["precision"] = values.get("precision") or "bf16"
    if kind == "training":
        drop = "gpu_count" if values.get("training.target", "deadline") == "deadline" else "deadline_days"
        workload.pop(drop, None)
    return workload


def to_data(values: dict[str, str]) -> dict[str, Any]:
    """Form values -> the PlanCreate JSON shape (not yet validated)."""
    kind = values.get("kind") if values.get("kind") in KINDS else "training"
    site = {k.removeprefix("site."): v.strip() for k, v in values.items() if k.startswith("site.") and v.strip()}
    candidates = [s for s in values.get("candidates", "").split(",") if s.strip()] or None
    data: dict[str, Any] = {"name": values.get("name", "").strip(), "workload": _workload(values, str(kind)),
                            "site": site, "objective": values.get("objective") or "tco"}
    if candidates:
        data["candidates"] = [c.strip() for c in candidates]
    return data


def form_key(path: str, kind: str) -> str:
    """An error location in PlanCreate -> the name of the input that shows it."""
    if not path.startswith("workload"):
        return path
    rest = path.removeprefix("workload").lstrip(".")
    rest = rest.removeprefix(f"{kind}.") if rest != kind else ""  # the discriminator tag of the union
    if not rest:
        return f"{kind}.target" if kind == "training" else forms.GENERAL
    if kind != "classic" and rest == "precision":
        return "precision"
    if kind != "classic" and rest.startswith("model"):
        sub = rest.removeprefix("model").lstrip(".")
        return f"shape.{sub}" if sub else "model"
    return f"{kind}.{rest}"


def parse(values: dict[str, str]) -> tuple[PlanCreate | None, dict[str, str]]:
    kind = values.get("kind", "training")
    body, errors = forms.validate(PlanCreate, to_data(values))
    mapped: dict[str, str] = {}
    for path, msg in errors.items():
        mapped.setdefault(form_key(path, kind), msg)
    return body if isinstance(body, PlanCreate) else None, mapped


def from_request(request: dict[str, Any]) -> dict[str, str]:
    """A saved plan's request -> form values (for "duplicate and edit")."""
    workload = request.get("workload", {})
    kind = str(workload.get("kind", "training"))
    values = {**DEFAULTS, "name": f"{request.get('name', '')} (copy)"[:200], "kind": kind,
              "objective": str(request.get("objective", "tco"))}
    for key, value in (request.get("site") or {}).items():
        if value is not None:
            values[f"site.{key}"] = str(value)
    values["candidates"] = ",".join(request.get("candidates") or [])
    for key, value in workload.items():
        if key in TAB_FIELDS.get(kind, ()) and value is not None:
            values[f"{kind}.{key}"] = _fmt(value)
    if kind == "training":
        values["training.target"] = "gpus" if workload.get("gpu_count") else "deadline"
    _model_values(values, workload, kind)
    return values


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _model_values(values: dict[str, str], workload: dict[str, Any], kind: str) -> None:
    model = workload.get("model")
    if kind == "classic":
        values["classic.model"] = model if isinstance(model, str) else values["classic.model"]
        return
    values["precision"] = str(workload.get("precision", "bf16"))
    if isinstance(model, str):
        values["model"] = model
        return
    values["model"] = "custom"
    for key, value in (model or {}).items():
        if value is not None:
            values[f"shape.{key}"] = _fmt(value)
