"""The five catalog kinds and what differs between them: table, schemas, searchable and sortable columns."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from app.catalog import schemas
from app.catalog.models import Accelerator, CatalogRow, RackProfile, Server, StorageSystem, Switch


@dataclass(frozen=True)
class Kind:
    name: str  # URL segment and export key, e.g. "storage-systems"
    label: str  # human label, singular
    model: type[CatalogRow]
    create: type[BaseModel]
    update: type[BaseModel]
    read: type[BaseModel]
    text_columns: tuple[str, ...]
    title_column: str

    @property
    def export_key(self) -> str:
        return self.name.replace("-", "_")


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("accelerators", "accelerator", Accelerator, schemas.AcceleratorCreate, schemas.AcceleratorUpdate,
             schemas.AcceleratorRead, ("slug", "vendor", "name", "generation", "notes"), "name"),
        Kind("servers", "server", Server, schemas.ServerCreate, schemas.ServerUpdate, schemas.ServerRead,
             ("slug", "vendor", "model", "part_number", "cpu_model", "notes"), "model"),
        Kind("switches", "switch", Switch, schemas.SwitchCreate, schemas.SwitchUpdate, schemas.SwitchRead,
             ("slug", "vendor", "model", "part_number", "notes"), "model"),
        Kind("storage-systems", "storage system", StorageSystem, schemas.StorageSystemCreate,
             schemas.StorageSystemUpdate, schemas.StorageSystemRead, ("slug", "vendor", "model", "notes"), "model"),
        Kind("rack-profiles", "rack profile", RackProfile, schemas.RackProfileCreate, schemas.RackProfileUpdate,
             schemas.RackProfileRead, ("slug", "vendor", "name", "notes"), "name"),
    )
}

# Import/export order: accelerators before the servers that reference them.
KIND_ORDER: tuple[str, ...] = ("accelerators", "servers", "switches", "storage-systems", "rack-profiles")


def sortable_columns(kind: Kind) -> list[str]:
    return [c.name for c in kind.model.__table__.columns if c.name not in ("id", "notes", "source_url")]
