"""Cost, energy and carbon of a build: capex by category, opex per year, TCO, USD per GPU-hour, run and token.

Units: USD, kW, hours, MWh and tonnes CO2e as named. Hardware list prices come from the catalog specs; the
network media prices below are assumptions (no vendor publishes street prices) and are shown with every plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.engine.network import FabricDesign, FabricLink, OobDesign
from app.engine.specs import RackSpec, ServerSpec, SiteSpec
from app.engine.storage import StoragePlan

HOURS_PER_YEAR = 8760.0  # 365 days x 24 h


@dataclass(frozen=True)
class PriceBook:
    """Prices of what the catalog does not list. Every default is an assumption, cross-checked where noted."""

    # assumption: ~$500 per 400G port-side optic (~$1,000 per twin-port 800G OSFP). Cross-check: Ascent Optics,
    # "OSFP NVIDIA InfiniBand: ConnectX-7 & Quantum-2 Guide" (2026): optics for 128 DGX H100 on NDR "exceeded
    # $1.5 million at NVIDIA list"; our 2,044 transceivers x 800G x $1.25/Gb/s = $2.0M.
    optic_usd_per_gbit_s: float = 1.25
    fiber_usd: float = 60.0  # assumption: one MPO/LC multimode patch cord, ~30 m
    aoc_usd_per_gbit_s: float = 1.5  # assumption: ~$600 for a 400G active optical cable
    dac_usd_per_gbit_s: float = 0.5  # assumption: ~$200 for a 400G passive copper cable
    copper_usd: float = 5.0  # assumption: Cat6 patch cord for 1G management
    pdu_usd: float = 2500.0  # assumption: metered/switched 3-phase rack PDU
    support_fraction_per_year: float = 0.0  # optional hardware support as a fraction of capex per year


@dataclass(frozen=True)
class Capex:
    servers_usd: float
    network_switches_usd: float
    optics_cables_usd: float
    storage_usd: float
    racks_pdus_usd: float

    @property
    def total_usd(self) -> float:
        return (
            self.servers_usd
            + self.network_switches_usd
            + self.optics_cables_usd
            + self.storage_usd
            + self.racks_pdus_usd
        )


@dataclass(frozen=True)
class Opex:
    """Operating cost per year [USD/year]."""

    energy_usd: float
    colocation_usd: float
    support_usd: float

    @property
    def total_usd(self) -> float:
        return self.energy_usd + self.colocation_usd + self.support_usd


@dataclass(frozen=True)
class CostSummary:
    capex: Capex
    opex_per_year: Opex
    amortization_years: float
    gpus: int
    tco_usd: float  # capex + opex over the amortization period
    usd_per_hour: float  # whole build, amortized
    usd_per_gpu_hour: float
    energy_mwh_per_year: float  # facility energy at expected draw
    tco2e_per_year: float


@dataclass(frozen=True)
class RunCost:
    hours: float
    usd: float
    gpu_hours: float
    energy_mwh: float
    tco2e: float


def link_media_usd(link: FabricLink, prices: PriceBook) -> float:
    """Cables and optics of one fabric tier [USD]; optics priced per port end at the link speed."""
    if link.media == "optic":
        return link.cables * (prices.fiber_usd + 2 * link.gbit_s * prices.optic_usd_per_gbit_s)
    per_gbit = {"aoc": prices.aoc_usd_per_gbit_s, "dac": prices.dac_usd_per_gbit_s}.get(link.media)
    if per_gbit is not None:
        return link.cables * link.gbit_s * per_gbit
    return link.cables * prices.copper_usd


def network_capex(
    fabrics: Sequence[FabricDesign], oob: OobDesign | None, prices: PriceBook = PriceBook()
) -> tuple[float, float]:
    """(switches, optics and cables) [USD] of all fabrics and the out-of-band network."""
    switches = sum(f.switch_count * f.switch.list_price_usd for f in fabrics)
    media = sum(link_media_usd(link, prices) for f in fabrics for link in f.links)
    if oob is not None:
        switches += oob.switch_count * oob.switch.list_price_usd
        media += (oob.device_cables + oob.uplink_cables) * prices.copper_usd
    return switches, media


def capex(
    *,
    server: ServerSpec,
    server_count: int,
    fabrics: Sequence[FabricDesign] = (),
    oob: OobDesign | None = None,
    storage: StoragePlan | None = None,
    rack: RackSpec | None = None,
    racks: int = 0,
    pdus: int = 0,
    prices: PriceBook = PriceBook(),
) -> Capex:
    """Capital cost by category [USD]."""
    switches_usd, media_usd = network_capex(fabrics, oob, prices)
    storage_usd = storage.system_count * storage.system.list_price_usd if storage else 0.0
    rack_usd = racks * rack.list_price_usd if rack else 0.0
    return Capex(
        servers_usd=server_count * server.list_price_usd,
        network_switches_usd=switches_usd,
        optics_cables_usd=media_usd,
        storage_usd=storage_usd,
        racks_pdus_usd=rack_usd + pdus * prices.pdu_usd,
    )


def energy_mwh(it_kw: float, pue: float, hours: float) -> float:
    """Facility energy [MWh] for an IT load over `hours`."""
    return it_kw * pue * hours / 1000


def tco2e(energy_mwh_: float, grid_gco2_per_kwh: float) -> float:
    """Emissions [t CO2e] of `energy_mwh_` at a grid intensity [g CO2e/kWh]: MWh x 1,000 kWh x g / 1e6."""
    return energy_mwh_ * grid_gco2_per_kwh / 1000


def opex_per_year(
    *,
    it_expected_kw: float,
    it_nameplate_kw: float,
    site: SiteSpec,
    capex_usd: float,
    prices: PriceBook = PriceBook(),
) -> Opex:
    """Energy at expected draw x PUE x USD/kWh, colocation on provisioned (nameplate) IT kW, optional support."""
    return Opex(
        energy_usd=energy_mwh(it_expected_kw, site.pue, HOURS_PER_YEAR) * 1000 * site.usd_per_kwh,
        colocation_usd=site.colo_usd_per_kw_month * 12 * it_nameplate_kw,
        support_usd=capex_usd * prices.support_fraction_per_year,
    )


def cost_summary(capex_: Capex, opex_: Opex, *, gpus: int, site: SiteSpec, it_expected_kw: float) -> CostSummary:
    """TCO over the amortization period and the hourly rates derived from it (100% allocation)."""
    years = site.amortization_years
    tco = capex_.total_usd + opex_.total_usd * years
    per_hour = tco / (years * HOURS_PER_YEAR)
    mwh = energy_mwh(it_expected_kw, site.pue, HOURS_PER_YEAR)
    return CostSummary(
        capex=capex_,
        opex_per_year=opex_,
        amortization_years=years,
        gpus=gpus,
        tco_usd=tco,
        usd_per_hour=per_hour,
        usd_per_gpu_hour=per_hour / gpus if gpus else 0.0,
        energy_mwh_per_year=mwh,
        tco2e_per_year=tco2e(mwh, site.grid_gco2_per_kwh),
    )


def run_cost(summary: CostSummary, hours: float, *, it_expected_kw: float, site: SiteSpec) -> RunCost:
    """Cost, GPU-hours, energy and emissions of a run of `hours` on the whole build."""
    mwh = energy_mwh(it_expected_kw, site.pue, hours)
    return RunCost(
        hours=hours,
        usd=summary.usd_per_hour * hours,
        gpu_hours=summary.gpus * hours,
        energy_mwh=mwh,
        tco2e=tco2e(mwh, site.grid_gco2_per_kwh),
    )


def usd_per_million_tokens(summary: CostSummary, tokens_per_s: float, utilization: float = 1.0) -> float:
    """Serving cost [USD per 1e6 tokens] at a sustained token rate and a fraction of time at that rate."""
    if tokens_per_s <= 0 or utilization <= 0:
        raise ValueError("token rate and utilization must be positive")
    return summary.usd_per_hour / (tokens_per_s * utilization * 3600) * 1e6
