"""A live line on stderr while a tracked command runs: power per device, energy so far, forecast.

    combien: 1 min 23 s · gpu0 312 W · cpu 24 W · memory 1 W · 26.5 kJ so far

Power is each device's energy between the last two readings that changed it, over the time
between them. The line is redrawn in place (carriage return, erase to the end of the line) every
`interval_s` and erased when the run ends; `combien track --live` turns it on, and it is on by
default only when stderr is a terminal.
"""

from __future__ import annotations

from typing import Any, TextIO

from combien.measure.clock import Clock, Repeating
from combien.measure.sampler import Measurement
from combien.units import kwh_from_j, quantity

ERASE = "\r\x1b[K"


class LiveLine:
    """Redraws one line about a tracker on a stream, until `close()`."""

    def __init__(self, tracker: Any, stream: TextIO, clock: Clock, interval_s: float) -> None:
        self.tracker, self.stream = tracker, stream
        self._previous: Measurement | None = None
        self._power_w: dict[str, float] = {}
        self._repeating: Repeating = clock.repeat(interval_s, self.draw)

    def text(self) -> str:
        """The line, from the tracker's measurement now."""
        measurement: Measurement = self.tracker.measurement()
        previous = self._previous
        if previous is None:
            self._previous = measurement
        elif measurement.devices != previous.devices:  # a reading since: power over it
            before = {device.key: energy for device, energy in previous.devices}
            dt = measurement.duration_s - previous.duration_s
            if dt > 0:
                for device, energy in measurement.devices:
                    used_j = energy - before.get(device.key, energy)
                    self._power_w[device.key] = max(0.0, used_j) / dt
            self._previous = measurement
        parts = [f"combien: {quantity(measurement.duration_s / 3600, 'h')}"]
        parts += [
            f"{device.key} {quantity(self._power_w.get(device.key), 'W')}"
            for device, _ in measurement.devices
        ]
        parts.append(f"{quantity(kwh_from_j(measurement.energy_j), 'kWh')} so far")
        forecast = self.tracker.forecast()
        if forecast is not None:
            total = quantity(kwh_from_j(forecast.energy_j.value), "kWh")
            parts.append(f"{forecast.fraction:.0%} done, forecast {total}")
        return " · ".join(parts)

    def draw(self) -> None:
        try:
            self.stream.write(ERASE + self.text())
            self.stream.flush()
        except Exception:  # the live line never takes anything down
            pass

    def close(self) -> None:
        self._repeating.cancel()
        try:
            self.stream.write(ERASE)
            self.stream.flush()
        except Exception:
            pass
