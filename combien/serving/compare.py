"""A measured serving run beside `combien infer` for the same model, hardware and traffic.

A run tracked with `Tracker.count(requests, tokens_in, tokens_out)` keeps what it served and the
energy of each device. Its energy per request and per output token is set beside the estimate's,
in each scope the measurement has: `gpu_energy_kwh` (the GPUs' own counters) and `it_energy_kwh`
(every device the tracker read: GPUs, CPU, memory — not the fans, power supplies and network
that the estimate's server overhead covers), with the estimate's 90% range and whether the
measurement lies inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from combien.errors import InputError
from combien.resolve.spec import InferenceRun
from combien.results.document import JSON, dumps, markdown_table, records_csv, rich_table
from combien.serving.infer import GPU_LINE, InferenceBill, infer
from combien.units import J_PER_KWH, kwh_from_j, ratio

if TYPE_CHECKING:
    from rich.console import RenderableType

SCHEMA = "combien.served-compare/1"
#: the scopes a measurement has: (line, label, device kinds; None = every device)
SCOPES = (
    ("gpu_energy_kwh", "GPU energy", ("gpu",)),
    ("it_energy_kwh", "IT energy (devices read)", None),
)
_LINE = {alias: line for line, alias in GPU_LINE.items()}
_HEADER = ("scope", "per", "measured", "estimated", "90% range", "measured ÷ estimated", "inside")


def served_of(run: dict[str, Any]) -> dict[str, float]:
    """What a stored run served (`Tracker.count`), from its bill; an error if nothing."""
    bill = run.get("bill") or {}
    served = (bill.get("run") or {}).get("served")
    if not served or not served.get("requests"):
        raise InputError(
            f"run {run['id']} counted no requests — call Tracker.count(requests=..., "
            "tokens_out=...) while serving to compare it with combien infer"
        )
    return {k: float(v) for k, v in served.items() if isinstance(v, int | float)}


def estimate_for_served(run: dict[str, Any], spec: InferenceRun) -> InferenceBill:
    """`combien infer` for a served run: the spec's settings, else the run's — its mean input
    and output tokens per request, its GPUs and its site options."""
    served = served_of(run)
    fields: dict[str, Any] = spec.values()
    for key, value in (run.get("options") or {}).items():
        fields.setdefault(key, value)
    requests = served["requests"]
    for key in ("tokens_in", "tokens_out"):
        if served.get(key):
            fields.setdefault(key, served[key] / requests)
    gpus = [d for d in run.get("devices") or () if d.get("kind") == "gpu"]
    if gpus and "batch" not in fields:
        fields.setdefault("gpus", len(gpus))
    return infer(InferenceRun.parse(fields))


@dataclass(frozen=True)
class ServedComparison:
    """Measured energy per request and per output token beside the estimate's."""

    run_id: str
    served: dict[str, float]
    rows: list[JSON]

    def to_dict(self) -> JSON:
        return {"schema": SCHEMA, "run": self.run_id, "served": self.served, "rows": self.rows}

    def to_csv(self) -> str:
        """One row per measured quantity, as in the JSON."""
        return records_csv(self.rows)

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent)

    def text_rows(self) -> list[tuple[str, ...]]:
        def joules(kwh: Any) -> str:
            return f"{float(kwh) * J_PER_KWH:.3g} J"

        out: list[tuple[str, ...]] = []
        for row in self.rows:
            est: Any = row["estimated"]
            out.append(
                (
                    str(row["label"]),
                    str(row["per"]),
                    joules(row["measured"]),
                    joules(est["value"]),
                    f"{joules(est['low'])[:-2]} – {joules(est['high'])}",
                    ratio(float(row["ratio"])) if row["ratio"] is not None else "—",  # type: ignore[arg-type]
                    "yes" if row["inside_range"] else "no",
                )
            )
        return out

    def to_markdown(self) -> str:
        out = [f"## combien — run {self.run_id}: measured serving vs combien infer", ""]
        return "\n".join(out + markdown_table(_HEADER, self.text_rows(), left=(0, 1))) + "\n"

    def to_table(self) -> RenderableType:
        title = f"run {self.run_id}: measured serving vs combien infer"
        return rich_table(title, _HEADER, self.text_rows())


def compare_served(run: dict[str, Any], estimate: InferenceBill) -> ServedComparison:
    """Per request and per output token, in each scope the run measured."""
    served = served_of(run)
    devices = run.get("devices") or ()
    tokens_out = estimate.inputs["tokens_out"].value
    rows: list[JSON] = []
    for line, label, kinds in SCOPES:
        mine = [d for d in devices if kinds is None or d.get("kind") in kinds]
        line_est = estimate.per_request.get(_LINE.get(line, line))
        if not mine or line_est is None:
            continue
        kwh = sum(kwh_from_j(float(d["energy_j"])) for d in mine)
        units = [("request", served["requests"], 1.0)]
        if served.get("tokens_out"):
            units.append(("output token", served["tokens_out"], tokens_out))
        for per, count, share in units:
            measured = kwh / count
            est = {k: v / share for k, v in line_est.to_dict().items()}
            rows.append(
                {
                    "scope": line,
                    "label": label,
                    "per": per,
                    "measured": measured,
                    "estimated": est,
                    "ratio": measured / est["value"] if est["value"] else None,
                    "inside_range": est["low"] <= measured <= est["high"],
                }
            )
    return ServedComparison(str(run["id"]), served, rows)
