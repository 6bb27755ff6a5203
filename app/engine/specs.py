"""Engine input specifications: hardware, as frozen dataclasses.

The engine never sees ORM rows or web schemas; services map catalog rows to these specs.
Units are in the field names. Peaks are dense (no sparsity) tensor-core figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

GIB = 2**30
PrecisionName = Literal["fp32", "tf32", "bf16", "fp16", "fp8", "fp4", "int8"]
Cooling = Literal["air", "liquid", "hybrid"]


@dataclass(frozen=True)
class AcceleratorSpec:
    """One accelerator (GPU / APU / AI accelerator) as the engine sees it."""

    slug: str
    name: str
    vendor: str
    form_factor: str  # SXM / OAM / PCIe / APU / Superchip
    peak_tflops: dict[str, float]  # dense peak per precision name [TFLOP/s]; missing = unsupported
    memory_gb: float  # device memory as the datasheet labels it ["GB"; binary units, see device_memory_bytes]
    memory_tbyte_s: float  # device memory bandwidth [TB/s]
    tdp_w: float  # board / module power [W]
    scaleup_gbyte_s: float  # scale-up link bandwidth per GPU, bidirectional as on the datasheet [GB/s]; 0 = none
    memory_ecc_fraction: float = 0.0  # share of the memory that in-band ECC reserves (GDDR6 with ECC: 1/16)

    def device_memory_bytes(self) -> float:
        """Memory the device exposes [bytes]. Datasheet capacities count binary units: nvidia-smi reports
        81,559 MiB on an "80GB" H100 SXM, 81,920 MiB on an A100 80GB, 143,771 MiB on a "141GB" H200 and
        183,359 MiB on a "180GB" B200 (0.4-0.5% below GiB x 1024); GDDR6 with ECC on gives up 1/16 (L40S
        "48GB": 46,068 MiB; L4 "24GB": 23,034 MiB)."""
        return self.memory_gb * GIB * (1.0 - self.memory_ecc_fraction)

    def peak_flops(self, precision: str) -> float:
        """Dense peak for a precision [FLOP/s]; falls back to the next wider supported format."""
        order = {"fp4": ["fp4", "fp8", "bf16"], "fp8": ["fp8", "bf16"], "int8": ["int8", "fp8", "bf16"]}
        for name in order.get(precision, [precision, "bf16"]):
            tflops = self.peak_tflops.get(name)
            if tflops:
                return tflops * 1e12
        return 0.0

    def supports(self, precision: str) -> bool:
        """True when the datasheet lists a native tensor-core rate for the precision."""
        return bool(self.peak_tflops.get(precision))


@dataclass(frozen=True)
class ServerSpec:
    """One server SKU (or rack-scale system such as GB200 NVL72)."""

    slug: str
    name: str
    vendor: str
    part_number: str
    accelerator: AcceleratorSpec
    gpu_count: int
    scaleup_domain_gpus: int  # GPUs in one NVLink / Infinity Fabric domain (8 for HGX, 72 for NVL72)
    compute_nic_count: int
    compute_nic_gbit_s: float
    frontend_nic_count: int
    frontend_nic_gbit_s: float
    nvme_tb: float
    host_bandwidth_gbyte_s: float
    rack_units: int
    max_power_w: float
    typical_power_w: float
    cooling: str
    weight_kg: float
    list_price_usd: float


@dataclass(frozen=True)
class SwitchSpec:
    slug: str
    name: str
    part_number: str
    fabric: str  # infiniband / ethernet / management
    ports: int
    port_gbit_s: float
    rack_units: int
    max_power_w: float
    list_price_usd: float


@dataclass(frozen=True)
class StorageSpec:
    slug: str
    name: str
    part_number: str
    usable_tb: float
    read_gbyte_s: float
    write_gbyte_s: float
    rack_units: int
    max_power_w: float
    list_price_usd: float


@dataclass(frozen=True)
class RackSpec:
    slug: str
    name: str
    rack_units: int
    power_kw: float
    cooling: str  # air / liquid
    max_weight_kg: float
    list_price_usd: float


@dataclass(frozen=True)
class SiteSpec:
    """Site assumptions; defaults are documented where they are used."""

    pue: float = 1.3
    usd_per_kwh: float = 0.10
    grid_gco2_per_kwh: float = 400.0
    amortization_years: float = 4.0
    feed_redundancy: str = "a+b"
    circuit_derating: float = 0.8
    colo_usd_per_kw_month: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)
