"""Reference data: loads `combien/data/*.csv` once into frozen objects, with lookups that suggest.

Every row keeps its `source` and `as_of`; the loaders never drop them. Ids are matched
case-insensitively, ignoring spaces, dashes, dots and underscores, against ids and aliases.
"""

from __future__ import annotations

import csv
import difflib
import functools
import os
import re
import typing
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from combien.data.record import Record
from combien.errors import AmbiguousNameError, DataError, UnknownNameError
from combien.fields import GRID_SCOPES, other_grid_scope

T = TypeVar("T")
DATA_DIR = os.path.dirname(os.path.abspath(__file__))


class Hardware(Record):
    id: str
    aliases: tuple[str, ...]
    name: str
    vendor: str
    kind: str
    release_date: str
    tdp_w: float | None
    peak_flops_fp32: float | None
    peak_flops_tf32: float | None
    peak_flops_bf16: float | None
    peak_flops_fp8: float | None
    memory_gb: float | None
    memory_bw_tbs: float | None
    price_usd: float | None
    price_date: str | None
    price_basis: str | None
    server_cost_multiplier: float | None
    server_power_multiplier: float
    power_fraction: float
    power_fraction_low: float
    power_fraction_high: float
    embodied_kgco2e: float
    embodied_kgco2e_low: float
    embodied_kgco2e_high: float
    mfu: float
    mfu_low: float
    mfu_high: float
    source: str
    as_of: str
    notes: str = ""
    #: decode's share of the memory bandwidth, calibrated on this chip's serving measurements
    #: (blank: defaults.csv decode_bw_efficiency)
    decode_bw_efficiency: float | None = None

    def peak_flops(self, precision: str) -> float | None:
        """Dense peak FLOP/s at a training precision (fp16 and bf16 share the tensor peak)."""
        column = {
            "bf16": "peak_flops_bf16",
            "fp16": "peak_flops_bf16",
            "fp8": "peak_flops_fp8",
            "tf32": "peak_flops_tf32",
            "fp32": "peak_flops_fp32",
        }.get(precision)
        return getattr(self, column) if column else None


class Location(Record):
    id: str
    aliases: tuple[str, ...]
    name: str
    kind: str
    parent: str | None
    provider: str | None
    ewif_l_per_kwh: float | None
    ewif_source: str | None
    price_usd_per_kwh: float | None
    price_year: str | None
    price_source: str | None
    pue: float | None
    wue_l_per_kwh: float | None
    facility_source: str | None
    source: str
    as_of: str


class CloudPrice(Record):
    provider: str
    offer: str
    hardware: str
    region: str | None
    on_demand_usd_per_hour: float | None
    commit_1y_usd_per_hour: float | None
    commit_3y_usd_per_hour: float | None
    accelerators_per_instance: float | None
    source: str
    as_of: str

    def price(self, commitment: str) -> float | None:
        """Price per accelerator-hour for `on-demand`, `1y` or `3y`."""
        return {
            "on-demand": self.on_demand_usd_per_hour,
            "1y": self.commit_1y_usd_per_hour,
            "3y": self.commit_3y_usd_per_hour,
        }[commitment]


class Facility(Record):
    id: str
    name: str
    pue: float
    pue_low: float
    pue_high: float
    wue_l_per_kwh: float
    wue_low: float
    wue_high: float
    source: str
    as_of: str
    notes: str = ""
    aliases: tuple[str, ...] = ()


class Convention(Record):
    id: str
    name: str
    power_fraction: float | None
    server_overhead: float | None
    pue: float | None
    mfu: float | None
    description: str
    source: str
    as_of: str
    aliases: tuple[str, ...] = ()


class ModelPreset(Record):
    id: str
    aliases: tuple[str, ...]
    name: str
    organization: str
    date: str
    params: float | None
    active_params: float | None
    tokens: float | None
    flop: float | None
    hardware: str | None
    chips: float | None
    chip_hours: float | None
    days: float | None
    precision: str | None
    location: str | None
    reported: str
    confidence: str
    source: str
    as_of: str
    notes: str = ""
    #: what the model works on, as Epoch AI files it: language, vision, games, ...
    domain: tuple[str, ...] = ()


class Cpu(Record):
    id: str
    pattern: str
    name: str
    vendor: str
    cores: float | None
    threads: float | None
    tdp_w: float
    source: str
    as_of: str
    notes: str = ""


