"""Collective communication times [s] (ring algorithms; Thakur et al. 2005, NCCL docs).

Bandwidths passed in are achievable per-GPU unidirectional bandwidths [bytes/s], not nominal.
"""

from __future__ import annotations

# NCCL ring step latency on NVLink / InfiniBand, order of magnitude from nccl-tests small-message
# times (a few microseconds per hop). Assumption, not a datasheet figure.
NVLINK_ALPHA_S = 3e-6
NETWORK_ALPHA_S = 8e-6
# Achievable fraction of the per-direction link rate for large messages: NCCL bus bandwidth on
# H100 NVLink reaches ~360-380 of 450 GB/s and ~40-45 of 50 GB/s per 400G NIC (nccl-tests reports).
NVLINK_EFFICIENCY = 0.80
NETWORK_EFFICIENCY = 0.85


def ring_all_reduce_s(message_bytes: float, ranks: int, bandwidth_byte_s: float, alpha_s: float) -> float:
    """Ring all-reduce [s]: 2 (n-1)/n x M / B + 2 (n-1) alpha."""
    if ranks <= 1 or message_bytes <= 0:
        return 0.0
    return 2.0 * (ranks - 1) / ranks * message_bytes / bandwidth_byte_s + 2.0 * (ranks - 1) * alpha_s


def ring_reduce_scatter_s(message_bytes: float, ranks: int, bandwidth_byte_s: float, alpha_s: float) -> float:
    """Ring reduce-scatter of a message of M bytes (full size) [s]: (n-1)/n x M / B + (n-1) alpha."""
    if ranks <= 1 or message_bytes <= 0:
        return 0.0
    return (ranks - 1) / ranks * message_bytes / bandwidth_byte_s + (ranks - 1) * alpha_s


def ring_all_gather_s(message_bytes: float, ranks: int, bandwidth_byte_s: float, alpha_s: float) -> float:
    """Ring all-gather producing M bytes on each rank [s]: same cost as reduce-scatter."""
    return ring_reduce_scatter_s(message_bytes, ranks, bandwidth_byte_s, alpha_s)


def hierarchical_all_reduce_s(
    message_bytes: float, ranks: int, ranks_per_node: int, intra_byte_s: float, inter_byte_s: float
) -> float:
    """Two-level all-reduce [s]: reduce-scatter + all-gather inside the scale-up domain, then a ring
    across nodes on each GPU's 1/a shard over its own NIC (a = ranks inside one domain)."""
    local = max(1, min(ranks_per_node, ranks))
    nodes = max(1, ranks // local)
    intra = ring_all_reduce_s(message_bytes, local, intra_byte_s, NVLINK_ALPHA_S)
    inter = ring_all_reduce_s(message_bytes / local, nodes, inter_byte_s, NETWORK_ALPHA_S)
    return intra + inter


def all_to_all_s(
    message_bytes: float, ranks: int, ranks_per_node: int, intra_byte_s: float, inter_byte_s: float
) -> float:
    """All-to-all of M bytes per rank [s]: (n-1)/n of M leaves each rank; the share addressed to other
    nodes crosses the NIC, the rest NVLink; both proceed concurrently (slowest path binds)."""
    if ranks <= 1 or message_bytes <= 0:
        return 0.0
    local = max(1, min(ranks_per_node, ranks))
    intra_bytes = message_bytes * (local - 1) / ranks
    inter_bytes = message_bytes * (ranks - local) / ranks
    latency = (local - 1) * NVLINK_ALPHA_S + (ranks - local) * NETWORK_ALPHA_S / 8.0
    return max(intra_bytes / intra_byte_s, inter_bytes / inter_byte_s) + latency


def expected_distinct_nodes(copies: int, nodes: int, nodes_max: int = 0) -> float:
    """Distinct nodes a token's `copies` routed experts land on, experts spread uniformly over `nodes`
    nodes: n (1 - (1 - 1/n)^k), capped by node-limited routing (nodes_max > 0)."""
    if nodes <= 1:
        return 1.0
    distinct = nodes * (1.0 - (1.0 - 1.0 / nodes) ** copies)
    return min(distinct, float(nodes_max)) if nodes_max > 0 else distinct


def dedup_all_to_all_s(
    token_bytes: float,
    copies: int,
    ranks: int,
    ranks_per_node: int,
    intra_byte_s: float,
    inter_byte_s: float,
    nodes_max: int = 0,
) -> float:
    """Node-deduplicated MoE dispatch (DeepEP) of `token_bytes` per rank, each token to `copies` experts [s].

    A token crosses the scale-out network once per distinct remote node it is routed to, to the GPU with
    the same in-node index, which forwards it over NVLink to the node's other target GPUs; both paths run
    concurrently (slowest binds). Inside one scale-up domain it is the plain all-to-all."""
    local = max(1, min(ranks_per_node, ranks))
    nodes = max(1, ranks // local)
    if nodes <= 1:
        return all_to_all_s(token_bytes * copies, ranks, ranks_per_node, intra_byte_s, inter_byte_s)
    remote_nodes = expected_distinct_nodes(copies, nodes, nodes_max) * (nodes - 1) / nodes
    inter_bytes = token_bytes * remote_nodes
    intra_bytes = token_bytes * copies * (local - 1) / local
    latency = (local - 1) * NVLINK_ALPHA_S + (nodes - 1) * NETWORK_ALPHA_S
    return max(intra_bytes / intra_byte_s, inter_bytes / inter_byte_s) + latency
