"""Achieved fraction of peak for training kernels, and fixed overheads.

The model (all constants in `EfficiencyParams`):
- GEMM efficiency = peak fraction of the generation and precision x d / (d + d_half), where d is the
  smallest matrix dimension one GPU sees (hidden / tp, tokens per expert ...): small matrices cannot
  fill the tensor cores (cuBLAS / CUTLASS roofline behaviour).
- FP8 reaches a lower fraction of its (2x) peak than BF16: fraction x fp8_factor.
- Elementwise and normalization work is memory traffic: elementwise_bytes_per_h bytes per token,
  per layer, per hidden unit, moved at HBM speed.
- Fixed per-layer kernel overhead per microbatch and a fixed per-step overhead.
- Overlap shares of TP, DP, EP and PP communication with compute.

Fit: the free constants were fitted by coordinate descent on log(predicted / measured) over the
cases marked "fit" in tests/fidelity/training_cases.json (benchmarks/fidelity_training.py --fit),
starting from and bounded around physical priors (H100 BF16 dense GEMMs reach ~70-80% of peak,
A100 ~75-85%; flash attention ~60-70% of GEMM speed). Holdout cases were never used for the fit.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.specs import AcceleratorSpec

GENERATIONS = ("ampere", "hopper", "blackwell", "cdna3", "ada", "other")


@dataclass(frozen=True)
class EfficiencyParams:
    """Calibrated constants (see module docstring for the fit)."""

    gemm_peak: tuple[tuple[str, float], ...] = (
        ("ampere", 0.80), ("hopper", 0.72), ("blackwell", 0.66), ("cdna3", 0.50), ("ada", 0.60), ("other", 0.55),
    )
    fp8_factor: float = 0.72  # FP8 fraction of FP8 peak relative to BF16's fraction of BF16 peak
    d_half: float = 160.0  # GEMM dimension at which efficiency halves
    attention_factor: float = 0.65  # flash attention speed relative to dense GEMMs
    unfused_attention_factor: float = 0.30
    grouped_gemm_factor: float = 0.85  # MoE grouped GEMM relative to dense GEMM of the same size
    elementwise_bytes_per_h: float = 60.0  # fwd+bwd elementwise traffic per token per layer per h [bytes]
    hbm_efficiency: float = 0.80  # achievable fraction of HBM bandwidth for streaming kernels
    layer_overhead_s: float = 120e-6  # kernel launch / sync per layer per microbatch (fwd+bwd) [s]
    step_overhead_s: float = 0.03  # per optimizer step: data loader, logging, sync [s]
    tp_overlap: float = 0.35  # share of tensor-parallel collectives hidden behind GEMMs
    dp_overlap: float = 0.85  # share of data-parallel gradient traffic hidden behind backward
    ep_overlap: float = 0.40  # share of MoE all-to-all hidden (DeepEP / 1F1B overlap)
    cp_overlap: float = 0.80  # share of ring-attention KV exchange hidden behind attention
    pp_overlap: float = 0.70  # share of pipeline point-to-point hidden
    moe_layer_overhead_s: float = 2e-3  # router + dropless token-count sync per MoE layer per microbatch [s]
    expert_overhead_s: float = 50e-6  # grouped-GEMM launch / tile waste per local expert per layer [s]
    moe_bytes_per_h: float = 24.0  # permute + unpermute traffic per routed token per h, fwd+bwd [bytes]

    def peak_fraction(self, generation: str, precision: str) -> float:
        base = dict(self.gemm_peak).get(generation, dict(self.gemm_peak)["other"])
        return base * self.fp8_factor if precision in ("fp8", "fp4") else base


DEFAULT_PARAMS = EfficiencyParams()


def generation(accel: AcceleratorSpec) -> str:
    """Architecture generation from the slug / name (a100 -> ampere, h100/h800/h200 -> hopper ...)."""
    key = f"{accel.slug} {accel.name}".lower()
    table = (("ampere", ("a100", "a800", "a30")), ("hopper", ("h100", "h800", "h200", "h20", "gh200")),
             ("blackwell", ("b200", "b300", "gb200", "gb300", "b100")), ("cdna3", ("mi300", "mi325")),
             ("ada", ("l40", "l4", "4090", "6000 ada")))
    for gen, needles in table:
        if any(n in key for n in needles):
            return gen
    return "other"


def size_factor(dim: float, params: EfficiencyParams) -> float:
    """GEMM efficiency multiplier for the smallest matrix dimension: d / (d + d_half)."""
    dim = max(dim, 1.0)
    return dim / (dim + params.d_half)


def gemm_time_s(flops: float, peak_flops: float, fraction: float, dim: float, params: EfficiencyParams) -> float:
    """Time of matmuls of that many FLOPs whose smallest dimension is `dim` [s]."""
    if flops <= 0:
        return 0.0
    return flops / (peak_flops * fraction * size_factor(dim, params))


def memory_time_s(bytes_moved: float, hbm_byte_s: float, params: EfficiencyParams) -> float:
    """Time of streaming memory-bound kernels [s]."""
    return bytes_moved / (hbm_byte_s * params.hbm_efficiency)


def with_overrides(params: EfficiencyParams, **changes: float) -> EfficiencyParams:
    """A copy with some constants changed (used by the calibration fit)."""
    fields = {k: v for k, v in params.__dict__.items()}
    fields.update(changes)
    return EfficiencyParams(**fields)
