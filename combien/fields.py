"""Every input field and every output line, defined once.

An input field says its name, unit, how it is parsed and bounded, its help and its CLI panel;
the spec models (frozen dataclasses), the CLI options, the tracker's checks and the rendered
inputs all read this table. An output line says its key (the engine's and the Bill's name), its
label, unit, place in the JSON documents and why it can be missing; the Bill, its table and
markdown, the serving bill and the lifecycle all read that table.

To add an input: one `Field` here, one annotated attribute on the spec model that takes it, and
the resolver stage that uses it. To add an output line: one `Output` here and the engine equation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Literal

from combien.errors import InputError
from combien.units import (
    HOURS_PER_DAY,
    SECONDS_PER_DAY,
    SECONDS_PER_HOUR,
    echo,
    limit,
    parse_date,
    parse_hours,
    parse_number,
)

Kind = Literal["number", "whole", "duration", "name", "choice", "choices", "date"]
Bounds = Literal["positive", "non_negative", "fraction", "at_least_one"]

# CLI panels, in the order `--help` shows them
WORKLOAD = "workload"
HARDWARE_TIME = "hardware and time"
SERVING = "serving"
TRAFFIC = "traffic"
SITE = "site"
PRICES = "prices"
METHOD = "method"
SCENARIOS = "scenarios"
SECTOR = "sector"
CONSTRAINTS = "constraints"

PRECISIONS = ("bf16", "fp16", "fp8", "tf32", "fp32")
#: the help of the serving accelerator's flag (`infer --hardware`, `lifecycle --serve-hardware`):
#: the part the model's maker states (serving_hardware.csv), else resolve/serving.py's default
SERVING_HARDWARE_HELP = (
    "Serving accelerator (default: the one the model's maker says it serves on, e.g. b200 for "
    "gpt-4o, tpu-v6e for claude-3.5-sonnet; else h100-sxm)."
)
KV_PRECISIONS = ("bf16", "fp16", "fp8", "int8", "int4")
#: a weight format is a KV format or OCP Microscaling fp4 (weights only)
WEIGHT_PRECISIONS = (*KV_PRECISIONS, "mxfp4")
COMMITMENTS = ("on-demand", "1y", "3y")
#: dates (--start) are read from this year, the first of the grid series (Ember's start at 2000),
#: to a year ahead (a run being planned)
FIRST_DATA_YEAR = 2000
DAYS_AHEAD = 366
#: carbon scopes of a grid intensity: lifecycle (generation and its supply chain, as Ember and
#: IPCC AR5 count it) or combustion (the smokestack only, as eGRID and ECCC count it)
GRID_SCOPES = ("lifecycle", "combustion")


def other_grid_scope(scope: str) -> str:
    """The grid scope that is not `scope`."""
    return GRID_SCOPES[1 - GRID_SCOPES.index(scope)]


PREFERENCES = ("flop", "params", "chip-hours", "days", "mfu")
#: Monte Carlo draws: below 100 the 5th and 95th percentiles rest on fewer than five draws each
#: (with 10, the P95 of an estimate's lines is off by ~15% in the median, ~60% at worst)
SAMPLES_RANGE = (100, 1_000_000)
#: random seeds: the unsigned 32-bit integers every generator accepts
SEED_RANGE = (0, 2**32 - 1)
#: publication dates (decimal years) a trend window may end at: the first learned models to 2100
YEAR_RANGE = (1950.0, 2100.0)
#: months of serving in a model's life: from about seven hours to a century
MONTHS_RANGE = (0.01, 1200.0)
#: the bounds of a field that gives none of its own: wide enough for any quantity in canonical
#: units, narrow enough that products and ratios of a dozen inputs stay far inside float64
#: (1e±308) — the smallest also refuses subnormal numbers such as 5e-324
LARGEST = 1e15
SMALLEST = 1e-9
#: the longest name (catalog id) a field accepts: every id is far shorter
NAME_CHARS = 64


@dataclass(frozen=True)
class Field:
    """One input: how a user gives it, and how it is read and checked."""

    name: str
    unit: str
    kind: Kind
    help: str
    panel: str
    bounds: Bounds | None = None
    choices: tuple[str, ...] = ()
    key: str = ""  # the attribute and flag, where it differs from the name
    #: numbers and durations (in days): the largest value accepted, and the smallest non-zero
    #: one — beyond them an input is a slip of the exponent, and an output could overflow
    maximum: float = LARGEST
    smallest: float = SMALLEST

    @property
    def attr(self) -> str:
        """The spec attribute (and YAML key) that takes this field."""
        return self.key or self.name

    @property
    def flag(self) -> str:
        return flag(self.attr)

    @property
    def hint(self) -> str:
        """What to write for a number that cannot be read: a fraction, a count, a factor of at
        least 1, or a quantity (which may take a suffix)."""
        if self.bounds == "fraction" or (self.unit == "fraction" and self.maximum <= 1):
            return "a number between 0 and 1, e.g. 0.4 for 40%"
        if self.kind == "whole":
            return "a whole number, e.g. 8"
        if self.bounds == "at_least_one":
            return "a number of at least 1, e.g. 1.2"
        return "e.g. 70B, 1.5e12, 15T, 3.2M"

    def parse(self, value: object) -> object:
        """The value checked and in canonical units; a one-line InputError otherwise."""
        if self.kind in ("number", "whole"):
            return self._number(value)
        if self.kind == "duration":
            return self._duration(value)
        if self.kind == "choice":
            return self._choice(value)
        if self.kind == "choices":
            return self._choices(value)
        if self.kind == "date":
            return self._date(value)
        if not isinstance(value, str):
            raise InputError(f"{self.flag}: expected a name, got {echo(value)}", field=self.attr)
        if len(value) > NAME_CHARS:
            raise InputError(
                f"{self.flag}: {echo(value)} is not a name (longer than {NAME_CHARS} characters)",
                field=self.attr,
            )
        return value

    def _number(self, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InputError(f"{self.flag}: expected a number, got {echo(value)}", field=self.attr)
        try:
            result = parse_number(value, name=self.flag, hint=self.hint)
        except InputError as exc:
            exc.field = self.attr
            raise
        self._check_bounds(result, value)
        if self.kind == "whole" and result != int(result):
            whole = sorted({max(math.floor(result), 1), math.ceil(result)})
            raise InputError(
                f"{self.flag} must be a whole number (got {echo(value)}) — a count, e.g. "
                + " or ".join(f"{n:g}" for n in whole),
                field=self.attr,
            )
        return result

    def _check_bounds(self, result: float, given: object) -> None:
        problem = {
            "positive": (result <= 0, "must be greater than 0"),
            "non_negative": (result < 0, "cannot be negative"),
            "fraction": (not 0 < result <= 1, "must be in (0, 1]"),
            "at_least_one": (result < 1, "must be at least 1"),
        }.get(self.bounds or "")
        shown = _given(given)
        if problem and problem[0]:
            hint = " — e.g. 0.4 for 40%" if self.bounds == "fraction" else ""
            raise InputError(f"{self.flag} {problem[1]} (got {shown}){hint}", field=self.attr)
        self._check_limits(result, shown)

    def _check_limits(self, result: float, shown: str) -> None:
        """The field's own range: at most `maximum`, and 0 or at least `smallest`."""
        if result > self.maximum:
            raise InputError(
                f"{self.flag} must be at most {self._limit(self.maximum)} (got {shown}) — "
                "check the exponent and the unit",
                field=self.attr,
            )
        if 0 < result < self.smallest:
            zero = "0 or " if self.bounds == "non_negative" else ""
            raise InputError(
                f"{self.flag} must be {zero}at least {self._limit(self.smallest)} (got {shown}) "
                "— check the exponent and the unit",
                field=self.attr,
            )

    def _limit(self, value: float) -> str:
        if self.kind != "duration":
            return limit(value)
        return f"{limit(value)} days" if value >= 1 else f"{limit(value * SECONDS_PER_DAY)} s"

    def _duration(self, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InputError(
                f"{self.flag}: expected a duration, got {echo(value)}", field=self.attr
            )
        try:
            days = parse_hours(value, name=self.flag) / HOURS_PER_DAY
        except InputError as exc:
            exc.field = self.attr
            raise
        if days <= 0:
            raise InputError(
                f"{self.flag} must be greater than 0 (got {_given(value)})", field=self.attr
            )
        self._check_limits(days, _given(value))
        return days

    def _choice(self, value: object) -> str:
        text = str(value).lower()
        if text not in self.choices:
            raise InputError(
                f"{self.flag}: unknown {echo(value)} — use one of {', '.join(self.choices)}",
                field=self.attr,
            )
        return text

    def _choices(self, value: object) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else list(value or ())  # type: ignore[call-overload]
        parts = [p.strip().replace("_", "-") for item in items for p in str(item).split(",")]
        for part in parts:
            self._choice(part)
        return tuple(parts)

    def _date(self, value: object) -> str:
        if isinstance(value, date):  # YAML reads an unquoted 2024-01-01 as a date
            value = value.isoformat()[:10]
        try:
            day = parse_date(str(value))
        except ValueError:
            raise InputError(
                f"{self.flag}: cannot read {echo(value)} as a date — use YYYY-MM or YYYY-MM-DD",
                field=self.attr,
            ) from None
        if day.year < FIRST_DATA_YEAR:
            raise InputError(
                f"{self.flag}: {echo(value)} is before {FIRST_DATA_YEAR}, the first year of "
                "combien's grid and price series — pass a later date, or --grid and --price-kwh",
                field=self.attr,
            )
        if (day - date.today()).days > DAYS_AHEAD:
            raise InputError(
                f"{self.flag}: {echo(value)} is more than a year ahead — a start date is when "
                "the run starts (YYYY-MM)",
                field=self.attr,
            )
        return str(value)


def _given(value: object) -> str:
    """A given value as a bound's message repeats it: as typed, cut short."""
    return echo(value, quotes=False)


def _fields(*rows: Field) -> dict[str, Field]:
    return {f.name: f for f in rows}


#: every input of a run spec; a spec model takes a subset (see `combien.resolve.spec`)
# fmt: off
INPUTS = _fields(
    # workload
    Field("model", "", "name", "Preset of a well-known model (see `combien data models`).",
          WORKLOAD),
    # the largest models have ~2e12 parameters; 1e14 (200 TB of weights in bf16) is beyond any
    Field("params", "parameters", "number", "Parameters, e.g. 70B.", WORKLOAD, "positive",
          maximum=1e14, smallest=1),
    Field("active_params", "parameters", "number",
          "Active parameters per token (MoE), e.g. 37B.", WORKLOAD, "positive",
          maximum=1e14, smallest=1),
    # the largest runs read ~4e13 tokens; all public human text is ~3e14 — 1e17 leaves room for
    # synthetic data and many epochs
    Field("tokens", "tokens", "number", "Training tokens, e.g. 15T.", WORKLOAD, "positive",
          maximum=1e17, smallest=1),
    # the largest runs are ~5e26 FLOP; 1e7 chips × 1e16 FLOP/s × three years is ~1e31
    Field("flop", "FLOP", "number", "Training compute in FLOP, e.g. 3.8e25.", WORKLOAD,
          "positive", maximum=1e32, smallest=1),
    # hardware and time
    Field("hardware", "", "name",
          "Accelerator id, e.g. h100-sxm (see `combien data hardware`).", HARDWARE_TIME),
    # 1e7 chips for 1e5 hours (eleven years); at least one chip-second
    Field("chip_hours", "h", "number", "Accelerator-hours, e.g. 30.84M.", HARDWARE_TIME,
          "positive", maximum=1e12, smallest=1 / SECONDS_PER_HOUR),
    # the largest clusters hold ~1e5–1e6 accelerators; a run uses whole ones
    Field("chips", "count", "whole", "Number of accelerators.", HARDWARE_TIME, "positive",
          maximum=1e7, smallest=1),
    # ten years, longer than accelerators serve; at least one second
    Field("days", "d", "duration", "Wall-clock duration: 90d, 2160h, or days.", HARDWARE_TIME,
          maximum=3653, smallest=1 / SECONDS_PER_DAY),
    # the poorest runs reported reach ~1–5%; 0.01% is a typo
    Field("mfu", "fraction", "number", "Model FLOP utilisation, 0–1.", HARDWARE_TIME, "fraction",
          smallest=1e-4),
    Field("precision", "", "choice",
          "Training precision: bf16 (default), fp16, fp8, tf32, fp32.", HARDWARE_TIME,
          choices=PRECISIONS),
    Field("goodput", "fraction", "number",
          "Share of wall-clock time spent training (restarts, failures, evaluation), 0–1.",
          HARDWARE_TIME, "fraction"),
    # serving
    # the longest context windows hold ~1e7 tokens; a request reads or writes whole tokens
    Field("tokens_in", "tokens", "number", "Input (prompt) tokens per request.", SERVING,
          "non_negative", maximum=1e8, smallest=1),
    Field("tokens_out", "tokens", "number", "Output tokens per request.", SERVING, "positive",
          maximum=1e8, smallest=1),
    # providers cache prompt prefixes (system prompts, earlier turns): DeepSeek served 56% of
    # its input tokens from its KV cache on a published day; all of them cached is not a request
    Field("cached_share", "fraction", "number",
          "Share of input tokens served from a prompt (KV) cache, not prefilled, 0–1 (default 0).",
          SERVING, "non_negative", maximum=1),
    # scale-up domains hold 8–576 accelerators; 1e5 would be a whole large cluster per replica
    Field("gpus", "count", "whole",
          "Accelerators per replica (default: from memory and the latency targets).", SERVING,
          "positive", maximum=1e5, smallest=1),
    # continuous batching runs up to a few thousand requests at once; an average may be below 1
    Field("batch", "requests", "number", "Concurrent requests per replica.", SERVING, "positive",
          maximum=1e6, smallest=0.01),
    Field("weight_precision", "", "choice", "Weights: bf16 (default), fp8, int8, int4, mxfp4.",
          SERVING, choices=WEIGHT_PRECISIONS, key="precision"),
    # vLLM 0.11.1 spends ~59 µs per sequence and step on the host; 10 ms would be no engine
    Field("engine_time_us", "µs", "number",
          "Serving engine's host time per sequence and decode step, µs (default: vLLM's, "
          "calibrated; 0 for an engine that overlaps it).", SERVING, "non_negative",
          maximum=1e4),
    Field("kv_precision", "", "choice",
          "KV cache: bf16 (default, the engines' own), fp16, fp8, int8, int4.", SERVING,
          choices=KV_PRECISIONS),
    # at least 0.01%: about nine seconds a day
    Field("utilisation", "fraction", "number", "Share of time replicas are busy, 0–1.", SERVING,
          "fraction", smallest=1e-4),
    # a human reads ~5–10 tokens/s (100–200 ms a token); a millisecond a token is beyond any
    # accelerator today, a minute a token beyond any service
    Field("tpot_ms", "ms", "number",
          "Latency target: time per output token, ms (default: MLPerf interactive).", SERVING,
          "positive", maximum=60_000, smallest=1),
    Field("ttft_ms", "ms", "number",
          "Latency target: time to first token, ms (default: MLPerf interactive).", SERVING,
          "positive", maximum=600_000, smallest=1),
    # a service provisioned for 1000× its mean traffic idles 99.9% of the time
    Field("peak_to_mean", "×", "number",
          "Peak traffic ÷ mean traffic: replicas are sized for the peak (default 1).", TRAFFIC,
          "at_least_one", maximum=1000),
    # the costliest (agentic) requests use tens of Wh; 3.6 mJ is less than one short answer
    Field("request_energy_kwh", "kWh", "number",
          "IT energy of one request (kWh): replaces the model.", SERVING, "positive",
          maximum=100, smallest=1e-9),
    # traffic
    # web search serves ~1.4e10 queries a day; 1e13 is a thousand a day for every person; the
    # least traffic is about one request in three years; no traffic at all has no cost per request
    Field("requests_per_day", "requests/day", "number", "Traffic, requests per day.", TRAFFIC,
          "positive", maximum=1e13, smallest=1e-3),
    Field("rps", "requests/s", "number", "Traffic, requests per second.", TRAFFIC,
          "positive", maximum=1e8, smallest=1e-8),
    # site
    Field("location", "", "name",
          "Where it runs: FR, US-IA, aws:us-east-1 (see `combien data locations`).", SITE),
    Field("facility", "", "name",
          "Facility preset: hyperscale, enterprise, air-cooled, evaporative, dlc.", SITE),
    # the least efficient facilities report a PUE of ~2.5–3
    Field("pue", "×", "number", "Power usage effectiveness (≥ 1).", SITE, "at_least_one",
          maximum=10),
    # reported on-site WUE is 0–~10 L/kWh even for evaporative cooling in hot climates
    Field("wue", "L/kWh", "number", "On-site water usage effectiveness, L/kWh of IT energy.",
          SITE, "non_negative", maximum=100),
    # lignite, the dirtiest source, emits ~1,100–1,200 gCO2e/kWh
    Field("grid", "gCO2e/kWh", "number", "Grid carbon intensity, gCO2e/kWh.", SITE,
          "non_negative", maximum=2000),
    Field("grid_scope", "", "choice",
          "Carbon scope of the location's grid: lifecycle (default) or combustion.", SITE,
          choices=GRID_SCOPES),
    # reservoir hydropower, the thirstiest source, evaporates up to a few hundred L/kWh
    Field("ewif", "L/kWh", "number", "Water intensity of electricity, L/kWh.", SITE,
          "non_negative", maximum=1000),
    # prices
    # list prices are $1–$15 per accelerator-hour
    Field("price_hour", "USD/h", "number", "Cloud price, USD per accelerator-hour.", PRICES,
          "non_negative", maximum=1e4),
    # retail electricity costs $0.05–$0.6/kWh; wholesale price caps are ~$5–$9/kWh
    Field("price_kwh", "USD/kWh", "number", "Electricity price, USD/kWh.", PRICES,
          "non_negative", maximum=100),
    Field("provider", "", "name", "Cloud provider for prices: aws, gcp, azure, lambda, ...",
          PRICES),
    Field("commitment", "", "choice", "Cloud commitment: on-demand, 1y, 3y (default 3y).",
          PRICES, choices=COMMITMENTS),
    Field("start", "", "date",
          "Training start YYYY-MM: the grid of that year; depreciates the hardware price to it.",
          PRICES),
    # method
    # an idle accelerator still draws ~10–20% of its TDP
    Field("power_fraction", "fraction", "number", "Average power ÷ TDP, 0–1.", METHOD,
          "fraction", smallest=1e-3),
    # accelerator packages draw up to ~1–2 kW, a wafer-scale system ~23 kW; at least a milliwatt
    Field("chip_power_w", "W", "number",
          "Measured average power per chip (W); replaces TDP × power fraction.", METHOD,
          "positive", maximum=1e5, smallest=1e-3),
    # a server draws ~1.2–2× its accelerators' power
    Field("server_overhead", "×", "number", "Server power ÷ accelerator power (≥ 1).", METHOD,
          "at_least_one", maximum=10),
    # 1e12 kWh is more than every data centre used in 2024 (~4e11); at least 3.6 mJ
    Field("it_energy_kwh", "kWh", "number",
          "IT energy already known (kWh): compute and power are skipped.", METHOD, "positive",
          maximum=1e12, smallest=1e-9),
    Field("convention", "", "name", "Counting convention: full (default), tdp, epoch.", METHOD),
    Field("prefer", "", "choices",
          "Which input wins a conflict: flop, params, chip-hours, days, mfu.", METHOD,
          choices=PREFERENCES),
    # scenarios
    Field("energy", "", "name", "Power from one source: nuclear, wind, solar, gas, coal ...",
          SCENARIOS),
    # algorithmic progress is ~3× a year: a millionfold is more than a decade of it
    Field("efficiency", "×", "number", "A method that needs N× less compute (e.g. 10).",
          SCENARIOS, "positive", maximum=1e6, smallest=1e-3),
    Field("efficiency_overhead", "fraction", "number",
          "Its overhead, as a share of the original compute.", SCENARIOS, "non_negative",
          maximum=100),
    Field("heat_reuse", "fraction", "number",
          "Share of the heat recovered (0–1): heat and homes-equivalent.", SCENARIOS, "fraction"),
    # the limits of a plan (`combien plan`)
    Field("deadline", "d", "name",
          "Finish within a duration (120d, 2160h) or by a date (2027-06-01).", CONSTRAINTS),
    Field("budget", "USD", "number", "Largest cost, USD (e.g. 50M).", CONSTRAINTS, "positive"),
    # the largest published clusters hold ~2e5 accelerators
    Field("max_chips", "count", "whole",
          "Most accelerators (default: the largest cluster of a published run).", CONSTRAINTS,
          "at_least_one", maximum=1e7),
    Field("co2e_max", "kg", "number", "Largest CO2e, kg (e.g. 2M for 2,000 t).", CONSTRAINTS,
          "positive"),
    Field("water_max", "L", "number", "Largest water use, litres (e.g. 50M).", CONSTRAINTS,
          "positive"),
    # the sector view
    # the world runs ~1e8 servers of every kind
    Field("servers", "servers", "whole", "AI servers in use (de Vries: 1.5M in 2027).", SECTOR,
          "positive", maximum=1e9, smallest=1),
    # a whole 72-GPU rack draws ~120–140 kW; at least one watt
    Field("server_kw_low", "kW", "number", "Power of one server, low (kW).", SECTOR, "positive",
          maximum=1e3, smallest=1e-3),
    Field("server_kw_high", "kW", "number", "Power of one server, high (kW).", SECTOR,
          "positive", maximum=1e3, smallest=1e-3),
    # world GDP is ~1.1e14 USD a year
    Field("dc_capex", "USD/yr", "number", "Yearly AI data-centre GPU spend, USD (Cahn: $150B).",
          SECTOR, "non_negative", maximum=1e15),
    Field("ai_revenue", "USD/yr", "number", "Yearly AI revenue, USD (Cahn: $70B named).", SECTOR,
          "non_negative", maximum=1e15),
)
# fmt: on

#: what says where and how a job runs: the keys that turn energy into carbon, water and dollars
SITE_KEYS = (
    "hardware",
    "location",
    "facility",
    "pue",
    "wue",
    "grid",
    "ewif",
    "price_hour",
    "price_kwh",
    "provider",
    "commitment",
    "grid_scope",
)
#: the numeric inputs
NUMBERS = tuple(n for n, f in INPUTS.items() if f.kind in ("number", "whole"))


def flag(name: str) -> str:
    """The CLI flag of a field: chip_hours → --chip-hours."""
    return "--" + name.replace("_", "-")


def number(name: str, value: object) -> float:
    """Parse and range-check the value of a numeric field; one-line InputError otherwise."""
    parsed = INPUTS[name].parse(value)
    assert isinstance(parsed, float)
    return parsed


def _count(value: object, name: str, example: str) -> object:
    """A count given as text ("1e4") or as a float that is whole (1e4) as an int; a float that
    is not whole is refused, anything else returned as given for the caller to check."""
    if isinstance(value, str):
        value = parse_number(value, name=name, hint=f"a whole number, e.g. {example}")
    if isinstance(value, float) and math.isfinite(value):
        if not value.is_integer():
            message = f"{name} must be a whole number (got {echo(value)}) — e.g. {example}"
            raise InputError(message, field=name.lstrip("-"))
        return int(value)
    return value


def samples(value: object) -> int:
    """A Monte Carlo sample count within SAMPLES_RANGE (text such as "1e4" is read)."""
    low, high = SAMPLES_RANGE
    value = _count(value, "--samples", "10000")
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        message = (
            f"--samples must be between {low:,} and {high:,} (got {echo(value)}) — fewer draws "
            "leave the 5th and 95th percentiles to chance"
        )
        raise InputError(message, field="samples")
    return value


def seed(value: object) -> int:
    """A random seed within SEED_RANGE (text such as "42" is read)."""
    low, high = SEED_RANGE
    value = _count(value, "--seed", "42")
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        message = f"--seed must be a whole number from {low} to {high:,} (got {echo(value)})"
        raise InputError(message, field="seed")
    return value


def year(value: float, name: str) -> float:
    """A publication date (decimal year) within YEAR_RANGE; `name` is its flag."""
    low, high = YEAR_RANGE
    if not low <= value <= high:  # NaN fails too
        message = f"{name} must be a year from {low:g} to {high:g} (got {echo(value)})"
        raise InputError(message, field=name.lstrip("-"))
    return value


def months(value: float) -> float:
    """Months of serving within MONTHS_RANGE."""
    low, high = MONTHS_RANGE
    if not low <= value <= high:  # NaN and infinity fail too
        message = f"--months must be from {low:g} to {high:,g} (got {echo(value)}) — e.g. 12"
        raise InputError(message, field="months")
    return value


@dataclass(frozen=True)
class Output:
    """One line of a result: its key, how it is labelled, its unit and place in the JSON."""

    key: str
    label: str
    unit: str
    json: tuple[str, ...]
    missing: str = ""  # why the line can be absent, said in the bill's warnings
    hint: str = ""  # the flags that would give it, where an estimate's user can pass them


def _outputs(*rows: Output) -> dict[str, Output]:
    return {o.key: o for o in rows}


# fmt: off
OUTPUTS = _outputs(
    Output("chip_hours", "Compute", "chip-h", ("compute", "chip_hours")),
    Output("wall_hours", "Wall-clock time", "h", ("compute", "wall_hours")),
    Output("energy_kwh", "Energy (facility)", "kWh", ("energy_kwh",),
           "facility energy needs the chip-hours and the hardware, or --it-energy-kwh"),
    Output("it_energy_kwh", "Energy (IT)", "kWh", ("it_energy_kwh",)),
    Output("accelerator_energy_kwh", "Energy (accelerators)", "kWh",
           ("accelerator_energy_kwh",)),
    Output("co2e_operational_kg", "CO2e operational", "kg", ("co2e_kg", "operational")),
    Output("co2e_embodied_kg", "CO2e embodied", "kg", ("co2e_kg", "embodied"),
           "embodied carbon needs the chip-hours and the hardware; the total is operational "
           "only"),
    Output("co2e_total_kg", "CO2e total", "kg", ("co2e_kg", "total")),
    Output("water_onsite_l", "Water on-site", "L", ("water_l", "onsite")),
    Output("water_offsite_l", "Water off-site", "L", ("water_l", "offsite")),
    Output("water_total_l", "Water total", "L", ("water_l", "total")),
    Output("cost_cloud_usd", "Cost: cloud rental", "USD", ("cost_usd", "cloud"),
           "cloud cost needs the chip-hours and a price per chip-hour"),
    Output("cost_ownership_usd", "Cost: ownership (amortised + energy)", "USD",
           ("cost_usd", "ownership"), "ownership cost needs the chip-hours and a hardware price"),
    Output("cost_energy_usd", "Cost: energy", "USD", ("cost_usd", "energy")),
    Output("cost_hardware_capex_usd", "Cost: hardware purchase", "USD",
           ("cost_usd", "hardware_capex"),
           "upfront hardware cost needs the number of chips and a hardware price",
           "pass --chips, or --days with the compute"),
    Output("heat_recoverable_kwh", "Heat recoverable", "kWh", ("heat", "recoverable_kwh")),
    Output("heat_homes_year", "Homes heated for a year", "homes",
           ("heat", "homes_year_equivalent")),
    # the headline lines of a serving bill (per request) and of a model's life
    Output("cost_usd", "Cost", "USD", ("cost_usd",)),
)
# fmt: on

#: the lines of a training (or measured) bill, in the order they are shown
TRAINING_LINES = tuple(
    k
    for k in OUTPUTS
    if k not in ("cost_usd", "accelerator_energy_kwh") and not k.startswith("heat")
)
HEAT_LINES = ("heat_recoverable_kwh", "heat_homes_year")
#: the per-request lines of a serving bill
SERVING_LINES = (
    "energy_kwh",
    "it_energy_kwh",
    "accelerator_energy_kwh",
    "co2e_total_kg",
    "co2e_operational_kg",
    "co2e_embodied_kg",
    "water_total_l",
    "water_onsite_l",
    "water_offsite_l",
    "cost_usd",
    "cost_cloud_usd",
    "cost_ownership_usd",
    "cost_energy_usd",
)
#: what a reader compares first, for serving and across a model's life: (quantity, line)
HEADLINES = (
    ("energy_kwh", "energy_kwh"),
    ("co2e_kg", "co2e_total_kg"),
    ("water_l", "water_total_l"),
    ("cost_usd", "cost_usd"),
)
