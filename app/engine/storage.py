"""Shared storage of a build: checkpoint size, read/write bandwidth, capacity and the number of storage systems.

Units: bytes, TB (1e12 bytes) and GB/s (1e9 bytes/s) as named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.engine.errors import InfeasibleError
from app.engine.specs import StorageSpec

# Checkpoint bytes per parameter. Full training state with mixed-precision Adam: bf16 weights (2) + fp32 master
# weights (4) + Adam first and second moments (4 + 4) = 14; gradients are recomputed, not saved
# (Rajbhandari et al., "ZeRO", SC 2020, section 3.1: 2 + 2 + 12 bytes/param of model states incl. fp16 gradients).
CHECKPOINT_BYTES_PER_PARAM = {"full": 14.0, "weights_bf16": 2.0}
TOKEN_BYTES = 4.0  # assumption: token ids stored as uint32 (vocabularies above 65,536 entries, e.g. Llama 3 128K)
NODES_PER_SU = 32  # DGX SuperPOD scalable unit (RA-11333-001 V11, "System Design": SUs of 32 DGX H100 systems)
DEFAULT_STALL_S = 60.0  # assumption: a synchronous checkpoint may stall training for one minute
DEFAULT_RETAINED_CHECKPOINTS = 3  # assumption: keep the last three checkpoints
DEFAULT_REPLICATION = 1.0  # assumption: the storage system's usable TB already includes its own protection


@dataclass(frozen=True)
class StorageGuidance:
    """NVIDIA per-node and per-SU storage performance guideline [GB/s] for 8-GPU DGX-class nodes."""

    tier: str
    node_read_gbyte_s: float
    node_write_gbyte_s: float
    su_read_gbyte_s: float
    su_write_gbyte_s: float
    su4_read_gbyte_s: float
    su4_write_gbyte_s: float


# NVIDIA DGX SuperPOD H100 reference architecture RA-11333-001 V11 (2023-09-22), Table 6 "Guidelines for storage
# performance" [GB/s]: single-node read/write, single-SU aggregate read/write, 4-SU aggregate read/write.
SUPERPOD_STORAGE_GUIDANCE = {
    "good": StorageGuidance("good", 4.0, 2.0, 15.0, 7.0, 60.0, 30.0),
    "better": StorageGuidance("better", 8.0, 4.0, 40.0, 20.0, 160.0, 80.0),
    "best": StorageGuidance("best", 40.0, 20.0, 125.0, 62.0, 500.0, 250.0),
}


@dataclass(frozen=True)
class StorageNeed:
    """What the workload asks of shared storage."""

    capacity_tb: float
    read_gbyte_s: float
    write_gbyte_s: float
    checkpoint_tb: float = 0.0


@dataclass(frozen=True)
class StoragePlan:
    """Storage systems chosen for a need, and which requirement sets their count."""

    need: StorageNeed
    system: StorageSpec
    system_count: int
    binding: str  # capacity / read / write
    capacity_tb: float  # provided
    read_gbyte_s: float  # provided
    write_gbyte_s: float  # provided

    @property
    def system_slug(self) -> str:
        return self.system.slug

    @property
    def power_w(self) -> float:
        return self.system_count * self.system.max_power_w

    @property
    def rack_units(self) -> int:
        return self.system_count * self.system.rack_units


def checkpoint_bytes(params: float, *, weights_only: bool = False) -> float:
    """Size of one checkpoint [bytes]: 14 bytes/param with Adam state, 2 bytes/param for bf16 weights only."""
    return params * CHECKPOINT_BYTES_PER_PARAM["weights_bf16" if weights_only else "full"]


def checkpoint_write_gbyte_s(checkpoint_size_bytes: float, stall_s: float) -> float:
    """Write bandwidth to save a checkpoint within the allowed training stall [GB/s]."""
    if stall_s <= 0:
        raise ValueError("allowed checkpoint stall must be positive")
    return checkpoint_size_bytes / stall_s / 1e9


def checkpoint_write_s(checkpoint_size_bytes: float, write_gbyte_s: float) -> float:
    """Time to write one checkpoint at a given aggregate bandwidth [s]."""
    return checkpoint_size_bytes / (write_gbyte_s * 1e9)


def token_read_gbyte_s(tokens_per_s: float, bytes_per_token: float = TOKEN_BYTES) -> float:
    """Read bandwidth to stream tokenized training data [GB/s] (tiny for text; images/video need the guidance)."""
    return tokens_per_s * bytes_per_token / 1e9


def _through_points(nodes: float, node: float, su: float, su4: float) -> float:
    """Piecewise-linear through the published points (1 node, 1 SU, 4 SUs), proportional beyond 4 SUs."""
    if nodes <= NODES_PER_SU:
        return max(node, su * nodes / NODES_PER_SU)
    if nodes <= 4 * NODES_PER_SU:
        return su + (su4 - su) * (nodes - NODES_PER_SU) / (3 * NODES_PER_SU)
    return su4 * nodes / (4 * NODES_PER_SU)


def guidance_gbyte_s(nodes: int, tier: str = "good") -> tuple[float, float]:
    """(read, write) aggregate bandwidth [GB/s] of the SuperPOD guideline tier for `nodes` 8-GPU nodes."""
    g = SUPERPOD_STORAGE_GUIDANCE[tier]
    read = _through_points(nodes, g.node_read_gbyte_s, g.su_read_gbyte_s, g.su4_read_gbyte_s)
    write = _through_points(nodes, g.node_write_gbyte_s, g.su_write_gbyte_s, g.su4_write_gbyte_s)
    return read, write


def capacity_tb(
    dataset_tb: float,
    checkpoint_size_bytes: float,
    *,
    replication: float = DEFAULT_REPLICATION,
    retained_checkpoints: int = DEFAULT_RETAINED_CHECKPOINTS,
) -> float:
    """Usable capacity [TB] = dataset x replication + retained checkpoints."""
    return dataset_tb * replication + retained_checkpoints * checkpoint_size_bytes / 1e12


def training_storage_need(
    params: float,
    tokens_per_s: float,
    nodes: int,
    *,
    dataset_tb: float = 0.0,
    stall_s: float = DEFAULT_STALL_S,
    retained_checkpoints: int = DEFAULT_RETAINED_CHECKPOINTS,
    replication: float = DEFAULT_REPLICATION,
    tier: str = "good",
    weights_only: bool = False,
) -> StorageNeed:
    """Storage need of a training run: the larger of the workload's own bandwidth and the guideline tier."""
    ckpt = checkpoint_bytes(params, weights_only=weights_only)
    guide_read, guide_write = guidance_gbyte_s(nodes, tier)
    return StorageNeed(
        capacity_tb=capacity_tb(dataset_tb, ckpt, replication=replication, retained_checkpoints=retained_checkpoints),
        read_gbyte_s=max(token_read_gbyte_s(tokens_per_s), guide_read),
        write_gbyte_s=max(checkpoint_write_gbyte_s(ckpt, stall_s), guide_write),
        checkpoint_tb=ckpt / 1e12,
    )


def size_storage(need: StorageNeed, system: StorageSpec) -> StoragePlan:
    """Storage systems = max(capacity-bound, read-bound, write-bound) counts, at least one."""
    bounds = {
        "capacity": _count(need.capacity_tb, system.usable_tb),
        "read": _count(need.read_gbyte_s, system.read_gbyte_s),
        "write": _count(need.write_gbyte_s, system.write_gbyte_s),
    }
    binding = max(bounds, key=lambda name: bounds[name])
    count = max(1, bounds[binding])
    return StoragePlan(
        need=need,
        system=system,
        system_count=count,
        binding=binding,
        capacity_tb=count * system.usable_tb,
        read_gbyte_s=count * system.read_gbyte_s,
        write_gbyte_s=count * system.write_gbyte_s,
    )


def _count(required: float, per_system: float) -> int:
    if required <= 0:
        return 0
    if per_system <= 0:
        raise InfeasibleError("storage system lacks the capability the workload needs")
    return math.ceil(required / per_system - 1e-9)
