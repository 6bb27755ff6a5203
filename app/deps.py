"""Shared FastAPI dependencies: database session (owns the transaction), settings, caller identity."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.auth import service as auth_service
from app.auth.service import ANONYMOUS, Principal
from app.config import Settings, get_settings
from app.errors import Forbidden, Unauthorized

READ_METHODS = ("GET", "HEAD")


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: commit when the endpoint succeeds, roll back on any error.

    GET and HEAD only read: they use the read factory (autocommit on PostgreSQL, see app.db.read_factory_for) and
    end without a commit. Database I/O runs in the thread pool, never on the event loop."""
    state = request.app.state
    reading = request.method in READ_METHODS
    session: Session = (state.read_session_factory if reading else state.session_factory)()
    try:
        yield session
    except BaseException:
        await run_in_threadpool(_end, session, False)
        raise
    await run_in_threadpool(_end, session, not reading)


def _end(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
    finally:
        session.close()


# scope="function": the commit happens before the response is sent, so a failed commit is an error response,
# never a 2xx for data that was not stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
async def app_settings(request: Request) -> Settings:
    """The settings the app was created with (create_app(settings)), else the environment's."""
    return getattr(request.app.state, "settings", None) or get_settings()


SettingsDep = Annotated[Settings, Depends(app_settings)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def get_principal(request: Request) -> Principal:
    """Bearer token (API) or signed session cookie (web); anonymous otherwise. A bad token is 401.

    Anonymous callers cost no database work; credentials are checked with a short read session."""
    anonymous = _bearer(request) is None and not (request.scope.get("session") or {}).get("user")
    principal = ANONYMOUS if anonymous else await run_in_threadpool(_identify_with_session, request)
    request.state.principal = principal  # for the access log
    return principal


def _identify_with_session(request: Request) -> Principal:
    with request.app.state.read_session_factory() as session:
        return _identify(request, session)


def _identify(request: Request, session: Session) -> Principal:
    token = _bearer(request)
    if token is not None:
        principal = auth_service.principal_for_token(session=session, plaintext=token)
        if principal is None:
            raise Unauthorized("the API token is unknown or revoked; create one with `rackplan token create`")
        return principal
    username = request.session.get("user") if "session" in request.scope else None
    if username:
        return auth_service.principal_for_user(session=session, username=username) or ANONYMOUS
    return ANONYMOUS


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_role(role: str, *, token_only: bool = False) -> Callable[..., Principal]:
    """Dependency: the caller must hold `role` (viewer < editor < admin). API writes need a bearer token."""

    async def dependency(principal: PrincipalDep) -> Principal:
        if principal.kind == "anonymous" or (token_only and principal.kind != "token"):
            raise Unauthorized(f"this action needs the {role} role: send 'Authorization: Bearer <token>'")
        if not principal.has_role(role):
            raise Forbidden(f"this action needs the {role} role; your credentials have {principal.role!r}")
        return principal

    return dependency


async def require_reader(principal: PrincipalDep, settings: SettingsDep) -> Principal:
    """Reads are open unless RACKPLAN_REQUIRE_LOGIN_TO_READ is set."""
    if settings.require_login_to_read and principal.kind == "anonymous":
        raise Unauthorized("sign in or send an API token to read")
    return principal


EditorToken = Annotated[Principal, Depends(require_role("editor", token_only=True))]
Reader = Annotated[Principal, Depends(require_reader)]
