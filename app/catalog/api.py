"""REST endpoints for the five catalog kinds: one router factory, one router per kind."""


from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Response
from pydantic import BaseModel, create_model

from app.catalog import service
from app.catalog.kinds import KIND_ORDER, KINDS, Kind
from app.catalog.repository import ListQuery
from app.deps import EditorToken, Reader, SessionDep

IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200,
                                       description="ETag from a previous GET; a stale value gets 412")]


def list_query(
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


def make_router(kind: Kind) -> APIRouter:
    router = APIRouter(prefix=f"/api/v1/{kind.name}", tags=[f"catalog: {kind.name}"])
    Query_ = Annotated[ListQuery, Depends(list_query)]  # noqa: N806
    Create = Annotated[kind.create, Body()]  # type: ignore[name-defined]  # noqa: N806
    Update = Annotated[kind.update, Body()]  # type: ignore[name-defined]  # noqa: N806

    @router.get("", response_model=_page_model(kind), summary=f"List {kind.name}")
    def list_items(session: SessionDep, query: Query_, _: Reader) -> dict[str, Any]:
        return service.list_items(session=session, kind=kind, query=query)

    @router.get("/{slug}", response_model=kind.read, summary=f"Get one {kind.label}")
    def get_item(slug: str, session: SessionDep, response: Response, _: Reader) -> dict[str, Any]:
        return _respond(kind, service.get_row(session=session, kind=kind, slug=slug), response)

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
