"""Estimate request/response schemas. Every field carries its unit and definition (shown in /docs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.errors import INLINE_SHAPE_TAG, PRESET_SLUG_TAG

N = TypeVar("N", bound=float | None)  # a numeric field value (int counts as float)
Precision = Literal["bf16", "fp16", "fp8", "fp4"]
PresetSlug = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$",
                                  description="Preset slug from GET /api/v1/models")]
HwSlug = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
ServingRuntimeName = Literal[
    "trtllm-1.0", "trtllm-0.17", "trtllm-0.15", "trtllm-0.9", "trtllm-0.8", "trtllm-0.6", "trtllm-0.5", "lmdeploy-0.1",
    "vllm"]
Degree = Annotated[int, Field(ge=1, le=65_536)]


class ModelShapeIn(BaseModel):
    """A transformer shape given inline (dense or mixture-of-experts)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(max_length=100)] = "custom model"
    params: Annotated[float, Field(gt=0, le=1e15, description="Total parameters")]
    active_params: Annotated[float | None, Field(gt=0, le=1e15, description="Parameters used per token (MoE)")] = None
    layers: Annotated[int, Field(ge=1, le=10_000)]
    hidden_size: Annotated[int, Field(ge=1, le=1_000_000)]
    ffn_hidden_size: Annotated[int | None, Field(ge=1, le=10_000_000)] = None
    attention_heads: Annotated[int, Field(ge=1, le=100_000)]
    kv_heads: Annotated[int | None, Field(ge=1, le=100_000, description="Defaults to attention_heads")] = None
    vocab_size: Annotated[int, Field(ge=1, le=10_000_000)] = 32_000
    experts: Annotated[int, Field(ge=1, le=100_000)] = 1
    experts_per_token: Annotated[int, Field(ge=1, le=1_000)] = 1
    kv_lora_rank: Annotated[int, Field(ge=0, le=1_000_000, description="MLA latent size (0 = standard KV)")] = 0
    qk_rope_head_dim: Annotated[int, Field(ge=0, le=100_000, description="MLA rotary key dim per head")] = 0
    q_lora_rank: Annotated[int, Field(ge=0, le=1_000_000, description="MLA query latent size")] = 0
    qk_nope_head_dim: Annotated[int, Field(ge=0, le=100_000, description="MLA non-rotary key dim per head")] = 0
    v_head_dim: Annotated[int, Field(ge=0, le=100_000, description="MLA value dim per head")] = 0
    head_dim_override: Annotated[int, Field(ge=0, le=100_000, description="Head dim when not hidden/heads")] = 0
    shared_experts: Annotated[int, Field(ge=0, le=1_000, description="Always-active experts per MoE layer")] = 0
    routed_nodes_max: Annotated[int, Field(ge=0, le=100_000, description=(
        "Node-limited routing: a token's routed experts sit on at most this many nodes (DeepSeek-V3: 4); "
        "0 = no limit"))] = 0
    parallel_attention: bool = Field(False, description=(
        "Attention and MLP read the same layer input and are summed (GPT-J, Falcon): inference runtimes that fuse "
        "it need one tensor-parallel all-reduce per layer instead of two"))

    # Cross-field rules as field validators (each on the later-declared field), so an error names its field.
    @field_validator("attention_heads")
    @classmethod
    def _heads_divide_hidden(cls, heads: int, info: ValidationInfo) -> int:
        return _rule(heads, info, "hidden_size", "must divide", lambda v, ref: ref % v != 0)

    @field_validator("kv_heads")
    @classmethod
    def _kv_heads_divide_heads(cls, kv_heads: int | None, info: ValidationInfo) -> int | None:
        return _rule(kv_heads, info, "attention_heads", "must divide", lambda v, ref: ref % v != 0)

    @field_validator("experts_per_token")
    @classmethod
    def _k_within_experts(cls, k: int, info: ValidationInfo) -> int:
        return _rule(k, info, "experts", "must not exceed", lambda v, ref: v > ref)

    @field_validator("active_params")
    @classmethod
    def _active_within_params(cls, active: float | None, info: ValidationInfo) -> float | None:
        return _rule(active, info, "params", "must not exceed", lambda v, ref: v > ref)


def _rule(value: N, info: ValidationInfo, other: str, relation: str, broken: Callable[[Any, Any], bool]) -> N:
    """`value` against the already-validated field `other`; skipped when either is absent or invalid."""
    ref = info.data.get(other)
    if value is not None and ref and broken(value, ref):
        raise ValueError(f"{relation} {other} ({ref:g}), got {value:g}")
    return value


def _model_ref_kind(value: Any) -> str | None:
    """Which branch validates `model`: a string is a preset slug, an object an inline shape (one branch's errors)."""
    if isinstance(value, str):
        return PRESET_SLUG_TAG
    return INLINE_SHAPE_TAG if isinstance(value, dict | ModelShapeIn) else None


