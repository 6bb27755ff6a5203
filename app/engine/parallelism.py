"""Execution inputs for training: the parallel strategy, the software stack and the cluster view.

Kept apart from the hardware specs and the workload (Calculon's System / Application / Execution).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.collectives import NETWORK_EFFICIENCY, NVLINK_EFFICIENCY
from app.engine.efficiency import generation
from app.engine.specs import GIB, AcceleratorSpec, ServerSpec

SHARDINGS = ("megatron", "zero1", "zero2", "zero3", "fsdp")
# Kernel stacks: Megatron-LM / NeMo with Transformer Engine (fused norm/activation kernels, cuDNN fused
# attention) and the PyTorch eager FSDP stack (llm-foundry, torchtitan: FlashAttention-2 / SDPA, unfused
# elementwise kernels, more launches per layer).
FRAMEWORKS = ("megatron", "pytorch")
# Pipeline schedules: 1F1B (interleaved when vp > 1; Narayanan et al. 2021) and DeepSeek's DualPipe
# (bidirectional; a forward and a backward chunk run together so all-to-all and pipeline traffic hide
# behind compute; arXiv 2412.19437 section 3.2.1).
PIPELINE_SCHEDULES = ("1f1b", "dualpipe")
# MoE token dispatchers: the Megatron-Core all-to-all (every routed copy sent separately, BF16 both ways)
# and DeepEP-style node-deduplicated dispatch (a token crosses the scale-out network once per distinct
# remote node, then NVLink forwards it; FP8 dispatch under FP8 training, BF16 combine; arXiv 2412.19437
# section 3.2.2 and 3.3.2; github.com/deepseek-ai/DeepEP).
MOE_DISPATCHERS = ("alltoall", "deepep")
# When only an accelerator is given (no server SKU): scale-out per GPU [Gb/s]. 400 Gb/s is one
# ConnectX-7 NDR port per GPU (DGX H100 datasheet); A100 systems shipped 200 Gb/s HDR per GPU
# (DGX A100 datasheet: 8x ConnectX-6 200 Gb/s).
DEFAULT_SCALEOUT_GBIT_S = 400.0
AMPERE_SCALEOUT_GBIT_S = 200.0
# Memory held back from the model: CUDA context, NCCL buffers, allocator fragmentation [GiB]
# (~3-6 GiB observed on H100 training jobs; PyTorch memory notes). Assumption.
RUNTIME_RESERVE_GIB = 5.0
USABLE_HBM_FRACTION = 0.95  # allocator fragmentation headroom (assumption)


@dataclass(frozen=True)
class Strategy:
    """One parallel layout. dp = 0 means 'the rest of the GPUs'. None fields are chosen by the engine."""

    tp: int = 1
    pp: int = 1
    dp: int = 0
    cp: int = 1
    ep: int = 1
    vp: int | None = None  # virtual pipeline stages per GPU (interleaving); None = chosen
    sharding: str | None = None  # megatron (distributed optimizer) / zero1 / zero2 / zero3 / fsdp
    recompute: str | None = None  # none / selective / full
    micro_batch: int | None = None  # sequences per microbatch

    @property
    def model_parallel(self) -> int:
        return self.tp * self.pp * self.cp

    def as_dict(self) -> dict[str, int | str | None]:
        return {
            "tp": self.tp,
            "pp": self.pp,
            "dp": self.dp,
            "cp": self.cp,
            "ep": self.ep,
            "vp": self.vp,
            "sharding": self.sharding,
            "recompute": self.recompute,
            "micro_batch": self.micro_batch,
        }


TUNINGS = ("mainstream", "optimal")


@dataclass(frozen=True)
class SoftwareStack:
    """Software choices; None fields are filled by `tuning`.

    tuning "mainstream" (default): what a competent team runs with the mainstream stack of the layout
    (see `strategy.mainstream_options`): Megatron distributed optimizer + selective recompute (full when
    memory needs it) and micro-batch 1 under pipeline parallelism; PyTorch FSDP (ZeRO-3) with the
    fastest fitting micro-batch and none/full recompute for pure data parallelism (llm-foundry,
    torchtitan). fp16 implies the 2020-22 stack (full recompute, unfused attention). tuning "optimal":
    the fastest of every sharding / recompute / micro-batch that fits memory (an upper bound)."""

    recompute: str | None = None  # none / selective / full
    attention: str | None = None  # flash / unfused; None = flash, unfused for fp16 (legacy stack)
    sharding: str | None = None  # megatron / zero1 / zero2 / zero3 / fsdp
    micro_batch_size: int | None = None
    tuning: str = "mainstream"  # mainstream / optimal
    framework: str | None = None  # megatron / pytorch; None = pytorch for PyTorch FSDP layouts, else megatron
    pipeline_schedule: str | None = None  # 1f1b / dualpipe; None = 1f1b (interleaved when vp > 1)
    moe_dispatcher: str | None = None  # alltoall / deepep; None = deepep under node-limited routing


def framework_of(software: SoftwareStack, s: Strategy) -> str:
    """The kernel stack a strategy runs on: the given one, else PyTorch eager for a pure data-parallel
    FSDP layout with flash attention (the llm-foundry / torchtitan recipe), else Megatron + Transformer Engine."""
    if software.framework is not None:
        return software.framework
    pure_dp = s.tp == 1 and s.pp == 1 and s.cp == 1 and s.ep == 1
    return "pytorch" if pure_dp and s.sharding == "fsdp" and software.attention == "flash" else "megatron"


@dataclass(frozen=True)
class Cluster:
    """What the training model needs to know about the machines [bytes/s, bytes]."""

    accelerator: AcceleratorSpec
    domain_gpus: int  # GPUs in one scale-up (NVLink / Infinity Fabric) domain
    scaleup_byte_s: float  # achievable per-GPU one-direction scale-up bandwidth
    scaleout_byte_s: float  # achievable per-GPU scale-out bandwidth
    hbm_usable_bytes: float  # memory available to the model per GPU
    generation: str = "other"  # architecture generation (efficiency.generation), resolved once

    def link_byte_s(self, group_span_gpus: int) -> float:
        """Bandwidth for a group spanning that many consecutive GPUs [bytes/s]."""
        return self.scaleup_byte_s if group_span_gpus <= self.domain_gpus else self.scaleout_byte_s


def default_domain_gpus(accel: AcceleratorSpec) -> int:
    """Scale-up domain when no server is given: 8 for SXM/OAM, 2 for NVL bridge, 1 for plain PCIe;
    72 for Grace-Blackwell superchips, which ship as GB200/GB300 NVL72 racks (NVIDIA GB200 NVL72 datasheet)."""
    form = accel.form_factor.lower()
    if form == "superchip" or accel.slug.startswith(("gb200", "gb300")):
        return 72
    if form in ("sxm", "oam", "superchip", "apu") or "sxm" in accel.slug:
        return 8
    return 2 if accel.scaleup_gbyte_s > 0 else 1


def make_cluster(hardware: ServerSpec | AcceleratorSpec, gpu_count: int) -> Cluster:
    """Cluster view of a server SKU or a bare accelerator (defaults above)."""
    if isinstance(hardware, ServerSpec):
        accel, domain = hardware.accelerator, max(1, hardware.scaleup_domain_gpus)
        nic_gbit = hardware.compute_nic_count * hardware.compute_nic_gbit_s / max(1, hardware.gpu_count)
    else:
        accel, domain = hardware, default_domain_gpus(hardware)
        ampere = "a100" in accel.slug or "a800" in accel.slug
        nic_gbit = AMPERE_SCALEOUT_GBIT_S if ampere else DEFAULT_SCALEOUT_GBIT_S
    scaleout = max(nic_gbit, 25.0) / 8.0 * 1e9 * NETWORK_EFFICIENCY
    scaleup = accel.scaleup_gbyte_s / 2.0 * 1e9 * NVLINK_EFFICIENCY if domain > 1 else scaleout
    usable = accel.device_memory_bytes() * USABLE_HBM_FRACTION - RUNTIME_RESERVE_GIB * GIB
    gen = generation(accel)
    return Cluster(accel, min(domain, max(1, gpu_count)), max(scaleup, scaleout), scaleout, usable, gen)
