"""Per-candidate compute sizing: how many servers of one SKU a workload needs. Pure (engine calls only).

Training: the smallest GPU count (a multiple of the server's GPUs and of the model-parallel group) whose expected
wall clock, failures and restarts included, meets the deadline. The parallel layout is chosen once per candidate
by a reduced grid (TP in the top two powers of two inside the scale-up domain, PP <= 16, CP <= 2, micro-batch 1)
and then held while the data-parallel degree grows; micro-batch, sharding and recompute are re-chosen at every size.
Inference: one replica per tried size (1, 2, 4, 8 GPUs inside a server, then whole servers), the throughput-optimal
concurrency that meets TTFT and TPOT, replicas = ceil(peak rate / per-replica rate) + availability headroom.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from app import engine
from app.engine.classic import ClassicEstimate, classic_inference, classic_training
from app.engine.inference import InferenceEstimate, estimate_inference
from app.engine.parallelism import SoftwareStack, Strategy, make_cluster
from app.engine.reliability import GPU_HOURS_PER_INTERRUPTION
from app.engine.specs import ServerSpec
from app.engine.strategy import check_model_fits, layouts
from app.engine.training import TrainingEstimate
from app.engine.workload import ClassicModel, ModelShape, Precision

MAX_GPUS = 131_072  # largest build the planner searches (8x the Llama 3 405B cluster of 16,384 GPUs)
MAX_EVALUATIONS = 14
PEAK_SHARE_GUESS = 0.35  # first guess of achieved share of peak, only to start the search (refined by the engine)
REPAIR_HOURS = 72.0  # assumption: a failed server is out for three days (diagnose, RMA part, reburn-in)
HEADROOM = {"none": 0, "n+1": 1, "n+2": 2}


@dataclass(frozen=True)
class TrainingSize:
    estimate: TrainingEstimate
    gpus: int
    servers: int
    spare_servers: int
    tried: tuple[str, ...]


@dataclass(frozen=True)
class InferenceSize:
    estimate: InferenceEstimate
    replica_gpus: int
    replicas_needed: int
    headroom_replicas: int
    servers: int
    tried: tuple[str, ...]

    @property
    def replicas(self) -> int:
        return self.replicas_needed + self.headroom_replicas

    @property
    def capacity_requests_per_s(self) -> float:
        return self.replicas_needed * self.estimate.requests_per_s


@dataclass(frozen=True)
class ClassicSize:
    estimate: ClassicEstimate
    gpus: int
    servers: int
    spare_servers: int


def spare_servers(servers: int, gpus_per_server: int) -> int:
    """Hot spares covering servers under repair: Poisson mean lambda = failures/h x repair time, lambda + 2 sqrt."""
    rate_per_h = servers * gpus_per_server / GPU_HOURS_PER_INTERRUPTION
    mean_down = rate_per_h * REPAIR_HOURS
    return max(1, math.ceil(mean_down + 2 * math.sqrt(mean_down))) if servers > 1 else 0


def _round_up(value: float, unit: int) -> int:
    return max(unit, math.ceil(value / unit - 1e-9) * unit)


def _first_guess(model: ModelShape, server: ServerSpec, precision: Precision, seq_len: int,
                 tokens_per_s: float) -> float:
    flops_per_token = 6 * model.active + 12 * model.layers * seq_len * model.hidden_size
    per_gpu = server.accelerator.peak_flops(precision.name) * PEAK_SHARE_GUESS / flops_per_token
    return tokens_per_s / max(per_gpu, 1e-9)


def _probe(model: ModelShape, server: ServerSpec, gpus: int, precision: Precision, seq_len: int) -> Strategy:
    """Fastest layout of the reduced grid at `gpus` (micro-batch 1) -> the layout to hold while sizing."""
    cluster = make_cluster(server, gpus)
    grid = layouts(model, cluster, gpus, seq_len, None)
    top_tp = max((s.tp for s in grid), default=1)
    best_vp: dict[tuple[int, int, int, int], int] = {}
    for s in grid:
        key = (s.tp, s.pp, s.cp, s.ep)
        best_vp[key] = max(best_vp.get(key, 1), s.vp or 1)
    keep = [Strategy(tp=tp, pp=pp, cp=cp, ep=ep, vp=vp) for (tp, pp, cp, ep), vp in best_vp.items()
            if tp * 2 >= top_tp and pp <= 16 and cp <= 2]
    best: TrainingEstimate | None = None
    for layout in keep:
        try:
            est = engine.estimate_training(model, server, gpus, precision, seq_len, strategy=layout,
                                           software=SoftwareStack(micro_batch_size=1))
        except engine.InfeasibleError:
            continue
        if best is None or est.tokens_per_s > best.tokens_per_s:
            best = est
    if best is None:
        return engine.estimate_training(model, server, gpus, precision, seq_len).strategy
    s = best.strategy
    return Strategy(tp=s.tp, pp=s.pp, cp=s.cp, ep=s.ep, vp=s.vp)


def _evaluate(model: ModelShape, server: ServerSpec, gpus: int, precision: Precision, seq_len: int, tokens: float,
              layout: Strategy) -> TrainingEstimate | None:
    try:
        return engine.estimate_training(model, server, gpus, precision, seq_len, tokens=tokens, strategy=layout)
    except engine.InfeasibleError:
        return None


def _min_gpus(model: ModelShape, server: ServerSpec, unit: int) -> int:
    """Smallest unit multiple that passes the engine's memory lower bound (16 bytes/param, fully sharded)."""
    cluster = make_cluster(server, unit)
    return _round_up(model.params * 16.0 / cluster.hbm_usable_bytes, unit)