ModelRef = Annotated[
    Annotated[PresetSlug, Tag(PRESET_SLUG_TAG)] | Annotated[ModelShapeIn, Tag(INLINE_SHAPE_TAG)],
    Discriminator(_model_ref_kind, custom_error_type="model_ref",
                  custom_error_message="must be a preset slug (GET /api/v1/models) or an object with the shape"),
    Field(description="Preset slug or an inline shape"),
]


class HardwareChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accelerator: HwSlug | None = Field(default=None, description="Accelerator slug (GET /api/v1/accelerators)")
    server: HwSlug | None = Field(default=None, description="Server slug (GET /api/v1/servers): uses its NVLink "
                                                             "domain and NICs")

    @model_validator(mode="after")
    def _one_hardware(self) -> HardwareChoice:
        if (self.accelerator is None) == (self.server is None):
            raise ValueError("give exactly one of accelerator or server")
        return self


class ParallelismIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tp: Degree = 1
    pp: Degree = 1
    dp: Annotated[int | None, Field(ge=1, le=1_000_000, description="None = the remaining GPUs")] = None
    cp: Degree = 1
    ep: Degree = 1
    vp: Annotated[int | None, Field(ge=1, le=1024, description="Interleaved stages per GPU; None = engine picks")] \
        = None


class SoftwareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recompute: Literal["none", "selective", "full"] | None = Field(None, description="None = engine picks")
    attention: Literal["flash", "unfused"] | None = Field(None, description="None = flash (unfused for fp16, "
                                                                             "the 2020-22 stack)")
    sharding: Literal["megatron", "zero1", "zero2", "zero3", "fsdp"] | None = None
    micro_batch_size: Annotated[int | None, Field(ge=1, le=4096)] = None
    framework: Literal["megatron", "pytorch"] | None = Field(None, description=(
        "megatron: Megatron-LM with Transformer Engine fused kernels; pytorch: PyTorch FSDP stack (llm-foundry, "
        "torchtitan). None = pytorch for pure data parallelism with FSDP, megatron otherwise"))
    pipeline_schedule: Literal["1f1b", "dualpipe"] | None = Field(None, description=(
        "1f1b: Megatron 1F1B, interleaved when vp > 1; dualpipe: DeepSeek's bidirectional schedule (even pp, no "
        "interleaving, two parameter copies) that hides all-to-all and pipeline traffic behind compute. "
        "None = 1f1b"))
    moe_dispatcher: Literal["alltoall", "deepep"] | None = Field(None, description=(
        "alltoall: Megatron-Core all-to-all, BF16, every routed copy sent; deepep: node-deduplicated dispatch, "
        "FP8 dispatch under fp8. None = deepep for models with node-limited routing, else alltoall"))
    tuning: Literal["mainstream", "optimal"] = Field("mainstream", description=(
        "mainstream: the recipe a competent team runs on this layout (Megatron distributed optimizer + selective "
        "recompute, or FSDP for pure data parallelism); optimal: fastest of everything that fits (an upper bound)"))


class TrainingRequest(HardwareChoice):
    model: ModelRef
    seq_len: Annotated[int, Field(ge=1, le=4_194_304, description="Sequence length [tokens]")] = 4096
    gpu_count: Annotated[int, Field(ge=1, le=1_000_000)]
    precision: Precision = "bf16"
    tokens: Annotated[float | None, Field(gt=0, le=1e17, description="Tokens of the whole run")] = None
    global_batch_tokens: Annotated[int | None, Field(ge=1, le=10**10, description="Tokens per step")] = None
    parallelism: ParallelismIn | None = Field(None, description="Omit to let the engine search the fastest layout")
    software: SoftwareIn | None = None


class InferenceRequest(HardwareChoice):
    model: ModelRef
    gpu_count: Annotated[int, Field(ge=1, le=4096, description="GPUs of one replica")] = 1
    precision: Precision = "bf16"
    input_tokens: Annotated[int, Field(ge=1, le=4_194_304)]
    output_tokens: Annotated[int, Field(ge=1, le=1_048_576)]
    concurrency: Annotated[int | None, Field(ge=1, le=1_000_000, description="Omit = throughput-optimal")] = None
    requests: Annotated[int | None, Field(ge=1, le=1_000_000_000, description=(
        "Omit = steady-state serving. Else an offline job of this many identical requests queued at once: the "
        "figures count its last, partly filled wave, and job_seconds gives its wall clock"))] = None
    ttft_ms_max: Annotated[float | None, Field(gt=0, le=3_600_000)] = None
    tpot_ms_max: Annotated[float | None, Field(gt=0, le=3_600_000)] = None
    runtime: ServingRuntimeName = Field("trtllm-1.0", description=(
        "Serving software the figures assume: TensorRT-LLM 1.0 in-flight batching (default), TensorRT-LLM 0.17 and "
        "0.15 (TensorRT engine backend, in-flight batching), older TensorRT-LLM releases with static batching (0.9, "
        "0.8, 0.6, 0.5), LMDeploy 0.1 (TurboMind) or vLLM"))


