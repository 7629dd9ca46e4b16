"""`GET /metrics`: the run store in Prometheus's text format, read afresh at each scrape.

Per running run and device, its power between its last two samples and its energy so far (the
device's total at the run's last flush); per project, the totals of its finished runs — the
measured energy, and from each run's stored bill the facility energy, CO2e, water and cost; the
runs by project and status. Prometheus's base units: joules, watts, grams, litres (dollars for
the cost). A store that is missing or empty gives an empty exposition; one that cannot be read
gives `combien_store_up 0`. Each scrape builds its own registry: nothing global is kept.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, choose_encoder, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from combien.units import G_PER_KG, J_PER_KWH
from combien.web.runs import power_document
from combien.web.state import store_of

if TYPE_CHECKING:
    from combien.store import Store

router = APIRouter()

#: the labels of a device of a running run
DEVICE_LABELS = ("run", "project", "node", "device", "kind", "name")
#: what is summed per project from each finished run's bill: (metric, unit, help, path, factor)
BILL_TOTALS = (
    ("facility_energy", "joules", "Facility energy (after PUE) of the finished runs, from their "
     "bills", ("energy_kwh", "value"), J_PER_KWH),
    ("co2e", "grams", "CO2e (operational and embodied) of the finished runs, from their bills",
     ("co2e_kg", "total", "value"), G_PER_KG),
    ("water", "liters", "Water (on-site and off-site) of the finished runs, from their bills",
     ("water_l", "total", "value"), 1.0),
)  # fmt: skip
#: the bases of a bill's cost that add up over runs (the hardware's purchase price does not)
COST_BASES = ("cloud", "ownership", "energy")

#: a finished run's figures from its bill: BILL_TOTALS, then COST_BASES (None: not in the bill)
Figures = tuple[float | None, ...]


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    summary="The runs in Prometheus's text format: running devices, finished totals per project",
)
def metrics(request: Request) -> Response:
    try:
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
    except (TypeError, ValueError):  # a version in Accept that is not a version
        encoder, content_type = generate_latest, CONTENT_TYPE_PLAIN_0_0_4
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RunsCollector(lambda: store_of(request), _figures_of(request.app)))
    return Response(
        encoder(registry),
        media_type=content_type,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


class RunsCollector(Collector):
    """The store's runs as metric families, read when collected; `figures` keeps what the
    bills of finished runs hold, so that a bill is parsed once, not at every scrape."""

    def __init__(
        self, open_store: Callable[[], Store], figures: dict[tuple[Any, ...], Figures]
    ) -> None:
        self._open_store, self._figures = open_store, figures

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("combien_store_up", "1 when the run store could be read, else 0")
        try:
            families = self._families(self._open_store())
        except (sqlite3.Error, OSError):
            up.add_metric([], 0.0)
            return [up]
        up.add_metric([], 1.0)
        return [up, *families]

    def _families(self, store: Store) -> list[Metric]:
        """Every family, read in full before any is written (a failure leaves none half done)."""
        counts: Counter[tuple[str, str]] = Counter()
        measured: defaultdict[str, float] = defaultdict(float)
        totals: defaultdict[str, list[float | None]] = defaultdict(
            lambda: [None] * (len(BILL_TOTALS) + len(COST_BASES))
        )
        running: list[str] = []
        for row in store.iter_runs(None):
            project, status = label(row["project"]), row["status"]
            counts[project, status] += 1
            if status == "running":
                running.append(row["id"])
            elif status == "finished":
                if row["energy_j"] is not None:
                    measured[project] += row["energy_j"]
                figures = self._finished(store, row)
                summed = totals[project]
                for i, value in enumerate(figures):
                    if value is not None:
                        summed[i] = (summed[i] or 0.0) + value
        return [
            _runs_family(counts),
            *_device_families(store, running),
            _measured_family(measured),
            *_bill_families(totals),
        ]

    def _finished(self, store: Store, row: dict[str, Any]) -> Figures:
        """A finished run's figures from its bill, read once per run (and per end time)."""
        key = (store.identity, row["id"], row["ended_at"])
        figures = self._figures.get(key)
        if figures is None:
            run = store.run(row["id"])
            figures = bill_figures(run["bill"] if run else None)
            self._figures[key] = figures
        return figures


