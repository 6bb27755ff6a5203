"""Catalog pages: lists with filters/sort/paging, detail, compare, and the editor forms (signed-in editors)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from app.catalog import service
from app.catalog.kinds import KIND_ORDER, KINDS, Kind, sortable_columns
from app.catalog.repository import ListQuery
from app.deps import PrincipalDep, Reader, SessionDep
from app.errors import AppError, Forbidden, ValidationProblem
from app.web import catalog_view, forms
from app.web.csrf import CsrfForm
from app.web.templating import column_decimals, is_htmx, render

router = APIRouter(prefix="/catalog", tags=["pages"], include_in_schema=False)
PAGE_SIZE = 25
Text = Annotated[str | None, Query(max_length=100)]


def _kind(name: str) -> Kind:
    return service.get_kind(name)


def _accelerator_slugs(session: SessionDep) -> list[str]:
    page = service.list_items(session=session, kind=KINDS["accelerators"], query=ListQuery(limit=200))
    return [item["slug"] for item in page["items"]]


def _editor_gate(request: Request, principal: PrincipalDep) -> Response | None:
    """Anonymous -> sign-in page; signed in without the editor role -> 403."""
    if principal.kind == "anonymous":
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    if not principal.has_role("editor"):
        raise Forbidden(f"editing the catalog needs the editor role; {principal.name} has {principal.role!r}")
    return None


@router.get("")
def catalog_home() -> Response:
    return RedirectResponse("/catalog/servers", status_code=307)


@router.get("/compare")
def compare(request: Request, session: SessionDep, _: Reader, kind: Annotated[str, Query(max_length=30)] = "servers",
            slugs: Annotated[list[str] | None, Query(max_length=500)] = None) -> Response:
    k = _kind(kind)
    wanted = [s.strip() for value in slugs or [] for s in value.split(",") if s.strip()]
    wanted = list(dict.fromkeys(wanted))
    if not 2 <= len(wanted) <= 4:
        raise ValidationProblem(f"select 2 to 4 {kind} to compare (got {len(wanted)})", field="slugs")
    rows = [service.get_row(session=session, kind=k, slug=s) for s in wanted]
    items = [service.row_to_dict(k, r) for r in rows]
    accels = [service.row_to_dict(KINDS["accelerators"], r.accelerator) if k.name == "servers" else None
              for r in rows]  # type: ignore[attr-defined]
    derived = [catalog_view.ratios(k, item, accel) for item, accel in zip(items, accels, strict=True)]
    fields = [f for f in k.read.model_fields if f not in ("slug", "version", "updated_at", "notes")]
    ratio_rows = catalog_view.compare_rows(list(derived[0]), derived)
    return render(request, "catalog_compare.html", {
        "kind": k, "items": items, "rows": catalog_view.compare_rows(fields, items), "ratio_rows": ratio_rows,
        "best_index": catalog_view.best_index})


@router.get("/{kind}")
def list_page(request: Request, kind: str, session: SessionDep, _: Reader, q: Text = None, vendor: Text = None,
              accelerator: Text = None, cooling: Text = None, fabric: Text = None,
              min_gpus: Annotated[int | None, Query(ge=0, le=1024)] = None,
              sort: Annotated[str, Query(max_length=50)] = "slug",
              page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    k = _kind(kind)
    filters = {"q": q, "vendor": vendor, "accelerator": accelerator, "cooling": cooling or None,
               "fabric": fabric or None, "min_gpus": min_gpus}
    query = ListQuery(**{key: v or None for key, v in filters.items() if key != "min_gpus"},
                      min_gpus=min_gpus, sort=sort, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    result = service.list_items(session=session, kind=k, query=query)
    context = {"kind": k, "kinds": [KINDS[n] for n in KIND_ORDER], "result": result, "filters": filters,
               "sort": sort, "page": page, "pages": max(1, -(-result["total"] // PAGE_SIZE)),
               "columns": catalog_view.LIST_COLUMNS[k.name], "sortable": sortable_columns(k),
               "decimals": column_decimals(result["items"], catalog_view.LIST_COLUMNS[k.name]),
               "accelerators": _accelerator_slugs(session) if k.name == "servers" else []}
    return render(request, "catalog_list.html", context, block="results" if is_htmx(request) else None)


@router.get("/{kind}/new")
def new_form(request: Request, kind: str, session: SessionDep, principal: PrincipalDep) -> Response:
    k = _kind(kind)
    gate = _editor_gate(request, principal)
    return gate or _form_page(request, session, k, catalog_view.form_defaults(k), {}, None)


@router.post("/{kind}/new")
def create(request: Request, kind: str, form: CsrfForm, session: SessionDep, principal: PrincipalDep) -> Response:
    k = _kind(kind)
    gate = _editor_gate(request, principal)
    if gate:
        return gate
    body, errors = _parse(k, form)
    if body is not None:
        try:
            row = service.create_item(session=session, kind=k, body=body)
            return RedirectResponse(f"/catalog/{k.name}/{row.slug}", status_code=303)
        except AppError as exc:
            errors = forms.app_error_fields(exc)
    return _form_page(request, session, k, form, errors, None, status=422)


@router.get("/{kind}/{slug}")
def detail(request: Request, kind: str, slug: str, session: SessionDep, principal: Reader) -> Response:
    k = _kind(kind)
    row = service.get_row(session=session, kind=k, slug=slug)
    item = service.row_to_dict(k, row)
    accel = service.row_to_dict(KINDS["accelerators"], row.accelerator) if k.name == "servers" else None  # type: ignore[attr-defined]
    fields = [f for f in k.read.model_fields if f not in ("slug", "notes", "source_url", "version", "updated_at")]
    return render(request, "catalog_detail.html", {
        "kind": k, "item": item, "fields": fields, "accel": accel, "ratios": catalog_view.ratios(k, item, accel),
        "can_edit": principal.has_role("editor")})


@router.get("/{kind}/{slug}/edit")
def edit_form(request: Request, kind: str, slug: str, session: SessionDep, principal: PrincipalDep) -> Response:
    k = _kind(kind)
    gate = _editor_gate(request, principal)
    if gate:
        return gate
    row = service.get_row(session=session, kind=k, slug=slug)
    values = {name: value for name, value in service.row_to_dict(k, row).items() if value is not None}
    return _form_page(request, session, k, values, {}, slug, etag=service.etag(row))


@router.post("/{kind}/{slug}/edit")
def update(request: Request, kind: str, slug: str, form: CsrfForm, session: SessionDep,
           principal: PrincipalDep) -> Response:
    k = _kind(kind)
    gate = _editor_gate(request, principal)
    if gate:
        return gate
    etag = form.pop("if_match", "") or None
    body, errors = _parse(k, form)
    if body is not None:
        try:
            row = service.replace_item(session=session, kind=k, slug=slug, body=body, if_match=etag or '"missing"')
            return RedirectResponse(f"/catalog/{k.name}/{row.slug}", status_code=303)
        except AppError as exc:
            errors = forms.app_error_fields(exc)
    return _form_page(request, session, k, form, errors, slug, etag=etag, status=_status(errors))


def _status(errors: dict[str, str]) -> int:
    return 409 if "changed" in errors.get(forms.GENERAL, "") else 422


def _parse(k: Kind, form: dict[str, str]) -> tuple[Any, dict[str, str]]:
    values = forms.checkbox_values(k.create, forms.drop_blank(form))
    values = {name: v for name, v in values.items() if name in k.create.model_fields}
    return forms.validate(k.create, values)


def _form_page(request: Request, session: SessionDep, k: Kind, values: dict[str, Any], errors: dict[str, str],
               slug: str | None, *, etag: str | None = None, status: int = 200) -> Response:
    accelerators = _accelerator_slugs(session) if k.name == "servers" else []
    return render(request, "catalog_form.html", {
        "kind": k, "values": values, "errors": errors, "slug": slug, "etag": etag,
        "fields": catalog_view.form_fields(k, accelerators)}, status=status)
