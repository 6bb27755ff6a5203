"""Catalog API schemas: XBase (fields with bounds), XCreate, XUpdate (all optional), XRead.

Bounds are sanity ranges for real hardware; a value outside one is a typo, not a product.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

Slug = Annotated[str, Field(min_length=2, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*[a-z0-9]$",
                            description="URL-safe identifier: lowercase letters, digits, '-', '_', '.'")]
Text = Annotated[str, Field(max_length=200)]
Url = Annotated[str, Field(max_length=500, pattern=r"^(https?://\S+)?$", description="Datasheet URL (http/https)")]
Notes = Annotated[str, Field(max_length=4000)]
Tflops = Annotated[float | None, Field(default=None, gt=0, le=100_000)]


class CatalogBase(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    slug: Slug
    vendor: Annotated[str, Field(min_length=1, max_length=100)]
    source_url: Url = ""
    notes: Notes = ""


class AcceleratorBase(CatalogBase):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    form_factor: Literal["SXM", "OAM", "PCIe", "APU", "Superchip", "Other"]
    generation: Text = ""
    fp64_tflops: Tflops = None
    fp32_tflops: Tflops = None
    tf32_tflops: Tflops = None
    bf16_tflops: Annotated[float, Field(gt=0, le=100_000, description="Dense BF16 tensor peak [TFLOP/s]")]
    fp16_tflops: Tflops = None
    fp8_tflops: Tflops = None
    fp4_tflops: Tflops = None
    int8_tops: Tflops = None
    memory_gb: Annotated[float, Field(gt=0, le=10_000, description="Device memory [GB]")]
    memory_type: Text = ""
    memory_tbyte_s: Annotated[float, Field(gt=0, le=1_000, description="Memory bandwidth [TB/s]")]
    tdp_w: Annotated[float, Field(gt=0, le=10_000, description="Board/module power [W]")]
    scaleup_gbyte_s: Annotated[float, Field(ge=0, le=100_000, description="Scale-up bandwidth per GPU [GB/s]")] = 0
    pcie_gen: Annotated[int, Field(ge=1, le=8)] = 5


class ServerBase(CatalogBase):
    model: Annotated[str, Field(min_length=1, max_length=200)]
    part_number: Text = ""
    accelerator: Annotated[Slug, Field(description="Slug of the accelerator in the catalog")]
    gpu_count: Annotated[int, Field(ge=1, le=1024)]
    scaleup_domain_gpus: Annotated[int, Field(ge=1, le=1024, description="GPUs per NVLink/xGMI domain")]
    cpu_model: Text = ""
    cpu_count: Annotated[int, Field(ge=0, le=256)] = 2
    cpu_cores_total: Annotated[int, Field(ge=0, le=100_000)] = 0
    system_memory_gb: Annotated[float, Field(ge=0, le=1_000_000)] = 0
    nvme_drives: Annotated[int, Field(ge=0, le=1000)] = 0
    nvme_tb: Annotated[float, Field(ge=0, le=100_000)] = 0
    pcie_gen: Annotated[int, Field(ge=1, le=8)] = 5
    host_bandwidth_gbyte_s: Annotated[float, Field(ge=0, le=100_000)] = 0
    compute_nic_count: Annotated[int, Field(ge=0, le=1024)] = 0
    compute_nic_gbit_s: Annotated[float, Field(ge=0, le=10_000)] = 0
    frontend_nic_count: Annotated[int, Field(ge=0, le=1024)] = 0
    frontend_nic_gbit_s: Annotated[float, Field(ge=0, le=10_000)] = 0
    rack_units: Annotated[int, Field(ge=1, le=60)]
    max_power_w: Annotated[float, Field(gt=0, le=500_000, description="System maximum power [W]")]
    typical_power_w: Annotated[float, Field(gt=0, le=500_000, description="Typical power under AI load [W]")]
    psu_count: Annotated[int, Field(ge=0, le=100)] = 2
    psu_redundancy: Annotated[str, Field(max_length=20)] = "N+N"
    cooling: Literal["air", "liquid", "hybrid"]
    airflow: Annotated[str, Field(max_length=30)] = "front-to-rear"
    is_full_depth: bool = True
    weight_kg: Annotated[float, Field(gt=0, le=10_000)]
    list_price_usd: Annotated[float, Field(ge=0, le=1e9)]
    use_case: Literal["training", "inference", "hpc"] = "training"

    @model_validator(mode="after")
    def _consistent(self) -> ServerBase:
        if self.typical_power_w > self.max_power_w:
            raise ValueError("typical_power_w must not exceed max_power_w")
        if self.gpu_count % self.scaleup_domain_gpus and self.scaleup_domain_gpus < self.gpu_count:
            raise ValueError("gpu_count must be a multiple of scaleup_domain_gpus")
        return self


class SwitchBase(CatalogBase):
    model: Annotated[str, Field(min_length=1, max_length=200)]
    part_number: Text = ""
    fabric: Literal["infiniband", "ethernet", "management"]
    ports: Annotated[int, Field(ge=1, le=4096)]
    port_gbit_s: Annotated[float, Field(gt=0, le=10_000)]
    rack_units: Annotated[int, Field(ge=1, le=60)]
    max_power_w: Annotated[float, Field(gt=0, le=100_000)]
    typical_power_w: Annotated[float, Field(gt=0, le=100_000)]
    airflow: Annotated[str, Field(max_length=30)] = "front-to-rear"
    weight_kg: Annotated[float, Field(ge=0, le=5_000)] = 0
    list_price_usd: Annotated[float, Field(ge=0, le=1e8)]


class StorageSystemBase(CatalogBase):
    model: Annotated[str, Field(min_length=1, max_length=200)]
    part_number: Text = ""
    usable_tb: Annotated[float, Field(gt=0, le=1e6)]
    read_gbyte_s: Annotated[float, Field(gt=0, le=1e5)]
    write_gbyte_s: Annotated[float, Field(gt=0, le=1e5)]
    rack_units: Annotated[int, Field(ge=1, le=60)]
    max_power_w: Annotated[float, Field(gt=0, le=100_000)]
    weight_kg: Annotated[float, Field(ge=0, le=5_000)] = 0
    list_price_usd: Annotated[float, Field(ge=0, le=1e9)]


class RackProfileBase(CatalogBase):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    rack_units: Annotated[int, Field(ge=10, le=60)]
    power_kw: Annotated[float, Field(gt=0, le=1_000)]
    cooling: Literal["air", "liquid"]
    max_weight_kg: Annotated[float, Field(gt=0, le=10_000)]
    pdu_count: Annotated[int, Field(ge=0, le=16)] = 2
    list_price_usd: Annotated[float, Field(ge=0, le=1e7)] = 0


def partial_model(base: type[BaseModel], name: str) -> type[BaseModel]:
    """The same fields with every one optional (for PATCH); constraints are kept."""
    fields: dict[str, Any] = {}
    for field_name, info in base.model_fields.items():
        optional = copy.copy(info)
        optional.default = None
        fields[field_name] = (info.annotation | None, optional)  # type: ignore[operator]
    return create_model(name, __config__=ConfigDict(extra="forbid", str_strip_whitespace=True), **fields)


class ReadMixin(BaseModel):
    version: int = Field(description="Row version; the ETag is derived from it")
    updated_at: datetime | None = None


def read_model(base: type[BaseModel], name: str) -> type[BaseModel]:
    return create_model(name, __base__=(base, ReadMixin))


AcceleratorCreate, ServerCreate, SwitchCreate = AcceleratorBase, ServerBase, SwitchBase
StorageSystemCreate, RackProfileCreate = StorageSystemBase, RackProfileBase
AcceleratorUpdate = partial_model(AcceleratorBase, "AcceleratorUpdate")
ServerUpdate = partial_model(ServerBase, "ServerUpdate")
SwitchUpdate = partial_model(SwitchBase, "SwitchUpdate")
StorageSystemUpdate = partial_model(StorageSystemBase, "StorageSystemUpdate")
RackProfileUpdate = partial_model(RackProfileBase, "RackProfileUpdate")
AcceleratorRead = read_model(AcceleratorBase, "AcceleratorRead")
ServerRead = read_model(ServerBase, "ServerRead")
SwitchRead = read_model(SwitchBase, "SwitchRead")
StorageSystemRead = read_model(StorageSystemBase, "StorageSystemRead")
RackProfileRead = read_model(RackProfileBase, "RackProfileRead")


class Page(BaseModel):
    """One page of a list: the items, the total matching count, and the window."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
