"""The one resolver: a run spec (training or serving) and what was measured → Assumptions.

Precedence, for every input, highest first:

    user  >  measured  >  preset  >  catalog  >  default

- **user**: a flag, a spec key or an API argument;
- **measured**: what the tracker read (IT energy, accelerator-hours);
- **preset**: the `--model` row (for a training run; a served model takes only its size and
  shape from it). A preset's compute and duration go stale when the user gives the workload or
  the execution (they describe another run);
- **catalog**: a reference row chosen by the inputs (hardware, location, facility, convention);
- **default**: a method constant (`defaults.csv`).

A counting convention (`--convention`) is a user's choice of method: the values it fixes (PUE,
power fraction, server overhead, MFU) replace the catalog's and the defaults.

Contradictions: a higher level silently wins over a lower one (a user's PUE over the
facility's), and the value used is the one recorded, with its origin. Between two user inputs
that say the same thing twice (`--flop` and 6·N·D, `--chip-hours` and chips × days, `--mfu` and
the MFU they imply), a disagreement beyond `consistency_tolerance` is a ConflictError unless
`--prefer` says which wins. A source of electricity (`--energy`) with the user's own grid or
water intensity (`--grid`, `--ewif`) is a ConflictError: each would hold for one of the two.

The stages live in `site.py` (location, facility, prices, embodied), `training.py` (compute,
time, power, scenarios) and `serving.py` (model shape, replica, request, traffic).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar

from combien.data import catalog
from combien.errors import UnknownNameError
from combien.provenance import Assumption, Assumptions, Caveat
from combien.resolve.spec import Spec

USER, MEASURED, PRESET, CATALOG, DEFAULT, DERIVED = (
    "user",
    "measured",
    "preset",
    "catalog",
    "default",
    "derived",
)
#: the order of precedence, highest first (derived values follow from the others)
PRECEDENCE = (USER, MEASURED, PRESET, CATALOG, DEFAULT)

#: user inputs that describe another workload, or another execution, than a preset's
WORKLOAD = frozenset({"params", "active_params", "tokens", "flop"})
EXECUTION = frozenset({"chips", "days", "chip_hours", "hardware", "mfu", "precision"})


SpecT = TypeVar("SpecT", bound=Spec, covariant=True)


class Resolver(Generic[SpecT]):
    """The state of one resolution: the spec, what was measured, the values chosen so far (each
    an Assumption with its origin), labels (ids chosen) and warnings."""

    def __init__(
        self,
        spec: SpecT,
        measured: Mapping[str, Assumption] | None = None,
        *,
        preset_describes_run: bool = True,
    ) -> None:
        self.spec = spec
        self.given = spec.given()
        self.measured = dict(measured or {})
        self.values: dict[str, Assumption] = {}
        self.labels: dict[str, str] = {}
        self.warnings: list[Caveat] = []
        self.preset = _preset(spec.model, preset_describes_run)
        #: the preset's run (hardware, compute, dates) applies; a served model takes its size only
        self.run_preset = self.preset if preset_describes_run else None
        self.convention = catalog.conventions().get(str(self.option("convention") or "full"))
        self.labels["convention"] = self.convention.id
        if self.preset:
            self.labels["model"] = self.preset.id

    def result(self) -> Assumptions:
        return Assumptions(dict(self.values), dict(self.labels), tuple(self.warnings))

    # ------------------------------------------------------------ precedence

    def option(self, name: str) -> object | None:
        """The spec's attribute (None where this kind of spec has no such field)."""
        return getattr(self.spec, name, None)

    def field(self, name: str) -> tuple[object, str] | None:
        """An input's value and origin by precedence: user > measured > preset (unless stale).
        The catalog and default levels are the stage's to supply when this gives None."""
        if name in self.given:
            return self.option(name), USER
        if name in self.measured:
            return self.measured[name].value, MEASURED
        if self.run_preset is None:
            return None
        stale = set()
        if self.given & WORKLOAD:
            stale |= {"flop", "chip_hours", "days"}
        if self.given & EXECUTION:
            stale |= {"chip_hours", "days"}
        value = getattr(self.run_preset, name, None)
        if value is None or value == "" or name in stale:
            return None
        return value, PRESET

    def number(self, name: str) -> tuple[float, str] | None:
        got = self.field(name)
        return (float(got[0]), got[1]) if got else None  # type: ignore[arg-type]

    def source_of(self, origin: str) -> str:
        if origin != PRESET:
            return origin
        assert self.preset is not None
        return f"models:{self.preset.id} — {self.preset.source}"

    def put(
        self, name: str, value: float, unit: str, origin: str, source: str | None = None
    ) -> None:
        """Record input `name`; a measured one keeps the tracker's own record (source, range)."""
        if origin == MEASURED and name in self.measured:
            self.values[name] = self.measured[name]
            return
        self.values[name] = Assumption(value, unit, source or self.source_of(origin), origin)

    def put_field(self, name: str, key: str, unit: str) -> bool:
        """Record field `name` as input `key` when the user, a measurement or the preset gives
        it; False when the stage must fall back to the catalog or a default."""
        got = self.number(name)
        if got is None:
            return False
        self.put(key, got[0], unit, got[1])
        return True

    # ------------------------------------------------------------ helpers

    def warn(self, code: str, message: str) -> None:
        self.warnings.append(Caveat(code, message))

    def prefers(self, *names: str) -> str | None:
        prefer: tuple[str, ...] = self.option("prefer") or ()  # type: ignore[assignment]
        return next((p for p in prefer if p in names), None)

    @property
    def tolerance(self) -> float:
        return catalog.default("consistency_tolerance").value


def _preset(model: str | None, describes_run: bool) -> catalog.ModelPreset | None:
    """The --model row; a served model may instead be one of size_estimates.csv only."""
    if not model:
        return None
    if not describes_run and model not in catalog.models():
        if model in catalog.size_estimates():
            return None
        suggestions = (
            catalog.products().suggest(model)
            + catalog.models().suggest(model)
            + catalog.size_estimates().suggest(model)
        )
        raise UnknownNameError("model", model, suggestions[:3])
    return catalog.models().get(model)


def default_assumption(
    name: str, unit: str | None = None, *, upper: float | None = None
) -> Assumption:
    """A method constant from defaults.csv, with its 90% range."""
    row = catalog.default(name)
    return Assumption(
        row.value,
        unit or row.unit,
        f"defaults:{row.id} — {row.source}",
        DEFAULT,
        row.low,
        row.high,
        upper,
    )


def scaled_assumption(value: float, rel: str, unit: str, source: str, origin: str) -> Assumption:
    """A value with the relative 90% range of defaults row `rel`."""
    row = catalog.default(rel)
    low = value * row.low if row.low is not None else None
    high = value * row.high if row.high is not None else None
    return Assumption(value, unit, source, origin, low, high)