def label(value: object) -> str:
    """A label value: text (none: empty), in UTF-8; prometheus_client escapes `\\`, `"`, `\\n`."""
    text = "" if value is None else str(value)
    return text.encode("utf-8", "replace").decode("utf-8")


def bill_figures(bill: dict[str, Any] | None) -> Figures:
    """BILL_TOTALS then COST_BASES of a stored bill, in the metrics' units (None: absent)."""
    bill = bill or {}
    figures = [_at(bill, path, factor) for *_, path, factor in BILL_TOTALS]
    costs = bill.get("cost_usd")
    figures += [_at(costs, (basis, "value"), 1.0) for basis in COST_BASES]
    return tuple(figures)


def _at(node: Any, path: tuple[str, ...], factor: float) -> float | None:
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, bool) or not isinstance(node, int | float):
        return None
    value = float(node) * factor
    return value if math.isfinite(value) and value >= 0 else None


def _runs_family(counts: Counter[tuple[str, str]]) -> Metric:
    family = GaugeMetricFamily(
        "combien_runs", "Runs in the store, by project and status", labels=["project", "status"]
    )
    for (project, status), count in sorted(counts.items()):
        family.add_metric([project, status], float(count))
    return family


def _device_families(store: Store, running: list[str]) -> list[Metric]:
    """Per device of each running run: power between its last two samples, energy so far."""
    power = GaugeMetricFamily(
        "combien_device_power",
        "Power of a device of a running run, between its last two samples",
        labels=DEVICE_LABELS,
        unit="watts",
    )
    energy = CounterMetricFamily(
        "combien_device_energy",
        "Energy of a device of a running run since the run started, at its last flush",
        labels=DEVICE_LABELS,
        unit="joules",
    )
    for run_id in running:
        run = store.run(run_id)
        if run is None or run["status"] != "running":  # ended since it was listed
            continue
        document = power_document(run, store.last_samples(run["id"]))
        series = cast(dict[str, list[list[float]]], document["power_w"])
        for device in run["devices"]:
            labels = [label(run["id"]), label(run["project"])] + [
                label(device[k]) for k in ("node", "key", "kind", "name")
            ]
            energy.add_metric(labels, device["energy_j"])
            points = series.get(f"{device['node']}/{device['key']}")
            if points:
                power.add_metric(labels, points[-1][1])
    return [power, energy]


def _measured_family(measured: dict[str, float]) -> Metric:
    family = CounterMetricFamily(
        "combien_project_energy",
        "Measured energy (all devices, before PUE) of the finished runs",
        labels=["project"],
        unit="joules",
    )
    for project, joules in sorted(measured.items()):
        family.add_metric([project], joules)
    return family


def _bill_families(totals: dict[str, list[float | None]]) -> list[Metric]:
    families: list[Metric] = []
    for i, (name, unit, help_text, *_) in enumerate(BILL_TOTALS):
        family = CounterMetricFamily(
            f"combien_project_{name}", help_text, labels=["project"], unit=unit
        )
        for project, summed in sorted(totals.items()):
            total = summed[i]
            if total is not None:
                family.add_metric([project], total)
        families.append(family)
    cost = CounterMetricFamily(
        "combien_project_cost_usd",
        "Cost of the finished runs in US dollars, from their bills, by basis (cloud rental, "
        "ownership, electricity)",
        labels=["project", "basis"],
    )
    for project, summed in sorted(totals.items()):
        for j, basis in enumerate(COST_BASES):
            value = summed[len(BILL_TOTALS) + j]
            if value is not None:
                cost.add_metric([project, basis], value)
    families.append(cost)
    return families


def _figures_of(app: FastAPI) -> dict[tuple[Any, ...], Figures]:
    figures: dict[tuple[Any, ...], Figures] | None = getattr(app.state, "metric_figures", None)
    if figures is None:
        figures = app.state.metric_figures = {}
    return figures
