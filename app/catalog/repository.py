"""Every catalog query lives here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select, union_all
from sqlalchemy.orm import Session

from app.catalog.kinds import Kind
from app.catalog.models import Accelerator, CatalogRow, Server


@dataclass(frozen=True)
class ListQuery:
    vendor: str | None = None
    accelerator: str | None = None
    min_gpus: int | None = None
    cooling: str | None = None
    fabric: str | None = None
    q: str | None = None
    sort: str = "slug"
    limit: int = 50
    offset: int = 0


def _filtered(kind: Kind, query: ListQuery) -> Select:
    model = kind.model
    stmt = select(model)
    cols = model.__table__.columns
    if query.vendor:
        stmt = stmt.where(func.lower(model.vendor) == query.vendor.lower())
    if query.cooling and "cooling" in cols:
        stmt = stmt.where(model.cooling == query.cooling)  # type: ignore[attr-defined]
    if query.fabric and "fabric" in cols:
        stmt = stmt.where(model.fabric == query.fabric)  # type: ignore[attr-defined]
    if query.min_gpus is not None and "gpu_count" in cols:
        stmt = stmt.where(model.gpu_count >= query.min_gpus)  # type: ignore[attr-defined]
    if query.accelerator and model is Server:
        stmt = stmt.join(Accelerator, Server.accelerator_id == Accelerator.id).where(
            Accelerator.slug == query.accelerator)
    if query.q:
        needle = f"%{query.q.lower()}%"
        stmt = stmt.where(or_(*(func.lower(getattr(model, c)).like(needle) for c in kind.text_columns)))
    return stmt


def list_rows(session: Session, kind: Kind, query: ListQuery) -> tuple[list[CatalogRow], int]:
    stmt = _filtered(kind, query)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    desc = query.sort.startswith("-")
    column = getattr(kind.model, query.sort.lstrip("-"))
    order = column.desc() if desc else column.asc()
    rows = session.scalars(stmt.order_by(order, kind.model.id).limit(query.limit).offset(query.offset))
    return list(rows.unique()), total


def all_rows(session: Session, kind: Kind) -> list[CatalogRow]:
    return list(session.scalars(select(kind.model).order_by(kind.model.slug)).unique())


def get_by_slug(session: Session, kind: Kind, slug: str) -> CatalogRow | None:
    return session.scalars(select(kind.model).where(kind.model.slug == slug)).unique().one_or_none()


def get_many(session: Session, kind: Kind, slugs: list[str]) -> list[CatalogRow]:
    stmt = select(kind.model).where(kind.model.slug.in_(slugs)).order_by(kind.model.slug)
    return list(session.scalars(stmt).unique())


def count(session: Session, kind: Kind) -> int:
    return session.scalar(select(func.count()).select_from(kind.model)) or 0


def servers_using(session: Session, accelerator_id: int) -> list[str]:
    return list(session.scalars(select(Server.slug).where(Server.accelerator_id == accelerator_id)))


def add(session: Session, row: CatalogRow) -> None:
    session.add(row)
    session.flush()


def delete(session: Session, row: CatalogRow) -> None:
    session.delete(row)
    session.flush()


def catalog_fingerprint(session: Session) -> tuple[Any, ...]:
    """Changes whenever any catalog row is created, updated or deleted: per table (rows, max updated_at,
    sum of versions), in one round trip."""
    from app.catalog.kinds import KIND_ORDER, KINDS

    parts = [select(func.count(), func.max(k.model.updated_at), func.coalesce(func.sum(k.model.version), 0))
             for k in (KINDS[n] for n in KIND_ORDER)]
    return tuple(tuple(row) for row in session.execute(union_all(*parts)))
