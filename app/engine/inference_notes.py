"""What an inference estimate says about itself: known gaps against published measurements (they lower its
confidence) and notes on modeled software effects worth knowing (they do not).

Each gap is measured on the cases of tests/fidelity/inference_cases.json (benchmarks/fidelity_inference.py).
"""

from __future__ import annotations

from app.engine import custom_allreduce
from app.engine.inference_memory import ServingRuntime, gqa_group, grouped_decode, kv_read_factor
from app.engine.inference_timing import Hardware, InferenceCalibration, collapsed_grid_time, message_bytes
from app.engine.specs import AcceleratorSpec
from app.engine.workload import ModelShape, Precision

CALIBRATED_FAMILIES = ("h100", "h200", "a100", "b200", "gb200", "l40s", "mi300x")  # accelerators in the case table


def known_gaps(model: ModelShape, accel: AcceleratorSpec, precision: Precision, runtime: ServingRuntime,
               hw: Hardware, input_tokens: int, output_tokens: int) -> list[str]:
    """Every known weakness that applies to this request, most general first."""
    return (_model_and_hardware(model, accel, precision, hw.pp) + _runtime_warnings(runtime, hw.attention_dp)
            + _short_prompt_warnings(model, runtime, input_tokens, hw.tp) + _long_decode_warnings(hw, output_tokens)
            + _decode_kernel_warnings(model, runtime, output_tokens))


def _model_and_hardware(model: ModelShape, accel: AcceleratorSpec, precision: Precision, pp: int) -> list[str]:
    notes = []
    if model.is_moe:
        notes.append("MoE: uniform expert routing assumed; expert GEMM efficiency from few published cases")
    if model.kv_lora_rank:
        notes.append("MLA: latent KV cache held on every TP rank (attention data parallelism would hold more)")
    if not any(f in accel.slug.lower() for f in CALIBRATED_FAMILIES):
        notes.append(f"no published inference measurements for {accel.name}; efficiencies borrowed from H100/A100")
    if not accel.supports(precision.name):
        notes.append(f"{accel.name} has no native {precision.name} tensor cores; modeled at the next wider rate")
    if accel.slug.startswith("a100-pcie"):
        notes.append("A100 PCIe (300 W): published TensorRT-LLM 0.15 throughput is 0-46% below this estimate for dense "
                     "models (up to 78% for Mixtral at TP2), most at TP2-TP8 over PCIe; the power cap holds clocks "
                     "under the datasheet peak")
    if pp > 1:
        notes.append(f"{pp} pipeline stages across scale-up domains; bubbles and inter-node hops not modeled")
    return notes


def _runtime_warnings(runtime: ServingRuntime, attention_dp: bool) -> list[str]:
    notes = []
    if runtime.name == "vllm":
        notes.append("vLLM profile fitted on one source (vLLM ROCm 2024 on MI300X); other vLLM builds differ")
    if attention_dp:
        notes.append("attention data parallelism: not validated; over-predicts published Qwen3 runs by 25-80%")
    return notes


# TensorRT-LLM releases whose tensor-parallel all-reduce is NCCL (custom all-reduce plugin opt-in before v0.8)
NCCL_TRTLLM_RUNTIMES = ("trtllm-0.5", "trtllm-0.6")
SHORT_PROMPT_TOKENS = 512  # the published short-prompt TTFT rows are 128 tokens; the gaps below were seen there


def _short_prompt_warnings(model: ModelShape, runtime: ServingRuntime, input_tokens: int, tp: int) -> list[str]:
    """Known TTFT gaps on short prompts, measured on the held-out and fit cases (benchmarks/fidelity_inference.py)."""
    if input_tokens > SHORT_PROMPT_TOKENS:
        return []
    notes = []
    if model.is_moe:
        notes.append("short-prompt MoE prefill: published Mixtral 8x7B batch-1 first-token latencies at 128 tokens are "
                     "10-33% below this estimate (TensorRT-LLM 0.9)")
    if runtime.name in NCCL_TRTLLM_RUNTIMES and tp > 1 and not model.parallel_attention:
        notes.append("tensor parallelism on TensorRT-LLM 0.5/0.6 (NCCL all-reduce): the published 128-token "
                     "first-token latency of Llama 2 70B at TP4 is 27% above this estimate on H100 (within 4% on A100)")
    return notes


def _decode_kernel_warnings(model: ModelShape, runtime: ServingRuntime, output_tokens: int) -> list[str]:
    """A GQA shape the runtime's grouped-query decode kernel rejects decodes with masked MHA (KV re-read per head)."""
    group = gqa_group(model)
    if output_tokens <= 1 or group <= 1 or grouped_decode(model, runtime):
        return []
    factor = kv_read_factor(model, runtime)
    return [f"{runtime.name} decodes {group:.0f}:1 query groups with {model.head_dim:.0f}-wide heads with masked MHA, "
            f"not XQA (8:1 groups, 128/256-wide heads only), reading the KV cache {factor:.1f}x; published "
            "Mistral 7B rows (4:1) run 25-40% faster on A100/L40S and up to 40% slower on H200 than this"]


GRID_NOTE_S = 0.001  # a collapsed all-reduce grid is named when it costs one prompt's first token this much


def modeled_notes(model: ModelShape, hw: Hardware, runtime: ServingRuntime, input_tokens: int,
                  cal: InferenceCalibration) -> list[str]:
    """Names a custom all-reduce grid that collapses to a few thread blocks (modeled, not a known gap)."""
    extra_s = collapsed_grid_time(input_tokens, model, hw, cal)
    if extra_s < GRID_NOTE_S:
        return []
    _, blocks, _ = custom_allreduce.grid(message_bytes(input_tokens, model), hw.tp)
    return [f"{runtime.name} custom all-reduce: hidden size {model.hidden_size:,} splits a single {input_tokens}-token "
            f"prompt's all-reduce over {blocks} thread block(s) per GPU, which adds {extra_s * 1e3:.1f} ms to its "
            "first token; the NCCL path (--use_custom_all_reduce disable) would not pay it"]


LONG_OUTPUT_TOKENS = 2000  # the v0.17 rows with 2,000-4,096 output tokens show the gap below


def _long_decode_warnings(hw: Hardware, output_tokens: int) -> list[str]:
    """Known throughput gap at TP8 over NVLink with long outputs (benchmarks/fidelity_inference.py, v0.17 rows)."""
    if hw.tp < 8 or hw.pcie or output_tokens < LONG_OUTPUT_TOKENS:
        return []
    return ["TP8 over NVLink with 2,000+ output tokens: published TensorRT-LLM 0.15/0.17 throughput (Llama 3 70B, "
            "Mixtral) is up to 40% below this estimate (about 15% in the median); treat it as an upper bound"]


def confidence_of(notes: list[str]) -> str:
    """high with no known gap, medium with one, low with more."""
    return "high" if not notes else "medium" if len(notes) == 1 else "low"
