"""Home, the new-plan form (with live preview), the plans list, one plan, and two plans side by side."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.catalog import service as catalog_service
from app.catalog.kinds import KIND_ORDER, KINDS
from app.catalog.repository import ListQuery
from app.deps import PrincipalDep, Reader, SessionDep
from app.errors import AppError, InfeasibleProblem
from app.estimates import service as estimates_service
from app.web import forms, plan_form, plan_view, preview
from app.web.csrf import CsrfForm
from app.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
PAGE_SIZE = 25


def _plans() -> ModuleType:
    """app.plans.service, imported on first use (built in parallel; the catalog pages work without it)."""
    return importlib.import_module("app.plans.service")


def _catalog(session: Session, kind: str) -> list[dict[str, Any]]:
    return catalog_service.list_items(session=session, kind=KINDS[kind], query=ListQuery(limit=200))["items"]


@router.get("/")
def home(request: Request, session: SessionDep, _: Reader) -> Response:
    counts = {name: catalog_service.list_items(session=session, kind=KINDS[name], query=ListQuery(limit=1))["total"]
              for name in KIND_ORDER}
    try:
        plans, total = _plans().list_plans(session=session, q=None, limit=5, offset=0)
    except ImportError:
        plans, total = [], 0
    return render(request, "home.html", {"counts": counts, "recent": plans, "plan_total": total})


def _can_save(principal: Any) -> bool:
    """Saving a plan is a write: it needs a signed-in editor (viewers and anonymous callers only preview)."""
    return principal.kind != "anonymous" and principal.has_role("editor")


def _form_page(request: Request, session: Session, principal: Any, values: dict[str, str],
               errors: dict[str, str], *, infeasible: dict[str, Any] | None = None, status: int = 200) -> Response:
    servers = _catalog(session, "servers")
    values = {**plan_form.DEFAULTS, **values}
    if not values.get("preview_server") and servers:
        values["preview_server"] = plan_view.default_preview_server(servers)
    return render(request, "plan_new.html", {
        "values": values, "errors": errors, "infeasible": infeasible, "servers": servers,
        "racks": _catalog(session, "rack-profiles"), "presets": estimates_service.preset_dicts(),
        "site_defaults": plan_view.site_defaults(), "site_fields": plan_view.SITE_FIELDS,
        "site_open": any(k.startswith("site.") for k in errors), "can_save": _can_save(principal),
        "selected_candidates": set(filter(None, values.get("candidates", "").split(",")))}, status=status)


@router.get("/plans/new")
def new_plan(request: Request, session: SessionDep, principal: Reader,
             from_: Annotated[int | None, Query(alias="from", ge=1)] = None) -> Response:
    values: dict[str, str] = {}
    if from_ is not None:
        values = plan_form.from_request(_plans().get_plan(session=session, plan_id=from_).request)
    return _form_page(request, session, principal, values, {})


@router.post("/plans/new")
def create_plan(request: Request, form: CsrfForm, session: SessionDep, principal: PrincipalDep) -> Response:
    if not _can_save(principal):
        errors = {forms.GENERAL: "Sign in as an editor to save plans (the preview works without signing in)."}
        return _form_page(request, session, principal, form, errors, status=401)
    body, errors = plan_form.parse(form)
    if body is None:
        return _form_page(request, session, principal, form, errors, status=422)
    try:
        plan = _plans().create_plan(session=session, request=body, created_by=principal.name)
    except InfeasibleProblem as exc:
        return _form_page(request, session, principal, form, {}, infeasible=plan_view.infeasible(exc), status=422)
    except AppError as exc:
        mapped = {plan_form.form_key(k, form.get("kind", "training")): v
                  for k, v in forms.app_error_fields(exc).items()}
        return _form_page(request, session, principal, form, mapped, status=exc.status)
    return RedirectResponse(f"/plans/{plan.id}", status_code=303)


@router.post("/plans/preview")
def plan_preview(request: Request, form: CsrfForm, session: SessionDep, _: Reader) -> Response:
    return render(request, "plan_new.html", {"preview": preview.run(session, form), "values": form},
                  block="preview")


@router.get("/plans")
def plans_list(request: Request, session: SessionDep, _: Reader,
               q: Annotated[str | None, Query(max_length=100)] = None,
               page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    plans, total = _plans().list_plans(session=session, q=q or None, limit=PAGE_SIZE,
                                           offset=(page - 1) * PAGE_SIZE)
    return render(request, "plan_list.html", {"plans": plans, "total": total, "q": q or "", "page": page,
                                              "pages": max(1, -(-total // PAGE_SIZE))})


@router.get("/plans/compare")
def plans_compare(request: Request, session: SessionDep, _: Reader, a: Annotated[int, Query(ge=1)],
                  b: Annotated[int, Query(ge=1)]) -> Response:
    plans = [_plans().get_plan(session=session, plan_id=i) for i in (a, b)]
    return render(request, "plan_compare.html", {"plans": plans, "rows": plan_view.compare_rows(plans)})


@router.get("/plans/{plan_id}")
def plan_detail(request: Request, plan_id: int, session: SessionDep, principal: Reader) -> Response:
    plan = _plans().get_plan(session=session, plan_id=plan_id)
    return render(request, "plan_detail.html", {
        "plan": plan, "r": plan.result, "charts": plan_view.charts(plan), "can_save": _can_save(principal),
        "racks": plan_view.rack_drawings(plan.result)})


@router.post("/plans/{plan_id}/rerun")
def plan_rerun(request: Request, plan_id: int, form: CsrfForm, session: SessionDep,
               principal: PrincipalDep) -> Response:
    if not _can_save(principal):
        return RedirectResponse(f"/login?next=/plans/{plan_id}", status_code=303)
    plan = _plans().rerun_plan(session=session, plan_id=plan_id, created_by=principal.name)
    return RedirectResponse(f"/plans/{plan.id}", status_code=303)
