"""A model's whole life: the training bill, then months of serving; when serving overtakes.

lifecycle(TrainingRun(model="llama-3.1-405b", location="US"),
          InferenceRun(model="llama-3.1-405b", rps=100, location="US"), months=24)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from combien.resolve.spec import InferenceRun, TrainingRun
from combien.results.bill import Bill, Line
from combien.serving.infer import InferenceBill, infer
from combien.training.estimate import estimate

SCHEMA = "combien.lifecycle/1"
DAYS_PER_MONTH = 365.25 / 12
#: (name, training bill attribute, serving line)
QUANTITIES = [
    ("energy_kwh", "energy_kwh", "energy_kwh"),
    ("co2e_kg", "co2e_total_kg", "co2e_total_kg"),
    ("water_l", "water_total_l", "water_total_l"),
    ("cost_usd", "cost_cloud_usd", "cost_usd"),
]


@dataclass(frozen=True)
class Lifecycle:
    training: Bill
    serving: InferenceBill
    months: float

    def rows(self) -> list[dict[str, Any]]:
        """Per quantity: training, serving per day, serving over the months, total, and the
        day serving overtakes training (with the range from the two lines' ranges)."""
        out = []
        days = self.months * DAYS_PER_MONTH
        per_day = self.serving.per_day() or {}
        for name, train_attr, serve_key in QUANTITIES:
            train: Line | None = getattr(self.training, train_attr)
            day = per_day.get(serve_key)
            row: dict[str, Any] = {
                "quantity": name,
                "training": train.to_dict() if train else None,
                "serving_per_day": day.to_dict() if day else None,
            }
            if train and day and day.value > 0:
                row["serving"] = Line(day.value * days, day.low * days, day.high * days).to_dict()
                row["total"] = {
                    k: row["training"][k] + row["serving"][k] for k in ("value", "low", "high")
                }
                row["serving_overtakes_training_day"] = {
                    "value": train.value / day.value,
                    "low": train.low / day.high if day.high else None,
                    "high": train.high / day.low if day.low else None,
                }
            out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "months": self.months,
            "requests_per_day": self.serving.requests_per_day,
            "quantities": self.rows(),
            "training": self.training.to_dict(),
            "serving": self.serving.to_dict(),
        }

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def lifecycle(training: TrainingRun, serving: InferenceRun, months: float) -> Lifecycle:
    """The training bill plus `months` of serving at the serving run's traffic."""
    return Lifecycle(estimate(training), infer(serving), months)
