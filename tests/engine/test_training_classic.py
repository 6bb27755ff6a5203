"""Classic (per-sample) models: training and inference throughput formulas."""

import pytest
from hardware_fixtures import ACCELERATORS

from app.engine.classic import CLASSIC_EFFICIENCY, classic_inference, classic_training
from app.engine.workload import ClassicModel, Precision

# ResNet-50: 25.6M params, ~4.1 GMACs = 8.2 GFLOP per 224x224 image forward (He et al. 2016 / torchvision)
RESNET50 = ClassicModel("resnet-50", 25.6e6, 8.2, 150_528, 25.0)


def test_training_is_three_forward_passes_at_classic_efficiency():
    est = classic_training(RESNET50, ACCELERATORS["h100-sxm"], 8, Precision("bf16"))
    expected = 989.5e12 * CLASSIC_EFFICIENCY / (3 * 8.2e9)
    assert est.bound == "compute"
    assert est.samples_per_s_per_gpu == pytest.approx(expected)
    assert est.samples_per_s == pytest.approx(8 * expected)


def test_memory_bound_when_activations_dominate():
    heavy = ClassicModel("activation-heavy", 1e6, 0.01, 1e6, 500.0)
    est = classic_inference(heavy, ACCELERATORS["l40s"], 1, Precision("bf16"))
    assert est.bound == "memory bandwidth"
    assert est.samples_per_s_per_gpu == pytest.approx(0.864e12 * 0.7 / (1e6 + 500e6))
