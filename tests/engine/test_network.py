"""Fabric sizing against the NVIDIA DGX SuperPOD H100 reference architecture and hand-checked fat trees.

Reference: NVIDIA DGX SuperPOD H100 Reference Architecture, RA-11333-001 V11 (2023-09-22),
docs.nvidia.com/dgx-superpod/reference-architecture-scalable-infrastructure-h100/latest/network-fabrics.html
- Table 4 "Compute fabric component count" (SU, nodes, GPUs, leaf, spine, compute+UFM cables, spine-leaf cables).
- Table 3 "Larger SuperPOD component counts" (leaf, spine, core, node-leaf, leaf-spine, spine-core).
- Table 7: 4 UFM appliances; Table 8: 2,040 NDR 400G cables (node-leaf + leaf-spine), 1,536 switch OSFP
  transceivers, 508 DGX OSFP transceivers (four twin-port OSFP cages per DGX H100).
"""

import pytest

from app.engine.network import design_fabric, design_frontend, design_oob, leaf_port_split, smallest_divisor_at_least
from app.engine.specs import SwitchSpec

# NVIDIA Quantum-2 QM9700: 64 x NDR 400 Gb/s ports in 32 twin-port OSFP cages, 1U, 1,720 W max with active
# cables/optics (NVIDIA QM9700 datasheet); price is a placeholder for the tests.
QM9700 = SwitchSpec("qm9700", "NVIDIA Quantum-2 QM9700", "920-9B210-00FN-0M0", "infiniband", 64, 400.0, 1, 1720.0, 1.0)
# NVIDIA SN2201: 48 x 1GbE RJ45 + 4 x 100GbE, 1U (SuperPOD RA Table 1 "48 port 1 Gbps Ethernet switch");
# ~98 W typical (NVIDIA SN2201 datasheet); price placeholder.
SN2201 = SwitchSpec("sn2201", "NVIDIA SN2201", "920-9N110-00F1-0C0", "management", 48, 1.0, 1, 98.0, 1.0)
# NVIDIA SN4600C: 64 x 100GbE QSFP28, 2U (SuperPOD RA Table 1 / Table 7 in-band management switch).
SN4600C = SwitchSpec("sn4600c", "NVIDIA SN4600C", "920-9N302-00F7-0C2", "ethernet", 64, 100.0, 2, 880.0, 1.0)

UFM_APPLIANCES = 4  # RA-11333-001 Table 7


def superpod(nodes: int, ufm: int = UFM_APPLIANCES):
    return design_fabric(
        8, nodes, 400.0, QM9700, extra_endpoints=ufm, nic_ports_per_transceiver=2, switch_ports_per_transceiver=2
    )


def test_superpod_h100_127_nodes_reference() -> None:
    fabric = superpod(127)
    assert fabric.nodes * 8 == 1016
    assert fabric.tiers == 2
    assert (fabric.leaf_count, fabric.spine_count, fabric.core_count) == (32, 16, 0)
    assert fabric.node_leaf_cables == 1020  # 1,016 GPU ports + 4 UFM links
    assert fabric.leaf_spine_cables == 1024
    assert fabric.scalable_units == 4
    assert fabric.rails == 8


def test_superpod_h100_transceivers_match_table_8() -> None:
    fabric = superpod(127)
    assert fabric.node_transceivers == 508
    assert fabric.switch_transceivers == 1536  # every cage of the 48 switches
    assert fabric.extra_transceivers == UFM_APPLIANCES
    assert fabric.node_leaf_cables - UFM_APPLIANCES + fabric.leaf_spine_cables == 2040


@pytest.mark.parametrize(
    ("nodes", "leaves", "spines", "compute_ufm_cables", "spine_leaf_cables"),
    [(31, 8, 4, 252, 256), (63, 16, 8, 508, 512), (95, 24, 16, 764, 768), (127, 32, 16, 1020, 1024)],
)
def test_superpod_h100_table_4(nodes: int, leaves: int, spines: int, compute_ufm_cables: int, spine_leaf_cables: int):
    fabric = superpod(nodes)
    assert (fabric.leaf_count, fabric.spine_count) == (leaves, spines)
    assert (fabric.node_leaf_cables, fabric.leaf_spine_cables) == (compute_ufm_cables, spine_leaf_cables)


