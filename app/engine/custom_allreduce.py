"""TensorRT-LLM 0.8/0.9 custom all-reduce: which kernel a message takes and how much one thread block moves.

From v0.8 `trtllm-build` enables the custom all-reduce plugin by default (tensorrt_llm/plugin/plugin.py,
`use_custom_all_reduce: bool = True`, ping-pong IPC buffers). With the AUTO strategy the plugin picks
(cpp/tensorrt_llm/plugins/ncclPlugin/allreducePlugin.cpp, selectImplementation, v0.7-v0.9 era):
  message > workspace (16 MB for TP <= 2, else 8 MB: CustomAllReduceHelper.max_workspace_size_auto) -> NCCL ring;
  TP <= 2 -> one-shot; TP <= 4 -> one-shot below 1,000,000 bytes, else two-shot; TP > 4 -> one-shot below 500,000.
The launch rule (cpp/tensorrt_llm/kernels/customAllReduceKernels.cu, kernelLaunchConfig; constants from
customAllReduceKernels.h: MAX_ALL_REDUCE_BLOCKS = 24, DEFAULT_BLOCK_SIZE = 1024) splits a two-shot message's
per-rank share into the fewest blocks of at most 1,024 threads that divide the thread count, then, above 24 blocks,
divides the grid by its smallest factor that brings it to 24 or fewer. A hidden size with a large prime factor
collapses the grid: Falcon-180B (hidden 14,848 = 2^9 x 29) at 128 tokens runs on 1 block at TP8 and 2 at TP4,
Llama 2 70B (8,192) on 16. Each block loops over its share, so the all-reduce takes at least the block's bytes over
one block's throughput (fitted: ServingRuntime.allreduce_block_gbyte_s).
"""

from __future__ import annotations

import math

MAX_ALL_REDUCE_BLOCKS = 24
DEFAULT_BLOCK_SIZE = 1024
WARP_SIZE = 32
ACTIVATION_BYTES = 2  # fp16 / bf16 activations
ELTS_PER_THREAD = 16 // ACTIVATION_BYTES  # one 128-bit load per thread and step


def workspace_bytes(tp: int) -> int:
    """IPC buffer per rank: messages above it go to NCCL."""
    return 16_000_000 if tp <= 2 else 8_000_000


def strategy(message_bytes: float, tp: int) -> str:
    """"oneshot", "twoshot" or "nccl" for one all-reduce of `message_bytes` over `tp` ranks (AUTO strategy)."""
    if message_bytes > workspace_bytes(tp):
        return "nccl"
    if tp <= 2:
        return "oneshot"
    threshold = 1_000_000 if tp <= 4 else 500_000
    return "oneshot" if message_bytes < threshold else "twoshot"


def _two_shot_blocks(total_threads: int) -> int:
    """kernelLaunchConfig's grid: the fewest blocks of <= 1,024 threads that divide the thread count (so the largest
    block size that divides it), then, above 24 blocks, the grid divided by its smallest factor that leaves <= 24
    (so its largest divisor <= 24). Both searches run over at most 1,024 candidates."""
    if total_threads <= 1:
        return 1
    size = next(q for q in range(min(DEFAULT_BLOCK_SIZE, total_threads), 0, -1) if total_threads % q == 0)
    blocks = total_threads // size
    if blocks > MAX_ALL_REDUCE_BLOCKS:
        blocks = next(g for g in range(MAX_ALL_REDUCE_BLOCKS, 0, -1) if blocks % g == 0)
    return blocks


def grid(message_bytes: float, tp: int) -> tuple[str, int, float]:
    """(strategy, thread blocks, bytes the busiest block reads) of one all-reduce; NCCL has no custom grid (0, 0).

    One-shot: each block sums its slice of the whole message from every rank. Two-shot: each block sums its slice
    of this rank's 1/tp share from every rank, then gathers that slice from every rank.
    """
    kind = strategy(message_bytes, tp)
    elts = int(message_bytes // ACTIVATION_BYTES)
    if kind == "nccl" or elts < ELTS_PER_THREAD:
        return "nccl", 0, 0.0
    if kind == "oneshot":
        threads = math.ceil(elts / ELTS_PER_THREAD)
        blocks = min(MAX_ALL_REDUCE_BLOCKS, max(1, math.ceil(threads / DEFAULT_BLOCK_SIZE)))
        return kind, blocks, tp * math.ceil(elts / blocks) * ACTIVATION_BYTES
    per_rank = elts // tp
    threads = WARP_SIZE * math.ceil(per_rank / ELTS_PER_THREAD / WARP_SIZE)
    blocks = _two_shot_blocks(threads)
    return kind, blocks, 2 * tp * math.ceil(per_rank / blocks) * ACTIVATION_BYTES


def block_bytes(message_bytes: float, tp: int) -> float:
    """Bytes the busiest thread block reads for one all-reduce (0 when NCCL runs it)."""
    return grid(message_bytes, tp)[2]
