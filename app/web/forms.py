"""HTML form values -> pydantic schemas, and every error mapped back to the field it belongs to.

Field names use dots for nesting ("model.layers" -> {"model": {"layers": ...}}). An empty input means "use the
default" for optional fields and "missing" for required ones. Errors are a dict field -> message; "__all__"
holds messages that belong to no single field.
"""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from app.errors import INLINE_SHAPE_TAG, PRESET_SLUG_TAG, AppError

GENERAL = "__all__"


def nest(values: dict[str, Any]) -> dict[str, Any]:
    """{"a.b": 1, "c": 2} -> {"a": {"b": 1}, "c": 2}."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        parts = key.split(".")
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                break
        else:
            target[parts[-1]] = value
    return out


def drop_blank(values: dict[str, Any]) -> dict[str, Any]:
    """Remove empty inputs: optional fields take their defaults, required ones are reported as 'required'."""
    return {k: v for k, v in values.items() if not (isinstance(v, str) and v.strip() == "")}


def _is_bool(annotation: Any) -> bool:
    return annotation is bool or bool in get_args(annotation)


def checkbox_values(model: type[BaseModel], values: dict[str, Any]) -> dict[str, Any]:
    """Unchecked boxes send nothing: set every bool field of the model from presence of its name."""
    out = dict(values)
    for name, info in model.model_fields.items():
        if _is_bool(info.annotation):
            out[name] = name in values and values[name] not in ("", "false", "0", "off")
    return out


def message(err: dict[str, Any]) -> str:
    text = str(err.get("msg", "invalid value"))
    if err.get("type") == "missing" or (err.get("type") == "string_too_short" and err.get("input") == ""):
        return "required"
    return text.removeprefix("Value error, ")


def field_errors(exc: ValidationError, prefix: str = "") -> dict[str, str]:
    """pydantic errors -> {dotted field: message}; union branches ('str', 'ModelShapeIn') are dropped from locs."""
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if not _is_branch_tag(p)]
        key = prefix + ".".join(loc) if loc else GENERAL
        errors.setdefault(key, message(err))
    return errors


def _is_branch_tag(part: Any) -> bool:
    text = str(part)
    return (text[:1].isupper() or text in ("str", "int", "float", PRESET_SLUG_TAG, INLINE_SHAPE_TAG)
            or "[" in text)


def validate(model: type[BaseModel], data: dict[str, Any]) -> tuple[BaseModel | None, dict[str, str]]:
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        return None, field_errors(exc)


def app_error_fields(exc: AppError) -> dict[str, str]:
    """An AppError from a service -> field messages (its FieldErrors) or one general message."""
    errors = {e.field: e.message for e in exc.errors if e.field}
    if not errors:
        errors[GENERAL] = exc.detail
    return errors
