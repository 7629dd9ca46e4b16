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
from combien.units import kwh_from_j, quantity, seconds

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
        #: what a measured inference server or benchmark served: requests and tokens
        self.served = {"requests": 0.0, "tokens_in": 0.0, "tokens_out": 0.0}

    def count(self, requests: float = 0, tokens_in: float = 0, tokens_out: float = 0) -> None:
        """Add requests and tokens served (numbers ≥ 0; anything else is refused)."""
        added = {"requests": requests, "tokens_in": tokens_in, "tokens_out": tokens_out}
        for key, value in added.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"count({key}=...) takes a number, not {value!r}")
            if not 0 <= value < float("inf"):
                raise ValueError(f"count({key}={value}) must be a finite number ≥ 0")
        for key, value in added.items():
            self.served[key] += float(value)

    def served_info(self, energy_j: float) -> dict[str, float] | None:
        """What was served and the measured energy (all devices) per request and per token."""
        requests, tokens_out = self.served["requests"], self.served["tokens_out"]
        if requests <= 0 and tokens_out <= 0:
            return None
        info = dict(self.served)
        if requests > 0:
            info["energy_per_request_kwh"] = kwh_from_j(energy_j) / requests
        if tokens_out > 0:
            info["energy_per_output_token_j"] = energy_j / tokens_out
        return info

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
        served = self.served_info(measurement.energy_j)
        notes = list(self.notes)
        if served is not None:
            notes.append(_served_note(served))
        return {
            **identity,
            "duration_s": measurement.duration_s,
            "scope": scope,
            "scope_note": SCOPE_NOTES[scope],
            "nodes": _node_rows(measurement),
            "devices": _device_rows(measurement),
            "forecast": prediction.to_dict() if prediction else None,
            "served": served,
            "notes": list(dict.fromkeys(notes)),
        }

    def summary(self, measurement: Measurement) -> str:
        """One line: the energy so far and, when known, the forecast."""
        text = (
            f"combien: {quantity(kwh_from_j(measurement.energy_j), 'kWh')} "
            f"in {seconds(measurement.duration_s)}"
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


def _served_note(served: dict[str, float]) -> str:
    parts = [f"served {served['requests']:,.0f} requests"]
    if served["tokens_out"]:
        parts[0] += f" ({served['tokens_out']:,.0f} output tokens)"
    if "energy_per_request_kwh" in served:
        per_request = quantity(served["energy_per_request_kwh"], "kWh")
        parts.append(f"{per_request} measured per request")
    if "energy_per_output_token_j" in served:
        parts.append(f"{served['energy_per_output_token_j']:.3g} J per output token")
    return ": ".join(parts[:1]) + (", " + ", ".join(parts[1:]) if len(parts) > 1 else "")


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
