"""Input models: parse and validate untrusted input (flags, YAML, API JSON) into a TrainingRun.

Numbers accept "70B", "1.5e12", "15T", "3.2M"; durations "90d", "2160h". Any problem becomes a
one-line :class:`~combien.errors.InputError` that names the flag or key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from combien.errors import ConflictError, InputError
from combien.fields import NUMBERS, flag, number
from combien.units import HOURS_PER_DAY, parse_hours

PRECISIONS = ("bf16", "fp16", "fp8", "tf32", "fp32")
COMMITMENTS = ("on-demand", "1y", "3y")
PREFERENCES = ("flop", "params", "chip-hours", "days", "mfu")


SITE_NUMBERS = ("params", "active_params", "pue", "wue", "grid", "ewif", "price_hour", "price_kwh")


class _Spec(BaseModel):
    """What every run spec shares: the model's size, the hardware, the site, the prices, the
    Monte Carlo settings — and how a mapping is parsed and validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = None
    params: float | None = None
    active_params: float | None = None
    hardware: str | None = None
    location: str | None = None
    facility: str | None = None
    pue: float | None = None
    wue: float | None = None
    grid: float | None = None
    ewif: float | None = None
    price_hour: float | None = None
    price_kwh: float | None = None
    provider: str | None = None
    commitment: str | None = None
    samples: int = 10_000
    seed: int = 0

    @field_validator(*SITE_NUMBERS, mode="before")
    @classmethod
    def _site_number(cls, value: Any, info: Any) -> float | None:
        return None if value is None else number(info.field_name, value)

    @field_validator("commitment")
    @classmethod
    def _commitment(cls, value: str | None) -> str | None:
        if value is not None and value not in COMMITMENTS:
            raise InputError(
                f"--commitment: unknown {value!r} — use one of {', '.join(COMMITMENTS)}",
                field="commitment",
            )
        return value

    @field_validator("samples")
    @classmethod
    def _samples(cls, value: int) -> int:
        if not 10 <= value <= 1_000_000:
            raise InputError(
                f"--samples must be between 10 and 1,000,000 (got {value})", field="samples"
            )
        return value

    @model_validator(mode="after")
    def _active(self) -> Self:
        if self.params and self.active_params and self.active_params > self.params:
            raise InputError(
                f"--active-params ({self.active_params:.3g}) cannot exceed --params "
                f"({self.params:.3g})",
                field="active_params",
            )
        return self

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Self:
        """Validate a mapping (keys as in YAML: `chip_hours` or `chip-hours`)."""
        if not isinstance(data, dict):
            raise InputError("a run spec must be a mapping of keys to values")
        clean = {str(k).replace("-", "_"): v for k, v in data.items()}
        try:
            return cls(**clean)
        except ValidationError as exc:
            raise _one_line(exc, cls) from None

    def given(self) -> set[str]:
        """Names of the fields the user set."""
        return set(self.model_fields_set)


