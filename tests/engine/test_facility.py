"""Rack fit, elevation, power and cooling with hand-checked values.

Server data: NVIDIA DGX H100 datasheet — 8 x H100 SXM (700 W TDP each), ~10.2 kW max system power, 8U,
130.45 kg (287.6 lb). Unit conversions: 1 W = 3.412 BTU/h (NIST SP 811); 1 refrigeration ton = 3.517 kW.
"""

import pytest
from build_fixtures import DGX_H100, H100

from app.engine.facility import (
    heat_btu_h,
    pdus_per_rack,
    plan_facility,
    rack_elevation,
    rack_fit,
    refrigeration_tons,
    server_expected_w,
)
from app.engine.specs import AcceleratorSpec, RackSpec, ServerSpec, SiteSpec, SwitchSpec

LIQUID_SERVER = ServerSpec(
    "liquid-box",
    "Liquid box",
    "X",
    "",
    H100,
    8,
    8,
    8,
    400.0,
    2,
    400.0,
    0.0,
    128.0,
    4,
    9000.0,
    8000.0,
    "liquid",
    60.0,
    1.0,
)
SMALL_SERVER = ServerSpec(
    "2u",
    "2U box",
    "X",
    "",
    H100,
    1,
    1,
    1,
    100.0,
    1,
    25.0,
    0.0,
    64.0,
    2,
    1500.0,
    1200.0,
    "air",
    30.0,
    1.0,
)
RACK_40KW = RackSpec("air-42u-40kw", "42U 40 kW air", 42, 40.0, "air", 1360.0, 1.0)
SN2201 = SwitchSpec("sn2201", "NVIDIA SN2201", "920-9N110-00F1-0C0", "management", 48, 1.0, 1, 98.0, 1.0)
SITE = SiteSpec(pue=1.3, circuit_derating=0.8, feed_redundancy="a+b")


def test_dgx_h100_in_40kw_rack_is_power_bound_at_three() -> None:
    fit = rack_fit(DGX_H100, RACK_40KW, SITE)
    assert fit.rack_limit_kw == pytest.approx(32.0)  # 40 kW x 0.8
    assert fit.servers_per_rack == 3  # floor(32 / 10.2)
    assert fit.binding_limit == "power"
    assert fit.space_limit == 5  # floor(42 / 8)


def test_small_server_is_space_bound() -> None:
    fit = rack_fit(SMALL_SERVER, RACK_40KW, SITE, reserved_u=2)
    assert (fit.space_limit, fit.power_limit) == (20, 21)  # (42 - 2) // 2 ; floor(32,000 / 1,500)
    assert fit.binding_limit == "space"


def test_weight_limit_binds() -> None:
    heavy_rack = RackSpec("heavy", "52U 120 kW", 52, 120.0, "liquid", 500.0, 1.0)
    fit = rack_fit(DGX_H100, heavy_rack, SITE)
    assert fit.weight_limit == 3  # floor(500 / 130.45)
    assert (fit.binding_limit, fit.servers_per_rack) == ("weight", 3)


def test_liquid_server_needs_liquid_rack() -> None:
    fit = rack_fit(LIQUID_SERVER, RACK_40KW, SITE)
    assert (fit.servers_per_rack, fit.binding_limit, fit.cooling_ok) == (0, "cooling", False)
    assert any("liquid" in w for w in fit.warnings)
    plan = plan_facility(LIQUID_SERVER, 10, RACK_40KW, SITE)
    assert plan.rack_count == 0 and plan.layouts == ()


def test_air_rack_above_40kw_warns() -> None:
    big_air = RackSpec("air-60", "60 kW air", 42, 60.0, "air", 0.0, 1.0)
    fit = rack_fit(DGX_H100, big_air, SITE)
    assert fit.servers_per_rack == 4  # floor(48 / 10.2); 40.8 kW
    assert any("air-cooled" in w for w in fit.warnings)


def test_unit_conversions() -> None:
    assert heat_btu_h(1000.0) == pytest.approx(3412.0)
    assert refrigeration_tons(3.517) == pytest.approx(1.0)
    assert heat_btu_h(3517.0) == pytest.approx(12000.0, rel=1e-3)  # 1 ton = 12,000 BTU/h


def test_expected_draw_formula() -> None:
    # accelerators 8 x 700 = 5,600 W; host share 10,200 - 5,600 = 4,600 W at 60%
    assert server_expected_w(DGX_H100, 1.0) == pytest.approx(5600 + 2760)
    assert server_expected_w(DGX_H100, 0.0) == pytest.approx(0.3 * 5600 + 2760)


