"""Classic (per-sample) inference estimate."""

import pytest
from inference_hardware import ACCELERATORS

from app.engine.inference import estimate_classic_inference
from app.engine.workload import Precision
from app.models_library import get_preset


def test_resnet50_h100_int8_close_to_mlperf_offline():
    # MLPerf Inference v3.1 closed, NVIDIA H100 SXM ResNet-50 offline: ~88k samples/s per GPU
    est = estimate_classic_inference(get_preset("resnet-50").shape, ACCELERATORS["h100-sxm"], 8, Precision("int8"),
                                     batch=256)
    assert est.samples_per_s_per_gpu == pytest.approx(88_000, rel=0.15)
    assert est.samples_per_s == pytest.approx(8 * est.samples_per_s_per_gpu)


def test_gpus_needed_for_a_rate():
    est = estimate_classic_inference(get_preset("bert-large").shape, ACCELERATORS["a100-sxm-80gb"], 1,
                                     Precision("fp16"), batch=64, samples_per_s=10_000)
    assert est.gpus_needed == -(-10_000 // est.samples_per_s_per_gpu)
    assert est.utilization > 1.0
