"""Inference memory: weights, KV cache, the KV pool left after runtime reserves, and max concurrency.

Formulas (DESIGN.md section 3, Inference):
  weights bytes       = N x bytes(precision)   (+ FP4 block scales)
  KV bytes per token  = 2 L n_kv d x bytes(kv)  (MLA: L (kv_lora_rank + qk_rope_head_dim) x bytes)
  KV pool             = (HBM - weights/GPU - runtime reserve - activation workspace) x KV memory fraction
  max concurrency     = min(KV pool / KV bytes per sequence, serving runtime batch cap)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from app.engine.inference_timing import expert_split
from app.engine.specs import GIB
from app.engine.workload import BYTES_PER_VALUE, ModelShape, Precision

# NVFP4 stores one FP8 scale per 16 values: 0.5 + 1/16 bytes per weight
# (NVIDIA "Introducing NVFP4", developer.nvidia.com/blog, 2025).
FP4_BYTES_PER_WEIGHT = 0.5 + 1 / 16


@dataclass(frozen=True)
class ServingRuntime:
    """The serving stack's memory, batching and kernel knobs; defaults follow TensorRT-LLM 1.0 (trtllm-bench).

    The kernel knobs (*_scale, gqa_kv_reuse) are relative to the calibrated TensorRT-LLM 1.0 kernels; the older
    presets below are fitted on "fit" cases of their own version only (benchmarks/fidelity_inference.py --fit).
    """

    name: str = "trtllm-1.0"
    # TensorRT-LLM kv_cache_free_gpu_mem_fraction: 0.90 default, 0.95 in NVIDIA's perf-overview runs.
    kv_memory_fraction: float = 0.92
    # CUDA context, cuBLAS/NCCL workspaces, CUDA graphs: ~1-3 GiB per GPU (observed in TRT-LLM/vLLM startup logs).
    reserve_gib_per_gpu: float = 2.5
    max_batch_size: int = 2048  # runtime cap on sequences in flight (trtllm-bench default order)
    max_num_tokens: int = 8192  # tokens per forward pass (prefill chunk), TRT-LLM default
    kv_cache_precision: str | None = None  # None = FP8 KV when weights are FP8/FP4, else the weight precision
    efficiency_scale: float = 1.0  # relative dense GEMM efficiency of this stack vs the calibrated default
    # The same on Hopper only: early stacks ran Ampere-style kernels (mma.sync, no wgmma/TMA) that reach a lower
    # fraction of Hopper's peak (FlashAttention-2 ~35% vs ~75% for Hopper-native kernels: Shah et al. 2024, sec. 4.1).
    hopper_efficiency_scale: float = 1.0
    step_overhead_scale: float = 1.0  # relative per-step host/scheduler/launch overhead
    prefill_overhead_scale: float = 1.0  # relative fixed cost of a prefill forward on top of that (request setup)
    allreduce_latency_scale: float = 1.0  # relative latency of one tensor-parallel all-reduce (NCCL vs custom)
    hbm_eff_scale: float = 1.0  # relative achieved HBM bandwidth (weights and KV streaming)
    moe_eff_scale: float = 1.0  # relative grouped expert-GEMM efficiency
    # The same on Hopper only: MoE plugins before the SM90 TMA grouped GEMM dispatched CUTLASS Sm80 grouped-GEMM
    # kernels on H100 (moe_gemm_kernels_template.h: "TODO Update the arch to Sm90 once CUTLASS hopper
    # specialisations are available"), native on Ada and Ampere, short of Hopper's peak (see hopper_efficiency_scale).
    hopper_moe_eff_scale: float = 1.0
    # Share of a KV head's reads reused by the other query heads of its GQA group: 1 = grouped-query decode kernel
    # (TRT-LLM XQA, v0.7+); legacy masked-MHA kernels re-read K/V for every query head (L2 hits only).
    gqa_kv_reuse: float = 1.0
    # Query-heads-per-KV-head ratios and head sizes the grouped-query decode kernel accepts (empty = every shape).
    # TensorRT-LLM 0.8/0.9 (decoderXQARunner.h, shouldUse): "nbQHeadsPerKV != 8 && nbQHeadsPerKV != 1" and
    # "head_size != 128 && head_size != 256" -> masked MHA; the precompiled cubins are nqpkv_8 only. Other shapes
    # (Mistral/Mixtral 4:1, Falcon-180B 29:1 with 64-wide heads) decode with masked MHA at mmha_kv_reuse.
    xqa_group_sizes: tuple[int, ...] = ()
    xqa_head_sizes: tuple[int, ...] = ()
    mmha_kv_reuse: float = 1.0  # gqa_kv_reuse of the masked-MHA fallback (derived from trtllm-0.6 below)
    static_batching: bool = False  # True: the whole batch is prefilled at once, then decoded together (pre-v0.10)
    # Precision of the routed-expert GEMMs when the stack has no low-precision MoE kernels (None = serving precision).
    # Not "FP8 OOTB MoE" of TensorRT-LLM v0.12.0 (release notes): OOTB is the non-plugin MoE path; the MoE plugin
    # took FP8 expert weights with FP8 activation scales earlier (examples/mixtral/README.md of the v0.9/v0.10
    # era, "FP8 Post-Training Quantization"; v0.10.0 release notes "Added FP8 quantization support for Mixtral").
    moe_compute_precision: str | None = None
    # One all-reduce per layer for parallel-attention models (GPT-J, Falcon); TensorRT-LLM v0.7.1 release notes:
    # "Optimize AllReduce for parallel attention on Falcon and GPT-J"; earlier releases reduce attention and MLP apart.
    fused_parallel_allreduce: bool = True
    # FasterTransformer-derived engines prefill all prompt tokens but the last, then the first decode step runs the
    # last prompt token and emits the first output token: TTFT = prefill(input - 1) + one decode step. TurboMind 0.1:
    # InternLM/lmdeploy src/turbomind/models/llama/LlamaBatch.cc (v0.1.0 era), ContextDecode(): "subtract input/context
    # len by 1 to skip last input token (will process with decoder later)"; the prefill returns no logits.
    first_token_from_decode: bool = False
    # Throughput of one thread block of the TensorRT-LLM 0.8/0.9 custom all-reduce kernels (0 = the runtime reduces
    # with NCCL or kernels whose grid does not collapse); an all-reduce takes at least its busiest block's bytes at
    # this rate (app/engine/custom_allreduce.py).
    allreduce_block_gbyte_s: float = 0.0
    # Decode steps all-gather the fp32 logits to every TP rank: TensorRT-LLM's TensorRT-engine model definitions
    # (v0.5-v0.17) build the LM head as ColumnLinear(..., gather_output=True), logits_dtype 'float32'
    # (tensorrt_llm/models/*/model.py). Not set for the 1.0 PyTorch backend, LMDeploy or vLLM (not verified).
    logits_gather: bool = False


# Fitted kernel knobs (benchmarks/fidelity_inference.py --fit, "fit" cases of the same runtime only).
_LEGACY_TRTLLM = ServingRuntime(static_batching=True, moe_compute_precision="fp16", fused_parallel_allreduce=False,
                                logits_gather=True)
RUNTIME_PRESETS: dict[str, ServingRuntime] = {
    "trtllm-1.0": ServingRuntime(),  # in-flight batching, XQA, PyTorch backend (perf-overview v1.0)
    # v0.17 (TensorRT engine backend, trtllm-bench, in-flight batching): its dense rows match v1.0 within ~5% (Llama 3.1
    # 8B H100 128/128: 28,837 vs 28,312 tok/s; 70B H100 TP2 2048/128: 773 vs 762), so v1.0's dense kernels; its own
    # MoE scale and runtime reserve, fitted on its Mixtral fit cases. KV fraction 0.95 "in majority of cases"
    # (perf-overview.md, v0.17 revision).
    "trtllm-0.17": ServingRuntime(name="trtllm-0.17", kv_memory_fraction=0.95, moe_eff_scale=0.921,
                                  reserve_gib_per_gpu=1.62, logits_gather=True),
    # v0.15.0: the same trtllm-bench in-flight batching flow and dense kernels as v0.17 (perf-overview.md of both
    # releases, KV fraction 0.95 "in majority of cases"); its MoE scale and runtime reserve fitted on its own fit
    # cases (dense and Mixtral rows of its perf-overview).
    "trtllm-0.15": ServingRuntime(name="trtllm-0.15", kv_memory_fraction=0.95, moe_eff_scale=0.884,
                                  reserve_gib_per_gpu=3.88, logits_gather=True),
    # v0.9.0 (gptSessionBenchmark, static batching): XQA for 8:1 groups only, early MoE plugin. Its FP8 Mixtral rows
    # store and run the experts in FP8 (NVIDIA in TensorRT-LLM issue #1229, 2024-03-05: "Mixtral with FP8 ... will be
    # released in version 0.9.0"); 19.5 ms TTFT on 4 x L40S is below the 26 ms floor of streaming FP16 experts.
    # moe_eff_scale (all GPUs) and hopper_moe_eff_scale (Hopper only: the v0.9 MoE plugin's grouped GEMM ran CUTLASS
    # Sm80 kernels on H100; Hopper-specialised TMA grouped GEMM came after v0.9.0) fitted on the v0.9 Mixtral 8x7B fit
    # cases (performance.md, v0.9.0 revision): 0.537 x 0.674 = 0.362 on H100/H200 (Mixtral's 4:1 groups decode with
    # masked MHA, see xqa_group_sizes). Its custom all-reduce (on by default from v0.8) runs a Falcon-180B 128-token
    # message on 1-2 thread blocks (app/engine/custom_allreduce.py); one block's throughput fitted on its fit cases.
    "trtllm-0.9": ServingRuntime(name="trtllm-0.9", moe_eff_scale=0.537, hopper_moe_eff_scale=0.674,
                                 static_batching=True, allreduce_block_gbyte_s=21.8,
                                 xqa_group_sizes=(1, 8), xqa_head_sizes=(128, 256), logits_gather=True),
    # v0.5.0 / v0.6.1: static batching, no XQA (GQA decode re-reads KV per query head), NCCL all-reduce (the custom
    # all-reduce plugin was opt-in, `--use_custom_all_reduce`, and the performance.md build commands of both releases
    # do not set it; on by default from v0.8). gqa_kv_reuse and all-reduce latency fitted on the 25 v0.6.1 fit
    # cases. Their MoE knobs and v0.5's GQA reuse are derived below (with_legacy_knobs).
    "trtllm-0.6": replace(_LEGACY_TRTLLM, name="trtllm-0.6", gqa_kv_reuse=0.472, allreduce_latency_scale=1.78),
    # v0.5.0 (the first release with FP8) has its own GEMM efficiency scales, overall and on Hopper, fitted on its
    # 13 TTFT fit cases: its H100 rows run ~17% below the calibrated kernels (0.962 x 0.863), A100 and L40S ~4%;
    # its NCCL all-reduce latency fits at 1.10 of the custom kernels' (its TP fit rows are Falcon-180B TP8 only).
    "trtllm-0.5": replace(
        _LEGACY_TRTLLM, name="trtllm-0.5", efficiency_scale=0.962, hopper_efficiency_scale=0.876,
        allreduce_latency_scale=1.075,
    ),
    # LMDeploy v0.1 TurboMind (docs/en/benchmark/a100_fp16.md, v0.1.0a1, batch-1 rows): its first token is the output
    # of a decode step after a prefill of all prompt tokens but the last (first_token_from_decode): the 1-token-prompt
    # rows take one decode step (11 / 18 / 31 ms for 7B / 13B / 70B TP4, with 9 / 17 / 29 ms median per output token),
    # and 128-token prompts cost a 127-token prefill more (22 / 40 / 74 ms).
    # Kernel, overhead, bandwidth and all-reduce scales fitted on its 7 fit cases: GEMM and HBM scales at their cap of
    # 1.0, decode step overhead 1.03, NCCL all-reduce latency 1.38x the custom kernels'; the prefill's own fixed costs
    # fit at 0.11x, the request's setup being paid once in the decode step that emits the first token.
    "lmdeploy-0.1": ServingRuntime(name="lmdeploy-0.1", step_overhead_scale=1.032, prefill_overhead_scale=0.1115,
                                   allreduce_latency_scale=1.382, first_token_from_decode=True),
    # vLLM (ROCm build of 2024, the only vLLM source in the case table: Oracle OCI MI300X blog).
    "vllm": ServingRuntime(
        name="vllm",
        kv_memory_fraction=0.90,  # vLLM --gpu-memory-utilization default 0.9 (docs.vllm.ai engine args)
        max_batch_size=256,  # vLLM --max-num-seqs default 256 (docs.vllm.ai engine args)
        # fitted on the 4 Oracle fit cases
        efficiency_scale=0.384, step_overhead_scale=0.301, hbm_eff_scale=0.717,
    ),
}
# Releases that take another release's knobs, having no cases of their own to fit them on. v0.8.0: the same
# gptSessionBenchmark static batching and XQA kernels one release before v0.9.0 (its performance.md tables follow
# the v0.9.0 method), and no MoE rows.
RUNTIME_ALIASES = {"trtllm-0.8": "trtllm-0.9"}


def with_aliases(presets: dict[str, ServingRuntime]) -> dict[str, ServingRuntime]:
    """The presets plus each alias as a renamed copy of the preset it follows (re-derived after a fit)."""
    return {**presets, **{alias: replace(presets[src], name=alias) for alias, src in RUNTIME_ALIASES.items()}}


# v0.5.0 and v0.6.1 predate Mixtral support (v0.7.1 release notes): MoE requests run on v0.9's Sm80 kernels at the
# FP16-expert equivalent of its FP8 scale (0.558 x FP16 rate = 0.344 x FP8 rate when v0.9's scale was 0.344).
# v0.5 shares v0.6's GQA KV reuse: both predate XQA, and v0.5's cases are first-token rows, which cannot pin
# decode KV reads.
LEGACY_MOE_RATIO = 0.558 / 0.344
LEGACY_MOE_RUNTIMES = ("trtllm-0.6", "trtllm-0.5")


def with_legacy_knobs(presets: dict[str, ServingRuntime]) -> dict[str, ServingRuntime]:
    """The presets with the knobs v0.5 / v0.6 take from v0.9 and v0.6 (re-derived after a fit)."""
    v09, v06 = presets["trtllm-0.9"], presets["trtllm-0.6"]
    moe, hopper = v09.moe_eff_scale * LEGACY_MOE_RATIO, v09.hopper_moe_eff_scale
    out = {**presets, **{key: replace(presets[key], moe_eff_scale=moe, hopper_moe_eff_scale=hopper)
                         for key in LEGACY_MOE_RUNTIMES}}
    out["trtllm-0.5"] = replace(out["trtllm-0.5"], gqa_kv_reuse=v06.gqa_kv_reuse)
    out["trtllm-0.9"] = replace(out["trtllm-0.9"], mmha_kv_reuse=v06.gqa_kv_reuse)  # the same masked-MHA kernels
    return out


def derive_presets(presets: dict[str, ServingRuntime]) -> dict[str, ServingRuntime]:
    """Every derived knob and alias, in the order they depend on each other."""
    return with_aliases(with_legacy_knobs(presets))


RUNTIME_PRESETS = derive_presets(RUNTIME_PRESETS)
DEFAULT_RUNTIME = "trtllm-1.0"
VLLM_RUNTIME = RUNTIME_PRESETS["vllm"]


def serving_runtime(name: str | None) -> ServingRuntime:
    """The preset for a runtime name (None = TensorRT-LLM 1.0); ValueError names the allowed values."""
    key = name or DEFAULT_RUNTIME
    if key not in RUNTIME_PRESETS:
        raise ValueError(f"runtime must be one of {sorted(RUNTIME_PRESETS)}, got {name!r}")
    return RUNTIME_PRESETS[key]


def gqa_group(model: ModelShape) -> float:
    """Query heads per KV head (1 for MHA and for MLA's shared latent)."""
    return 1.0 if model.kv_lora_rank else model.attention_heads / max(1, model.kv_heads)


def grouped_decode(model: ModelShape, runtime: ServingRuntime) -> bool:
    """Whether the runtime's grouped-query decode kernel takes this shape (else it decodes with masked MHA)."""
    grouped = not runtime.xqa_group_sizes or gqa_group(model) in runtime.xqa_group_sizes
    return grouped and (not runtime.xqa_head_sizes or model.head_dim in runtime.xqa_head_sizes)


def kv_read_factor(model: ModelShape, runtime: ServingRuntime) -> float:
    """KV bytes read per cached byte in decode: 1 + (g - 1)(1 - reuse) for g query heads per KV head."""
    reuse = runtime.gqa_kv_reuse if grouped_decode(model, runtime) else runtime.mmha_kv_reuse
    return 1.0 + (gqa_group(model) - 1.0) * (1.0 - reuse)


def weight_bytes_per_value(precision: Precision) -> float:
    return FP4_BYTES_PER_WEIGHT if precision.name == "fp4" else precision.bytes_per_value


def weights_bytes(model: ModelShape, precision: Precision) -> float:
    """All weights of the model at the serving precision [bytes]."""
    return model.params * weight_bytes_per_value(precision)


def kv_bytes_per_value(precision: Precision, runtime: ServingRuntime) -> float:
    if runtime.kv_cache_precision:
        return BYTES_PER_VALUE[runtime.kv_cache_precision]
    return 1.0 if precision.name in ("fp8", "fp4", "int8") else precision.bytes_per_value


def kv_values_per_token(model: ModelShape) -> float:
    """Cached values per token over all layers (K and V, or the MLA latent plus decoupled RoPE key)."""
    if model.kv_lora_rank:
        return model.layers * (model.kv_lora_rank + model.qk_rope_head_dim)
    return 2.0 * model.layers * model.kv_heads * model.head_dim


def kv_bytes_per_token(model: ModelShape, kv_bytes: float) -> float:
    """KV cache of one token of one sequence [bytes] (Llama 3 70B bf16: 2*80*8*128*2 = 327,680)."""
    return kv_values_per_token(model) * kv_bytes


def kv_replication(model: ModelShape, tp: int, attention_dp: bool = False) -> float:
    """Copies of each KV head across a TP group: heads split over TP; fewer KV heads than ranks replicate.

    Attention data parallelism keeps each sequence's whole KV on one rank: no replication."""
    if attention_dp:
        return 1.0
    if model.kv_lora_rank:
        return float(tp)  # MLA latent is shared by all heads, so every TP rank keeps it
    return tp / min(tp, model.kv_heads)


def activation_workspace_bytes(model: ModelShape, tp: int, runtime: ServingRuntime) -> float:
    """Per-GPU activation buffers for one forward pass of max_num_tokens, plus the logits buffer."""
    ffn = model.ffn_hidden_size * (model.experts_per_token if model.is_moe else 1)
    per_token = (4 * model.hidden_size + 2 * ffn / tp) * 2.0  # bf16 activations
    logits = min(runtime.max_batch_size, runtime.max_num_tokens) * model.vocab_size / tp * 4.0
    return runtime.max_num_tokens * per_token + logits


def weights_per_gpu(model: ModelShape, precision: Precision, gpus: int, attention_dp: bool) -> float:
    """Weights held by each GPU [bytes]: all sharded, or under attention DP the dense part on every GPU."""
    if not attention_dp:
        return weights_bytes(model, precision) / gpus
    dense, per_expert, _ = expert_split(model)
    return (dense + per_expert * model.experts / gpus) * weight_bytes_per_value(precision)


@dataclass(frozen=True)
class MemoryPlan:
    weights_bytes: float
    kv_bytes_per_token: float  # whole replica, replication included
    kv_pool_bytes: float  # whole replica
    hbm_bytes: float  # whole replica
    seq_tokens: int  # input + output tokens of one sequence
    kv_limited_concurrency: int
    max_concurrency: int


def plan_memory(model: ModelShape, precision: Precision, hbm_bytes_per_gpu: float, gpus: int, tp: int,
                seq_tokens: int, runtime: ServingRuntime, attention_dp: bool = False) -> MemoryPlan:
    """KV pool after weights and reserves, and how many sequences of seq_tokens fit in it."""
    w = weights_bytes(model, precision)
    per_gpu_free = hbm_bytes_per_gpu - weights_per_gpu(model, precision, gpus, attention_dp)
    per_gpu_free -= runtime.reserve_gib_per_gpu * GIB
    per_gpu_free -= activation_workspace_bytes(model, tp, runtime)
    pool = max(0.0, per_gpu_free) * runtime.kv_memory_fraction * gpus
    kv_tok = kv_bytes_per_token(model, kv_bytes_per_value(precision, runtime)) * kv_replication(model, tp, attention_dp)
    fit = int(pool // (kv_tok * seq_tokens)) if kv_tok > 0 else runtime.max_batch_size
    return MemoryPlan(w, kv_tok, pool, hbm_bytes_per_gpu * gpus, seq_tokens, fit, min(fit, runtime.max_batch_size))


def min_gpus_for_weights(model: ModelShape, precision: Precision, hbm_bytes_per_gpu: float) -> int:
    return max(1, math.ceil(weights_bytes(model, precision) / (0.9 * hbm_bytes_per_gpu)))
