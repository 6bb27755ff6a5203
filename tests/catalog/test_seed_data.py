"""Checks on the seed catalog JSON (app/catalog/seed_data): shape, coverage and physical plausibility.

Pure file checks, no database. Expected figures below are datasheet values (source beside each) and are
compared with the seed rows, never with anything computed from them.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect

from app.catalog.models import Accelerator, RackProfile, Server, StorageSystem, Switch

SEED_DIR = Path(__file__).resolve().parents[2] / "app" / "catalog" / "seed_data"
KINDS = {
    "accelerators": Accelerator,
    "servers": Server,
    "switches": Switch,
    "storage_systems": StorageSystem,
    "rack_profiles": RackProfile,
}
REQUIRED_ACCELERATORS = frozenset(
    "a100-sxm-40gb a100-sxm-80gb a100-pcie-80gb h100-sxm h100-pcie h100-nvl h800-sxm h200-sxm h200-nvl"
    " b200 gb200 mi300x mi300a mi325x gaudi3 l40s l4".split()
)
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
Row = dict[str, Any]


@cache
def items(kind: str) -> tuple[Row, ...]:
    data = json.loads((SEED_DIR / f"{kind}.json").read_text(encoding="utf-8"))
    return tuple(data["items"])


def by_slug(kind: str) -> dict[str, Row]:
    return {row["slug"]: row for row in items(kind)}


def expected_fields(kind: str) -> set[str]:
    """ORM columns minus bookkeeping; servers name their accelerator by slug."""
    columns = {c.key for c in inspect(KINDS[kind]).columns} - {"id", "version", "updated_at"}
    if kind == "servers":
        columns = (columns - {"accelerator_id"}) | {"accelerator"}
    return columns


# --- shape -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_rows_use_exactly_the_model_columns(kind: str) -> None:
    expected = expected_fields(kind)
    for row in items(kind):
        assert set(row) == expected, (row["slug"], set(row) ^ expected)


@pytest.mark.parametrize("kind", KINDS)
def test_slugs_unique_and_kebab_case(kind: str) -> None:
    slugs = [row["slug"] for row in items(kind)]
    assert len(slugs) == len(set(slugs))
    assert all(SLUG_RE.match(slug) and len(slug) <= 100 for slug in slugs)


@pytest.mark.parametrize("kind", KINDS)
def test_every_row_cites_an_https_source(kind: str) -> None:
    for row in items(kind):
        assert row["source_url"].startswith("https://"), row["slug"]
        assert row["vendor"] and row["notes"], row["slug"]


@pytest.mark.parametrize("kind", ["servers", "switches", "storage_systems", "rack_profiles"])
def test_prices_are_positive_and_flagged_as_estimates(kind: str) -> None:
    for row in items(kind):
        assert row["list_price_usd"] > 0, row["slug"]
        assert "estimate" in row["notes"].lower(), row["slug"]


def test_minimum_counts() -> None:
    assert len(items("servers")) >= 28
    assert len(items("switches")) >= 5
    assert len(items("storage_systems")) >= 4
    assert len(items("rack_profiles")) >= 5


# --- accelerators ----------------------------------------------------------------------------------


def test_required_accelerators_present() -> None:
    assert REQUIRED_ACCELERATORS <= set(by_slug("accelerators"))


def test_accelerator_units_sane() -> None:
    for row in items("accelerators"):
        assert 20 <= row["memory_gb"] <= 300, row["slug"]
        assert 0.2 <= row["memory_tbyte_s"] <= 10, row["slug"]
        assert 50 <= row["tdp_w"] <= 1500, row["slug"]
        assert 50 <= row["bf16_tflops"] <= 5000, row["slug"]
        assert row["form_factor"] in {"SXM", "OAM", "PCIe", "APU", "Superchip"}, row["slug"]
        assert row["pcie_gen"] in {4, 5, 6}, row["slug"]


def test_precisions_are_dense_and_ordered() -> None:
    """FP8 is 2x BF16 (or equal on Gaudi 3's MME); FP4 is 2x FP8. A sparse figure would break the ratio."""
    for row in items("accelerators"):
        if row["fp8_tflops"] is not None:
            assert 0.99 <= row["fp8_tflops"] / row["bf16_tflops"] <= 2.03, row["slug"]
        if row["fp4_tflops"] is not None:
            assert row["fp4_tflops"] == pytest.approx(2 * row["fp8_tflops"], rel=0.01), row["slug"]
        if row["tf32_tflops"] is not None:
            assert row["tf32_tflops"] <= row["bf16_tflops"] / 1.9, row["slug"]


@pytest.mark.parametrize(
    ("slug", "bf16", "mem_gb", "tbyte_s", "tdp"),
    [
        ("h100-sxm", 989.5, 80, 3.35, 700),  # NVIDIA H100 datasheet, SXM column (1,979 sparse)
        ("h200-sxm", 989.5, 141, 4.8, 700),  # NVIDIA H200 datasheet, SXM column
        ("b200", 2250, 180, 7.7, 1000),  # NVIDIA HGX B200 datasheet / 8 (4.5 PF sparse)
        ("a100-sxm-80gb", 312, 80, 2.039, 400),  # NVIDIA A100 datasheet, 80GB SXM column
        ("mi300x", 1307.4, 192, 5.3, 750),  # ROCm MI300 peak table; MLPerf v4.1 AMD system JSON
        ("mi300a", 980.6, 128, 5.3, 550),  # AMD MI300A datasheet (Dec 2023 launch)
        ("l40s", 362.05, 48, 0.864, 350),  # NVIDIA L40S datasheet
        ("gaudi3", 1835, 128, 3.7, 900),  # Intel Gaudi 3 white paper (HL-325L)
    ],
)
def test_accelerator_datasheet_values(slug: str, bf16: float, mem_gb: float, tbyte_s: float, tdp: float) -> None:
    row = by_slug("accelerators")[slug]
    assert row["bf16_tflops"] == pytest.approx(bf16)
    assert row["memory_gb"] == mem_gb
    assert row["memory_tbyte_s"] == pytest.approx(tbyte_s)
    assert row["tdp_w"] == tdp


def test_mi300a_is_an_apu_with_unified_hbm3() -> None:
    row = by_slug("accelerators")["mi300a"]
    assert row["form_factor"] == "APU"
    assert "HBM3" in row["memory_type"]
    assert "228" in row["notes"] and "24 Zen 4" in row["notes"]


def test_scaleup_bandwidth_per_link_family() -> None:
    acc = by_slug("accelerators")
    assert acc["h100-sxm"]["scaleup_gbyte_s"] == 900  # NVLink 4
    assert acc["b200"]["scaleup_gbyte_s"] == 1800  # NVLink 5
    assert acc["a100-sxm-80gb"]["scaleup_gbyte_s"] == 600  # NVLink 3
    assert acc["mi300x"]["scaleup_gbyte_s"] == 7 * 128  # 7 Infinity Fabric links
    assert acc["l40s"]["scaleup_gbyte_s"] == acc["l4"]["scaleup_gbyte_s"] == 0


# --- servers ---------------------------------------------------------------------------------------


def test_server_accelerators_exist() -> None:
    accelerators = by_slug("accelerators")
    for row in items("servers"):
        assert row["accelerator"] in accelerators, row["slug"]


def test_server_power_covers_its_accelerators() -> None:
    accelerators = by_slug("accelerators")
    for row in items("servers"):
        gpu_w = row["gpu_count"] * accelerators[row["accelerator"]]["tdp_w"]
        assert row["max_power_w"] >= gpu_w, row["slug"]
        assert 0 < row["typical_power_w"] <= row["max_power_w"], row["slug"]


def test_scaleup_domain_divides_gpu_count() -> None:
    for row in items("servers"):
        domain, count = row["scaleup_domain_gpus"], row["gpu_count"]
        assert domain in {1, 2, 4, 8, 72}, row["slug"]
        assert count % domain == 0 or domain >= count, row["slug"]


def test_server_enumerations_and_units() -> None:
    for row in items("servers"):
        assert row["use_case"] in {"training", "inference", "hpc"}, row["slug"]
        assert row["cooling"] in {"air", "liquid", "hybrid"}, row["slug"]
        assert 1 <= row["rack_units"] <= 52, row["slug"]
        assert 10 <= row["weight_kg"] <= 2000, row["slug"]
        assert row["psu_count"] >= 1 and row["pcie_gen"] in {4, 5, 6}, row["slug"]
        w_per_u_limit = 2500 if row["cooling"] == "air" else 4000  # sanity bound on power density
        assert row["max_power_w"] / row["rack_units"] <= w_per_u_limit, row["slug"]


def test_server_coverage_across_accelerators_and_vendors() -> None:
    vendors: dict[str, set[str]] = {}
    for row in items("servers"):
        vendors.setdefault(row["accelerator"], set()).add(row["vendor"])
    assert REQUIRED_ACCELERATORS - {"h100-pcie", "h200-nvl"} <= set(vendors)
    for multi_vendor in ("l40s", "l4", "h100-nvl", "h100-sxm"):
        assert len(vendors[multi_vendor]) >= 2, multi_vendor
    assert len(vendors["l40s"]) >= 3


def test_aivres_kr6288v2_training_server() -> None:
    servers = by_slug("servers")
    h100, a100 = servers["aivres-kr6288v2-h100"], servers["aivres-kr6288v2-a100"]
    assert h100["accelerator"] == "h100-sxm" and a100["accelerator"].startswith("a100-sxm")
    for row in (h100, a100):
        assert row["vendor"] == "Aivres" and row["gpu_count"] == 8 and row["scaleup_domain_gpus"] == 8
        assert row["use_case"] == "training" and row["nvme_drives"] == 16
        assert "24x 2.5in" in row["notes"] and "16x NVMe U.2" in row["notes"]


def test_aivres_kr4268v2_inference_server() -> None:
    row = by_slug("servers")["aivres-kr4268v2"]
    assert row["vendor"] == "Aivres" and row["use_case"] == "inference"
    assert row["pcie_gen"] == 5 and row["host_bandwidth_gbyte_s"] == 64
    assert row["nvme_tb"] == 300


def test_mi300a_apu_node() -> None:
    nodes = [row for row in items("servers") if row["accelerator"] == "mi300a"]
    assert nodes
    for row in nodes:
        assert row["gpu_count"] == 4 and row["scaleup_domain_gpus"] == 4 and row["use_case"] == "hpc"
        assert row["cpu_cores_total"] == 4 * 24  # 24 Zen 4 cores per APU
        assert row["system_memory_gb"] == 4 * 128  # unified HBM3 per APU
        assert "228" in row["notes"]


@pytest.mark.parametrize(
    ("slug", "max_w", "ru", "weight_kg"),
    [
        ("nvidia-dgx-h100", 10200, 8, 130.45),  # DGX H100 datasheet: ~10.2 kW max, 8U, 130.45 kg
        ("nvidia-dgx-b200", 14300, 10, 142),  # DGX B200 datasheet: ~14.3 kW max, 10U
        ("nvidia-dgx-a100", 6500, 6, 123.16),  # DGX A100 datasheet: 6.5 kW max, 6U, 123.16 kg
    ],
)
def test_dgx_datasheet_values(slug: str, max_w: float, ru: int, weight_kg: float) -> None:
    row = by_slug("servers")[slug]
    assert (row["max_power_w"], row["rack_units"], row["weight_kg"]) == (max_w, ru, weight_kg)


def test_gb200_nvl72_is_one_liquid_rack_that_fits_its_profile() -> None:
    nvl = by_slug("servers")["nvidia-gb200-nvl72"]
    rack = by_slug("rack_profiles")["liquid-165kw-nvl72"]
    assert nvl["gpu_count"] == nvl["scaleup_domain_gpus"] == 72
    assert nvl["cooling"] == "liquid" and nvl["rack_units"] == 48
    assert 120_000 <= nvl["max_power_w"] <= 132_000
    # 80% continuous-load derating (NEC 210.19/215.2): the feed must carry the envelope at <= 80%.
    assert nvl["max_power_w"] <= 0.8 * rack["power_kw"] * 1000 and nvl["weight_kg"] <= rack["max_weight_kg"]
    assert rack["cooling"] == "liquid" and nvl["rack_units"] <= rack["rack_units"]


# --- switches, storage, racks ----------------------------------------------------------------------


def test_switch_fabrics_and_units() -> None:
    rows = items("switches")
    assert {row["fabric"] for row in rows} == {"infiniband", "ethernet", "management"}
    for row in rows:
        assert row["ports"] > 0 and row["port_gbit_s"] > 0 and 1 <= row["rack_units"] <= 16, row["slug"]
        assert 0 < row["typical_power_w"] <= row["max_power_w"], row["slug"]


@pytest.mark.parametrize(
    ("slug", "fabric", "ports", "gbit", "ru"),
    [
        ("nvidia-qm9700", "infiniband", 64, 400, 1),  # Quantum-2 NDR datasheet
        ("nvidia-q3400-ra", "infiniband", 144, 800, 4),  # Quantum-X800 XDR
        ("nvidia-sn5600", "ethernet", 64, 800, 2),  # Spectrum-4 SN5000 user manual
    ],
)
def test_named_switches(slug: str, fabric: str, ports: int, gbit: float, ru: int) -> None:
    row = by_slug("switches")[slug]
    assert (row["fabric"], row["ports"], row["port_gbit_s"], row["rack_units"]) == (fabric, ports, gbit, ru)


def test_storage_units() -> None:
    for row in items("storage_systems"):
        assert row["usable_tb"] > 0 and row["rack_units"] >= 1 and row["max_power_w"] > 0, row["slug"]
        assert 0 < row["write_gbyte_s"] <= row["read_gbyte_s"], row["slug"]
    assert by_slug("storage_systems")["ddn-ai400x2"]["read_gbyte_s"] == 90  # DDN AI400X2 datasheet


def test_rack_profiles_span_air_to_liquid() -> None:
    rows = items("rack_profiles")
    air = [row["power_kw"] for row in rows if row["cooling"] == "air"]
    liquid = [row["power_kw"] for row in rows if row["cooling"] == "liquid"]
    assert min(air) <= 15 and max(liquid) >= 130
    for row in rows:
        assert row["cooling"] in {"air", "liquid"} and row["rack_units"] in {42, 45, 47, 48, 52}
        assert 900 <= row["max_weight_kg"] <= 3000 and row["pdu_count"] >= 2, row["slug"]
