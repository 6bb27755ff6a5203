"""Capex, opex, TCO, hourly and per-token cost, energy and carbon with hand-checked arithmetic."""

from dataclasses import replace

import pytest
from build_fixtures import DGX_H100

from app.engine.cost import (
    HOURS_PER_YEAR,
    Capex,
    PriceBook,
    capex,
    cost_summary,
    energy_mwh,
    link_media_usd,
    opex_per_year,
    run_cost,
    tco2e,
    usd_per_million_tokens,
)
from app.engine.network import FabricLink, design_fabric, design_oob
from app.engine.specs import RackSpec, SiteSpec, StorageSpec, SwitchSpec
from app.engine.storage import StorageNeed, size_storage

# Prices below are round test values, not market data.
SERVER = replace(DGX_H100, part_number="", list_price_usd=300_000.0)
QM9700 = SwitchSpec("qm9700", "QM9700", "", "infiniband", 64, 400.0, 1, 1720.0, 30_000.0)
SN2201 = SwitchSpec("sn2201", "SN2201", "", "management", 48, 1.0, 1, 98.0, 2_000.0)
STORAGE = StorageSpec("box", "Storage box", "", 500.0, 90.0, 65.0, 2, 3000.0, 250_000.0)
RACK = RackSpec("r", "42U 40 kW", 42, 40.0, "air", 1360.0, 1_500.0)
SITE = SiteSpec(pue=1.3, usd_per_kwh=0.10, grid_gco2_per_kwh=400.0, amortization_years=4.0, colo_usd_per_kw_month=150.0)


def test_energy_and_carbon() -> None:
    assert energy_mwh(1000.0, 1.3, 10.0) == pytest.approx(13.0)
    assert tco2e(1.0, 400.0) == pytest.approx(0.4)  # 1,000 kWh x 400 g = 400 kg


def test_opex_per_year() -> None:
    opex = opex_per_year(it_expected_kw=1000.0, it_nameplate_kw=1200.0, site=SITE, capex_usd=10e6)
    assert opex.energy_usd == pytest.approx(1000 * 1.3 * 8760 * 0.10)  # $1,138,800
    assert opex.colocation_usd == pytest.approx(150 * 12 * 1200)  # billed on provisioned kW
    assert opex.support_usd == 0.0
    with_support = opex_per_year(
        it_expected_kw=0.0,
        it_nameplate_kw=0.0,
        site=SITE,
        capex_usd=10e6,
        prices=PriceBook(support_fraction_per_year=0.08),
    )
    assert with_support.total_usd == pytest.approx(800_000.0)


def test_tco_and_hourly_rates() -> None:
    capex_ = Capex(10e6, 0.0, 0.0, 0.0, 0.0)
    opex = opex_per_year(it_expected_kw=100.0, it_nameplate_kw=100.0, site=SiteSpec(usd_per_kwh=0.0), capex_usd=0)
    summary = cost_summary(capex_, opex, gpus=1000, site=SITE, it_expected_kw=100.0)
    assert summary.tco_usd == pytest.approx(10e6)
    assert summary.usd_per_hour == pytest.approx(10e6 / (4 * 8760))
    assert summary.usd_per_gpu_hour == pytest.approx(10e6 / (4 * 8760 * 1000))  # ~$0.285
    assert summary.energy_mwh_per_year == pytest.approx(100 * 1.3 * HOURS_PER_YEAR / 1000)
    run = run_cost(summary, 720.0, it_expected_kw=100.0, site=SITE)
    assert run.gpu_hours == pytest.approx(720_000.0)
    assert run.usd == pytest.approx(summary.usd_per_gpu_hour * 720_000)
    assert run.tco2e == pytest.approx(100 * 1.3 * 720 / 1000 * 0.4)


def test_usd_per_million_tokens() -> None:
    capex_ = Capex(360.0 * 4 * 8760, 0.0, 0.0, 0.0, 0.0)  # exactly $360 per hour over 4 years
    summary = cost_summary(
        capex_,
        opex_per_year(it_expected_kw=0, it_nameplate_kw=0, site=SITE, capex_usd=0),
        gpus=8,
        site=SITE,
        it_expected_kw=0.0,
    )
    assert usd_per_million_tokens(summary, 10_000.0) == pytest.approx(10.0)  # $360 / 36M tokens x 1M
    assert usd_per_million_tokens(summary, 10_000.0, utilization=0.5) == pytest.approx(20.0)


def test_link_media_prices() -> None:
    prices = PriceBook()
    optic = FabricLink("leaf-spine", 100, 400.0, "optic", 200)
    assert link_media_usd(optic, prices) == pytest.approx(100 * (60 + 2 * 400 * 1.25))
    assert link_media_usd(FabricLink("node-leaf", 10, 400.0, "dac", 0), prices) == pytest.approx(10 * 400 * 0.5)
    assert link_media_usd(FabricLink("oob", 10, 1.0, "copper", 0), prices) == pytest.approx(50.0)


def test_capex_by_category() -> None:
    fabric = design_fabric(8, 16, 400.0, QM9700)  # 4 leaves + 2 spines
    oob = design_oob(6, 5, SN2201)
    storage = size_storage(StorageNeed(600.0, 10.0, 10.0), STORAGE)  # 2 systems
    result = capex(
        server=SERVER, server_count=16, fabrics=[fabric], oob=oob, storage=storage, rack=RACK, racks=6, pdus=24
    )
    assert result.servers_usd == pytest.approx(16 * 300_000)
    assert result.network_switches_usd == pytest.approx(6 * 30_000 + 6 * 2_000)
    media = (128 + 128) * (60 + 2 * 400 * 1.25) + (30 + 12) * 5.0
    assert result.optics_cables_usd == pytest.approx(media)
    assert result.storage_usd == pytest.approx(500_000)
    assert result.racks_pdus_usd == pytest.approx(6 * 1_500 + 24 * 2_500)
    assert result.total_usd == pytest.approx(16 * 300_000 + 192_000 + media + 500_000 + 69_000)
