"""Pure parts of planning: deadline sizing, replica sizing, rack stacking, the build composition, Pareto flags."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from app.engine.build import ComputeNeed, Hardware, compute_fabric, plan_build, stack_racks
from app.engine.specs import AcceleratorSpec, RackSpec, ServerSpec, SiteSpec, StorageSpec, SwitchSpec
from app.engine.storage import StorageNeed
from app.engine.workload import Precision
from app.models_library import get_preset
from app.plans import sizing
from app.plans.results import pareto_flags

# NVIDIA H100 SXM5 datasheet: 989.5 dense BF16 TFLOP/s, 80 GB HBM3 at 3.35 TB/s, 700 W, NVLink 900 GB/s.
H100 = AcceleratorSpec("h100-sxm", "H100 SXM", "NVIDIA", "SXM", {"bf16": 989.5, "fp8": 1979.0}, 80, 3.35, 700, 900)
# NVIDIA DGX H100 datasheet: 8 GPUs, 8x 400G ConnectX-7, 8U, ~10.2 kW max, 130.45 kg.
DGX = ServerSpec("dgx-h100", "DGX H100", "NVIDIA", "DGXH-G640F", H100, 8, 8, 8, 400.0, 2, 400.0, 30.0, 64.0, 8,
                 10200.0, 8000.0, "air", 130.45, 400000.0)
# NVIDIA QM9700: 64 x NDR 400G, 1U, 1,720 W. SN2201: 48 x 1G. SN5400: 64 x 400GbE. Prices are placeholders.
QM9700 = SwitchSpec("qm9700", "QM9700", "920-9B210", "infiniband", 64, 400.0, 1, 1720.0, 30000.0)
SN2201 = SwitchSpec("sn2201", "SN2201", "920-9N110", "management", 48, 1.0, 1, 98.0, 9000.0)
SN5400 = SwitchSpec("sn5400", "SN5400", "MSN5400", "ethernet", 64, 400.0, 2, 1500.0, 40000.0)
STORE = StorageSpec("ai400x2", "AI400X2", "AI400X2", 500.0, 90.0, 65.0, 2, 2600.0, 450000.0)
RACK = RackSpec("rdhx-60", "60 kW rack", 48, 60.0, "air", 1360.0, 35000.0)
AUX = RackSpec("air-20", "20 kW rack", 42, 20.0, "air", 1360.0, 5500.0)
HW = Hardware(RACK, AUX, (QM9700, SN2201, SN5400), (STORE,))
LLAMA_70B = get_preset("llama-3.1-70b").shape  # type: ignore[union-attr]


def test_pareto_flags_keep_only_undominated_points() -> None:
    points = [(1.0, 5.0), (2.0, 3.0), (3.0, 3.0), (4.0, 1.0), (2.5, 4.0)]
    assert pareto_flags(points) == [True, True, False, True, False]
    assert pareto_flags([(1.0, 1.0), (1.0, 1.0)]) == [True, True]  # equal points do not dominate each other


def test_stack_racks_respects_derated_power_and_space() -> None:
    site = SiteSpec()  # 80% derating: a 20 kW rack takes 16 kW
    racks = stack_racks([("switch", "leaf", 1, 1720.0)] * 20, AUX, site)
    assert [(r.count, sum(1 for i in r.items if i.kind == "leaf")) for r in racks] == [(2, 9), (1, 2)]
    assert all(r.nameplate_kw <= 16.0 for r in racks)
    tall = stack_racks([("storage", "storage", 10, 100.0)] * 9, AUX, site)
    assert [(r.count, sum(1 for i in r.items if i.kind == "storage")) for r in tall] == [(2, 4), (1, 1)]


def test_superpod_fabric_from_the_build_helpers() -> None:
    fabric = compute_fabric(DGX, 127, QM9700)
    assert (fabric.leaf_count, fabric.spine_count) == (32, 16)
    assert (fabric.node_leaf_cables, fabric.leaf_spine_cables) == (1020, 1024)


def test_plan_build_bom_equals_capex_and_racks_fit() -> None:
    need = ComputeNeed(30, 2, 0.9, True, StorageNeed(800.0, 40.0, 60.0, 1.0), 100.0)
    build = plan_build(DGX, need, HW, SiteSpec())
    assert build.servers == 32 and build.facility.fit.servers_per_rack == 4  # 60 kW x 0.8 = 48 kW -> 4 x 10.2 kW
    assert build.facility.fit.binding_limit == "power" and build.facility.rack_count == 8
    assert sum(line.extended_usd for line in build.bom) == pytest.approx(build.cost.capex.total_usd)
    assert build.storage.system_count == 2  # 800 TB / 500 TB usable -> 2 (60 GB/s write needs 1)
    assert build.run is not None and build.run.gpu_hours == pytest.approx(256 * 100.0)
    assert build.compute_fabric is not None and build.compute_fabric.nodes == 32


def test_build_rejects_a_rack_below_one_server() -> None:
    small = replace(HW, rack=replace(RACK, power_kw=5.0))
    need = ComputeNeed(1, 0, 0.5, False, StorageNeed(1.0, 1.0, 1.0), None)
    with pytest.raises(ValueError, match="power"):
        plan_build(DGX, need, small, SiteSpec())


def test_deadline_sizing_is_the_smallest_size_that_meets_it() -> None:
    days = 30
    size = sizing.size_training_deadline(LLAMA_70B, DGX, Precision("bf16"), 8192, 15e12, days * 24)
    assert size.estimate.run is not None and size.estimate.run.wall_clock_hours["expected"] <= days * 24
    layout = size.estimate.strategy
    unit = math.lcm(8, layout.tp * layout.pp * layout.cp)
    smaller = sizing._evaluate(LLAMA_70B, DGX, size.gpus - unit, Precision("bf16"), 8192, 15e12,
                               replace(layout, dp=0, micro_batch=None, sharding=None, recompute=None))
    assert smaller is None or (smaller.run is not None and smaller.run.wall_clock_hours["expected"] > days * 24)


def test_inference_sizing_covers_the_rate_with_one_headroom_replica() -> None:
    size = sizing.size_inference(LLAMA_70B, DGX, Precision("bf16"), 2000, 500, 50.0, 1000.0, 50.0, "n+1")
    per = size.estimate.requests_per_s
    assert size.replicas_needed * per >= 50.0 > (size.replicas_needed - 1) * per
    assert size.replicas == size.replicas_needed + 1
    assert size.servers == -(-size.replicas * size.replica_gpus // 8)


def test_spares_follow_the_llama3_failure_rate() -> None:
    # 1,000 servers x 8 GPUs / 50,675 GPU-hours per failure x 72 h repair = 11.4 servers down on average.
    assert sizing.spare_servers(1000, 8) == 19  # ceil(11.37 + 2 x sqrt(11.37)) = ceil(18.1)
    assert sizing.spare_servers(1, 8) == 0
