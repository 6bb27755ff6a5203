"""Whole-catalog JSON export and all-or-nothing import (also used by the seed and the NetBox importer).

Import validates every row first and reports each problem with its file and field; only when the whole
document is clean are rows written (upsert by slug) inside a savepoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.catalog import repository, service
from app.catalog.kinds import KIND_ORDER, KINDS, Kind
from app.catalog.models import Accelerator
from app.errors import FieldError, ValidationProblem

FORMAT = "rackplan-catalog"
READ_ONLY_FIELDS = ("version", "updated_at")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[FieldError] = field(default_factory=list)


def export_document(*, session: Session) -> dict[str, Any]:
    doc: dict[str, Any] = {"format": FORMAT, "version": 1}
    for name in KIND_ORDER:
        kind = KINDS[name]
        doc[kind.export_key] = [_exportable(kind, r) for r in repository.all_rows(session, kind)]
    return doc


def _exportable(kind: Kind, row: Any) -> dict[str, Any]:
    data = service.row_to_dict(kind, row)
    return {k: v for k, v in data.items() if k not in READ_ONLY_FIELDS}


def _validate_rows(kind: Kind, items: Any, source: str, accel_tdp: dict[str, float]) -> tuple[list, list]:
    where = f"{source}: {kind.export_key}"
    if not isinstance(items, list):
        return [], [FieldError(where, "must be a list of objects")]
    valid, errors = [], []
    for i, item in enumerate(items):
        model, problems = _validate_row(kind, item, f"{where}[{i}]")
        errors += problems
        checked = model or _without_unknown_fields(kind, item)
        if checked is not None:
            errors += _server_checks(kind, checked.model_dump(), f"{where}[{i}]", accel_tdp)
        if model is not None:
            valid.append(model)
    return valid, errors


def _validate_row(kind: Kind, item: Any, where: str) -> tuple[Any, list[FieldError]]:
    try:
        return kind.create.model_validate(item), []
    except ValidationError as exc:
        return None, [FieldError(f"{where}.{'.'.join(map(str, e['loc']))}", e["msg"]) for e in exc.errors()]


def _without_unknown_fields(kind: Kind, item: Any) -> Any:
    """The row minus unknown fields, if that makes it valid: so physical checks still report their problems."""
    if not isinstance(item, dict):
        return None
    known = {k: v for k, v in item.items() if k in kind.create.model_fields}
    try:
        return kind.create.model_validate(known)
    except ValidationError:
        return None


def _server_checks(kind: Kind, data: dict[str, Any], where: str, accel_tdp: dict[str, float]) -> list[FieldError]:
    if kind.name != "servers":
        return []
    tdp = accel_tdp.get(data["accelerator"])
    if tdp is None:
        return [FieldError(f"{where}.accelerator", f"unknown accelerator {data['accelerator']!r}")]
    probe = Accelerator(slug=data["accelerator"], tdp_w=tdp)
    return [FieldError(f"{where}.{e.field}", e.message) for e in service.server_plausibility(data, probe)]


def _duplicate_errors(kind: Kind, models: list, source: str) -> list[FieldError]:
    seen: set[str] = set()
    errors = []
    for i, m in enumerate(models):
        if m.slug in seen:
            errors.append(FieldError(f"{source}: {kind.export_key}[{i}].slug", f"duplicate slug {m.slug!r}"))
        seen.add(m.slug)
    return errors


def validate_document(*, session: Session, document: Any, source: str) -> tuple[dict[str, list], list[FieldError]]:
    """Every row validated; returns the parsed rows per kind and every problem found."""
    if not isinstance(document, dict):
        return {}, [FieldError(source, "the document must be a JSON object with one list per catalog kind")]
    unknown = set(document) - {KINDS[n].export_key for n in KIND_ORDER} - {"format", "version"}
    errors = [FieldError(f"{source}: {key}", "unknown section") for key in sorted(unknown)]
    accel_tdp = {r.slug: r.tdp_w for r in repository.all_rows(session, KINDS["accelerators"])}  # type: ignore[attr-defined]
    parsed: dict[str, list] = {}
    for name in KIND_ORDER:
        kind = KINDS[name]
        valid, errs = _validate_rows(kind, document.get(kind.export_key, []), source, accel_tdp)
        errors += errs + _duplicate_errors(kind, valid, source)
        parsed[name] = valid
        if name == "accelerators":
            accel_tdp.update({m.slug: m.tdp_w for m in valid})
    return parsed, errors


def import_document(*, session: Session, document: Any, source: str) -> ImportResult:
    """Validate everything, then upsert by slug inside a savepoint; any problem means nothing is written."""
    parsed, errors = validate_document(session=session, document=document, source=source)
    if errors:
        summary = f"{len(errors)} problem(s) in {source}; nothing was imported"
        raise ValidationProblem(summary, errors=errors)
    result = ImportResult()
    with session.begin_nested():
        for name in KIND_ORDER:
            for model in parsed[name]:
                _upsert(session, KINDS[name], model, result)
    return result


def _upsert(session: Session, kind: Kind, model: Any, result: ImportResult) -> None:
    existing = repository.get_by_slug(session, kind, model.slug)
    if existing is None:
        service.create_item(session=session, kind=kind, body=model)
        result.created += 1
    elif _exportable(kind, existing) == model.model_dump():
        result.unchanged += 1
    else:
        service.replace_item(session=session, kind=kind, slug=model.slug, body=model, if_match=None)
        result.updated += 1
