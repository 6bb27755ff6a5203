"""One candidate build: compute nodes -> racks -> networks -> storage -> power -> cost -> bill of materials.

Composes facility.py, network.py, storage.py and cost.py; the compute sizing (how many servers) comes in as
`ComputeNeed`. Pure: every hardware spec and site assumption is an argument.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from app.engine.cost import (
    CostSummary,
    PriceBook,
    RunCost,
    capex,
    cost_summary,
    link_media_usd,
    opex_per_year,
    run_cost,
)
from app.engine.errors import InfeasibleError
from app.engine.facility import FacilityPlan, PowerSummary, RackItem, RackLayout, pdus_per_rack, plan_facility
from app.engine.network import FabricDesign, OobDesign, design_fabric, design_frontend, design_oob
from app.engine.specs import RackSpec, ServerSpec, SiteSpec, StorageSpec, SwitchSpec
from app.engine.storage import StorageNeed, StoragePlan, size_storage

# NVIDIA DGX SuperPOD H100 RA-11333-001 Table 7: four UFM appliances attach to the compute fabric leaves of a
# multi-SU InfiniBand pod. Smaller fabrics run the subnet manager on a switch (no extra endpoints).
MAX_RAILS = 8  # rails per scalable unit in the DGX SuperPOD reference architectures
UFM_PORTS = 4
SU_NODES = 32  # DGX SuperPOD scalable unit (RA-11333-001 "System Design")
TWIN_PORT_GBIT_S = 400.0  # NDR 400G InfiniBand uses twin-port OSFP cages (2 ports per transceiver), QM9700 datasheet
AUX_RESERVED_U = 1  # assumption: top U of a network/storage rack holds its management switch


@dataclass(frozen=True)
class ComputeNeed:
    """What the compute sizing decided for one candidate."""

    active_servers: int
    spare_servers: int
    utilization: float  # expected accelerator utilization (for the expected power draw)
    needs_compute_fabric: bool  # multi-node jobs need the scale-out fabric
    storage: StorageNeed
    run_hours: float | None  # length of a training run [h]; None = serving all year


@dataclass(frozen=True)
class Hardware:
    """Catalog parts available to a build."""

    rack: RackSpec  # compute racks
    aux_rack: RackSpec  # network and storage racks
    switches: tuple[SwitchSpec, ...]
    storage_systems: tuple[StorageSpec, ...]


@dataclass(frozen=True)
class BomLine:
    category: str  # servers / network / optics / storage / racks
    slug: str
    part_number: str
    description: str
    qty: int
    unit_usd: float

    @property
    def extended_usd(self) -> float:
        return self.qty * self.unit_usd


@dataclass(frozen=True)
class Build:
    server: ServerSpec
    need: ComputeNeed
    facility: FacilityPlan
    aux_racks: tuple[tuple[str, RackLayout], ...]  # (name, layout) of network and storage racks
    compute_fabric: FabricDesign | None
    frontend: FabricDesign | None
    oob: OobDesign | None
    storage: StoragePlan
    power: PowerSummary
    cost: CostSummary
    run: RunCost | None
    bom: tuple[BomLine, ...]
    warnings: tuple[str, ...]

    @property
    def servers(self) -> int:
        return self.need.active_servers + self.need.spare_servers

    @property
    def gpus(self) -> int:
        return self.servers * self.server.gpu_count

    @property
    def total_racks(self) -> int:
        return self.facility.rack_count + sum(layout.count for _, layout in self.aux_racks)


def _closest_port(switches: list[SwitchSpec], gbit_s: float) -> list[SwitchSpec]:
    return sorted(switches, key=lambda s: (abs(math.log(s.port_gbit_s / gbit_s)), -s.ports, s.list_price_usd))


def choose_compute_switch(server: ServerSpec, switches: tuple[SwitchSpec, ...]) -> SwitchSpec | None:
    """InfiniBand for NVIDIA accelerators, Ethernet (RoCE) otherwise; port speed closest to the NIC."""
    data = [s for s in switches if s.fabric in ("infiniband", "ethernet") and s.port_gbit_s >= 100]
    if not data or server.compute_nic_gbit_s <= 0:
        return None
    prefer = "infiniband" if server.accelerator.vendor.lower() == "nvidia" else "ethernet"
    preferred = [s for s in data if s.fabric == prefer] or data
    return _closest_port(preferred, server.compute_nic_gbit_s)[0]


def choose_frontend_switch(server: ServerSpec, switches: tuple[SwitchSpec, ...]) -> SwitchSpec | None:
    data = [s for s in switches if s.fabric == "ethernet"]
    fast_enough = [s for s in data if s.port_gbit_s >= server.frontend_nic_gbit_s] or data
    return _closest_port(fast_enough, max(server.frontend_nic_gbit_s, 1.0))[0] if fast_enough else None


def choose_mgmt_switch(switches: tuple[SwitchSpec, ...]) -> SwitchSpec | None:
    data = sorted((s for s in switches if s.fabric == "management"), key=lambda s: s.list_price_usd)
    return data[0] if data else None


def compute_fabric(server: ServerSpec, nodes: int, switch: SwitchSpec) -> FabricDesign:
    """Rail-optimized fat tree of the compute NICs (UFM ports on multi-SU InfiniBand pods).

    Rails are NIC positions of an 8-GPU node (SuperPOD: 8 rails). A system with more NICs (a GB200 NVL72 rack has
    72) counts as several rail groups of at most MAX_RAILS, so no rail is a near-empty fabric of its own."""
    infiniband = switch.fabric == "infiniband"
    twin = 2 if infiniband and switch.port_gbit_s == TWIN_PORT_GBIT_S else 1
    extra = UFM_PORTS if infiniband and nodes > SU_NODES else 0
    groups = math.ceil(server.compute_nic_count / MAX_RAILS) if server.compute_nic_count else 1
    rails = math.ceil(server.compute_nic_count / groups)
    return design_fabric(rails, nodes * groups, server.compute_nic_gbit_s, switch, extra_endpoints=extra,
                         nic_ports_per_transceiver=twin, switch_ports_per_transceiver=twin)


def choose_storage(need: StorageNeed, systems: tuple[StorageSpec, ...]) -> StoragePlan:
    """Cheapest storage system count that meets capacity and bandwidth."""
    plans = []
    for system in systems:
        try:
            plans.append(size_storage(need, system))
        except InfeasibleError:
            continue
    if not plans:
        raise InfeasibleError("no storage system in the catalog meets the storage need",
                              [f"{need.capacity_tb:.0f} TB, {need.read_gbyte_s:.0f} GB/s read"])
    return min(plans, key=lambda p: (p.system_count * p.system.list_price_usd, p.system.slug))


def storage_ports(plan: StoragePlan, port_gbit_s: float) -> int:
    """Frontend ports of the storage systems: enough to carry their read bandwidth, at least two (A/B)."""
    per_system = max(2, math.ceil(plan.system.read_gbyte_s * 8 / port_gbit_s))
    return plan.system_count * per_system


def stack_racks(items: list[tuple[str, str, int, float]], rack: RackSpec, site: SiteSpec) -> list[RackLayout]:
    """Fill racks bottom-up with (label, kind, U, W) items within the rack's space and derated power;
    consecutive racks with identical contents come back as one layout with a count."""
    limit_w = rack.power_kw * site.circuit_derating * 1000
    racks: list[list[tuple[str, str, int, float]]] = []
    used_u, used_w = rack.rack_units, limit_w + 1
    for item in items:
        if used_u + item[2] > rack.rack_units - AUX_RESERVED_U or used_w + item[3] > limit_w:
            racks.append([])
            used_u, used_w = 0, 0.0
        racks[-1].append(item)
        used_u, used_w = used_u + item[2], used_w + item[3]
    groups: list[tuple[list[tuple[str, str, int, float]], int]] = []
    for content in racks:
        if groups and groups[-1][0] == content:
            groups[-1] = (content, groups[-1][1] + 1)
        else:
            groups.append((content, 1))
    return [replace(_aux_layout(content, rack, site), count=count) for content, count in groups]


def _aux_layout(content: list[tuple[str, str, int, float]], rack: RackSpec, site: SiteSpec) -> RackLayout:
    kw = sum(item[3] for item in content) / 1000
    pdus = pdus_per_rack(kw, site.feed_redundancy)
    items = [RackItem(0, 0, "pdu", f"PDU {i + 1} (0U, vertical)") for i in range(pdus)]
    u = 1
    for label, kind, ru, _ in content:
        items.append(RackItem(u, ru, kind, label))
        u += ru
    if u <= rack.rack_units - AUX_RESERVED_U:
        items.append(RackItem(u, rack.rack_units - AUX_RESERVED_U - u + 1, "blank", "Blanking panels"))
    items.append(RackItem(rack.rack_units, AUX_RESERVED_U, "mgmt", "Management switch"))
    return RackLayout(1, 0, tuple(items), kw, kw, rack.power_kw * site.circuit_derating, pdus)


def _switch_items(fabrics: list[FabricDesign]) -> list[tuple[str, str, int, float]]:
    items = []
    for f in fabrics:
        for tier, count in (("leaf", f.leaf_count), ("spine", f.spine_count), ("core", f.core_count)):
            items += [(f"{f.switch.name} ({f.name} {tier})", tier, f.switch.rack_units, f.switch.max_power_w)] * count
    return items


def aux_racks(fabrics: list[FabricDesign], storage: StoragePlan, hw: Hardware, site: SiteSpec,
              ) -> tuple[tuple[str, RackLayout], ...]:
    """Network racks (every data-fabric switch) and storage racks, stacked into the auxiliary rack profile."""
    net = stack_racks(_switch_items(fabrics), hw.aux_rack, site)
    s = storage.system
    store = stack_racks([(s.name, "storage", s.rack_units, s.max_power_w)] * storage.system_count, hw.aux_rack, site)
    return tuple([("Network rack", n) for n in net] + [("Storage rack", r) for r in store])


def _capex_lines(server: ServerSpec, nodes: int, fabrics: list[FabricDesign], oob: OobDesign | None,
                 prices: PriceBook) -> list[BomLine]:
    lines = [BomLine("servers", server.slug, server.part_number, server.name, nodes, server.list_price_usd)]
    for f in fabrics:
        sw = f.switch
        lines.append(BomLine("network", sw.slug, sw.part_number, f"{sw.name} ({f.name} fabric)", f.switch_count,
                             sw.list_price_usd))
        for link in f.links:
            unit = link_media_usd(link, prices) / link.cables if link.cables else 0.0
            text = f"{f.name} {link.tier} cable {link.gbit_s:g}G {link.media} ({link.transceivers} transceivers)"
            lines.append(BomLine("optics", f"{f.name}-{link.tier}", "", text, link.cables, unit))
    if oob is not None:
        sw = oob.switch
        lines.append(BomLine("network", sw.slug, sw.part_number, f"{sw.name} (out-of-band management)",
                             oob.switch_count, sw.list_price_usd))
        lines.append(BomLine("optics", "oob-copper", "", "1G copper patch cord (management)",
                             oob.device_cables + oob.uplink_cables, prices.copper_usd))
    return lines


def bill_of_materials(b: Build, hw: Hardware, prices: PriceBook) -> tuple[BomLine, ...]:
    fabrics = [f for f in (b.compute_fabric, b.frontend) if f is not None]
    lines = _capex_lines(b.server, b.servers, fabrics, b.oob, prices)
    st = b.storage.system
    lines.append(BomLine("storage", st.slug, st.part_number, st.name, b.storage.system_count, st.list_price_usd))
    aux = sum(layout.count for _, layout in b.aux_racks)
    lines.append(BomLine("racks", hw.rack.slug, "", f"{hw.rack.name} (compute)", b.facility.rack_count,
                         hw.rack.list_price_usd))
    if aux:
        lines.append(BomLine("racks", hw.aux_rack.slug, "", f"{hw.aux_rack.name} (network/storage)", aux,
                             hw.aux_rack.list_price_usd))
    pdus = _pdus(b.facility, b.aux_racks)
    lines.append(BomLine("racks", "pdu", "", "Rack PDU, 3-phase (A/B feeds)", pdus, prices.pdu_usd))
    return tuple(line for line in lines if line.qty > 0)


def _pdus(facility: FacilityPlan, aux: tuple[tuple[str, RackLayout], ...]) -> int:
    return sum(x.count * x.pdus for x in facility.layouts) + sum(x.count * x.pdus for _, x in aux)


def _networks(server: ServerSpec, need: ComputeNeed, hw: Hardware, storage: StoragePlan,
              ) -> tuple[FabricDesign | None, FabricDesign | None, list[str]]:
    nodes = need.active_servers + need.spare_servers
    notes: list[str] = []
    compute_switch = choose_compute_switch(server, hw.switches)
    fabric = None
    if need.needs_compute_fabric and compute_switch is not None and server.compute_nic_count > 0:
        fabric = compute_fabric(server, nodes, compute_switch)
    elif need.needs_compute_fabric:
        notes.append(f"{server.name} has no compute-fabric NICs (or no fabric switch in the catalog): "
                     "multi-node traffic uses the frontend network")
    fe_switch = choose_frontend_switch(server, hw.switches)
    frontend = None
    if fe_switch is not None and server.frontend_nic_count > 0:
        frontend = design_frontend(nodes, server.frontend_nic_count, server.frontend_nic_gbit_s, fe_switch,
                                   storage_ports=storage_ports(storage, fe_switch.port_gbit_s))
    return fabric, frontend, notes


def plan_build(server: ServerSpec, need: ComputeNeed, hw: Hardware, site: SiteSpec,
               prices: PriceBook = PriceBook()) -> Build:
    """The complete build of one candidate server SKU. Raises InfeasibleError when no server fits a rack."""
    nodes = need.active_servers + need.spare_servers
    storage = choose_storage(need.storage, hw.storage_systems)
    fabric, frontend, notes = _networks(server, need, hw, storage)
    fabrics = [f for f in (fabric, frontend) if f is not None]
    racks_aux = aux_racks(fabrics, storage, hw, site)
    mgmt = choose_mgmt_switch(hw.switches)
    other_w = sum(f.power_w for f in fabrics) + storage.power_w + sum(
        x.count * (mgmt.max_power_w if mgmt else 0.0) for _, x in racks_aux)
    facility = plan_facility(server, nodes, hw.rack, site, utilization=need.utilization, mgmt_switch=mgmt,
                             other_it_w=other_w)
    if facility.fit.servers_per_rack == 0:
        raise InfeasibleError(f"no {server.name} fits a {hw.rack.name} rack: the {facility.fit.binding_limit} "
                              "limit binds", list(facility.fit.warnings))
    oob = _oob(facility, racks_aux, mgmt)
    total_racks = facility.rack_count + sum(x.count for _, x in racks_aux)
    cap = capex(server=server, server_count=nodes, fabrics=fabrics, oob=oob, storage=storage, rack=hw.rack,
                racks=facility.rack_count, pdus=_pdus(facility, racks_aux), prices=prices)
    cap = replace(cap, racks_pdus_usd=cap.racks_pdus_usd + (total_racks - facility.rack_count)
                  * hw.aux_rack.list_price_usd)
    power = facility.power
    opex = opex_per_year(it_expected_kw=power.it_expected_kw, it_nameplate_kw=power.it_nameplate_kw, site=site,
                         capex_usd=cap.total_usd, prices=prices)
    summary = cost_summary(cap, opex, gpus=nodes * server.gpu_count, site=site, it_expected_kw=power.it_expected_kw)
    run = (run_cost(summary, need.run_hours, it_expected_kw=power.it_expected_kw, site=site)
           if need.run_hours else None)
    warnings = tuple(notes) + facility.warnings + tuple(w for f in fabrics for w in f.warnings)
    build = Build(server, need, facility, racks_aux, fabric, frontend, oob, storage, power, summary, run, (), warnings)
    return replace(build, bom=bill_of_materials(build, hw, prices))


def _oob(facility: FacilityPlan, aux: tuple[tuple[str, RackLayout], ...], mgmt: SwitchSpec | None) -> OobDesign | None:
    if mgmt is None:
        return None
    racks = facility.rack_count + sum(x.count for _, x in aux)
    per_rack = max([x.servers + x.pdus + 1 for x in facility.layouts]
                   + [sum(1 for i in x.items if i.kind not in ("blank", "pdu")) + x.pdus for _, x in aux])
    return design_oob(racks, per_rack, mgmt)