class EnergySource(Record):
    id: str
    aliases: tuple[str, ...]
    name: str
    gco2e_per_kwh: float
    gco2e_low: float | None
    gco2e_high: float | None
    ewif_l_per_kwh: float
    ewif_low: float | None
    ewif_high: float | None
    source: str
    as_of: str
    notes: str = ""


class Fact(Record):
    id: str
    value: float
    low: float | None
    high: float | None
    unit: str
    claim: str
    source: str
    as_of: str
    notes: str = ""


class SizeEstimate(Record):
    """A served model's size where its maker publishes none (or open weights' published one):
    total and active parameters with their 90% range, dense or mixture of experts."""

    id: str
    aliases: tuple[str, ...]
    name: str
    provider: str
    architecture: str
    params: float
    params_low: float | None
    params_high: float | None
    active_params: float | None
    active_low: float | None
    active_high: float | None
    basis: str
    source: str
    as_of: str
    notes: str = ""


class MfuRun(Record):
    """A published training run with its model FLOP utilisation (mfu_runs.csv): what the MFU
    model is fitted on and validated against."""

    model: str
    organization: str
    date: str
    hardware_name: str
    hardware: str | None
    kind: str
    chips: float
    params: float
    flop: float | None
    training_hours: float | None
    chip_hours: float | None
    precision: str | None
    mfu: float
    source: str
    as_of: str


class MfuTerm(Record):
    """One term of the fitted MFU model (mfu_fit.csv): log(MFU) = Σ coefficient × (x − center);
    the rows `intercept` and `residual_sd` hold the constant and the spread of the residuals."""

    term: str
    center: float
    coefficient: float
    source: str
    as_of: str


class HardwareRule(Record):
    """The accelerator typical of an organisation and a date, for runs that do not say
    (hardware_imputation.csv); the first matching row wins."""

    organizations: tuple[str, ...]
    start: str
    end: str
    hardware: str
    source: str
    as_of: str
    notes: str = ""


class PriceObservation(Record):
    """One dated purchase price of an accelerator (hardware_prices.csv)."""

    hardware: str
    date: str
    price_usd: float
    #: `server`: the per-accelerator share of a system's price; `unit`: the card alone
    basis: str
    source: str
    as_of: str


class ValidationRun(Record):
    """A published figure and the inputs a reader of the publication has
    (validation_runs.csv); `inputs` are `key=value` pairs of a training spec."""

    id: str
    line: str
    published: float
    rounded_to: float
    inputs: tuple[str, ...]
    source: str
    as_of: str
    notes: str = ""

    def spec(self) -> dict[str, str]:
        return dict(pair.split("=", 1) for pair in self.inputs)


class PrecisionSupport(Record):
    """The training number formats an accelerator computes natively (precisions.csv)."""

    hardware: str
    precisions: tuple[str, ...]
    source: str
    as_of: str
    notes: str = ""


class Architecture(Record):
    id: str
    params: float | None
    active_params: float | None
    layers: float
    d_model: float | None
    heads: float | None
    kv_heads: float
    head_dim: float
    vocab: float | None
    context: float | None
    source: str
    as_of: str
    notes: str = ""


class Default(Record):
    id: str
    value: float
    low: float | None
    high: float | None
    unit: str
    source: str
    as_of: str
    notes: str = ""


# ---------------------------------------------------------------- loading


class _BadCell(ValueError):
    """A cell a converter cannot read; `_load` adds the file, line and column."""


#: reads one cell (stripped); raises _BadCell with what is wrong
Converter = Callable[[str], Any]


def _text(text: str) -> str:
    return text


def _optional_text(text: str) -> str | None:
    return text or None


def _names(text: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in text.split(";") if a.strip())


def _number(text: str) -> float:
    if not text:
        raise _BadCell("missing value")
    try:
        return float(text)
    except ValueError:
        raise _BadCell(f"{text!r} is not a number") from None


def _whole(text: str) -> int:
    value = _number(text)
    if not value.is_integer():
        raise _BadCell(f"{text!r} is not a whole number")
    return int(value)


def _optional_number(text: str) -> float | None:
    return _number(text) if text else None


def _required_text(text: str) -> str:
    if not text:
        raise _BadCell("missing value")
    return text


