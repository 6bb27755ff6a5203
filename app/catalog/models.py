"""Catalog ORM models: type rows (like NetBox device types). Units are in the column names.

Every row carries `source_url` (the datasheet its numbers came from) and a `version` used for
ETag / If-Match optimistic concurrency (SQLAlchemy version counter: a stale UPDATE matches no row).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.db import Base, UtcDateTime


class CatalogRow:
    """Columns every catalog table shares."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True, index=True)
    vendor: Mapped[str] = mapped_column(String(100), index=True)
    source_url: Mapped[str] = mapped_column(String(500), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, server_default=func.now(), onupdate=func.now()
    )

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Accelerator(CatalogRow, Base):
    __tablename__ = "accelerators"

    name: Mapped[str] = mapped_column(String(200))
    form_factor: Mapped[str] = mapped_column(String(20))  # SXM / OAM / PCIe / APU / Superchip
    generation: Mapped[str] = mapped_column(String(50), default="")
    fp64_tflops: Mapped[float | None] = mapped_column(Float, nullable=True)
    fp32_tflops: Mapped[float | None] = mapped_column(Float, nullable=True)
    tf32_tflops: Mapped[float | None] = mapped_column(Float, nullable=True)
    bf16_tflops: Mapped[float] = mapped_column(Float)
    fp16_tflops: Mapped[float | None] = mapped_column(Float, nullable=True)
    fp8_tflops: Mapped[float | None] = mapped_column(Float, nullable=True)
    fp4_tflops: Mapped[float | None] = mapped_column(Float, nullable=True)
    int8_tops: Mapped[float | None] = mapped_column(Float, nullable=True)
    memory_gb: Mapped[float] = mapped_column(Float)
    memory_type: Mapped[str] = mapped_column(String(30), default="")
    memory_tbyte_s: Mapped[float] = mapped_column(Float)
    tdp_w: Mapped[float] = mapped_column(Float)
    scaleup_gbyte_s: Mapped[float] = mapped_column(Float, default=0.0)
    pcie_gen: Mapped[int] = mapped_column(Integer, default=5)


class Server(CatalogRow, Base):
    __tablename__ = "servers"

    model: Mapped[str] = mapped_column(String(200))
    part_number: Mapped[str] = mapped_column(String(100), default="")
    accelerator_id: Mapped[int] = mapped_column(ForeignKey("accelerators.id", ondelete="RESTRICT"), index=True)
    accelerator: Mapped[Accelerator] = relationship(lazy="joined")
    gpu_count: Mapped[int] = mapped_column(Integer)
    scaleup_domain_gpus: Mapped[int] = mapped_column(Integer)
    cpu_model: Mapped[str] = mapped_column(String(200), default="")
    cpu_count: Mapped[int] = mapped_column(Integer, default=2)
    cpu_cores_total: Mapped[int] = mapped_column(Integer, default=0)
    system_memory_gb: Mapped[float] = mapped_column(Float, default=0.0)
    nvme_drives: Mapped[int] = mapped_column(Integer, default=0)
    nvme_tb: Mapped[float] = mapped_column(Float, default=0.0)
    pcie_gen: Mapped[int] = mapped_column(Integer, default=5)
    host_bandwidth_gbyte_s: Mapped[float] = mapped_column(Float, default=0.0)
    compute_nic_count: Mapped[int] = mapped_column(Integer, default=0)
    compute_nic_gbit_s: Mapped[float] = mapped_column(Float, default=0.0)
    frontend_nic_count: Mapped[int] = mapped_column(Integer, default=0)
    frontend_nic_gbit_s: Mapped[float] = mapped_column(Float, default=0.0)
    rack_units: Mapped[int] = mapped_column(Integer)
    max_power_w: Mapped[float] = mapped_column(Float)
    typical_power_w: Mapped[float] = mapped_column(Float)
    psu_count: Mapped[int] = mapped_column(Integer, default=2)
    psu_redundancy: Mapped[str] = mapped_column(String(20), default="N+N")
    cooling: Mapped[str] = mapped_column(String(10), index=True)  # air / liquid / hybrid
    airflow: Mapped[str] = mapped_column(String(30), default="front-to-rear")
    is_full_depth: Mapped[bool] = mapped_column(default=True)
    weight_kg: Mapped[float] = mapped_column(Float)
    list_price_usd: Mapped[float] = mapped_column(Float)
    use_case: Mapped[str] = mapped_column(String(20), default="training")  # training / inference / hpc


class Switch(CatalogRow, Base):
    __tablename__ = "switches"

    model: Mapped[str] = mapped_column(String(200))
    part_number: Mapped[str] = mapped_column(String(100), default="")
    fabric: Mapped[str] = mapped_column(String(20), index=True)  # infiniband / ethernet / management
    ports: Mapped[int] = mapped_column(Integer)
    port_gbit_s: Mapped[float] = mapped_column(Float)
    rack_units: Mapped[int] = mapped_column(Integer)
    max_power_w: Mapped[float] = mapped_column(Float)
    typical_power_w: Mapped[float] = mapped_column(Float)
    airflow: Mapped[str] = mapped_column(String(30), default="front-to-rear")
    weight_kg: Mapped[float] = mapped_column(Float, default=0.0)
    list_price_usd: Mapped[float] = mapped_column(Float)


class StorageSystem(CatalogRow, Base):
    __tablename__ = "storage_systems"

    model: Mapped[str] = mapped_column(String(200))
    part_number: Mapped[str] = mapped_column(String(100), default="")
    usable_tb: Mapped[float] = mapped_column(Float)
    read_gbyte_s: Mapped[float] = mapped_column(Float)
    write_gbyte_s: Mapped[float] = mapped_column(Float)
    rack_units: Mapped[int] = mapped_column(Integer)
    max_power_w: Mapped[float] = mapped_column(Float)
    weight_kg: Mapped[float] = mapped_column(Float, default=0.0)
    list_price_usd: Mapped[float] = mapped_column(Float)


class RackProfile(CatalogRow, Base):
    __tablename__ = "rack_profiles"

    name: Mapped[str] = mapped_column(String(200))
    rack_units: Mapped[int] = mapped_column(Integer)
    power_kw: Mapped[float] = mapped_column(Float)
    cooling: Mapped[str] = mapped_column(String(10), index=True)  # air / liquid
    max_weight_kg: Mapped[float] = mapped_column(Float)
    pdu_count: Mapped[int] = mapped_column(Integer, default=2)
    list_price_usd: Mapped[float] = mapped_column(Float, default=0.0)
