"""Run-level reliability: failure rate from the Llama 3 paper, Young/Daly, goodput, hour ranges."""

import pytest
from hardware_fixtures import ACCELERATORS

from app.engine import estimate_training
from app.engine.reliability import (
    GPU_HOURS_PER_INTERRUPTION,
    daly_interval_s,
    goodput,
    job_mtbf_hours,
    reliability,
    young_interval_s,
)
from app.engine.workload import ModelShape, Precision

LLAMA3_405B = ModelShape("llama3-405b", 405e9, 126, 16384, 128, 8, 53248, 128256)


def test_llama3_failure_rate():
    # 419 interruptions in 54 days on 16,384 H100 -> 16384 x 54 x 24 / 419 = 50,675 GPU-hours each
    assert GPU_HOURS_PER_INTERRUPTION == pytest.approx(50_675, rel=1e-3)
    assert job_mtbf_hours(16384) == pytest.approx(54 * 24 / 419, rel=1e-9)  # ~3.09 h


def test_young_interval():
    assert young_interval_s(60.0, 3600.0) == pytest.approx((2 * 60 * 3600) ** 0.5)  # 657.3 s


def test_daly_interval_close_to_young_for_cheap_checkpoints():
    young = young_interval_s(10.0, 36000.0)
    assert daly_interval_s(10.0, 36000.0) == pytest.approx(young, rel=0.02)
    assert daly_interval_s(100.0, 40.0) == 40.0  # checkpoint longer than 2 MTBF: interval = MTBF


def test_goodput_formula():
    # d=60 s every 600 s, MTBF 10 h, restart 600 s: 1 - 60/660 - (300 + 60 + 600)/36000
    assert goodput(60.0, 600.0, 36000.0, 600.0) == pytest.approx(1 - 60 / 660 - 960 / 36000)


def test_goodput_at_llama3_scale_is_about_90_percent():
    # Llama 3 paper, section 3.3.4: "> 90% effective training time" on 16k H100
    assert 0.85 <= reliability(405e9, 16384).goodput <= 0.97


def test_run_hours_range_and_identity():
    est = estimate_training(
        LLAMA3_405B,
        ACCELERATORS["h100-sxm"],
        16384,
        Precision("bf16"),
        8192,
        global_batch_tokens=16 * 2**20,
        tokens=15.6e12,
    )
    run = est.run
    assert run is not None
    assert run.gpu_hours["low"] < run.gpu_hours["expected"] < run.gpu_hours["high"]
    assert run.gpu_hours["expected"] == pytest.approx(run.wall_clock_hours["expected"] * 16384)
    assert run.wall_clock_hours["expected"] > run.steady_state_hours
    assert 0.5 < run.goodput < 1.0
    # Llama 3.1 405B model card: 30.84M H100-hours for ~15.6T tokens
    assert run.gpu_hours["low"] < 30.84e6 * 1.15 and run.gpu_hours["high"] > 30.84e6 * 0.85
