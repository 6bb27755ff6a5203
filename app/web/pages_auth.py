"""Sign-in and sign-out pages (session cookie: signed, HttpOnly, SameSite=Lax, Secure behind TLS)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from app.auth import service as auth_service
from app.deps import SessionDep
from app.errors import AppError, NotFoundError
from app.web import csrf
from app.web.csrf import CsrfForm
from app.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_form(request: Request, session: SessionDep, next: str = "/") -> Response:
    context = {"next": safe_next(next), "username": "", "errors": {},
               "first_run": not auth_service.has_users(session=session)}
    return render(request, "login.html", context)


def _setup_allowed(session: SessionDep) -> None:
    if auth_service.has_users(session=session):
        raise NotFoundError("setup is done: accounts exist; sign in at /login")


@router.get("/setup", dependencies=[Depends(_setup_allowed)])
def setup_form(request: Request, next: str = "/") -> Response:
    return render(request, "setup.html", {"next": safe_next(next), "username": "admin", "errors": {}})


@router.post("/setup", dependencies=[Depends(_setup_allowed)])
def setup(request: Request, form: CsrfForm, session: SessionDep) -> Response:
    """First run: create the administrator account and sign it in."""
    username = form.get("username", "").strip()[:100]
    password, repeat = form.get("password", "")[:200], form.get("password_repeat", "")[:200]
    target = safe_next(form.get("next"))
    errors = _setup_errors(username, password, repeat)
    if not errors:
        try:
            user = auth_service.create_first_admin(session=session, username=username, password=password)
        except AppError as exc:
            errors = {e.field: e.message for e in exc.errors} or {"__all__": exc.detail}
    if errors:
        context = {"next": target, "username": username, "errors": errors}
        return render(request, "setup.html", context, status=422)
    return _sign_in(request, user.username, target)


def _setup_errors(username: str, password: str, repeat: str) -> dict[str, str]:
    errors = {}
    if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        errors["username"] = "use letters, digits, '-', '_' or '.'"
    if len(password) < 8:
        errors["password"] = "at least 8 characters"
    elif password != repeat:
        errors["password_repeat"] = "the two passwords differ"
    return errors


def _sign_in(request: Request, username: str, target: str) -> Response:
    request.session.clear()
    request.session["user"] = username
    csrf.rotate(request)
    return RedirectResponse(target, status_code=303)


@router.post("/login")
def login(request: Request, form: CsrfForm, session: SessionDep) -> Response:
    username = form.get("username", "").strip()[:100]
    password = form.get("password", "")[:200]
    target = safe_next(form.get("next"))
    principal = auth_service.authenticate_user(session=session, username=username, password=password)
    if principal is None:
        errors = {"__all__": "unknown user name or wrong password"}
        context = {"next": target, "username": username, "errors": errors, "first_run": False}
        return render(request, "login.html", context, status=401)
    return _sign_in(request, principal.name, target)


@router.post("/logout")
def logout(request: Request, form: CsrfForm) -> Response:
    request.session.clear()
    csrf.rotate(request)
    return RedirectResponse("/", status_code=303)
