"""Ring collective times against hand-computed values."""

import pytest

from app.engine.collectives import (
    NETWORK_ALPHA_S,
    NVLINK_ALPHA_S,
    all_to_all_s,
    dedup_all_to_all_s,
    expected_distinct_nodes,
    hierarchical_all_reduce_s,
    ring_all_gather_s,
    ring_all_reduce_s,
    ring_reduce_scatter_s,
)

GIB = 1024**3


def test_ring_all_reduce_formula():
    # 1 GiB over 8 ranks at 100 GB/s: 2 x 7/8 x 1.073741824e9 / 1e11 = 18.79 ms, plus 2 x 7 x 5 us = 70 us
    assert ring_all_reduce_s(GIB, 8, 100e9, 5e-6) == pytest.approx(0.0187905 + 70e-6, rel=1e-5)


def test_reduce_scatter_and_all_gather_are_half_an_all_reduce_without_latency():
    assert ring_reduce_scatter_s(GIB, 8, 100e9, 0.0) == pytest.approx(ring_all_reduce_s(GIB, 8, 100e9, 0.0) / 2)
    assert ring_all_gather_s(GIB, 16, 50e9, 0.0) == pytest.approx(15 / 16 * GIB / 50e9)


def test_single_rank_costs_nothing():
    assert ring_all_reduce_s(GIB, 1, 100e9, 5e-6) == 0.0
    assert all_to_all_s(GIB, 1, 8, 100e9, 10e9) == 0.0


def test_hierarchical_all_reduce_sends_a_shard_over_the_network():
    # 64 ranks, 8 per node: NVLink ring on 1 GiB, then an 8-node ring on 1/8 GiB over the NIC
    intra, inter = 300e9, 40e9
    expected = 2 * 7 / 8 * GIB / intra + 2 * 7 / 8 * (GIB / 8) / inter + 14 * NVLINK_ALPHA_S + 14 * NETWORK_ALPHA_S
    assert hierarchical_all_reduce_s(GIB, 64, 8, intra, inter) == pytest.approx(expected, rel=1e-3)
    flat = ring_all_reduce_s(GIB, 64, inter, 0.0)
    assert hierarchical_all_reduce_s(GIB, 64, 8, intra, inter) < flat


def test_all_to_all_inside_one_node_uses_nvlink_only():
    inside = all_to_all_s(GIB, 8, 8, 300e9, 40e9)
    assert inside == pytest.approx(7 / 8 * GIB / 300e9 + 7 * NVLINK_ALPHA_S, rel=1e-6)
    across = all_to_all_s(GIB, 64, 8, 300e9, 40e9)
    latency = 7 * NVLINK_ALPHA_S + 56 * NETWORK_ALPHA_S / 8
    assert across == pytest.approx(56 / 64 * GIB / 40e9 + latency, rel=1e-6)


def test_distinct_nodes_of_eight_experts_over_eight_nodes():
    # 8 (1 - (7/8)^8) = 8 x 0.65639 = 5.2511 nodes without a limit; DeepSeek-V3's node-limited routing caps it at 4
    assert expected_distinct_nodes(8, 8) == pytest.approx(5.2511, abs=1e-4)
    assert expected_distinct_nodes(8, 8, nodes_max=4) == 4.0
    assert expected_distinct_nodes(8, 1) == 1.0


def test_deduplicated_dispatch_sends_a_token_once_per_remote_node():
    # 64 ranks on 8 nodes, 1 GiB of tokens per rank, 8 copies each, at most 4 nodes: 4 x 7/8 GiB over the NIC
    # (vs 8 x 56/64 = 7 GiB for the plain all-to-all); NVLink forwards 8 x 7/8 GiB at 300 GB/s, faster.
    t = dedup_all_to_all_s(GIB, 8, 64, 8, 300e9, 40e9, nodes_max=4)
    latency = 7 * NVLINK_ALPHA_S + 7 * NETWORK_ALPHA_S
    assert t == pytest.approx(3.5 * GIB / 40e9 + latency, rel=1e-6)
    plain = all_to_all_s(8 * GIB, 64, 8, 300e9, 40e9)
    assert plain > 1.9 * t


def test_deduplicated_dispatch_inside_one_node_is_the_plain_all_to_all():
    assert dedup_all_to_all_s(GIB, 8, 8, 8, 300e9, 40e9) == all_to_all_s(8 * GIB, 8, 8, 300e9, 40e9)