@pytest.mark.parametrize(
    ("nodes", "leaves", "spines", "cores", "cables"),
    [
        (128, 32, 16, 0, 1024),
        (256, 64, 32, 0, 2048),
        (512, 128, 128, 64, 4096),
        (1024, 256, 256, 128, 8192),
        (2048, 512, 512, 256, 16384),
    ],
)
def test_superpod_h100_table_3_larger_pods(nodes: int, leaves: int, spines: int, cores: int, cables: int) -> None:
    fabric = superpod(nodes, ufm=0)
    assert (fabric.leaf_count, fabric.spine_count, fabric.core_count) == (leaves, spines, cores)
    assert fabric.tiers == (3 if cores else 2)
    assert fabric.node_leaf_cables == cables
    assert fabric.leaf_spine_cables == cables
    assert fabric.spine_core_cables == (cables if cores else 0)


def test_switch_power_and_count() -> None:
    fabric = superpod(127)
    assert fabric.switch_count == 48  # Table 7: 48 compute fabric QM9700
    assert fabric.switch_power_w == 1720.0
    assert fabric.power_w == pytest.approx(48 * 1720.0)


def test_single_switch_when_ports_fit() -> None:
    fabric = design_fabric(8, 8, 400.0, QM9700)  # 64 ports on a 64-port switch
    assert (fabric.tiers, fabric.switch_count, fabric.leaf_spine_cables) == (1, 1, 0)
    assert fabric.node_leaf_cables == 64


def test_small_cluster_packs_rails_per_leaf() -> None:
    fabric = design_fabric(8, 16, 400.0, QM9700)  # 128 ports; 16 nodes x 2 rails = 32 down ports per leaf
    assert fabric.leaf_count == 4
    assert fabric.spine_count == 2  # 4 x 32 uplinks / 64 ports
    assert fabric.leaf_spine_cables == 128


def test_al_fares_two_tier_limit_is_k_squared_over_two() -> None:
    at_limit = design_fabric(1, 2048, 400.0, QM9700)  # 64^2 / 2 = 2,048 endpoints
    beyond = design_fabric(1, 2049, 400.0, QM9700)
    assert at_limit.tiers == 2 and (at_limit.leaf_count, at_limit.spine_count) == (64, 32)
    assert beyond.tiers == 3


def test_three_tier_limit_is_k_cubed_over_four() -> None:
    k = 8
    small = SwitchSpec("k8", "8-port", "", "ethernet", k, 100.0, 1, 100.0, 1.0)
    full = design_fabric(1, k**3 // 4, 100.0, small)  # 128 hosts: Al-Fares k=8 -> 32 edge, 32 agg, 16 core
    assert (full.leaf_count, full.spine_count, full.core_count) == (32, 32, 16)
    with pytest.raises(ValueError, match="three-tier"):
        design_fabric(1, k**3 // 4 + 4, 100.0, small)


def test_oversubscription_reduces_uplinks() -> None:
    assert leaf_port_split(64, 1.0) == (32, 32)
    assert leaf_port_split(64, 3.0) == (48, 16)
    blocking = design_fabric(8, 96, 400.0, QM9700, oversubscription=3.0)  # 2 SUs of 48 nodes
    assert (blocking.leaf_count, blocking.leaf_up_ports) == (16, 16)
    assert blocking.leaf_spine_cables == 256
    assert blocking.spine_count == 4
    assert any("oversubscribed" in w for w in blocking.warnings)


def test_spine_count_divides_leaf_uplinks() -> None:
    assert smallest_divisor_at_least(32, 12) == 16
    assert smallest_divisor_at_least(32, 4) == 4
    assert smallest_divisor_at_least(48, 5) == 6


def test_nic_faster_than_port_takes_two_ports() -> None:
    fabric = design_fabric(8, 32, 800.0, QM9700)  # 800G NICs on 400G ports: 16 rails
    assert fabric.rails == 16
    assert fabric.node_leaf_cables == 512


def test_dac_media_needs_no_transceivers() -> None:
    fabric = design_fabric(8, 127, 400.0, QM9700, node_media="dac", fabric_media="aoc")
    assert fabric.transceivers == 0
    assert {link.media for link in fabric.links} == {"dac", "aoc"}


def test_frontend_sized_from_frontend_nics_and_storage() -> None:
    front = design_frontend(127, 2, 100.0, SN4600C, storage_ports=16)
    assert front.node_leaf_cables == 127 * 2 + 16
    assert front.leaf_count == 10  # ceil((127 + 8) / 32) = 5 SUs x 2 rails
    assert front.spine_count == 8  # 10 x 32 / 64 = 5 -> next divisor of 32
    assert front.name == "frontend"


def test_oob_one_switch_per_rack() -> None:
    oob = design_oob(32, 4 + 1 + 4, SN2201)  # 4 BMCs, 1 switch, 4 PDUs per rack
    assert oob.switch_count == 32
    assert oob.device_cables == 288
    assert oob.uplink_cables == 64
    assert design_oob(2, 60, SN2201).switches_per_rack == 2  # 60 devices > 46 usable ports
