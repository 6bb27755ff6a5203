"""Catalog use cases: list, read, create, replace, patch, delete with optimistic concurrency.

Services never commit; they flush so that constraint and version errors surface inside the request.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.catalog import repository
from app.catalog.kinds import KINDS, Kind, sortable_columns
from app.catalog.models import Accelerator, CatalogRow, Server
from app.catalog.repository import ListQuery
from app.errors import ConflictError, FieldError, NotFoundError, PreconditionFailed, ValidationProblem


def get_kind(name: str) -> Kind:
    kind = KINDS.get(name)
    if kind is None:
        raise NotFoundError(f"unknown catalog kind {name!r}; use one of {', '.join(KINDS)}")
    return kind


def etag(row: CatalogRow) -> str:
    return f'"{row.id}-{row.version}"'


def row_to_dict(kind: Kind, row: CatalogRow) -> dict[str, Any]:
    """The public representation (the XRead fields); servers name their accelerator by slug."""
    data = {name: getattr(row, name) for name in kind.read.model_fields if name != "accelerator"}
    if isinstance(row, Server):
        data["accelerator"] = row.accelerator.slug
    return data


def list_items(*, session: Session, kind: Kind, query: ListQuery) -> dict[str, Any]:
    if query.sort.lstrip("-") not in sortable_columns(kind):
        raise ValidationProblem(
            f"cannot sort by {query.sort!r}; sortable: {', '.join(sortable_columns(kind))}", field="sort")
    rows, total = repository.list_rows(session, kind, query)
    items = [row_to_dict(kind, r) for r in rows]
    return {"items": items, "total": total, "limit": query.limit, "offset": query.offset}


def get_row(*, session: Session, kind: Kind, slug: str) -> CatalogRow:
    row = repository.get_by_slug(session, kind, slug)
    if row is None:
        raise NotFoundError(f"no {kind.label} with slug {slug!r}; see GET /api/v1/{kind.name} for the list")
    return row


def server_plausibility(data: dict[str, Any], accelerator: Accelerator) -> list[FieldError]:
    """Physical checks across fields: the GPUs alone draw gpu_count x TDP, so the system maximum must cover it."""
    errors = []
    gpu_w = data["gpu_count"] * accelerator.tdp_w
    if data["max_power_w"] < gpu_w:
        errors.append(FieldError("max_power_w", (
            f"{data['max_power_w']:.0f} W is below what {data['gpu_count']} x {accelerator.slug} draw alone "
            f"({gpu_w:.0f} W at {accelerator.tdp_w:.0f} W TDP); check the datasheet's system maximum")))
    if data["scaleup_domain_gpus"] > max(data["gpu_count"], 72) and data["scaleup_domain_gpus"] > data["gpu_count"]:
        errors.append(FieldError("scaleup_domain_gpus", "scale-up domain larger than any known NVLink domain"))
    return errors


def _resolve_accelerator(session: Session, slug: str) -> Accelerator:
    row = repository.get_by_slug(session, KINDS["accelerators"], slug)
    if row is None:
        raise ValidationProblem(f"unknown accelerator {slug!r}; see GET /api/v1/accelerators", field="accelerator")
    assert isinstance(row, Accelerator)
    return row


def _columns(kind: Kind, session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """Validated fields -> ORM column values, resolving and checking the accelerator for servers."""
    values = dict(data)
    if kind.name == "servers":
        accel = _resolve_accelerator(session, values.pop("accelerator"))
        errors = server_plausibility(data, accel)
        if errors:
            raise ValidationProblem("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
        values["accelerator"] = accel
    return values


def _check_if_match(row: CatalogRow, if_match: str | None) -> None:
    if if_match is None or if_match.strip() == "*":
        return
    candidates = [t.strip().removeprefix("W/") for t in if_match.split(",")]
    if etag(row) not in candidates:
        raise PreconditionFailed(
            f"the {row.slug!r} you edited has changed (current ETag {etag(row)}); GET it again and retry")


def _flush_versioned(session: Session, row: CatalogRow) -> None:
    slug = row.slug  # read before the flush: a failed flush leaves the row unreadable until rollback
    try:
        session.flush()
    except StaleDataError as exc:  # the caller's transaction scope rolls back
        raise PreconditionFailed(f"{slug!r} was changed concurrently; GET it again and retry") from exc


def create_item(*, session: Session, kind: Kind, body: BaseModel) -> CatalogRow:
    data = body.model_dump()
    if repository.get_by_slug(session, kind, data["slug"]) is not None:
        raise ConflictError(f"a {kind.label} with slug {data['slug']!r} already exists",
                            errors=[FieldError("slug", "already exists")])
    row = kind.model(**_columns(kind, session, data))
    repository.add(session, row)
    return row


def _apply(kind: Kind, session: Session, row: CatalogRow, data: dict[str, Any]) -> None:
    if data["slug"] != row.slug and repository.get_by_slug(session, kind, data["slug"]) is not None:
        raise ConflictError(f"a {kind.label} with slug {data['slug']!r} already exists",
                            errors=[FieldError("slug", "already exists")])
    for name, value in _columns(kind, session, data).items():
        setattr(row, name, value)
    _flush_versioned(session, row)


def replace_item(*, session: Session, kind: Kind, slug: str, body: BaseModel, if_match: str | None) -> CatalogRow:
    row = get_row(session=session, kind=kind, slug=slug)
    _check_if_match(row, if_match)
    _apply(kind, session, row, body.model_dump())
    return row


def patch_item(*, session: Session, kind: Kind, slug: str, body: BaseModel, if_match: str | None) -> CatalogRow:
    row = get_row(session=session, kind=kind, slug=slug)
    _check_if_match(row, if_match)
    merged = {**row_to_dict(kind, row), **body.model_dump(exclude_unset=True)}
    merged = {k: v for k, v in merged.items() if k in kind.create.model_fields}
    try:
        validated = kind.create.model_validate(merged)
    except ValidationError as exc:
        errors = [FieldError(".".join(str(p) for p in e["loc"]) or "body", e["msg"]) for e in exc.errors()]
        raise ValidationProblem("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors) from exc
    _apply(kind, session, row, validated.model_dump())
    return row


def delete_item(*, session: Session, kind: Kind, slug: str, if_match: str | None) -> None:
    row = get_row(session=session, kind=kind, slug=slug)
    _check_if_match(row, if_match)
    if isinstance(row, Accelerator):
        users = repository.servers_using(session, row.id)
        if users:
            raise ConflictError(f"accelerator {slug!r} is used by servers: {', '.join(users[:10])}; delete them first")
    repository.delete(session, row)