def size_training_fixed(model: ModelShape, server: ServerSpec, precision: Precision, seq_len: int, tokens: float,
                        gpu_count: int) -> TrainingSize:
    """A given GPU count, rounded up to whole servers and the model-parallel group."""
    gpus = _round_up(gpu_count, server.gpu_count)
    check_model_fits(model, make_cluster(server, gpus), gpus)
    layout = _probe(model, server, gpus, precision, seq_len)
    est = _evaluate(model, server, gpus, precision, seq_len, tokens, replace(layout, dp=0))
    if est is None:
        est = engine.estimate_training(model, server, gpus, precision, seq_len, tokens=tokens)
    servers = gpus // server.gpu_count
    return TrainingSize(est, gpus, servers, 0, (f"{gpus} GPUs (given; no spares added)",))


def size_training_deadline(model: ModelShape, server: ServerSpec, precision: Precision, seq_len: int, tokens: float,
                           deadline_hours: float) -> TrainingSize:
    """Smallest GPU count meeting the deadline (secant steps, then bisection on whole units)."""
    base = _min_gpus(model, server, server.gpu_count)
    guess = _first_guess(model, server, precision, seq_len, tokens / (deadline_hours * 3600 * 0.8))
    start = min(MAX_GPUS, max(base, _round_up(guess, server.gpu_count)))
    layout = _probe(model, server, start, precision, seq_len)
    unit = math.lcm(server.gpu_count, layout.tp * layout.pp * layout.cp)
    search = _DeadlineSearch(model, server, precision, seq_len, tokens, deadline_hours, layout, unit)
    return search.run(max(_round_up(start, unit), _round_up(base, unit)))


@dataclass
class _DeadlineSearch:
    model: ModelShape
    server: ServerSpec
    precision: Precision
    seq_len: int
    tokens: float
    deadline_hours: float
    layout: Strategy
    unit: int

    def __post_init__(self) -> None:
        self.tried: list[str] = []
        self.meets: tuple[int, TrainingEstimate] | None = None
        self.fails = 0

    def hours(self, gpus: int) -> float | None:
        est = _evaluate(self.model, self.server, gpus, self.precision, self.seq_len, self.tokens,
                        replace(self.layout, dp=0))
        if est is None or est.run is None:
            self.tried.append(f"{gpus} GPUs: no layout fits")
            self.fails = max(self.fails, gpus)
            return None
        hours = est.run.wall_clock_hours["expected"]
        self.tried.append(f"{gpus} GPUs: {hours / 24:.1f} days")
        if hours <= self.deadline_hours:
            if self.meets is None or gpus < self.meets[0]:
                self.meets = (gpus, est)
        else:
            self.fails = max(self.fails, gpus)
        return hours

    def next_size(self, gpus: int, hours: float | None) -> int:
        if self.meets is not None and self.fails >= self.meets[0] - self.unit:
            return 0  # bracketed to one unit: done
        if self.meets is not None and self.fails:
            return _round_up((self.fails + self.meets[0]) / 2, self.unit)
        if hours is None:
            return gpus * 2
        ratio = hours / self.deadline_hours
        step = _round_up(gpus * ratio * (1.02 if ratio > 1 else 1.0), self.unit)
        if self.meets is None:
            return max(step, gpus + self.unit)
        return min(step, self.meets[0] - self.unit) if step < self.meets[0] else self.meets[0] - self.unit

    def run(self, gpus: int) -> TrainingSize:
        for _ in range(MAX_EVALUATIONS):
            if gpus <= 0 or gpus > MAX_GPUS:
                break
            hours = self.hours(gpus)
            gpus = self.next_size(gpus, hours)
        if self.meets is None:
            raise engine.InfeasibleError(
                f"no build up to {MAX_GPUS:,} GPUs meets the {self.deadline_hours / 24:g}-day "
                "deadline", self.tried[-6:])
        count, est = self.meets
        servers = count // self.server.gpu_count
        spares = spare_servers(servers, self.server.gpu_count)
        return TrainingSize(est, count, servers, spares, tuple(self.tried))


