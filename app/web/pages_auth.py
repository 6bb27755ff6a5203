"""Sign-in and sign-out pages (session cookie: signed, HttpOnly, SameSite=Lax, Secure behind TLS)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.auth import service as auth_service
from app.deps import SessionDep
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
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"next": safe_next(next), "username": "", "errors": {}})


@router.post("/login")
def login(request: Request, form: CsrfForm, session: SessionDep) -> Response:
    username = form.get("username", "").strip()[:100]
    password = form.get("password", "")[:200]
    target = safe_next(form.get("next"))
    principal = auth_service.authenticate_user(session=session, username=username, password=password)
    if principal is None:
        errors = {"__all__": "unknown user name or wrong password"}
        return render(request, "login.html", {"next": target, "username": username, "errors": errors}, status=401)
    request.session.clear()
    request.session["user"] = principal.name
    csrf.rotate(request)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request, form: CsrfForm) -> Response:
    request.session.clear()
    csrf.rotate(request)
    return RedirectResponse("/", status_code=303)