def test_plan_power_racks_and_feeds() -> None:
    plan = plan_facility(DGX_H100, 10, RACK_40KW, SITE, utilization=1.0, mgmt_switch=SN2201)
    assert plan.rack_count == 4  # 3 + 3 + 3 + 1
    assert [(layout.count, layout.servers) for layout in plan.layouts] == [(3, 3), (1, 1)]
    power = plan.power
    assert power.it_nameplate_kw == pytest.approx((10 * 10200 + 4 * 98) / 1000)
    assert power.it_expected_kw == pytest.approx((10 * 8360 + 4 * 98) / 1000)
    assert power.facility_nameplate_kw == pytest.approx(power.it_nameplate_kw * 1.3)
    assert power.cooling_tons == pytest.approx(power.it_nameplate_kw / 3.517)
    assert power.heat_btu_h == pytest.approx(power.it_nameplate_kw * 3412)
    assert power.feeds_per_rack == 2
    assert power.feed_kw_per_rack == pytest.approx(3 * 10.2 + 0.098)  # each feed carries the whole rack
    assert power.provisioned_feed_kw == pytest.approx(2 * power.it_nameplate_kw)
    assert all(layout.nameplate_kw <= layout.limit_kw for layout in plan.layouts)


def test_other_it_load_is_added() -> None:
    base = plan_facility(DGX_H100, 3, RACK_40KW, SITE)
    more = plan_facility(DGX_H100, 3, RACK_40KW, SITE, other_it_w=82560.0)  # 48 x QM9700 at 1,720 W
    assert more.power.it_nameplate_kw - base.power.it_nameplate_kw == pytest.approx(82.56)


def test_elevation_fills_the_rack_without_overlap() -> None:
    items = rack_elevation(DGX_H100, 3, RACK_40KW, mgmt_switch=SN2201, pdus=4)
    racked = [item for item in items if item.u_height > 0]
    used = sorted(u for item in racked for u in range(item.u_start, item.u_start + item.u_height))
    assert used == list(range(1, 43))
    assert [i.u_start for i in items if i.kind == "server"] == [1, 9, 17]
    assert [i.u_start for i in items if i.kind == "mgmt"] == [42]
    assert sum(1 for i in items if i.kind == "pdu") == 4


def test_pdus_per_rack() -> None:
    assert pdus_per_rack(30.7, "a+b") == 4  # 2 feeds x ceil(30.7 / 17.3)
    assert pdus_per_rack(10.0, "none") == 1


def test_top_of_rack_leaf_reserves_space_and_power() -> None:
    # NVIDIA QM9700: 1U, 1,720 W max (QM9700 datasheet)
    leaf = SwitchSpec("qm9700", "NVIDIA QM9700", "920-9B210-00FN-0M0", "infiniband", 64, 400.0, 1, 1720.0, 1.0)
    plan = plan_facility(SMALL_SERVER, 40, RACK_40KW, SITE, mgmt_switch=SN2201, tor_switches=(leaf,))
    assert plan.fit.reserved_u == 3  # mgmt 1U + leaf 1U + cable manager 1U
    assert plan.fit.power_limit == 20  # floor((32,000 - 98 - 1,720) / 1,500)
    assert plan.fit.space_limit == 19  # (42 - 3) // 2
    assert plan.fit.servers_per_rack == 19 and plan.fit.binding_limit == "space"
    kinds = {item.kind: item.u_start for item in plan.layouts[0].items}
    assert (kinds["mgmt"], kinds["leaf"], kinds["cable"]) == (42, 41, 40)


def test_rack_scale_system_fills_its_own_rack_without_reserved_units() -> None:
    """GB200 NVL72: one 48U, 132 kW system per 165 kW liquid MGX rack (132 / 0.8 derating)."""
    from app.engine.facility import is_rack_scale
    from app.engine.specs import RackSpec, ServerSpec, SiteSpec

    gpu = AcceleratorSpec("gb200", "GB200", "NVIDIA", "Superchip", {"bf16": 2500}, 186, 8.0, 1200, 1800)
    nvl72 = ServerSpec("nvl72", "GB200 NVL72", "NVIDIA", "", gpu, 72, 72, 72, 400, 36, 400, 276, 450, 48,
                       132_000, 99_000, "liquid", 1360, 3e6)
    rack = RackSpec("liquid-165kw-nvl72", "MGX", 48, 165, "liquid", 1800, 120_000)
    fit = rack_fit(nvl72, rack, SiteSpec(), reserved_u=3, reserved_w=500)
    assert is_rack_scale(nvl72, rack)
    assert fit.servers_per_rack == 1
    items = rack_elevation(nvl72, 1, rack)
    assert [i.kind for i in items if i.kind != "pdu"] == ["server"]
