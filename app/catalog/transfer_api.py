"""Whole-catalog export (JSON, or a zip of NetBox device-type YAML) and all-or-nothing import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from app.catalog import netbox, netbox_export, transfer
from app.deps import EditorToken, Reader, SessionDep
from app.errors import AppError, PayloadTooLarge, ValidationProblem

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog: import/export"])

BODY_NAMES = {"application/json": "request-body.json", "application/yaml": "request-body.yaml",
              "application/x-yaml": "request-body.yaml", "text/yaml": "request-body.yaml",
              "application/zip": "request-body.zip"}
MAX_UNZIPPED_FACTOR = 20  # a zip may expand to this many times the upload limit


class UnsupportedMediaTypeError(AppError):
    status, title = 415, "Unsupported media type"


def _limit(request: Request) -> int:
    return int(request.app.state.settings.max_upload_bytes)


async def _read_limited(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it exceeds `limit` (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the upload is {int(declared)} bytes; the limit is {limit} bytes")
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise PayloadTooLarge(f"the upload exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _once(body: bytes) -> AsyncIterator[bytes]:
    yield body


async def _multipart_files(request: Request, body: bytes, limit: int) -> list[tuple[str, bytes]]:
    parser = MultiPartParser(request.headers, _once(body), max_files=netbox.MAX_FILES, max_part_size=limit)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise ValidationProblem(f"malformed multipart upload: {exc.message}", field="file") from exc
    files = []
    for _, value in form.multi_items():
        if isinstance(value, UploadFile):
            files.append((value.filename or "upload", await value.read()))
            await value.close()
    return files


async def uploaded_files(request: Request, _: EditorToken) -> list[tuple[str, bytes]]:
    """(file name, content) pairs from a JSON/YAML/zip body or a multipart upload; the editor check runs first."""
    limit = _limit(request)
    body = await _read_limited(request, limit)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        return await _multipart_files(request, body, limit)
    if media in BODY_NAMES:
        return [(BODY_NAMES[media], body)]
    raise UnsupportedMediaTypeError(
        f"send a catalog JSON document (application/json), NetBox YAML, a zip, or a multipart file upload; "
        f"got {media or 'no content type'!r}")


IMPORT_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object", "description": "A catalog document as from GET /export"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "array", "items": {"type": "string", "format": "binary"},
                 "description": "one .json document, or NetBox .yaml/.yml device types and .zip archives of them"}}}},
    "application/yaml": {"schema": {"type": "string", "description": "one NetBox device type"}},
    "application/zip": {"schema": {"type": "string", "format": "binary"}},
}}}

Uploads = Annotated[list[tuple[str, bytes]], Depends(uploaded_files)]


@router.get("/export", summary="Export the whole catalog (JSON document, or NetBox device-type YAML in a zip)")
def export_catalog(session: SessionDep, _: Reader,
                   fmt: Annotated[Literal["json", "netbox"], Query(alias="format")] = "json") -> Response:
    doc = transfer.export_document(session=session)
    if fmt == "netbox":
        headers = {"Content-Disposition": 'attachment; filename="rackplan-netbox-device-types.zip"'}
        return Response(netbox_export.export_netbox_zip(doc), media_type="application/zip", headers=headers)
    return JSONResponse(jsonable_encoder(doc))


@router.post("/import", summary="Import a catalog document or NetBox device types (editor token; all or nothing)",
             openapi_extra=IMPORT_BODY)
def import_catalog(files: Uploads, session: SessionDep, request: Request) -> dict[str, Any]:
    max_bytes = _limit(request) * MAX_UNZIPPED_FACTOR
    result = netbox.import_files(session=session, files=files, max_bytes=max_bytes)
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
            "files": [name for name, _ in files]}
