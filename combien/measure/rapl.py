"""CPU packages and DRAM through Linux RAPL (`/sys/class/powercap/intel-rapl*`).

Each zone's `energy_uj` counter wraps at `max_energy_range_uj`. The sensor asks to be read at
least every half wrap at the zone's maximum power (`max_interval_s`), so that between two
readings the counter wraps at most once and counts less than half its range: a smaller reading
than the last is a wrap when the energy it implies is under half the range, and a reset
otherwise (the interval is then not counted, and the reset is said). Packages (kind cpu) and
their `dram` sub-zones (kind dram) are counted; `core`/`uncore` sub-zones are inside the package
and not counted again. With scope `process`, energy is attributed by the tree's share of the
machine's busy CPU time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from combien.measure.sensors import MEASURED, Device, Sensor, SensorUnavailable
from combien.units import MICRO

#: how often a zone is read when it does not say its maximum power, s: RAPL's smallest ranges
#: (32-bit µJ counters, 4.3 kJ) wrap after 43 s at 100 W, so half that keeps one wrap at most
UNKNOWN_POWER_INTERVAL_S = 20.0

if TYPE_CHECKING:
    from combien.measure.scope import Scope

POWERCAP = Path("/sys/class/powercap")


@dataclass
class _Zone:
    path: Path
    max_uj: float
    last_uj: float
    energy_j: float = 0.0

    def read(self) -> tuple[float, bool]:
        """(energy so far, J; False when the counter was reset since the last reading)."""
        value = float((self.path / "energy_uj").read_text())
        delta = value - self.last_uj
        reset = False
        if delta < 0:
            delta += self.max_uj  # wrapped once...
            if delta > self.max_uj / 2:  # ...or, counting that much, reset
                delta, reset = 0.0, True
        self.last_uj = value
        self.energy_j += delta * MICRO
        return self.energy_j, not reset

    def max_interval_s(self) -> float:
        """Half the time the counter takes to wrap at the zone's largest power limit."""
        powers = []
        for name in (
            "constraint_0_max_power_uw",
            "constraint_1_max_power_uw",
            "constraint_0_power_limit_uw",
            "constraint_1_power_limit_uw",
        ):
            try:
                powers.append(float((self.path / name).read_text()))
            except (OSError, ValueError):
                continue
        power_uw = max((p for p in powers if p > 0), default=0.0)
        if power_uw <= 0:
            return UNKNOWN_POWER_INTERVAL_S
        return self.max_uj / 2 / power_uw


def find_zones(root: Path = POWERCAP) -> list[tuple[Path, str, str]]:
    """(path, kind, name) of the package and DRAM zones under a powercap root."""
    zones = []
    for path in sorted(root.glob("intel-rapl:*")):
        name = (path / "name").read_text().strip() if (path / "name").exists() else path.name
        parts = path.name.split(":")
        if len(parts) == 2 and name.startswith("package"):
            zones.append((path, "cpu", name))
        elif len(parts) == 3 and name == "dram":
            zones.append((path, "dram", f"dram ({parts[1]})"))
    return zones


class RaplSensor(Sensor):
    """Energy of CPU packages and DRAM from RAPL counters."""

    def __init__(self, *, scope: Scope | None = None, root: Path = POWERCAP) -> None:
        if not root.exists():
            raise SensorUnavailable(f"not available ({root} is missing)")
        try:
            found = find_zones(root)
            if not found:
                raise SensorUnavailable(f"not available (no package zone in {root})")
            self.zones = [
                _Zone(
                    path,
                    float((path / "max_energy_range_uj").read_text()),
                    float((path / "energy_uj").read_text()),
                )
                for path, _, _ in found
            ]
        except PermissionError:
            raise SensorUnavailable(f"not readable (permission denied in {root})") from None
        except (OSError, ValueError) as exc:
            raise SensorUnavailable(f"not readable ({exc})") from None
        self.devices = tuple(
            Device(f"{kind}:{path.name}", kind, name, MEASURED) for path, kind, name in found
        )
        self.scope = scope
        self.max_interval_s = min(zone.max_interval_s() for zone in self.zones)
        self._attributed = [0.0] * len(self.zones)

    def sample(self, now: float) -> list[float]:
        totals_before = [z.energy_j for z in self.zones]
        totals = []
        for zone, device in zip(self.zones, self.devices, strict=True):
            energy_j, counted = zone.read()
            if not counted:
                self._problem(
                    f"the RAPL counter of {device.key} ({device.name}) went back by more than "
                    "a wrap (reset); the energy of the interval of the reset is not counted"
                )
            totals.append(energy_j)
        if self.scope is None or self.scope.kind == "machine":
            return totals
        d_tree, d_busy = self.scope.interval()
        share = min(1.0, d_tree / d_busy) if d_busy > 0 else 0.0
        for i, (before, after) in enumerate(zip(totals_before, totals, strict=False)):
            self._attributed[i] += (after - before) * share
        return list(self._attributed)
