"""Networks of a build: rail-optimized fat-tree compute fabric, frontend/storage fabric, out-of-band management.

Fat tree (Al-Fares, Loukissas, Vahdat, "A Scalable, Commodity Data Center Network Architecture", SIGCOMM 2008):
with switch radix k, one switch serves k endpoints, two tiers serve up to k^2/2 and three tiers up to k^3/4.

Scalable-unit structure (NVIDIA DGX SuperPOD H100 reference architecture, RA-11333-001 V11, 2023-09-22,
"Network Fabrics", Table 3 and Table 4): one leaf per rail per scalable unit (SU); an SU holds as many nodes as a
leaf has downlinks (32 for a 64-port QM9700); leaf-spine cables are provisioned for the full SU even when nodes
are missing; each leaf spreads its uplinks evenly over the spines, so the spine count divides the leaf uplinks
(4 SUs -> 16 spines, 3 SUs -> 16 spines rather than 12). Fabric-manager (UFM) appliances take leaf ports in the
slot of one node (Table 4 footnote: "a DGX system must be removed to accommodate for UFM connectivity").

Transceivers: an optical cable needs one transceiver per end; a twin-port OSFP (2 x 400G in one cage) serves two
ports, so a port count is divided by `ports_per_transceiver` and rounded up per switch. AOC and DAC cables carry
their own ends (no separate transceivers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from app.engine.errors import InfeasibleError
from app.engine.specs import SwitchSpec

MEDIA = ("optic", "aoc", "dac", "copper")  # optic = transceivers + fiber; aoc/dac = integrated ends; copper = RJ45


@dataclass(frozen=True)
class FabricLink:
    """One tier of cabling [cables, Gb/s per cable, transceivers at both ends]."""

    tier: str  # node-leaf / leaf-spine / spine-core
    cables: int
    gbit_s: float
    media: str
    transceivers: int


@dataclass(frozen=True)
class FabricDesign:
    """A switched fabric: switch counts per tier, cabling, transceivers and power."""

    name: str  # compute / frontend
    switch: SwitchSpec
    tiers: int
    rails: int
    nodes: int
    endpoints: int  # node ports plus extra endpoints (fabric managers, storage ports)
    extra_endpoints: int
    oversubscription: float  # leaf downlink : uplink bandwidth
    leaf_down_ports: int
    leaf_up_ports: int
    scalable_units: int
    leaf_count: int
    spine_count: int
    core_count: int
    links: tuple[FabricLink, ...]
    node_transceivers: int  # in the servers
    extra_transceivers: int  # in the extra endpoints
    switch_transceivers: int  # in the switches
    warnings: tuple[str, ...] = ()

    @property
    def switch_slug(self) -> str:
        return self.switch.slug

    @property
    def switch_count(self) -> int:
        return self.leaf_count + self.spine_count + self.core_count

    def cables(self, tier: str) -> int:
        """Cables in one tier [count]; 0 when the tier does not exist."""
        return sum(link.cables for link in self.links if link.tier == tier)

    @property
    def node_leaf_cables(self) -> int:
        return self.cables("node-leaf")

    @property
    def leaf_spine_cables(self) -> int:
        return self.cables("leaf-spine")

    @property
    def spine_core_cables(self) -> int:
        return self.cables("spine-core")

    @property
    def total_cables(self) -> int:
        return sum(link.cables for link in self.links)

    @property
    def transceivers(self) -> int:
        return self.node_transceivers + self.extra_transceivers + self.switch_transceivers

    @property
    def switch_power_w(self) -> float:
        """Maximum power of one switch [W]."""
        return self.switch.max_power_w

    @property
    def power_w(self) -> float:
        """Maximum power of all switches [W] (transceiver power is inside the switch budget)."""
        return self.switch_count * self.switch.max_power_w

    @property
    def rack_units(self) -> int:
        return self.switch_count * self.switch.rack_units


@dataclass(frozen=True)
class OobDesign:
    """Out-of-band management network: one (or more) 1G management switch per rack, copper to every device."""

    switch: SwitchSpec
    racks: int
    switches_per_rack: int
    device_cables: int  # 1G copper, one per managed device (BMC, switch management port, PDU)
    uplink_cables: int  # from each management switch to the in-band / frontend network
    warnings: tuple[str, ...] = ()

    @property
    def switch_slug(self) -> str:
        return self.switch.slug

    @property
    def switch_count(self) -> int:
        return self.racks * self.switches_per_rack

    @property
    def power_w(self) -> float:
        return self.switch_count * self.switch.max_power_w


def leaf_port_split(radix: int, oversubscription: float = 1.0) -> tuple[int, int]:
    """Leaf (downlinks, uplinks) for an r:1 oversubscription [ports]. 1:1 on 64 ports -> (32, 32); 3:1 -> (48, 16)."""
    if oversubscription < 1.0:
        raise ValueError("oversubscription must be >= 1 (1 = non-blocking)")
    down = math.floor(radix * oversubscription / (oversubscription + 1.0))
    up = math.ceil(down / oversubscription)
    while down + up > radix:
        down -= 1
        up = math.ceil(down / oversubscription)
    return down, up


def smallest_divisor_at_least(value: int, minimum: int) -> int:
    """Smallest divisor of `value` that is >= `minimum` (spines so that every leaf has equal links to each)."""
    for candidate in range(max(1, minimum), value + 1):
        if value % candidate == 0:
            return candidate
    return value


def _leaves(rails: int, nodes: int, extra: int, down: int) -> tuple[int, int]:
    """(scalable units, leaf switches): one leaf per rail per SU; small clusters pack several rails per leaf."""
    slots = nodes + math.ceil(extra / rails)  # extra endpoints take the slot of a node (SuperPOD Table 4 note 1)
    if slots >= down:
        units = math.ceil(slots / down)
        return units, units * rails
    rails_per_leaf = max(1, down // slots)
    return 1, math.ceil(rails / rails_per_leaf)


def _spread_transceivers(ports: int, switches: int, ports_per_transceiver: int) -> int:
    """Transceivers when `ports` are spread evenly over `switches`, rounded up per switch [count]."""
    if switches == 0 or ports == 0:
        return 0
    base, rest = divmod(ports, switches)
    per = math.ceil(base / ports_per_transceiver)
    per_plus = math.ceil((base + 1) / ports_per_transceiver)
    return rest * per_plus + (switches - rest) * per


def _switch_tiers(leaves: int, up: int, radix: int) -> tuple[int, int, int, int]:
    """(tiers, spines, cores, spine-core cables) above `leaves` leaves with `up` uplinks each."""
    uplinks = leaves * up
    if leaves <= radix:  # every spine port faces a leaf; at most `up` spines -> at most `radix` leaves
        spines = smallest_divisor_at_least(up, math.ceil(uplinks / radix))
        return 2, spines, 0, 0
    spine_down = radix // 2
    spine_up = radix - spine_down
    if uplinks > spine_down * radix * radix // 2:  # k^3/4 endpoint ports at 1:1 (Al-Fares 2008)
        raise InfeasibleError("fabric exceeds a three-tier fat tree of this switch radix")
    spines = math.ceil(uplinks / spine_down)
    cores = math.ceil(spines * spine_up / radix)
    return 3, spines, cores, spines * spine_up


@dataclass(frozen=True)
class _Shape:
    """Switch counts of a fabric before cabling (internal)."""

    tiers: int
    rails: int
    nodes: int
    extra: int
    down: int
    up: int
    units: int
    leaves: int
    spines: int = 0
    cores: int = 0
    spine_core: int = 0

    @property
    def endpoints(self) -> int:
        return self.nodes * self.rails + self.extra

    @property
    def leaf_spine(self) -> int:
        return self.leaves * self.up  # provisioned for the full scalable unit


def _shape(rails: int, nodes: int, extra: int, ports: int, oversubscription: float) -> _Shape:
    down, up = leaf_port_split(ports, oversubscription)
    if nodes * rails + extra <= ports:
        return _Shape(1, rails, nodes, extra, ports, 0, 1, 1)
    units, leaves = _leaves(rails, nodes, extra, down)
    tiers, spines, cores, spine_core = _switch_tiers(leaves, up, ports)
    return _Shape(tiers, rails, nodes, extra, down, up, units, leaves, spines, cores, spine_core)


def design_fabric(
    endpoints_per_node: int,
    nodes: int,
    nic_gbit_s: float,
    switch: SwitchSpec,
    oversubscription: float = 1.0,
    *,
    extra_endpoints: int = 0,
    name: str = "compute",
    node_media: str = "optic",
    fabric_media: str = "optic",
    nic_ports_per_transceiver: int = 1,
    switch_ports_per_transceiver: int = 1,
) -> FabricDesign:
    """Rail-optimized fat tree for `nodes` servers with `endpoints_per_node` NICs of `nic_gbit_s` each.

    A NIC faster than a switch port takes several ports (one rail each). `extra_endpoints` (fabric managers,
    storage ports) connect to leaves like node ports. 1 tier when all ports fit one switch.
    """
    if nodes < 1 or endpoints_per_node < 1:
        raise ValueError("a fabric needs at least one node with one NIC")
    rails = endpoints_per_node * max(1, math.ceil(nic_gbit_s / switch.port_gbit_s))
    shape = _shape(rails, nodes, extra_endpoints, switch.ports, oversubscription)
    media = (node_media, fabric_media)
    design = _assemble(name, switch, shape, media, (nic_ports_per_transceiver, switch_ports_per_transceiver))
    return replace(
        design, oversubscription=oversubscription, warnings=_fabric_warnings(switch, oversubscription, *media)
    )


def _assemble(
    name: str, switch: SwitchSpec, shape: _Shape, media: tuple[str, str], per_transceiver: tuple[int, int]
) -> FabricDesign:
    """Cables and transceivers per tier from the switch counts."""
    node_media, fabric_media = media
    nic_pp, sw_pp = per_transceiver
    node_optic = node_media == "optic"
    node_tx = shape.nodes * math.ceil(shape.rails / nic_pp) if node_optic else 0
    extra_tx = shape.extra if node_optic else 0
    leaf_down_tx = _spread_transceivers(shape.endpoints, shape.leaves, sw_pp) if node_optic else 0
    fabric_tx = _fabric_transceivers(shape, sw_pp) if fabric_media == "optic" else (0, 0)
    gbit_s = switch.port_gbit_s
    links = [FabricLink("node-leaf", shape.endpoints, gbit_s, node_media, node_tx + extra_tx + leaf_down_tx)]
    if shape.tiers > 1:
        links.append(FabricLink("leaf-spine", shape.leaf_spine, gbit_s, fabric_media, fabric_tx[0]))
    if shape.tiers > 2:
        links.append(FabricLink("spine-core", shape.spine_core, gbit_s, fabric_media, fabric_tx[1]))
    return FabricDesign(
        name=name,
        switch=switch,
        tiers=shape.tiers,
        rails=shape.rails,
        nodes=shape.nodes,
        endpoints=shape.endpoints,
        extra_endpoints=shape.extra,
        oversubscription=1.0,
        leaf_down_ports=shape.down,
        leaf_up_ports=shape.up,
        scalable_units=shape.units,
        leaf_count=shape.leaves,
        spine_count=shape.spines,
        core_count=shape.cores,
        links=tuple(links),
        node_transceivers=node_tx,
        extra_transceivers=extra_tx,
        switch_transceivers=leaf_down_tx + sum(fabric_tx),
    )


def _fabric_transceivers(shape: _Shape, per: int) -> tuple[int, int]:
    """Switch-side transceivers of the (leaf-spine, spine-core) tiers, rounded up per switch [count]."""
    leaf_up = shape.leaves * math.ceil(shape.up / per) if shape.up else 0
    spine_down = _spread_transceivers(shape.leaf_spine, shape.spines, per)
    spine_up = _spread_transceivers(shape.spine_core, shape.spines, per)
    return leaf_up + spine_down, spine_up + _spread_transceivers(shape.spine_core, shape.cores, per)


def _fabric_warnings(switch: SwitchSpec, oversubscription: float, *media: str) -> tuple[str, ...]:
    notes = [f"unknown cable media '{m}' (expected one of {', '.join(MEDIA)})" for m in media if m not in MEDIA]
    if oversubscription > 1.0:
        notes.append(f"leaf uplinks oversubscribed {oversubscription:g}:1; collectives across leaves slow down")
    if switch.fabric == "management":
        notes.append(f"{switch.slug} is a management switch, not a data fabric switch")
    return tuple(notes)


def design_frontend(
    nodes: int,
    nics_per_node: int,
    nic_gbit_s: float,
    switch: SwitchSpec,
    *,
    storage_ports: int = 0,
    oversubscription: float = 1.0,
    media: str = "aoc",
) -> FabricDesign:
    """Frontend / storage Ethernet leaf-spine sized from the frontend NICs plus the storage systems' ports.

    Each frontend NIC of a node goes to a different leaf (the same rail structure gives an A/B leaf pair for two
    NICs). Storage ports attach to leaves at 1:1 like the SuperPOD storage fabric (RA-11333-001, Storage Fabric).
    """
    return design_fabric(
        nics_per_node,
        nodes,
        nic_gbit_s,
        switch,
        oversubscription,
        extra_endpoints=storage_ports,
        name="frontend",
        node_media=media,
        fabric_media=media,
    )


def design_oob(
    racks: int,
    devices_per_rack: int,
    switch: SwitchSpec,
    *,
    uplinks_per_switch: int = 2,
) -> OobDesign:
    """Out-of-band management: one management switch per rack (more if the rack has more devices than ports).

    Devices are every BMC, switch management port and PDU in the rack; each management switch has
    `uplinks_per_switch` uplinks to the in-band network (SuperPOD RA-11333-001 Table 8: "two uplinks per OOB").
    """
    usable = switch.ports - uplinks_per_switch
    if usable < 1:
        raise ValueError("management switch has no ports left after its uplinks")
    per_rack = max(1, math.ceil(devices_per_rack / usable)) if racks else 0
    notes = () if switch.port_gbit_s <= 10 else (f"{switch.slug} is not a 1G management switch",)
    return OobDesign(
        switch=switch,
        racks=racks,
        switches_per_rack=per_rack,
        device_cables=racks * devices_per_rack,
        uplink_cables=racks * per_rack * uplinks_per_switch,
        warnings=notes,
    )
