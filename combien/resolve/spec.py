"""Input models: parse and validate untrusted input (flags, YAML, API JSON) into a run spec.

Each attribute is read by its field in `combien.fields` (unit, bounds, parse rule): numbers accept
"70B", "1.5e12", "15T", "3.2M"; durations "90d", "2160h". Any problem becomes a one-line
:class:`~combien.errors.InputError` that names the flag or key.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from combien.errors import ConflictError, InputError
from combien.fields import INPUTS, Field, flag, samples


class Spec(BaseModel):
    """What every run spec shares: the model's size, the hardware, the site, the prices, the
    Monte Carlo settings — and how a mapping is parsed (each key by its field)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    #: attributes read by a field of another name (InferenceRun.precision: weight precision)
    renamed: ClassVar[dict[str, str]] = {}

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

    @classmethod
    def field_of(cls, name: str) -> Field | None:
        """The input field that reads attribute `name` (None for samples and seed)."""
        return INPUTS.get(cls.renamed.get(name, name))

    @classmethod
    def inputs(cls) -> tuple[str, ...]:
        """The names of the input fields this spec takes."""
        return tuple(f.name for attr in cls.model_fields if (f := cls.field_of(attr)))

    @model_validator(mode="before")
    @classmethod
    def _parse_fields(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {
            key: (value if value is None or (f := cls.field_of(key)) is None else f.parse(value))
            for key, value in data.items()
        }

    @field_validator("samples")
    @classmethod
    def _samples(cls, value: int) -> int:
        return samples(value)

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
    def parse(cls, data: Mapping[str, object]) -> Self:
        """Validate a mapping (keys as in YAML: `chip_hours` or `chip-hours`)."""
        if not isinstance(data, Mapping):
            raise InputError("a run spec must be a mapping of keys to values")
        clean = {str(k).replace("-", "_"): v for k, v in data.items()}
        try:
            return cls(**clean)
        except ValidationError as exc:
            raise _one_line(exc, cls) from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> Self:
        """Read a YAML spec file (top-level mapping, keys as the model's attributes)."""
        return cls.parse(read_yaml(path))

    def merged(self, **overrides: object) -> Self:
        """A copy with some fields replaced (validated again)."""
        data = self.model_dump(exclude_defaults=True)
        data.update({k: v for k, v in overrides.items() if v is not None})
        return self.parse(data)

    def given(self) -> set[str]:
        """Names of the fields the user set (not the Monte Carlo settings)."""
        return set(self.model_fields_set) - {"samples", "seed"}


class TrainingRun(Spec):
    """What is known of a training run. Every field is optional; the catalog fills the rest."""

    tokens: float | None = None
    flop: float | None = None
    chip_hours: float | None = None
    chips: float | None = None
    days: float | None = None
    mfu: float | None = None
    goodput: float | None = None
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


class InferenceRun(Spec):
    """What is known of a deployed model and its traffic. The catalog fills the rest."""

    renamed: ClassVar[dict[str, str]] = {"precision": "weight_precision"}

    tokens_in: float | None = None
    tokens_out: float | None = None
    requests_per_day: float | None = None
    rps: float | None = None
    gpus: int | None = None
    batch: float | None = None
    precision: str | None = None
    utilisation: float | None = None
    tpot_ms: float | None = None
    ttft_ms: float | None = None
    peak_to_mean: float | None = None
    request_energy_kwh: float | None = None

    @model_validator(mode="after")
    def _traffic(self) -> Self:
        if self.rps is not None and self.requests_per_day is not None:
            raise ConflictError(
                "give --rps or --requests-per-day, not both", fields=("rps", "requests_per_day")
            )
        return self


def read_yaml(path: str | Path) -> dict[str, object]:
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


def _one_line(exc: ValidationError, model: type[BaseModel]) -> InputError:
    error = exc.errors()[0]
    loc = ".".join(str(p) for p in error.get("loc", ()))
    original = (error.get("ctx") or {}).get("error")
    if isinstance(original, InputError):
        return original
    if error["type"] == "extra_forbidden":
        valid = ", ".join(sorted(model.model_fields))
        return InputError(f"unknown key {loc!r} — valid keys: {valid}", field=loc)
    return InputError(f"{flag(loc) if loc else 'spec'}: {error['msg'].lower()}", field=loc or None)
