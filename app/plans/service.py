"""Plan use cases: create (size, build, rank, snapshot), read, list, delete, re-run. Never commits."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app import engine
from app.catalog import repository as catalog_repository
from app.catalog.engine_specs import rack_spec, server_spec, storage_spec, switch_spec
from app.catalog.kinds import KINDS
from app.catalog.models import Server
from app.catalog.service import row_to_dict
from app.engine.workload import ClassicModel, ModelShape
from app.errors import FieldError, InfeasibleProblem, NotFoundError, ValidationProblem
from app.estimates.service import finite, resolve_any_model
from app.metrics import PLAN_COMPUTATIONS, counted
from app.plans import repository
from app.plans.models import Plan
from app.plans.planner import CatalogSpecs, PlanInfeasibleError, make_plan
from app.plans.schemas import ClassicModelIn, PlanCreate


def _model(request: PlanCreate) -> ModelShape | ClassicModel:
    wl = request.workload
    if isinstance(wl.model, ClassicModelIn):
        return ClassicModel(**wl.model.model_dump())
    model = resolve_any_model(wl.model)  # type: ignore[arg-type]
    if wl.kind == "classic" and not isinstance(model, ClassicModel):
        raise ValidationProblem(f"{wl.model!r} is a transformer; use a training or inference workload",
                                field="workload.model")
    if wl.kind != "classic" and isinstance(model, ClassicModel):
        raise ValidationProblem(f"{wl.model!r} is a classic model described per sample; use a workload of kind "
                                "'classic'", field="workload.model")
    return model


def _servers(session: Session, request: PlanCreate) -> list[Server]:
    kind = KINDS["servers"]
    if not request.candidates:
        rows = catalog_repository.all_rows(session, kind)
    else:
        rows = catalog_repository.get_many(session, kind, list(dict.fromkeys(request.candidates)))
        missing = sorted(set(request.candidates) - {r.slug for r in rows})
        if missing:
            raise NotFoundError(f"unknown server slug(s): {', '.join(missing)}; see GET /api/v1/servers",
                                errors=[FieldError("candidates", f"unknown: {s}") for s in missing])
    if not rows:
        raise ValidationProblem("the catalog has no servers to plan with: add servers (POST /api/v1/servers or the "
                                "catalog pages), or load the bundled catalog with `rackplan seed`", field="candidates")
    return [r for r in rows if isinstance(r, Server)]


def _catalog(session: Session, request: PlanCreate) -> tuple[CatalogSpecs, dict[str, Any]]:
    """Engine specs of the catalog rows a plan may use, and their snapshot (public representation)."""
    servers = _servers(session, request)
    rows = {name: catalog_repository.all_rows(session, KINDS[name])
            for name in ("switches", "storage-systems", "rack-profiles")}
    slug = request.site.rack_profile
    if slug is not None and all(r.slug != slug for r in rows["rack-profiles"]):
        raise NotFoundError(f"no rack profile {slug!r}; see GET /api/v1/rack-profiles",
                            errors=[FieldError("site.rack_profile", "unknown slug")])
    specs = CatalogSpecs(
        servers=tuple(server_spec(r) for r in servers),
        racks=tuple(rack_spec(r) for r in rows["rack-profiles"]),  # type: ignore[arg-type]
        switches=tuple(switch_spec(r) for r in rows["switches"]),  # type: ignore[arg-type]
        storage_systems=tuple(storage_spec(r) for r in rows["storage-systems"]),  # type: ignore[arg-type]
    )
    accelerators = {s.accelerator.slug: s.accelerator for s in servers}
    snapshot = {
        "taken_at": datetime.now(UTC).isoformat(),
        "servers": [row_to_dict(KINDS["servers"], r) for r in servers],
        "accelerators": [row_to_dict(KINDS["accelerators"], a) for a in accelerators.values()],
        **{KINDS[k].export_key: [row_to_dict(KINDS[k], r) for r in v] for k, v in rows.items()},
    }
    return specs, snapshot


def _json_safe(value: Any) -> Any:
    """Round-trip through JSON so the stored document equals what the API returns (no NaN, no datetimes)."""
    return json.loads(json.dumps(finite(value), default=str))


def compute_result(*, session: Session, request: PlanCreate) -> tuple[dict[str, Any], dict[str, Any]]:
    """(result, catalog snapshot) without saving anything. Raises InfeasibleProblem (422) when nothing fits."""
    model = _model(request)
    specs, snapshot = _catalog(session, request)
    try:
        with counted(PLAN_COMPUTATIONS):
            result = make_plan(request, model, specs)
    except PlanInfeasibleError as exc:
        tried = [f"{x['server']}: {x['reason']}" for x in exc.infeasible]
        raise InfeasibleProblem(exc.reason, extra={"tried": tried, "infeasible": exc.infeasible}) from exc
    except engine.InfeasibleError as exc:
        raise InfeasibleProblem(exc.reason, extra={"tried": list(exc.details)}) from exc
    return _json_safe(result), _json_safe(snapshot)


def create_plan(*, session: Session, request: PlanCreate, created_by: str, rerun_of: int | None = None) -> Plan:
    result, snapshot = compute_result(session=session, request=request)
    plan = Plan(
        name=request.name, kind=request.workload.kind, objective=request.objective,
        request=request.model_dump(mode="json", exclude_unset=True), result=result, catalog_snapshot=snapshot,
        engine_version=engine.VERSION, recommended_server=result["summary"]["recommended_server"],
        total_capex_usd=float(result["summary"]["capex_usd"]), created_by=created_by[:100], rerun_of=rerun_of,
    )
    repository.add(session, plan)
    return plan


def get_plan(*, session: Session, plan_id: int) -> Plan:
    plan = repository.get(session, plan_id)
    if plan is None:
        raise NotFoundError(f"no plan {plan_id}; see GET /api/v1/plans")
    return plan


def list_plans(*, session: Session, q: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[Plan], int]:
    return repository.list_plans(session, q=q, limit=limit, offset=offset)


def delete_plan(*, session: Session, plan_id: int) -> None:
    repository.delete(session, get_plan(session=session, plan_id=plan_id))


def rerun_plan(*, session: Session, plan_id: int, created_by: str) -> Plan:
    """A new plan from a saved plan's request against today's catalog and engine."""
    original = get_plan(session=session, plan_id=plan_id)
    request = PlanCreate.model_validate(original.request)
    return create_plan(session=session, request=request, created_by=created_by, rerun_of=original.id)


def plan_document(plan: Plan) -> dict[str, Any]:
    """The full plan as one JSON document (the .json report)."""
    return {"id": plan.id, "name": plan.name, "kind": plan.kind, "objective": plan.objective,
            "engine_version": plan.engine_version, "recommended_server": plan.recommended_server,
            "total_capex_usd": plan.total_capex_usd, "created_by": plan.created_by, "rerun_of": plan.rerun_of,
            "created_at": plan.created_at.isoformat() if plan.created_at else None, "request": plan.request,
            "result": plan.result, "catalog_snapshot": plan.catalog_snapshot}


def document_digest(document: dict[str, Any]) -> str:
    """Content hash of a plan document: the same saved plan always renders the same reports."""
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()
