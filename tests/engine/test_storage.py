"""Storage sizing: checkpoint size, bandwidth, SuperPOD guidance tiers and system counts (hand-checked).

Guidance: NVIDIA DGX SuperPOD H100 RA-11333-001 V11 (2023-09-22), Table 6 "Guidelines for storage performance":
Good / Better / Best [GB/s] single-node read 4 / 8 / 40, write 2 / 4 / 20; single-SU aggregate read 15 / 40 / 125,
write 7 / 20 / 62; 4-SU aggregate read 60 / 160 / 500, write 30 / 80 / 250.
"""

import pytest

from app.engine.specs import StorageSpec
from app.engine.storage import (
    StorageNeed,
    capacity_tb,
    checkpoint_bytes,
    checkpoint_write_gbyte_s,
    guidance_gbyte_s,
    size_storage,
    token_read_gbyte_s,
    training_storage_need,
)

# Illustrative appliance: DDN AI400X2 class, ~90 GB/s read, ~65 GB/s write, 2U (DDN A3I reference architectures);
# capacity and price are placeholders for the test.
APPLIANCE = StorageSpec("ai400x2", "DDN AI400X2", "", 500.0, 90.0, 65.0, 2, 3000.0, 1.0)


def test_checkpoint_size_llama_70b() -> None:
    assert checkpoint_bytes(70e9) == pytest.approx(980e9)  # 14 bytes/param: 2 + 4 + 4 + 4
    assert checkpoint_bytes(70e9, weights_only=True) == pytest.approx(140e9)  # bf16 weights


def test_write_bandwidth_is_size_over_stall() -> None:
    assert checkpoint_write_gbyte_s(980e9, 60.0) == pytest.approx(980 / 60)
    with pytest.raises(ValueError):
        checkpoint_write_gbyte_s(1e9, 0.0)


def test_token_read_bandwidth() -> None:
    # 1M tokens/s x 4 bytes = 4 MB/s: text training barely reads
    assert token_read_gbyte_s(1e6) == pytest.approx(0.004)


@pytest.mark.parametrize(
    ("tier", "nodes", "read", "write"),
    [
        ("good", 1, 4, 2),
        ("good", 32, 15, 7),
        ("good", 128, 60, 30),
        ("better", 32, 40, 20),
        ("better", 128, 160, 80),
        ("best", 1, 40, 20),
        ("best", 32, 125, 62),
        ("best", 128, 500, 250),
    ],
)
def test_superpod_guidance_table_6(tier: str, nodes: int, read: float, write: float) -> None:
    assert guidance_gbyte_s(nodes, tier) == pytest.approx((read, write))


def test_guidance_scales_beyond_four_sus() -> None:
    assert guidance_gbyte_s(256, "good") == pytest.approx((120.0, 60.0))
    between = guidance_gbyte_s(80, "good")[0]
    assert 15.0 < between < 60.0


def test_capacity_is_dataset_times_replication_plus_checkpoints() -> None:
    assert capacity_tb(100.0, 980e9, replication=2.0, retained_checkpoints=3) == pytest.approx(200 + 2.94)


def test_training_need_takes_the_larger_requirement() -> None:
    need = training_storage_need(70e9, 2e6, 128, dataset_tb=60.0, stall_s=60.0)
    assert need.checkpoint_tb == pytest.approx(0.98)
    assert need.read_gbyte_s == pytest.approx(60.0)  # guidance dominates 8 MB/s of tokens
    assert need.write_gbyte_s == pytest.approx(30.0)  # guidance 30 > 980 GB / 60 s = 16.3
    assert need.capacity_tb == pytest.approx(60 + 3 * 0.98)


@pytest.mark.parametrize(
    ("need", "count", "binding"),
    [
        (StorageNeed(1200.0, 10.0, 10.0), 3, "capacity"),  # ceil(1,200 / 500)
        (StorageNeed(100.0, 250.0, 10.0), 3, "read"),  # ceil(250 / 90)
        (StorageNeed(100.0, 10.0, 200.0), 4, "write"),  # ceil(200 / 65)
        (StorageNeed(0.0, 0.0, 0.0), 1, "capacity"),  # at least one system
    ],
)
def test_system_count_is_max_of_bounds(need: StorageNeed, count: int, binding: str) -> None:
    plan = size_storage(need, APPLIANCE)
    assert (plan.system_count, plan.binding) == (count, binding)
    assert plan.read_gbyte_s == pytest.approx(count * 90.0)
    assert plan.power_w == pytest.approx(count * 3000.0)
