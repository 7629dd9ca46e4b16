"""The figures a report states, read from a bill, each with how it was obtained.

A report never computes: it reads the bill's lines and inputs and says, figure by figure, whether
it was measured, published (a model preset), given by the user or estimated by combien.
"""

from __future__ import annotations

from dataclasses import dataclass

from combien.measure.sensors import ESTIMATED
from combien.measure.sensors import MEASURED as SENSOR_MEASURED
from combien.provenance import Assumption
from combien.resolve.resolver import MEASURED
from combien.results.bill import Bill, Line
from combien.units import SECONDS_PER_HOUR, count

#: how each origin of an input reads in a report
_METHODS = {
    "measured": "measured",
    "user": "given by the provider",
    "preset": "published",
    "catalog": "estimated",
    "default": "estimated",
    "derived": "estimated",
}


@dataclass(frozen=True)
class Figure:
    """A stated quantity: central value, 90% range (None when it has no spread), method, source."""

    value: float
    low: float | None
    high: float | None
    method: str
    source: str


def from_input(a: Assumption) -> Figure:
    """A figure read from an input of the bill."""
    return Figure(a.value, a.low, a.high, _METHODS.get(a.origin, "estimated"), a.source)


def from_line(line: Line, method: str, source: str) -> Figure:
    spread = line.low < line.high
    return Figure(
        line.value, line.low if spread else None, line.high if spread else None, method, source
    )


def compute_flop(bill: Bill) -> Figure | None:
    """Training compute in FLOP: published, given, or derived (6 · N · D, or chip-hours × peak
    × MFU)."""
    if "flop" in bill.inputs:
        return from_input(bill.inputs["flop"])
    if bill.flop:
        return Figure(bill.flop, None, None, "estimated", "combien: chip-hours × peak × MFU")
    return None


def energy(bill: Bill) -> tuple[Figure, Figure] | None:
    """(facility energy, IT energy) in kWh, each with its method: a tracked run's IT energy
    measured by the devices' sensors, estimated by the tracker where a device has none, or
    both (see `tracked`), else estimated from the computational resources (chip-hours × power);
    facility energy adds the PUE, always an estimate unless the PUE was given."""
    facility, it = bill.line("energy_kwh"), bill.line("it_energy_kwh")
    if facility is None or it is None:
        return None
    measured = bill.inputs.get("it_energy_kwh")
    how = tracked(bill)
    if measured is not None and how is not None:
        word = how.method  # the devices' methods, each named where they differ
        it_figure = from_line(
            it, how.describe() if word == "partly measured" else word, measured.source
        )
    elif measured is not None:
        word = _METHODS.get(measured.origin, "estimated")
        it_figure = from_line(it, word, measured.source)
    else:
        word = "estimated"
        it_figure = from_line(it, word, "combien: chip-hours × chip power × server overhead")
    pue = bill.inputs.get("pue")
    pue_text = f"PUE {count(pue.value)} ({_METHODS.get(pue.origin, 'estimated')})" if pue else ""
    method = f"{word} IT energy × {pue_text}" if pue_text else it_figure.method
    return from_line(facility, method, pue.source if pue else it_figure.source), it_figure


def hardware(bill: Bill) -> str:
    """'16,384 × h100-sxm', '4 GPU(s) measured', or the hardware alone."""
    name = bill.labels.get("hardware", "")
    chips = bill.inputs.get("chips")
    if chips and name:
        return f"{count(chips.value)} × {name}"
    run = bill.extra.get("run")
    devices = run.get("devices") if isinstance(run, dict) else None
    if isinstance(devices, list) and devices:
        kinds = [f"{d.get('kind')} {d.get('name')}" for d in devices if isinstance(d, dict)]
        return ", ".join(dict.fromkeys(kinds))
    return name or "not given"


def location(bill: Bill) -> str:
    return bill.labels.get("location", "") or "not given"


@dataclass(frozen=True)
class Tracked:
    """How a tracked run's IT energy was obtained, from the run's record of its devices: the
    kinds of device read from hardware sensors (energy counters, power meters) and the kinds
    estimated because none could be read (CPU by TDP × utilisation, memory by W/GB)."""

    measured: tuple[str, ...]
    estimated: tuple[str, ...]

    @property
    def method(self) -> str:
        """'measured', 'estimated', 'partly measured' (some of each), or 'tracked' (the run's
        devices are not recorded)."""
        if self.measured and self.estimated:
            return "partly measured"
        return "measured" if self.measured else "estimated" if self.estimated else "tracked"

    def describe(self) -> str:
        """'gpu measured by hardware sensors; cpu, dram estimated from utilisation, without an
        energy counter'."""
        parts = (
            [f"{', '.join(self.measured)} measured by hardware sensors"] if self.measured else []
        )
        if self.estimated:
            parts.append(
                f"{', '.join(self.estimated)} estimated from utilisation, without an energy counter"
            )
        return "; ".join(parts) or "devices not recorded"


def tracked(bill: Bill) -> Tracked | None:
    """What a tracked run measured and what it estimated (None: the bill is an estimate)."""
    if not is_measured(bill):
        return None
    run = bill.extra.get("run")
    devices = run.get("devices") if isinstance(run, dict) else None
    rows = [d for d in devices if isinstance(d, dict)] if isinstance(devices, list) else []
    by_method: dict[str, dict[str, None]] = {SENSOR_MEASURED: {}, ESTIMATED: {}}
    for d in rows:
        # a device is said measured only where its record says so
        method = SENSOR_MEASURED if d.get("method") == SENSOR_MEASURED else ESTIMATED
        by_method[method][str(d.get("kind"))] = None
    return Tracked(tuple(by_method[SENSOR_MEASURED]), tuple(by_method[ESTIMATED]))


def is_measured(bill: Bill) -> bool:
    """Whether the bill is of a measured run (its IT energy read from the devices)."""
    a = bill.inputs.get("it_energy_kwh")
    return a is not None and a.origin == MEASURED


def measured_hours(bill: Bill) -> Figure | None:
    """A tracked run's measured wall-clock time, in hours (None for an estimate)."""
    run = bill.extra.get("run")
    duration = run.get("duration_s") if isinstance(run, dict) else None
    if not isinstance(duration, int | float) or not isinstance(run, dict):
        return None
    hours = duration / SECONDS_PER_HOUR
    return Figure(hours, None, None, "measured", f"tracked run {run.get('id')}")