def _converter(annotation: Any) -> Converter:
    """The parser of one column, chosen once from the field's type."""
    args = typing.get_args(annotation)
    optional = type(None) in args
    base = next((a for a in args if a is not type(None)), annotation) if args else annotation
    if typing.get_origin(annotation) is tuple:
        return _names
    if base is float:
        return _optional_number if optional else _number
    if base is int and not optional:
        return _whole
    if optional:
        return _optional_text
    return _text if base is str else _required_text


def _load(filename: str, cls: type[T]) -> tuple[T, ...]:
    """The rows of a CSV as `cls` records: each column read by the converter its field's type
    chooses; a column the file lacks takes the field's default."""
    hints = typing.get_type_hints(cls)
    defaults: dict[str, Any] = cls._defaults  # type: ignore[attr-defined]
    path = os.path.join(DATA_DIR, filename)
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader)]
        index = {name: i for i, name in enumerate(header)}
        columns = [
            (name, index.get(name), _converter(hints[name]))
            for name in cls._fields  # type: ignore[attr-defined]
            if name in index or name not in defaults
        ]
        rows = []
        for line, raw in enumerate(reader, start=2):
            values = {}
            for name, i, convert in columns:
                cell = raw[i].strip() if i is not None and i < len(raw) else ""
                try:
                    values[name] = convert(cell)
                except _BadCell as exc:
                    raise DataError(f"{filename}:{line}:{name}: {exc}") from None
            if not values.get("source"):
                raise DataError(f"{filename}:{line}: row without a source")
            rows.append(cls(**values))
    return tuple(rows)


_SQUASH = re.compile(r"[\s\-_.]+")


def normalise(name: str) -> str:
    """Key used to match names: lower case, without spaces, dashes, dots or underscores."""
    return _SQUASH.sub("", name.strip().lower())


def _row_id(row: Any) -> str:
    return str(row.id)


class Table(typing.Generic[T]):
    """Rows of one kind, indexed by id and aliases."""

    def __init__(self, kind: str, rows: Iterable[T], key: Callable[[T], str] = _row_id):
        self.kind = kind
        self.rows = tuple(rows)
        self._index: dict[str, T] = {normalise(key(row)): row for row in self.rows}
        if len(self._index) < len(self.rows):
            raise DataError(f"{kind}: two rows share an id")
        #: aliases several rows answer to ("Georgia": a US state and a country)
        self._ambiguous: dict[str, list[T]] = {}
        for row in self.rows:
            for name in getattr(row, "aliases", ()):
                norm = normalise(name)
                other = self._index.get(norm)
                if other is not None and other is not row:
                    if normalise(key(other)) == norm:
                        raise DataError(f"{kind}: alias {name!r} of {key(row)} is another id")
                    self._ambiguous.setdefault(norm, [other]).append(row)
                self._index[norm] = row
        for norm in self._ambiguous:
            del self._index[norm]
        self._key = key
        self._names = {
            name: key(row) for row in self.rows for name in (key(row), *getattr(row, "aliases", ()))
        }

    def get(self, name: str) -> T:
        row = self._index.get(normalise(name))
        if row is None:
            several = self._ambiguous.get(normalise(name))
            if several:
                raise AmbiguousNameError(self.kind, name, [self._label(r) for r in several])
            raise UnknownNameError(self.kind, name, self.suggest(name))
        return row

    def _label(self, row: T) -> str:
        name = getattr(row, "name", "")
        parent = getattr(row, "parent", None)
        where = f", {parent}" if parent and parent != "WORLD" else ""
        return f"{self._key(row)} ({name}{where})" if name else self._key(row)

    def __contains__(self, name: str) -> bool:
        return normalise(name) in self._index

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Closest ids to a misspelt name (by id and alias)."""
        wanted = normalise(name)
        pool = {normalise(k): v for k, v in self._names.items()}
        close = difflib.get_close_matches(wanted, list(pool), n=8, cutoff=0.5)
        prefixed = [k for k in pool if wanted and (k.startswith(wanted) or wanted in k)]
        out: list[str] = []
        for k in prefixed + close:
            if pool[k] not in out:
                out.append(pool[k])
        return out[:n]

    def __iter__(self) -> typing.Iterator[T]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


@functools.cache
def hardware() -> Table[Hardware]:
    return Table("hardware", _load("hardware.csv", Hardware))


@functools.cache
def locations() -> Table[Location]:
    table = Table("location", _load("locations.csv", Location))
    for row in table:
        if row.parent and row.parent not in table:
            raise DataError(f"locations.csv: {row.id} has unknown parent {row.parent!r}")
    return table


@functools.cache
def cloud_prices() -> tuple[CloudPrice, ...]:
    return _load("cloud_prices.csv", CloudPrice)


@functools.cache
def facilities() -> Table[Facility]:
    return Table("facility", _load("facilities.csv", Facility))


@functools.cache
def conventions() -> Table[Convention]:
    return Table("convention", _load("conventions.csv", Convention))


@functools.cache
def models() -> Table[ModelPreset]:
    return Table("model", _load("models.csv", ModelPreset))


@functools.cache
def size_estimates() -> Table[SizeEstimate]:
    """Sizes of served models, estimated where unpublished (size_estimates.csv)."""
    return Table("served model", _load("size_estimates.csv", SizeEstimate))


@functools.cache
def mfu_runs() -> tuple[MfuRun, ...]:
    """Published runs with their MFU (mfu_runs.csv)."""
    return _load("mfu_runs.csv", MfuRun)


@functools.cache
def mfu_fit() -> dict[str, MfuTerm]:
    """The fitted MFU model's terms by name (mfu_fit.csv)."""
    return {row.term: row for row in _load("mfu_fit.csv", MfuTerm)}


