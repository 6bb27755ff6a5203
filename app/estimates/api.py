"""Estimate endpoints and the workload presets.

An estimate needs the hardware spec (from a catalog row, kept in the catalog read cache) and the engine's answer
(memoized per identical request and spec); only what is missing runs in the thread pool, so a repeated request
costs no database round trip and no engine work.
"""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.catalog.api import cached_value
from app.config import Settings
from app.deps import Reader, SettingsDep
from app.engine.specs import AcceleratorSpec, ServerSpec
from app.estimates import service
from app.estimates.schemas import InferenceRequest, InferenceResponse, PresetOut, TrainingRequest, TrainingResponse

router = APIRouter(prefix="/api/v1", tags=["estimates"])
Hardware = AcceleratorSpec | ServerSpec


@router.get("/models", response_model=list[PresetOut], summary="Workload presets (model architectures)")
def list_models(_: Reader) -> list[dict[str, Any]]:
    return service.preset_dicts()


@router.get("/models/{slug}", response_model=PresetOut, summary="One workload preset")
def get_model(slug: str, _: Reader) -> dict[str, Any]:
    return service.preset_dict(slug)


@router.post("/estimates/training", response_model=TrainingResponse,
             summary="Training throughput, memory and (with tokens) whole-run time on given hardware")
async def training(body: TrainingRequest, request: Request, _: Reader, settings: SettingsDep) -> Response:
    return await _estimate(request, settings, body, service.training_answer)


@router.post("/estimates/inference", response_model=InferenceResponse,
             summary="Serving throughput, latency and memory of one replica")
async def inference(body: InferenceRequest, request: Request, _: Reader, settings: SettingsDep) -> Response:
    return await _estimate(request, settings, body, service.inference_answer)


async def _estimate(request: Request, settings: Settings, body: Any,
                    answer: Callable[[Any, Hardware], bytes]) -> Response:
    hardware = await _hardware(request, settings, body)
    payload = service.RESULTS.peek(service.answer_key(body, hardware))
    if payload is None:
        payload = await run_in_threadpool(answer, body, hardware)
    return Response(payload, media_type="application/json")


async def _hardware(request: Request, settings: Settings, body: Any) -> Hardware:
    def load(session: Session) -> Hardware:
        return service.hardware_spec(session, accelerator=body.accelerator, server=body.server)

    key = f"spec|{body.accelerator}|{body.server}"
    return await cached_value(request, settings, key, load)  # type: ignore[no-any-return]
