"""Token and user use cases. No commits here: the caller's session scope owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import ROLES, ApiToken, User
from app.auth.security import hash_password, hash_token, new_token, verify_password
from app.errors import ConflictError, NotFoundError, ValidationProblem


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user or a token, with a role."""

    name: str
    role: str
    kind: str  # "token" | "user" | "anonymous"

    def has_role(self, needed: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(needed) if self.role in ROLES else False


ANONYMOUS = Principal(name="anonymous", role="", kind="anonymous")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValidationProblem(f"role must be one of {', '.join(ROLES)}", field="role")


def create_token(*, session: Session, name: str, role: str) -> tuple[str, ApiToken]:
    """Create a token; the plaintext is returned once and never stored."""
    _check_role(role)
    plaintext = new_token()
    row = ApiToken(name=name, role=role, prefix=plaintext[:10], token_hash=hash_token(plaintext))
    session.add(row)
    session.flush()
    return plaintext, row


def list_tokens(*, session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(*, session: Session, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError(f"no token with id {token_id}")
    row.revoked_at = datetime.now(UTC)
    return row


def principal_for_token(*, session: Session, plaintext: str) -> Principal | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext)))
    if row is None or row.revoked_at is not None:
        return None
    return Principal(name=f"token:{row.name}", role=row.role, kind="token")


def create_user(*, session: Session, username: str, password: str, role: str) -> User:
    _check_role(role)
    if len(password) < 8:
        raise ValidationProblem("password must have at least 8 characters", field="password")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise ConflictError(f"user {username!r} already exists")
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def has_users(*, session: Session) -> bool:
    return session.scalar(select(User.id).limit(1)) is not None


def create_first_admin(*, session: Session, username: str, password: str) -> User:
    """First-run setup: the first account is an administrator; refused once any account exists."""
    if has_users(session=session):
        raise ConflictError("setup is already done: an account exists; sign in instead")
    return create_user(session=session, username=username, password=password, role="admin")


def authenticate_user(*, session: Session, username: str, password: str) -> Principal | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active or not verify_password(password, user.password_hash):
        return None
    return Principal(name=user.username, role=user.role, kind="user")


def principal_for_user(*, session: Session, username: str) -> Principal | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        return None
    return Principal(name=user.username, role=user.role, kind="user")