@functools.cache
def hardware_rules() -> tuple[HardwareRule, ...]:
    """Typical accelerators by organisation and date (hardware_imputation.csv)."""
    return _load("hardware_imputation.csv", HardwareRule)


@functools.cache
def _price_observations() -> dict[str, tuple[PriceObservation, ...]]:
    out: dict[str, list[PriceObservation]] = {}
    table = hardware()
    for row in _load("hardware_prices.csv", PriceObservation):
        if row.hardware not in table or row.basis not in ("server", "unit"):
            raise DataError(
                f"hardware_prices.csv: {row.hardware} {row.date}: unknown chip or basis"
            )
        out.setdefault(table.get(row.hardware).id, []).append(row)
    return {k: tuple(sorted(v, key=lambda o: o.date)) for k, v in out.items()}


def prices_at(hardware_id: str, day: str) -> tuple[PriceObservation, ...]:
    """The purchase prices of a chip observed before `day` (YYYY-MM-DD): among those observed on
    or before it (else those of the earliest date after it), the latest server prices (a
    system's price per accelerator), else the latest card prices; () if none was observed. A
    server price observed before the start beats a later card price, as Epoch AI's
    `find_gpu_acquisition_price` prefers DGX prices: a card price becomes a server price only
    through a rough multiplier, an older price through the depreciation the bill applies."""
    every = _price_observations().get(hardware_id, ())
    before = [o for o in every if o.date <= day]
    pool = before or [o for o in every if o.date == every[0].date]
    seen = [o for o in pool if o.basis == "server"] or pool
    return tuple(o for o in seen if o.date == seen[-1].date) if seen else ()


@functools.cache
def validation_runs() -> tuple[ValidationRun, ...]:
    """Published figures to check combien against (validation_runs.csv)."""
    return _load("validation_runs.csv", ValidationRun)


@functools.cache
def precisions() -> dict[str, PrecisionSupport]:
    """Native training precisions of each accelerator (precisions.csv), by hardware id."""
    return {row.hardware: row for row in _load("precisions.csv", PrecisionSupport)}


@functools.cache
def energy_sources() -> Table[EnergySource]:
    return Table("energy source", _load("energy_sources.csv", EnergySource))


@functools.cache
def _facts() -> dict[str, Fact]:
    return {row.id: row for row in _load("facts.csv", Fact)}


def facts() -> tuple[Fact, ...]:
    """Every sourced fact of facts.csv."""
    return tuple(_facts().values())


def fact(name: str) -> Fact:
    """A sourced fact that a claim or the sector view relies on (facts.csv)."""
    try:
        return _facts()[name]
    except KeyError:
        raise DataError(f"facts.csv has no row {name!r}") from None


@functools.cache
def _architectures() -> dict[str, Architecture]:
    return {row.id: row for row in _load("architectures.csv", Architecture)}


def architectures() -> tuple[Architecture, ...]:
    """Every model shape of architectures.csv."""
    return tuple(_architectures().values())


