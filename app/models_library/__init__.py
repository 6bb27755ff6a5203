"""Named workload presets (transformer shapes and classic per-sample models) with their sources."""

from app.models_library.presets import Preset, get_preset, list_presets

__all__ = ["Preset", "get_preset", "list_presets"]