def replica_sizes(server: ServerSpec) -> list[int]:
    """GPUs per replica to try: powers of two dividing the server (up to 8), the whole server, 2 and 4 servers."""
    sizes = [g for g in (1, 2, 4, 8) if g <= server.gpu_count and server.gpu_count % g == 0]
    return sorted(set([*sizes, server.gpu_count, 2 * server.gpu_count, 4 * server.gpu_count]))


def servers_for(replicas: int, replica_gpus: int, gpus_per_server: int) -> int:
    if replica_gpus <= gpus_per_server:
        return math.ceil(replicas / (gpus_per_server // replica_gpus))
    return replicas * math.ceil(replica_gpus / gpus_per_server)


def size_inference(model: ModelShape, server: ServerSpec, precision: Precision, input_tokens: int,
                   output_tokens: int, requests_per_s: float, ttft_ms_max: float, tpot_ms_max: float,
                   availability: str) -> InferenceSize:
    """Fewest servers over the tried replica sizes; raises InfeasibleError with every size's reason."""
    tried: list[str] = []
    best: InferenceSize | None = None
    for gpus in replica_sizes(server):
        if best is not None and gpus > server.gpu_count:
            break  # a replica inside one server already works
        try:
            est = estimate_inference(model, server, gpus, precision, input_tokens, output_tokens,
                                     ttft_ms_max=ttft_ms_max, tpot_ms_max=tpot_ms_max)
        except engine.InfeasibleError as exc:
            tried.append(f"{gpus} GPUs/replica: {exc.reason}")
            continue
        if not est.meets_latency_targets or est.requests_per_s <= 0:
            tried.append(f"{gpus} GPUs/replica: TTFT {est.ttft_ms:.0f} ms, TPOT {est.tpot_ms:.1f} ms miss the targets")
            continue
        needed = math.ceil(requests_per_s / est.requests_per_s - 1e-9)
        tried.append(f"{gpus} GPUs/replica: {est.requests_per_s:.2f} req/s each -> {needed} replicas")
        headroom = HEADROOM[availability]
        size = InferenceSize(est, gpus, needed, headroom, servers_for(needed + headroom, gpus, server.gpu_count), ())
        if best is None or (size.servers, gpus) < (best.servers, best.replica_gpus):
            best = size
    if best is None:
        raise engine.InfeasibleError("no replica size meets the latency targets", tried)
    return replace(best, tried=tuple(tried))


def size_classic(model: ClassicModel, server: ServerSpec, precision: Precision, samples_per_s: float, mode: str,
                 availability_spares: int) -> ClassicSize:
    """GPUs = ceil(required rate / per-GPU rate), whole servers, plus spare servers."""
    rate = classic_training if mode == "training" else classic_inference
    per_gpu = rate(model, server.accelerator, 1, precision)
    if per_gpu.samples_per_s_per_gpu <= 0:
        raise engine.InfeasibleError(f"no rate for {precision.name} on {server.accelerator.name}")
    gpus = _round_up(samples_per_s / per_gpu.samples_per_s_per_gpu, server.gpu_count)
    if gpus > MAX_GPUS:
        raise engine.InfeasibleError(f"{samples_per_s:,.0f} samples/s needs more than "
                                     f"{MAX_GPUS:,} GPUs", [f"{per_gpu.samples_per_s_per_gpu:,.0f} samples/s per GPU"])
    servers = gpus // server.gpu_count
    spares = spare_servers(servers, server.gpu_count) if mode == "training" else availability_spares
    return ClassicSize(rate(model, server.accelerator, gpus, precision), gpus, servers, spares)