def architecture(model_id: str) -> Architecture | None:
    """The shape (layers, KV heads, head size) of a preset model, if known."""
    return _architectures().get(model_id)


@functools.cache
def cpus() -> tuple[Cpu, ...]:
    return _load("cpus.csv", Cpu)


@functools.cache
def _cpu_patterns() -> list[tuple[re.Pattern[str], Cpu]]:
    return [(re.compile(row.pattern, re.IGNORECASE), row) for row in cpus() if row.pattern]


def cpu_for(model_name: str) -> Cpu | None:
    """The cpus.csv row whose pattern matches a /proc/cpuinfo model name, if any."""
    if not model_name:
        return None
    return next((row for pattern, row in _cpu_patterns() if pattern.search(model_name)), None)


_VENDOR_WORDS = re.compile(r"nvidia|tesla|geforce|amd|instinct|radeon|google")


def hardware_from_name(device_name: str) -> Hardware | None:
    """The accelerator row a driver's device name refers to ('NVIDIA H100 80GB HBM3' → h100-sxm).

    The longest id or alias contained in the normalised name wins; None when nothing matches.
    """
    wanted = _VENDOR_WORDS.sub("", normalise(device_name))
    best: tuple[int, Hardware] | None = None
    for row in hardware():
        for name in (row.id, *row.aliases):
            key = _VENDOR_WORDS.sub("", normalise(name))
            if len(key) >= 2 and key in wanted and (best is None or len(key) > best[0]):
                best = (len(key), row)
    return best[1] if best else None


@functools.cache
def _defaults() -> dict[str, Default]:
    return {row.id: row for row in _load("defaults.csv", Default)}


def default(name: str) -> Default:
    """A constant of the method (defaults.csv), with its range and source."""
    try:
        return _defaults()[name]
    except KeyError:
        raise DataError(f"defaults.csv has no row {name!r}") from None


class Deployment(Record):
    """A published serving deployment at real traffic (deployments.csv): the accelerators a
    provider ran for a day of tokens, to check the accelerators combien provisions for them."""

    id: str
    provider: str
    model: str
    hardware: str
    precision: str
    gpus_mean: float
    gpus_peak: float
    input_tokens_per_day: float
    output_tokens_per_day: float
    cached_input_share: float
    context_per_output_token: float
    output_tokens_per_s: float
    source: str
    as_of: str
    notes: str = ""


@functools.cache
def deployments() -> tuple[Deployment, ...]:
    """Published serving deployments at real traffic."""
    return _load("deployments.csv", Deployment)


class InferenceMeasurement(Record):
    """A published energy of serving a model (inference_measurements.csv): what a reader of the
    publication knows of the set-up, and the energy per output token or per request in its
    `scope` (`gpu`, `node`, `node+pue`, or `estimate` for an assumption, not a measurement)."""

    id: str
    model: str | None
    params: float | None
    active_params: float | None
    hardware: str | None
    gpus: float | None
    batch: float | None
    tokens_in: float | None
    tokens_out: float | None
    energy_wh_per_token: float | None
    energy_wh_per_request: float | None
    scope: str
    engine: str | None
    precision: str | None
    requests_per_day: float | None
    chip_power_w: float | None
    power_w: float | None
    tokens_per_s: float | None
    calibrates: tuple[str, ...]
    source: str
    as_of: str
    notes: str = ""


@functools.cache
def inference_measurements() -> tuple[InferenceMeasurement, ...]:
    """Published energies of LLM serving, to calibrate and validate the serving model."""
    return _load("inference_measurements.csv", InferenceMeasurement)


class ServingHardware(Record):
    """The accelerators an organisation publicly states it serves its models on
    (serving_hardware.csv): `stated` as said, `hardware` the catalogued part that stands for
    them; `organizations` are matched as in hardware_imputation.csv."""

    organizations: tuple[str, ...]
    start: str
    hardware: str
    stated: str
    source: str
    as_of: str
    notes: str = ""


@functools.cache
def serving_hardware() -> tuple[ServingHardware, ...]:
    """The serving hardware typical of each organisation, from its public statements."""
    return _load("serving_hardware.csv", ServingHardware)


class Inherited(Record):
    """A location field's value, and the location row it was read from."""

    value: float
    source: str
    year: str | None
    from_id: str


