"""RackPlan analytical engine: pure Python, no I/O. See DESIGN.md section 3."""

from app.engine.classic import ClassicEstimate, classic_inference, classic_training
from app.engine.errors import InfeasibleError
from app.engine.parallelism import Cluster, SoftwareStack, Strategy, make_cluster
from app.engine.run import RunEstimate, estimate_run
from app.engine.strategy import estimate_training
from app.engine.training import TimeBreakdown, TrainingEstimate
from app.engine.training_memory import MemoryBreakdown

# Recorded in every estimate and saved plan. 1.1.0: MoE dispatch (BF16 Megatron all-to-all, DeepEP, node-limited
# routing), DualPipe, PCIe tensor parallelism and parallel attention in inference, inference calibration refitted.
# 1.2.0: TensorRT-LLM 0.17 and LMDeploy 0.1 runtimes, Hopper-only MoE scale of the 0.9-era kernels, per-runtime
# prefill overhead and all-reduce latency, NVLink link efficiency fitted, device memory in binary units.
# 1.3.0: TensorRT-LLM 0.8/0.9 custom all-reduce launch grid and XQA eligibility (masked MHA for other GQA shapes),
# LMDeploy first token from a decode step, v0.9 knobs refit with its dense throughput rows, offline jobs of a given
# number of requests (the last wave), TensorRT-LLM 0.15 runtime, v0.17 knobs refit.
VERSION = "1.3.0"

__all__ = [
    "VERSION",
    "ClassicEstimate",
    "Cluster",
    "InfeasibleError",
    "MemoryBreakdown",
    "RunEstimate",
    "SoftwareStack",
    "Strategy",
    "TimeBreakdown",
    "TrainingEstimate",
    "classic_inference",
    "classic_training",
    "estimate_run",
    "estimate_training",
    "make_cluster",
]
