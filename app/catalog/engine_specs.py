"""Catalog rows -> engine specs (frozen dataclasses). The engine never sees ORM rows."""

from __future__ import annotations

from app.catalog.models import Accelerator, RackProfile, Server, StorageSystem, Switch
from app.engine.specs import AcceleratorSpec, RackSpec, ServerSpec, StorageSpec, SwitchSpec

PRECISION_COLUMNS = {"fp64": "fp64_tflops", "fp32": "fp32_tflops", "tf32": "tf32_tflops", "bf16": "bf16_tflops",
                     "fp16": "fp16_tflops", "fp8": "fp8_tflops", "fp4": "fp4_tflops", "int8": "int8_tops"}


def accelerator_spec(row: Accelerator) -> AcceleratorSpec:
    peaks = {name: float(getattr(row, col)) for name, col in PRECISION_COLUMNS.items() if getattr(row, col)}
    peaks.setdefault("fp16", row.bf16_tflops)
    return AcceleratorSpec(slug=row.slug, name=row.name, vendor=row.vendor, form_factor=row.form_factor,
                           peak_tflops=peaks, memory_gb=row.memory_gb, memory_tbyte_s=row.memory_tbyte_s,
                           tdp_w=row.tdp_w, scaleup_gbyte_s=row.scaleup_gbyte_s,
                           memory_ecc_fraction=ecc_fraction(row.memory_type))


def ecc_fraction(memory_type: str | None) -> float:
    """In-band ECC carve-out: GDDR memories with ECC on (L40S, L4 ship with it enabled) lose 1/16; HBM keeps its
    ECC bits aside."""
    return 1 / 16 if "GDDR" in (memory_type or "").upper() else 0.0


def server_spec(row: Server) -> ServerSpec:
    return ServerSpec(
        slug=row.slug, name=f"{row.vendor} {row.model}", vendor=row.vendor, part_number=row.part_number,
        accelerator=accelerator_spec(row.accelerator), gpu_count=row.gpu_count,
        scaleup_domain_gpus=row.scaleup_domain_gpus, compute_nic_count=row.compute_nic_count,
        compute_nic_gbit_s=row.compute_nic_gbit_s, frontend_nic_count=row.frontend_nic_count,
        frontend_nic_gbit_s=row.frontend_nic_gbit_s, nvme_tb=row.nvme_tb,
        host_bandwidth_gbyte_s=row.host_bandwidth_gbyte_s, rack_units=row.rack_units, max_power_w=row.max_power_w,
        typical_power_w=row.typical_power_w, cooling=row.cooling, weight_kg=row.weight_kg,
        list_price_usd=row.list_price_usd)


def switch_spec(row: Switch) -> SwitchSpec:
    return SwitchSpec(slug=row.slug, name=f"{row.vendor} {row.model}", part_number=row.part_number,
                      fabric=row.fabric, ports=row.ports, port_gbit_s=row.port_gbit_s, rack_units=row.rack_units,
                      max_power_w=row.max_power_w, list_price_usd=row.list_price_usd)


def storage_spec(row: StorageSystem) -> StorageSpec:
    return StorageSpec(slug=row.slug, name=f"{row.vendor} {row.model}", part_number=row.part_number,
                       usable_tb=row.usable_tb, read_gbyte_s=row.read_gbyte_s, write_gbyte_s=row.write_gbyte_s,
                       rack_units=row.rack_units, max_power_w=row.max_power_w, list_price_usd=row.list_price_usd)


def rack_spec(row: RackProfile) -> RackSpec:
    return RackSpec(slug=row.slug, name=row.name, rack_units=row.rack_units, power_kw=row.power_kw,
                    cooling=row.cooling, max_weight_kg=row.max_weight_kg, list_price_usd=row.list_price_usd)
