"""Application errors and their rendering as RFC 9457 problem details (JSON) or pages (HTML)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError as DBAPIDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass
class FieldError:
    field: str
    message: str


class AppError(Exception):
    """Base of every error a user may see. `status` is the HTTP status code."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None, extra: dict[str, Any] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra or {}


class NotFoundError(AppError):
    status, title = 404, "Not found"


class ConflictError(AppError):
    status, title = 409, "Conflict"


class PreconditionFailed(AppError):
    status, title = 412, "Precondition failed"


class PreconditionRequired(AppError):
    status, title = 428, "Precondition required"


class Unauthorized(AppError):
    status, title = 401, "Unauthorized"


class Forbidden(AppError):
    status, title = 403, "Forbidden"


class PayloadTooLarge(AppError):
    status, title = 413, "Payload too large"


class ValidationProblem(AppError):
    status, title = 422, "Invalid input"

    def __init__(self, detail: str, *, field: str | None = None, errors: list[FieldError] | None = None, **kw: Any):
        errs = list(errors or [])
        if field is not None:
            errs.append(FieldError(field=field, message=detail))
        super().__init__(detail, errors=errs, **kw)


class InfeasibleProblem(AppError):
    """The request is well-formed but no hardware/strategy satisfies it; `extra` says what was tried."""

    status, title = 422, "Infeasible request"


def problem_body(status: int, title: str, detail: str, errors: list[FieldError], extra: dict[str, Any]) -> dict:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    body.update(extra)
    return body


def problem_response(status: int, title: str, detail: str, errors: list[FieldError] | None = None,
                     extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body = problem_body(status, title, detail, errors or [], extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


# Tags of the `model` union's branches (app/estimates/schemas.py): pydantic puts them in error locations, where
# they name no request field.
PRESET_SLUG_TAG = "preset-slug"
INLINE_SHAPE_TAG = "inline-shape"
_NOT_FIELDS = ("body", "query", "path", "header", PRESET_SLUG_TAG, INLINE_SHAPE_TAG)


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """('body', 'model', 'inline-shape', 'layers') -> 'model.layers'; list indices as [i]."""
    parts = [p for p in loc if p not in _NOT_FIELDS]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or ".".join(str(p) for p in loc)


def validation_field_errors(exc: RequestValidationError) -> list[FieldError]:
    errors = []
    for err in exc.errors():
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        errors.append(FieldError(field=field_path(tuple(err.get("loc", ()))), message=msg))
    return errors


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get("accept", "")


HtmlRenderer = Any  # callable(request, status, title, detail) -> Response; set by the web layer


def install_error_handlers(app: FastAPI, html_renderer: HtmlRenderer | None = None) -> None:
    """One place that turns every error into problem details (API) or an error page (web)."""

    def render(request: Request, status: int, title: str, detail: str, errors: list[FieldError],
               extra: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
        if html_renderer is not None and wants_html(request):
            return html_renderer(request, status, title, detail)
        return problem_response(status, title, detail, errors, extra, headers)

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return render(request, exc.status, exc.title, exc.detail, exc.errors, exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = validation_field_errors(exc)
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:10])
        return render(request, 422, "Invalid input", detail, errors, {})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized", 403: "Forbidden",
                  413: "Payload too large", 415: "Unsupported media type"}
        title = titles.get(exc.status_code, "Error")
        return render(request, exc.status_code, title, str(exc.detail), [], {}, getattr(exc, "headers", None))

    @app.exception_handler(DBAPIDataError)
    async def _data_error(request: Request, exc: DBAPIDataError) -> Response:
        # The database refused a value the schemas let through: a NUL character in text, a number out of range.
        detail = ("a value cannot be stored: text must not contain NUL (\\u0000) characters and numbers must "
                  "fit their column; fix the input and retry")
        return render(request, 422, "Invalid input", detail, [FieldError("body", detail)], {})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        import logging

        logging.getLogger("rackplan").exception("unhandled error on %s", request.url.path)
        return render(request, 500, "Internal error", "An unexpected error occurred; it has been logged.", [], {})