class MemoryOut(BaseModel):
    weights_gib: float = Field(description="Weights per GPU [GiB]")
    gradients_gib: float = Field(description="Gradients per GPU [GiB]")
    optimizer_gib: float = Field(description="Optimizer state per GPU [GiB] (fp32 master + Adam moments)")
    activations_gib: float = Field(description="Activations held per GPU, first pipeline stage [GiB]")
    reserve_gib: float = Field(description="Runtime reserve: CUDA context, communication buffers [GiB]")
    capacity_gib: float = Field(description="Device memory [GiB]")


class TimeOut(BaseModel):
    compute_s: float = Field(description="Compute per step not hidden by anything [s]")
    communication_s: float = Field(description="Exposed (not overlapped) communication per step [s]")
    bubble_s: float = Field(description="Pipeline bubble per step [s]")
    other_s: float = Field(description="Optimizer update and fixed per-step overheads [s]")


class TrainingResponse(BaseModel):
    tokens_per_s: float = Field(description="Steady-state training tokens per second, whole job")
    tokens_per_s_per_gpu: float = Field(description="tokens_per_s / gpu_count")
    model_tflops_per_gpu: float = Field(description="Model FLOPs (6 N_active + 12 L s h per token) per second "
                                                    "per GPU [TFLOP/s]; recomputation not counted")
    hardware_tflops_per_gpu: float = Field(description="FLOPs actually executed incl. recomputation [TFLOP/s]")
    mfu: float = Field(description="Model FLOPs utilization: model_tflops_per_gpu / dense peak of the precision")
    step_time_s: float = Field(description="One optimizer step [s]")
    global_batch_tokens: int = Field(description="Tokens per optimizer step")
    parallelism: dict[str, int | str | None] = Field(description="Strategy used: tp, pp, dp, cp, ep, vp, sharding, "
                                                                  "recompute, micro_batch")
    memory_per_gpu_gib: float = Field(description="Total memory per GPU [GiB] (see memory_breakdown)")
    memory_breakdown: MemoryOut
    time_breakdown: TimeOut
    wall_clock_hours: float | None = Field(None, description="Expected duration of the whole run incl. failures, "
                                                             "restarts and checkpoints [h] (when tokens is given)")
    wall_clock_hours_low: float | None = Field(None, description="Optimistic end of the range [h]")
    wall_clock_hours_high: float | None = Field(None, description="Pessimistic end of the range [h]")
    gpu_hours: float | None = Field(None, description="Expected wall_clock_hours x gpu_count [GPU-h]")
    gpu_hours_low: float | None = Field(None, description="Optimistic end of the range [GPU-h]")
    gpu_hours_high: float | None = Field(None, description="Pessimistic end of the range [GPU-h]")
    goodput: float | None = Field(None, description="Share of wall-clock time that advances training")
    expected_interruptions: float | None = Field(None, description="Expected failures over the run")
    checkpoint_interval_s: float | None = Field(None, description="Young/Daly optimal checkpoint interval [s]")
    confidence: Literal["high", "medium", "low"] = Field(description="How well published data backs this case")
    warnings: list[str]
    flops_definition: str
    engine_version: str


class InferenceResponse(BaseModel):
    output_tokens_per_s: float = Field(description="Generated tokens per second, whole replica")
    output_tokens_per_s_per_gpu: float
    requests_per_s: float = Field(description="Completed requests per second at this concurrency")
    ttft_ms: float = Field(description=(
        "Time to first token [ms]: the prefill of the batch the request joins (on LMDeploy 0.1, whose first token "
        "comes from a decode step: the prefill of all prompt tokens but the last, plus one decode step)"))
    tpot_ms: float = Field(description="Time per output token [ms]: one decode step")
    concurrency: int = Field(description="Sequences in flight used for the figures")
    max_concurrency: int = Field(description="Most sequences the KV cache (and runtime cap) allows")
    kv_cache_gib: float = Field(description="KV cache pool of the replica [GiB]")
    kv_cache_gib_per_sequence: float = Field(description="KV cache of one input+output sequence [GiB]")
    weights_gib: float = Field(description="Weights of the replica [GiB]")
    limiting_bound: Literal["compute", "memory_bandwidth", "memory_capacity", "communication"] = Field(description=(
        "What limits the figures: memory_capacity when the KV cache caps concurrency, else the largest part "
        "(GEMM math, weight and KV streaming, tensor-parallel all-reduces) of the phase that takes most of the time "
        "(prefill or decode)"))
    meets_latency_targets: bool
    tensor_parallel: int
    pipeline_parallel: int
    job_seconds: float | None = Field(None, description=(
        "Wall clock of the offline job when `requests` is given [s]; null for steady-state serving"))
    confidence: Literal["high", "medium", "low"]
    warnings: list[str]
    engine_version: str


class PresetOut(BaseModel):
    slug: str
    name: str
    kind: Literal["transformer", "classic"]
    source_url: str
    notes: str
    shape: dict[str, float | int | str | None]
