"""REST endpoints for the five catalog kinds: one router factory, one router per kind."""


from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from pydantic import BaseModel, create_model
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.catalog import read_cache, service
from app.catalog.kinds import KIND_ORDER, KINDS, Kind
from app.catalog.repository import ListQuery
from app.config import Settings
from app.deps import EditorToken, Reader, SessionDep, SettingsDep

IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200,
                                       description="ETag from a previous GET; a stale value gets 412")]


async def list_query(
    vendor: Annotated[str | None, Query(max_length=100, description="Exact vendor, case-insensitive")] = None,
    accelerator: Annotated[str | None, Query(max_length=100, description="Servers: accelerator slug")] = None,
    min_gpus: Annotated[int | None, Query(ge=0, le=1024, description="Servers: at least this many GPUs")] = None,
    cooling: Annotated[str | None, Query(pattern="^(air|liquid|hybrid)$", description="Servers/racks")] = None,
    fabric: Annotated[str | None, Query(pattern="^(infiniband|ethernet|management)$", description="Switches")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Free text over names, vendor, notes")] = None,
    sort: Annotated[str, Query(max_length=50, description="Column name; prefix '-' for descending")] = "slug",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ListQuery:
    return ListQuery(vendor=vendor, accelerator=accelerator, min_gpus=min_gpus, cooling=cooling, fabric=fabric,
                     q=q, sort=sort, limit=limit, offset=offset)


def _page_model(kind: Kind) -> type[BaseModel]:
    return create_model(f"{kind.read.__name__}Page", items=(list[kind.read], ...), total=(int, ...),  # type: ignore[name-defined]
                        limit=(int, ...), offset=(int, ...))


def _respond(kind: Kind, row: Any, response: Response) -> dict[str, Any]:
    response.headers["ETag"] = service.etag(row)
    response.headers["Location"] = f"/api/v1/{kind.name}/{row.slug}"
    return service.row_to_dict(kind, row)


async def cached_read(request: Request, settings: Settings,
                      build: Callable[[Session], tuple[bytes, dict[str, str]]]) -> Response:
    """Serve a catalog read from the process cache, or build it in the thread pool on a read session."""
    body, headers = await cached_value(request, settings, str(request.url.include_query_params()), build)
    return Response(body, media_type="application/json", headers=headers)


async def cached_value(request: Request, settings: Settings, key: str, load: Callable[[Session], Any]) -> Any:
    """A value derived from catalog rows: from the process cache, else loaded in the thread pool and kept."""
    enabled = settings.catalog_cache_seconds > 0
    if enabled and read_cache.CACHE.refresh_due(settings.catalog_cache_seconds):  # other workers' writes
        await run_in_threadpool(read_cache.refresh, request.app.state.read_session_factory,
                                settings.catalog_cache_seconds)
    value = read_cache.CACHE.lookup(key) if enabled else None
    if value is None:
        value = await run_in_threadpool(_on_read_session, request, load)
        if enabled:
            read_cache.CACHE.store(key, value)
    return value


def _on_read_session(request: Request, load: Callable[[Session], Any]) -> Any:
    with request.app.state.read_session_factory() as session:
        return load(session)


def make_router(kind: Kind) -> APIRouter:
    router = APIRouter(prefix=f"/api/v1/{kind.name}", tags=[f"catalog: {kind.name}"])
    Query_ = Annotated[ListQuery, Depends(list_query)]  # noqa: N806
    Create = Annotated[kind.create, Body()]  # type: ignore[name-defined]  # noqa: N806
    Update = Annotated[kind.update, Body()]  # type: ignore[name-defined]  # noqa: N806

    page_model = _page_model(kind)

    @router.get("", response_model=page_model, summary=f"List {kind.name}")
    async def list_items(request: Request, query: Query_, _: Reader, settings: SettingsDep) -> Response:
        def build(session: Session) -> tuple[bytes, dict[str, str]]:
            page = service.list_items(session=session, kind=kind, query=query)
            return page_model.model_validate(page).model_dump_json().encode(), {}

        return await cached_read(request, settings, build)

    @router.get("/{slug}", response_model=kind.read, summary=f"Get one {kind.label}")
    async def get_item(slug: str, request: Request, _: Reader, settings: SettingsDep) -> Response:
        def build(session: Session) -> tuple[bytes, dict[str, str]]:
            row = service.get_row(session=session, kind=kind, slug=slug)
            body = kind.read.model_validate(service.row_to_dict(kind, row)).model_dump_json().encode()
            return body, {"ETag": service.etag(row)}

        return await cached_read(request, settings, build)

    @router.post("", status_code=201, response_model=kind.read, summary=f"Create a {kind.label} (editor token)")
    def create_item(body: Create, session: SessionDep, response: Response, _: EditorToken) -> dict[str, Any]:
        return _respond(kind, service.create_item(session=session, kind=kind, body=body), response)

    @router.put("/{slug}", response_model=kind.read, summary=f"Replace a {kind.label} (editor token, If-Match)")
    def replace_item(slug: str, body: Create, session: SessionDep, response: Response, _: EditorToken,
                     if_match: IfMatch = None) -> dict[str, Any]:
        row = service.replace_item(session=session, kind=kind, slug=slug, body=body, if_match=if_match)
        return _respond(kind, row, response)

    @router.patch("/{slug}", response_model=kind.read, summary=f"Change fields of a {kind.label} (editor token)")
    def patch_item(slug: str, body: Update, session: SessionDep, response: Response, _: EditorToken,
                   if_match: IfMatch = None) -> dict[str, Any]:
        row = service.patch_item(session=session, kind=kind, slug=slug, body=body, if_match=if_match)
        return _respond(kind, row, response)

    @router.delete("/{slug}", status_code=204, summary=f"Delete a {kind.label} (editor token, If-Match)")
    def delete_item(slug: str, session: SessionDep, _: EditorToken, if_match: IfMatch = None) -> Response:
        service.delete_item(session=session, kind=kind, slug=slug, if_match=if_match)
        return Response(status_code=204)

    return router


routers = [make_router(KINDS[name]) for name in KIND_ORDER]
