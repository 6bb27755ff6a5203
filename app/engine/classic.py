"""Classic (non-transformer) models described per sample: training and inference throughput.

Training costs ~3x the forward FLOPs (forward + backward with two matmuls per layer, Kaplan et al.
2020 section 2.1). Convolutional and small models use a lower share of tensor-core peak than large
transformer GEMMs; CLASSIC_EFFICIENCY is a prior (MLPerf ResNet-50 training on 8x H100 runs at roughly
a third of dense BF16 peak), hence a 'low' confidence in the results.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.specs import AcceleratorSpec
from app.engine.workload import ClassicModel, Precision

CLASSIC_EFFICIENCY = 0.35  # achieved share of dense peak (assumption, see module docstring)
HBM_EFFICIENCY = 0.7
TRAINING_FLOPS_FACTOR = 3.0


@dataclass(frozen=True)
class ClassicEstimate:
    """Throughput of a classic model on a number of accelerators [samples/s]."""

    samples_per_s: float
    samples_per_s_per_gpu: float
    bound: str  # compute / memory bandwidth
    confidence: str


def _per_gpu_rate(
    flops_per_sample: float, bytes_per_sample: float, accel: AcceleratorSpec, precision: Precision
) -> tuple[float, str]:
    compute = accel.peak_flops(precision.name) * CLASSIC_EFFICIENCY / flops_per_sample
    memory = accel.memory_tbyte_s * 1e12 * HBM_EFFICIENCY / max(bytes_per_sample, 1.0)
    return (compute, "compute") if compute <= memory else (memory, "memory bandwidth")


def classic_training(
    model: ClassicModel, accel: AcceleratorSpec, gpu_count: int, precision: Precision
) -> ClassicEstimate:
    """Training samples/s: 3 x forward FLOPs per sample, data parallel (gradient sync hidden)."""
    flops = model.gflops_per_sample * 1e9 * TRAINING_FLOPS_FACTOR
    traffic = model.bytes_per_sample + 3.0 * model.activation_mb_per_sample * 1e6
    rate, bound = _per_gpu_rate(flops, traffic, accel, precision)
    return ClassicEstimate(rate * gpu_count, rate, bound, "low")


def classic_inference(
    model: ClassicModel, accel: AcceleratorSpec, gpu_count: int, precision: Precision
) -> ClassicEstimate:
    """Inference samples/s: forward FLOPs per sample, or input + activation traffic if that binds."""
    flops = model.gflops_per_sample * 1e9
    traffic = model.bytes_per_sample + model.activation_mb_per_sample * 1e6
    rate, bound = _per_gpu_rate(flops, traffic, accel, precision)
    return ClassicEstimate(rate * gpu_count, rate, bound, "low")
