"""CSRF protection for the web forms: a session-bound synchronizer token.

The token is a random value kept in the signed, HttpOnly session cookie and repeated in a hidden field of every
POST form (and sent by HTMX with the form). A POST whose field does not match the session's token is refused
with 403 before the page handler runs.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request

from app.errors import Forbidden

FIELD = "csrf_token"
SESSION_KEY = "csrf"
MAX_FORM_FIELDS = 300


def token_for(request: Request) -> str:
    """The caller's token, created on first use; '' when there is no session (never expected in the app)."""
    if "session" not in request.scope:
        return ""
    token = request.session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return str(token)


def rotate(request: Request) -> None:
    """New token (at sign-in and sign-out) so a token seen before authentication is useless after it."""
    request.session[SESSION_KEY] = secrets.token_urlsafe(32)


def is_valid(request: Request, submitted: str | None) -> bool:
    expected = request.session.get(SESSION_KEY) if "session" in request.scope else None
    return bool(expected and submitted and hmac.compare_digest(str(expected), submitted))


async def csrf_form(request: Request) -> dict[str, str]:
    """Dependency for POST pages: the submitted form after the CSRF check (repeated fields joined by ',')."""
    form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    values: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            values[key] = f"{values[key]},{value}" if key in values else value
    if not is_valid(request, values.pop(FIELD, None)):
        raise Forbidden("the form's security token is missing or expired; reload the page and submit it again")
    return values


CsrfForm = Annotated[dict[str, str], Depends(csrf_form)]
