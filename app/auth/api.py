"""Token management over REST (admin token only): list, create (plaintext shown once), revoke."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.auth import service
from app.auth.service import Principal
from app.deps import SessionDep, require_role

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])
AdminToken = Annotated[Principal, Depends(require_role("admin", token_only=True))]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9 ._@:-]+$",
                      description="What the token is for, e.g. 'procurement-sync'")
    role: Literal["viewer", "editor", "admin"] = "editor"


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: str
    prefix: str = Field(description="First characters of the token, to recognise it")
    created_at: datetime | None
    revoked_at: datetime | None

    @field_validator("created_at", "revoked_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        """SQLite returns naive timestamps; they are UTC, and RFC 3339 date-times need the offset."""
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class TokenCreated(TokenRead):
    token: str = Field(description="The secret; shown only in this response and stored hashed")


class TokenPage(BaseModel):
    items: list[TokenRead]


@router.get("", response_model=TokenPage, summary="List API tokens (admin token)")
def list_tokens(session: SessionDep, _: AdminToken) -> TokenPage:
    rows = service.list_tokens(session=session)
    return TokenPage(items=[TokenRead.model_validate(r) for r in rows])


@router.post("", status_code=201, response_model=TokenCreated, summary="Create an API token (admin token)")
def create_token(body: TokenCreate, session: SessionDep, response: Response, _: AdminToken) -> TokenCreated:
    plaintext, row = service.create_token(session=session, name=body.name, role=body.role)
    session.refresh(row)
    response.headers["Cache-Control"] = "no-store"
    return TokenCreated(**TokenRead.model_validate(row).model_dump(), token=plaintext)


@router.delete("/{token_id}", response_model=TokenRead, summary="Revoke an API token (admin token)")
def revoke_token(token_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep,
                 _: AdminToken) -> TokenRead:
    row = service.revoke_token(session=session, token_id=token_id)
    session.flush()
    return TokenRead.model_validate(row)
