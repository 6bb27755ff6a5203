"""Every plan query lives here."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.plans.models import Plan


def add(session: Session, plan: Plan) -> None:
    session.add(plan)
    session.flush()


def get(session: Session, plan_id: int) -> Plan | None:
    return session.get(Plan, plan_id)


def list_plans(session: Session, *, q: str | None, limit: int, offset: int) -> tuple[list[Plan], int]:
    stmt = select(Plan)
    if q:
        needle = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(Plan.name).like(needle), func.lower(Plan.recommended_server).like(needle),
                              func.lower(Plan.kind).like(needle)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Plan.created_at.desc(), Plan.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def delete(session: Session, plan: Plan) -> None:
    session.delete(plan)
    session.flush()