_FIELD_SOURCES = {
    "ewif_l_per_kwh": ("ewif_source", None),
    "price_usd_per_kwh": ("price_source", "price_year"),
    "pue": ("facility_source", None),
    "wue_l_per_kwh": ("facility_source", None),
}


def location_value(location: Location, field: str) -> Inherited | None:
    """Value of `field` for a location, walking up parents (aws:us-east-1 → US-VA → US → WORLD)."""
    table = locations()
    row: Location | None = location
    source_col, year_col = _FIELD_SOURCES[field]
    while row is not None:
        value = getattr(row, field)
        if value is not None:
            return Inherited(
                value=value,
                source=getattr(row, source_col) or row.source,
                year=getattr(row, year_col) if year_col else None,
                from_id=row.id,
            )
        row = table.get(row.parent) if row.parent else None
    return None


class GridIntensity(Record):
    """One published carbon intensity of a location's electricity in one year and scope."""

    location: str
    year: int
    scope: str
    gco2e_per_kwh: float
    source: str
    as_of: str


class GridSeries(Record):
    """The yearly grid intensities (gCO2e/kWh) of one location in one scope, from one source."""

    location: str
    scope: str
    values: dict[int, float]
    source: str
    as_of: str

    def nearest(self, year: int | None) -> int:
        """`year` if published, else the nearest (the later on a tie); None: the latest."""
        if year is None:
            return max(self.values)
        return min(self.values, key=lambda y: (abs(y - year), -y))

    def figure(self, year: int) -> GridIntensity:
        return GridIntensity(
            location=self.location,
            year=year,
            scope=self.scope,
            gco2e_per_kwh=self.values[year],
            source=self.source,
            as_of=self.as_of,
        )


class GridFigure(Record):
    """The grid intensity a run uses: the published figure nearest its year, in the scope asked
    for, converted from the other scope where the location publishes only that one."""

    value: float
    year: int
    scope: str
    from_id: str
    source: str
    #: the figure is in the other scope: neither published nor convertible in the one asked for
    other_scope: bool = False
    #: the figure was converted from the other scope by a ratio of the two scopes
    converted: bool = False


