"""Capacity-plan endpoints: create, list, read, delete, re-run, and the four report formats.

Creating and re-running save a plan, so they need an editor token like every other API write; reads follow
the Reader rule (open unless RACKPLAN_REQUIRE_LOGIN_TO_READ).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from app import reports
from app.deps import EditorToken, Reader, SessionDep
from app.memo import LruMemo
from app.plans import service
from app.plans.models import Plan
from app.plans.schemas import PlanCreate, PlanPage, PlanRead, PlanSummary

router = APIRouter(prefix="/api/v1/plans", tags=["plans"])
PlanId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Plan id")]

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


@router.post("", status_code=201, response_model=PlanRead,
             summary="Plan a workload and save it (editor token): size every candidate server, build racks, "
                     "network, storage, power and cost")
def create(body: PlanCreate, session: SessionDep, principal: EditorToken, response: Response) -> Plan:
    plan = service.create_plan(session=session, request=body, created_by=principal.name)
    response.headers["Location"] = f"/api/v1/plans/{plan.id}"
    return plan


@router.get("", response_model=PlanPage, summary="Saved plans, newest first")
def list_plans(session: SessionDep, _: Reader, q: Annotated[str | None, Query(max_length=100)] = None,
               limit: Annotated[int, Query(ge=1, le=200)] = 50,
               offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, object]:
    plans, total = service.list_plans(session=session, q=q, limit=limit, offset=offset)
    items = [PlanSummary.model_validate(p) for p in plans]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/{plan_id}", response_model=PlanRead, summary="One saved plan with its inputs, result and snapshot")
def get(plan_id: PlanId, session: SessionDep, _: Reader) -> Plan:
    return service.get_plan(session=session, plan_id=plan_id)


@router.delete("/{plan_id}", status_code=204, summary="Delete a saved plan (editor token)")
def delete(plan_id: PlanId, session: SessionDep, _: EditorToken) -> Response:
    service.delete_plan(session=session, plan_id=plan_id)
    return Response(status_code=204)


@router.post("/{plan_id}/rerun", status_code=201, response_model=PlanRead,
             summary="Re-run a saved plan against the current catalog (a new plan; editor token)")
def rerun(plan_id: PlanId, session: SessionDep, principal: EditorToken, response: Response) -> Plan:
    plan = service.rerun_plan(session=session, plan_id=plan_id, created_by=principal.name)
    response.headers["Location"] = f"/api/v1/plans/{plan.id}"
    return plan


RENDERED = LruMemo(maxsize=64)  # report bytes of immutable saved plans: a PDF renders once per worker


@router.get("/{plan_id}/report.{fmt}", summary="Plan report: pdf, xlsx, csv (bill of materials) or json",
            response_class=Response)
def report(plan_id: PlanId, fmt: Literal["pdf", "xlsx", "csv", "json"], session: SessionDep, _: Reader) -> Response:
    plan = service.get_plan(session=session, plan_id=plan_id)
    document = service.plan_document(plan)
    body = RENDERED.get_or_compute(f"{fmt}|{service.document_digest(document)}", lambda: reports.render(document, fmt))
    filename = f"plan-{plan.id}.{fmt}"
    return Response(body, media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
