"""The run's accounting: its progress, the forecast that follows from it, and its notes.

Progress arrives as units done of a total; at each counter reading the work done so far is
paired with the energy so far, and those (elapsed s, done, joules) points feed a running
forecast, so that `progress()` takes the same time after a month as after a minute. Notes
gather what the bill should say about the measurement (sensors missing, gaps, store failures).
`run_info` and `summary` describe a measurement with them, for the bill and for people.
"""

from __future__ import annotations

from typing import Any

from combien.measure.forecast import Forecast, RunningForecast
from combien.measure.sampler import Measurement
from combien.units import kwh_from_j, quantity

SCOPE_NOTES = {
    "process": "GPU energy is whole-device; CPU and memory energy attributed to the tracked "
    "process tree",
    "machine": "whole machine",
}


class Accounting:
    """Units done of a total, paired with energy over time; and the notes on the run."""

    def __init__(self, total: float | None = None) -> None:
        self.total = total
        self.done = 0.0
        self._running = RunningForecast()  # (elapsed s, done, joules), in constant time
        self.notes: list[str] = []

    def progress(self, done: float, total: float | None = None) -> None:
        """`done` units of `total` (None: the total given before) are done."""
        if total is not None:
            self.total = float(total)
        self.done = float(done)

    def pair(self, elapsed_s: float, energy_j: float) -> None:
        """At a counter reading: the energy so far goes with the work done so far."""
        if self.total and self.done > 0:
            self._running.add(elapsed_s, self.done, energy_j)

    def forecast(self) -> Forecast | None:
        """Projected total energy and duration, with a range; None before any progress."""
        if not self.total:
            return None
        return self._running.forecast(self.total)

    def run_info(
        self, identity: dict[str, Any], scope: str, measurement: Measurement
    ) -> dict[str, Any]:
        """The bill's `run` object: `identity` (id, project, status), the duration and scope,
        each node and device, the forecast, and the notes (each once)."""
        prediction = self.forecast()
        return {
            **identity,
            "duration_s": measurement.duration_s,
            "scope": scope,
            "scope_note": SCOPE_NOTES[scope],
            "nodes": _node_rows(measurement),
            "devices": _device_rows(measurement),
            "forecast": prediction.to_dict() if prediction else None,
            "notes": list(dict.fromkeys(self.notes)),
        }

    def summary(self, measurement: Measurement) -> str:
        """One line: the energy so far and, when known, the forecast."""
        text = (
            f"combien: {quantity(kwh_from_j(measurement.energy_j), 'kWh')} "
            f"in {measurement.duration_s:.0f} s"
        )
        prediction = self.forecast()
        if prediction is None:
            return text
        energy = prediction.energy_j
        value, low, high = (kwh_from_j(j) for j in (energy.value, energy.low, energy.high))
        return (
            f"{text}; {prediction.fraction:.0%} done, forecast {quantity(value, 'kWh')} "
            f"[{quantity(low, 'kWh')}–{quantity(high, 'kWh')}]"
        )


def _device_rows(measurement: Measurement) -> list[dict[str, Any]]:
    """Each device of the run with its energy in kWh and how it was measured."""
    return [
        {
            "node": device.node,
            "key": device.key,
            "kind": device.kind,
            "name": device.name,
            "energy_kwh": kwh_from_j(energy),
            "method": device.method,
        }
        for device, energy in measurement.devices
    ]


def _node_rows(measurement: Measurement) -> list[dict[str, Any]]:
    """Each node's energy in kWh, by node name."""
    nodes: dict[str, float] = {}
    for device, energy in measurement.devices:
        nodes[device.node] = nodes.get(device.node, 0.0) + kwh_from_j(energy)
    return [{"node": node, "energy_kwh": kwh} for node, kwh in sorted(nodes.items())]
