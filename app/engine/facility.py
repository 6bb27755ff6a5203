"""Racks, power and cooling of a build: servers per rack and the binding limit, elevations, IT and facility power.

Units: power in W or kW as named, heat in BTU/h and refrigeration tons, rack space in U.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.engine.specs import RackSpec, ServerSpec, SiteSpec, SwitchSpec

BTU_H_PER_W = 3.412  # 1 W = 3.412 BTU/h (NIST SP 811, Appendix B: 1 BTU_IT/h = 0.2930711 W)
KW_PER_REFRIGERATION_TON = 3.517  # 1 ton = 12,000 BTU/h = 3.517 kW (ASHRAE Fundamentals, unit conversions)
AIR_COOLED_RACK_KW_WARNING = 40.0  # air above ~30-40 kW per rack needs containment or rear-door HX (DESIGN.md s3)
ACCELERATOR_IDLE_FRACTION = 0.3  # accelerator draw = TDP x (0.3 + 0.7 x utilization) (DESIGN.md s3; assumption)
HOST_LOAD_FRACTION = 0.6  # assumption: CPUs, NVSwitch, fans, NICs draw ~60% of their nameplate share under load
PDU_KW = 17.3  # assumption: one 208 V 3-phase 60 A PDU at 80% continuous = 208 x 60 x sqrt(3) x 0.8 W
CABLE_MANAGER_U = 1  # assumption: one 1U horizontal cable manager under the top-of-rack switches


@dataclass(frozen=True)
class RackItem:
    """One item of a rack elevation. `u_start` is the lowest U occupied (1 = bottom); 0U items have u_height 0."""

    u_start: int
    u_height: int
    kind: str  # server / leaf / mgmt / cable / blank / pdu
    label: str


@dataclass(frozen=True)
class RackFit:
    """How many servers fit in one rack and which limit binds."""

    servers_per_rack: int
    binding_limit: str  # power / space / weight / cooling
    power_limit: int
    space_limit: int
    weight_limit: int | None  # None when the rack profile gives no weight limit
    cooling_ok: bool
    rack_limit_kw: float  # rack power x circuit derating
    reserved_u: int
    reserved_w: float
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RackLayout:
    """A group of identical racks with their elevation and power."""

    count: int
    servers: int
    items: tuple[RackItem, ...]
    nameplate_kw: float
    expected_kw: float
    limit_kw: float
    pdus: int


@dataclass(frozen=True)
class PowerSummary:
    """IT and facility power, heat and feeds for the whole build."""

    it_nameplate_kw: float
    it_expected_kw: float
    pue: float
    facility_nameplate_kw: float
    facility_expected_kw: float
    heat_kw: float  # design heat load = IT nameplate
    heat_btu_h: float
    cooling_tons: float
    expected_heat_btu_h: float
    feeds_per_rack: int  # 2 for A/B: each feed sized for the full rack
    feed_kw_per_rack: float  # capacity each feed must carry [kW]
    provisioned_feed_kw: float  # sum over all feeds of all compute racks [kW]


@dataclass(frozen=True)
class FacilityPlan:
    fit: RackFit
    rack_count: int
    layouts: tuple[RackLayout, ...]
    power: PowerSummary
    cooling: str  # air / liquid
    warnings: tuple[str, ...]


def server_expected_w(server: ServerSpec, utilization: float) -> float:
    """Expected draw of one server [W]: accelerators TDP x (0.3 + 0.7 u) plus a share of the host nameplate."""
    accel_tdp_w = server.gpu_count * server.accelerator.tdp_w
    host_w = max(0.0, server.max_power_w - accel_tdp_w)
    draw = accel_tdp_w * (ACCELERATOR_IDLE_FRACTION + (1 - ACCELERATOR_IDLE_FRACTION) * utilization)
    return min(server.max_power_w, draw + host_w * HOST_LOAD_FRACTION)


def heat_btu_h(power_w: float) -> float:
    """Heat rejected [BTU/h] by `power_w` of IT load (all electrical power ends as heat)."""
    return power_w * BTU_H_PER_W


def refrigeration_tons(power_kw: float) -> float:
    """Cooling capacity [refrigeration tons] to remove `power_kw` of heat."""
    return power_kw / KW_PER_REFRIGERATION_TON


def rack_fit(
    server: ServerSpec,
    rack: RackSpec,
    site: SiteSpec,
    *,
    reserved_u: int = 0,
    reserved_w: float = 0.0,
    reserved_kg: float = 0.0,
) -> RackFit:
    """Servers per rack = min(power, space, weight, cooling) limits; `reserved_*` is taken by switches etc.

    A rack-scale system (e.g. GB200 NVL72) that fills the cabinet brings its own switch trays and power shelves,
    so nothing is reserved for it."""
    if is_rack_scale(server, rack):
        reserved_u, reserved_w, reserved_kg = 0, 0.0, 0.0
    limit_kw = rack.power_kw * site.circuit_derating
    power = max(0, math.floor((limit_kw * 1000 - reserved_w) / server.max_power_w))
    space = max(0, (rack.rack_units - reserved_u) // server.rack_units)
    weight = None
    if rack.max_weight_kg > 0 and server.weight_kg > 0:
        weight = max(0, math.floor((rack.max_weight_kg - reserved_kg) / server.weight_kg))
    cooling_ok = not (server.cooling == "liquid" and rack.cooling != "liquid")
    limits = {"power": power, "space": space}
    if weight is not None:
        limits["weight"] = weight
    binding = min(limits, key=lambda name: limits[name])
    count = limits[binding]
    if not cooling_ok:
        binding, count = "cooling", 0
    warnings = _fit_warnings(server, rack, count, binding)
    return RackFit(
        servers_per_rack=count,
        binding_limit=binding,
        power_limit=power,
        space_limit=space,
        weight_limit=weight,
        cooling_ok=cooling_ok,
        rack_limit_kw=limit_kw,
        reserved_u=reserved_u,
        reserved_w=reserved_w,
        warnings=warnings,
    )


def is_rack_scale(server: ServerSpec, rack: RackSpec) -> bool:
    """True when one system is the whole cabinet (it needs more than half the rack's units)."""
    return rack.rack_units / 2 < server.rack_units <= rack.rack_units


def _fit_warnings(server: ServerSpec, rack: RackSpec, count: int, binding: str) -> tuple[str, ...]:
    notes = []
    if binding == "cooling":
        notes.append(f"{server.slug} is liquid-cooled and needs a liquid-cooled rack, not {rack.slug} ({rack.cooling})")
    elif count == 0:
        notes.append(f"no {server.slug} fits in {rack.slug}: the {binding} limit binds")
    rack_kw = count * server.max_power_w / 1000
    if rack.cooling == "air" and rack_kw > AIR_COOLED_RACK_KW_WARNING:
        notes.append(f"{rack_kw:.1f} kW per air-cooled rack exceeds ~{AIR_COOLED_RACK_KW_WARNING:g} kW: it needs "
                     f"containment or a rear-door heat exchanger; check that {rack.slug} provides one")
    return tuple(notes)


def rack_elevation(
    server: ServerSpec,
    servers: int,
    rack: RackSpec,
    *,
    mgmt_switch: SwitchSpec | None = None,
    tor_switches: tuple[SwitchSpec, ...] = (),
    pdus: int = 2,
) -> tuple[RackItem, ...]:
    """Elevation of one rack: servers from U1 up, switches at the top, cable manager below them, blanks between."""
    items: list[RackItem] = [RackItem(0, 0, "pdu", f"PDU {i + 1} (0U, vertical)") for i in range(pdus)]
    u = 1
    for index in range(servers):
        items.append(RackItem(u, server.rack_units, "server", f"{server.name} #{index + 1}"))
        u += server.rack_units
    top = rack.rack_units + 1
    for switch, kind in [(mgmt_switch, "mgmt")] + [(s, "leaf") for s in tor_switches]:
        if switch is not None and top - switch.rack_units >= u:
            top -= switch.rack_units
            items.append(RackItem(top, switch.rack_units, kind, switch.name))
    if top - CABLE_MANAGER_U >= u and (mgmt_switch is not None or tor_switches):
        top -= CABLE_MANAGER_U
        items.append(RackItem(top, CABLE_MANAGER_U, "cable", "Horizontal cable manager"))
    if top > u:
        items.append(RackItem(u, top - u, "blank", "Blanking panels"))
    return tuple(sorted(items, key=lambda item: (item.u_start, item.kind)))


def pdus_per_rack(rack_kw: float, feed_redundancy: str, pdu_kw: float = PDU_KW) -> int:
    """PDUs per rack: enough for the full rack load on each feed (A/B: two feeds) [count]."""
    feeds = 2 if feed_redundancy == "a+b" else 1
    return feeds * max(1, math.ceil(rack_kw / pdu_kw))


def plan_facility(
    server: ServerSpec,
    server_count: int,
    rack: RackSpec,
    site: SiteSpec,
    *,
    utilization: float = 1.0,
    mgmt_switch: SwitchSpec | None = None,
    tor_switches: tuple[SwitchSpec, ...] = (),
    other_it_w: float = 0.0,
) -> FacilityPlan:
    """Racks, elevations and power for `server_count` servers; `other_it_w` is IT load outside compute racks
    (spine switches, storage), counted at nameplate in both the nameplate and the expected totals."""
    top = ((mgmt_switch,) if mgmt_switch else ()) + tor_switches
    reserved_u = sum(s.rack_units for s in top) + (CABLE_MANAGER_U if top else 0)
    fit = rack_fit(server, rack, site, reserved_u=reserved_u, reserved_w=sum(s.max_power_w for s in top))
    if fit.servers_per_rack == 0 or server_count == 0:
        return _empty_plan(fit, rack, site)
    full, rest = divmod(server_count, fit.servers_per_rack)
    groups = [(full, fit.servers_per_rack)] + ([(1, rest)] if rest else [])
    layouts = tuple(
        _layout(server, n, count, rack, site, utilization, mgmt_switch, tor_switches) for count, n in groups if count
    )
    power = _power_summary(layouts, site, other_it_w)
    warnings = fit.warnings + _power_warnings(layouts)
    return FacilityPlan(fit, full + (1 if rest else 0), layouts, power, rack.cooling, warnings)


def _layout(
    server: ServerSpec,
    servers: int,
    count: int,
    rack: RackSpec,
    site: SiteSpec,
    utilization: float,
    mgmt_switch: SwitchSpec | None,
    tor_switches: tuple[SwitchSpec, ...],
) -> RackLayout:
    if is_rack_scale(server, rack):  # its switch trays and power shelves are part of the system
        mgmt_switch, tor_switches = None, ()
    switches_w = sum(s.max_power_w for s in ((mgmt_switch,) if mgmt_switch else ()) + tor_switches)
    nameplate_kw = (servers * server.max_power_w + switches_w) / 1000
    expected_kw = (servers * server_expected_w(server, utilization) + switches_w) / 1000
    pdus = pdus_per_rack(nameplate_kw, site.feed_redundancy)
    items = rack_elevation(server, servers, rack, mgmt_switch=mgmt_switch, tor_switches=tor_switches, pdus=pdus)
    limit_kw = rack.power_kw * site.circuit_derating
    return RackLayout(count, servers, items, nameplate_kw, expected_kw, limit_kw, pdus)


def _power_summary(layouts: tuple[RackLayout, ...], site: SiteSpec, other_it_w: float) -> PowerSummary:
    it_kw = sum(layout.count * layout.nameplate_kw for layout in layouts) + other_it_w / 1000
    expected_kw = sum(layout.count * layout.expected_kw for layout in layouts) + other_it_w / 1000
    feeds = 2 if site.feed_redundancy == "a+b" else 1
    feed_kw = max((layout.nameplate_kw for layout in layouts), default=0.0)
    provisioned = feeds * sum(layout.count * layout.nameplate_kw for layout in layouts)
    return PowerSummary(
        it_nameplate_kw=it_kw,
        it_expected_kw=expected_kw,
        pue=site.pue,
        facility_nameplate_kw=it_kw * site.pue,
        facility_expected_kw=expected_kw * site.pue,
        heat_kw=it_kw,
        heat_btu_h=heat_btu_h(it_kw * 1000),
        cooling_tons=refrigeration_tons(it_kw),
        expected_heat_btu_h=heat_btu_h(expected_kw * 1000),
        feeds_per_rack=feeds,
        feed_kw_per_rack=feed_kw,
        provisioned_feed_kw=provisioned,
    )


def _power_warnings(layouts: tuple[RackLayout, ...]) -> tuple[str, ...]:
    return tuple(
        f"rack draws {layout.nameplate_kw:.1f} kW at nameplate, above its {layout.limit_kw:.1f} kW derated limit"
        for layout in layouts
        if layout.nameplate_kw > layout.limit_kw + 1e-9
    )


def _empty_plan(fit: RackFit, rack: RackSpec, site: SiteSpec) -> FacilityPlan:
    power = _power_summary((), site, 0.0)
    return FacilityPlan(fit, 0, (), power, rack.cooling, fit.warnings)