@functools.cache
def grid_series() -> dict[tuple[str, str], GridSeries]:
    """Published grid intensities by (location id, scope).

    grid_intensity.csv holds one row per series (a location in one scope from one source) and
    one column per year; a blank cell is a year that source does not publish.
    """
    table = locations()
    out: dict[tuple[str, str], GridSeries] = {}
    with open(os.path.join(DATA_DIR, "grid_intensity.csv"), encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        named = {name: header.index(name) for name in ("location", "scope", "source", "as_of")}
        years = [(i, int(name)) for i, name in enumerate(header) if name.isdigit()]
        for line, raw in enumerate(reader, start=2):
            where = f"grid_intensity.csv:{line}"
            location, scope, source, as_of = (raw[named[k]].strip() for k in named)
            if location not in table:
                raise DataError(f"{where}: unknown location {location!r}")
            if scope not in GRID_SCOPES:
                raise DataError(f"{where}: scope {scope!r} is not one of {', '.join(GRID_SCOPES)}")
            if not source or not as_of:
                raise DataError(f"{where}: row without a source or as_of")
            key = (table.get(location).id, scope)
            if key in out:
                raise DataError(f"{where}: a second {scope} series for {location}")
            try:
                values = {year: _number(raw[i]) for i, year in years if raw[i]}
            except _BadCell as exc:
                raise DataError(f"{where}: {exc}") from None
            out[key] = GridSeries(
                location=key[0], scope=scope, values=values, source=source, as_of=as_of
            )
    return out


def grid_intensity(location: Location, year: int | None, scope: str) -> GridFigure | None:
    """The grid intensity of a location for a run of `year` (None: the latest published), in
    `scope`, from the first of the location and its parents that publishes any figure.

    At that location, in this order: the figure of that year in the scope; the figure of that
    year in the other scope, converted by the location's own ratio of the two scopes; the
    nearest year in the scope; the nearest year in the other scope, converted by the nearest
    ancestor's ratio; failing all, that figure as it is, flagged `other_scope`.
    """
    table = locations()
    series = grid_series()
    other = other_grid_scope(scope)
    row: Location | None = location
    while row is not None:
        wanted, given = series.get((row.id, scope)), series.get((row.id, other))
        if wanted and (year is None or year in wanted.values):
            return _direct(wanted, year)
        if given and year in given.values and (own := _converted(given, year, scope, row)):
            return own
        if wanted:
            return _direct(wanted, year)
        if given:
            hit = given.nearest(year)
            parent = table.get(row.parent) if row.parent else None
            while parent is not None:
                if converted := _converted(given, hit, scope, parent):
                    return converted
                parent = table.get(parent.parent) if parent.parent else None
            return GridFigure(
                value=given.values[hit],
                year=hit,
                scope=other,
                from_id=row.id,
                source=given.source,
                other_scope=True,
            )
        row = table.get(row.parent) if row.parent else None
    return None


def _direct(series: GridSeries, year: int | None) -> GridFigure:
    hit = series.nearest(year)
    return GridFigure(
        value=series.values[hit],
        year=hit,
        scope=series.scope,
        from_id=series.location,
        source=series.source,
    )


def _converted(given: GridSeries, year: int, scope: str, by: Location) -> GridFigure | None:
    """`given`'s figure of `year` in `scope`, scaled by `by`'s ratio of the two scopes in the
    year nearest among those `by` publishes both; None if it never does."""
    series = grid_series()
    num, den = series.get((by.id, scope)), series.get((by.id, given.scope))
    common = (num.values.keys() & den.values.keys()) if num and den else set()
    if not num or not den or not common:
        return None
    ratio_year = min(common, key=lambda y: (abs(y - year), -y))
    ratio = num.values[ratio_year] / den.values[ratio_year]
    source = (
        f"{given.source}; × {ratio:.3f} from {given.scope} to {scope}: {by.id}'s {ratio_year} "
        f"{scope} {num.values[ratio_year]:.4g} over its {given.scope} "
        f"{den.values[ratio_year]:.4g} gCO2e/kWh (see `combien data grid`)"
    )
    return GridFigure(
        value=given.values[year] * ratio,
        year=year,
        scope=scope,
        from_id=given.location,
        source=source,
        converted=True,
    )


def search(rows: Iterable[Any], text: str | None) -> list[Any]:
    """Rows whose id, name, aliases or vendor contain `text` (case-insensitive)."""
    if not text:
        return list(rows)
    needle = text.lower()
    out = []
    for row in rows:
        hay = " ".join(
            str(getattr(row, f, ""))
            for f in (
                "id",
                "name",
                "vendor",
                "provider",
                "hardware",
                "offer",
                "organization",
                "location",
                "model",
            )
        )
        hay += " " + " ".join(getattr(row, "organizations", ()))
        hay += " " + " ".join(getattr(row, "aliases", ()))
        if needle in hay.lower():
            out.append(row)
    return out


def default_ids() -> list[str]:
    """Ids of every method constant in defaults.csv."""
    return list(_defaults())


class FleetPue(Record):
    """An operator's published fleet-wide PUE for one year (fleet_pue.csv): the PUE of a preset
    trained by that operator when the run's facility is not given. `matches` are matched as
    substrings of the preset's organisation, as in hardware_imputation.csv."""

    organization: str
    matches: tuple[str, ...]
    year: int
    pue: float
    source: str
    as_of: str
    notes: str = ""


@functools.cache
def fleet_pue() -> tuple[FleetPue, ...]:
    """Published fleet PUEs of the operators that train their own models."""
    return _load("fleet_pue.csv", FleetPue)


def fleet_pue_for(organization: str, year: int | None) -> FleetPue | None:
    """The fleet PUE of the first operator whose `matches` name part of `organization`, for
    `year` or the nearest year it publishes (the later on a tie; the latest without a year)."""
    named = organization.lower()
    for operator in dict.fromkeys(row.organization for row in fleet_pue()):
        rows = [row for row in fleet_pue() if row.organization == operator]
        if not any(m.lower() in named for m in rows[0].matches):
            continue
        if year is None:
            return max(rows, key=lambda row: row.year)
        return min(rows, key=lambda row: (abs(row.year - year), -row.year))
    return None


class Product(Record):
    """A consumer product and the model it answers with by default since a date
    (products.csv): `--model chatgpt` is served as that model, with a warning."""

    id: str
    aliases: tuple[str, ...]
    name: str
    model: str
    since: str
    source: str
    as_of: str


@functools.cache
def products() -> Table[Product]:
    """Products named like models (ChatGPT), and the model each answers with by default."""
    return Table("product", _load("products.csv", Product))