class TrainingRun(_Spec):
    """What is known of a training run. Every field is optional; the catalog fills the rest."""

    tokens: float | None = None
    flop: float | None = None
    chip_hours: float | None = None
    chips: float | None = None
    days: float | None = None
    mfu: float | None = None
    precision: str | None = None
    power_fraction: float | None = None
    chip_power_w: float | None = None
    server_overhead: float | None = None
    it_energy_kwh: float | None = None
    convention: str | None = None
    energy: str | None = None
    efficiency: float | None = None
    efficiency_overhead: float | None = None
    heat_reuse: float | None = None
    start: str | None = None
    prefer: tuple[str, ...] = ()

    @field_validator(*(n for n in NUMBERS if n not in SITE_NUMBERS), mode="before")
    @classmethod
    def _number(cls, value: Any, info: Any) -> float | None:
        return None if value is None else number(info.field_name, value)

    @field_validator("efficiency", "efficiency_overhead", "heat_reuse", mode="before")
    @classmethod
    def _scenario(cls, value: Any, info: Any) -> float | None:
        return None if value is None else number(info.field_name, value)

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> float | None:
        if value is None:
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise InputError(f"--days: expected a duration, got {value!r}", field="days")
        days = parse_hours(value, name="--days") / HOURS_PER_DAY
        if days <= 0:
            raise InputError(f"--days must be greater than 0 (got {value})", field="days")
        return days

    @field_validator("precision")
    @classmethod
    def _precision(cls, value: str | None) -> str | None:
        if value is not None and value.lower() not in PRECISIONS:
            raise InputError(
                f"--precision: unknown {value!r} — use one of {', '.join(PRECISIONS)}",
                field="precision",
            )
        return value.lower() if value else None

    @field_validator("prefer", mode="before")
    @classmethod
    def _prefer(cls, value: Any) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else list(value or ())
        out = []
        for item in items:
            for part in str(item).split(","):
                part = part.strip().replace("_", "-")
                if part not in PREFERENCES:
                    raise InputError(
                        f"--prefer: unknown {part!r} — use one of {', '.join(PREFERENCES)}",
                        field="prefer",
                    )
                out.append(part)
        return tuple(out)

    @field_validator("start")
    @classmethod
    def _start(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from datetime import date

        try:
            date.fromisoformat(value if len(value) > 7 else value + "-01")
        except ValueError:
            raise InputError(
                f"--start: cannot read {value!r} as a date — use YYYY-MM or YYYY-MM-DD",
                field="start",
            ) from None
        return value

    # ---------------------------------------------------------------- constructors

    @classmethod
    def from_yaml(cls, path: str | Path) -> TrainingRun:
        """Read a YAML spec file (top-level mapping, keys as in `TrainingRun`)."""
        return cls.parse(read_yaml(path))

    def merged(self, **overrides: Any) -> TrainingRun:
        """A copy with some fields replaced (validated again)."""
        data = self.model_dump(exclude_defaults=True)
        data.update({k: v for k, v in overrides.items() if v is not None})
        return TrainingRun.parse(data)


def read_yaml(path: str | Path) -> dict[str, Any]:
    """A YAML spec file's top-level mapping; one-line InputError when it cannot be read."""
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--spec: cannot read {path}: {exc.strerror}", field="spec") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise InputError(f"--spec: {path}{where} is not valid YAML", field="spec") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"--spec: {path} must hold a mapping of keys to values", field="spec")
    return data


def _one_line(exc: ValidationError, model: type[BaseModel] | None = None) -> InputError:
    error = exc.errors()[0]
    loc = ".".join(str(p) for p in error.get("loc", ()))
    original = (error.get("ctx") or {}).get("error")
    if isinstance(original, InputError):
        return original
    if error["type"] == "extra_forbidden":
        valid = ", ".join(sorted((model or TrainingRun).model_fields))
        return InputError(f"unknown key {loc!r} — valid keys: {valid}", field=loc)
    return InputError(f"{flag(loc) if loc else 'spec'}: {error['msg'].lower()}", field=loc or None)


WEIGHT_PRECISIONS = ("bf16", "fp16", "fp8", "int8", "int4")


class InferenceRun(_Spec):
    """What is known of a deployed model and its traffic. The catalog fills the rest."""

    tokens_in: float | None = None
    tokens_out: float | None = None
    requests_per_day: float | None = None
    rps: float | None = None
    gpus: int | None = None
    batch: float | None = None
    precision: str | None = None
    utilisation: float | None = None
    request_energy_kwh: float | None = None

    @field_validator(
        "tokens_in",
        "tokens_out",
        "requests_per_day",
        "rps",
        "batch",
        "utilisation",
        "request_energy_kwh",
        mode="before",
    )
    @classmethod
    def _number(cls, value: Any, info: Any) -> float | None:
        return None if value is None else number(info.field_name, value)

    @field_validator("gpus", mode="before")
    @classmethod
    def _gpus(cls, value: Any) -> int | None:
        if value is None:
            return None
        count = number("gpus", value)
        if count != int(count):
            raise InputError(f"--gpus must be a whole number (got {value})", field="gpus")
        return int(count)

    @field_validator("precision")
    @classmethod
    def _precision(cls, value: str | None) -> str | None:
        if value is not None and value.lower() not in WEIGHT_PRECISIONS:
            raise InputError(
                f"--precision: unknown {value!r} — use one of {', '.join(WEIGHT_PRECISIONS)}",
                field="precision",
            )
        return value.lower() if value else None

    @model_validator(mode="after")
    def _traffic(self) -> InferenceRun:
        if self.rps is not None and self.requests_per_day is not None:
            raise ConflictError(
                "give --rps or --requests-per-day, not both", fields=("rps", "requests_per_day")
            )
        return self
