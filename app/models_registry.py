"""Imports every ORM model so that Base.metadata is complete (for Alembic and tests)."""

from app.auth import models as auth_models  # noqa: F401
from app.catalog import models as catalog_models  # noqa: F401
from app.db import Base
from app.plans import models as plan_models  # noqa: F401

metadata = Base.metadata
