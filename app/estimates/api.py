"""Estimate endpoints and the workload presets."""

from typing import Any

from fastapi import APIRouter

from app.deps import Reader, SessionDep
from app.estimates import service
from app.estimates.schemas import InferenceRequest, InferenceResponse, PresetOut, TrainingRequest, TrainingResponse

router = APIRouter(prefix="/api/v1", tags=["estimates"])


@router.get("/models", response_model=list[PresetOut], summary="Workload presets (model architectures)")
def list_models(_: Reader) -> list[dict[str, Any]]:
    return service.preset_dicts()


@router.get("/models/{slug}", response_model=PresetOut, summary="One workload preset")
def get_model(slug: str, _: Reader) -> dict[str, Any]:
    return service.preset_dict(slug)


@router.post("/estimates/training", response_model=TrainingResponse,
             summary="Training throughput, memory and (with tokens) whole-run time on given hardware")
def training(body: TrainingRequest, session: SessionDep, _: Reader) -> dict[str, Any]:
    return service.training_estimate(session=session, request=body)


@router.post("/estimates/inference", response_model=InferenceResponse,
             summary="Serving throughput, latency and memory of one replica")
def inference(body: InferenceRequest, session: SessionDep, _: Reader) -> dict[str, Any]:
    return service.inference_estimate(session=session, request=body)
