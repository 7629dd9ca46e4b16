"""combien — how much does it cost to train and run an AI model?

Dollars, kilowatt-hours, kilograms of CO2e and litres of water, each with a 90% range and the
source of every number behind it.

    >>> import combien
    >>> bill = combien.estimate(params="70B", tokens="15T", hardware="h100-sxm", chips=16384,
    ...                         location="US-IA")
    >>> bill.co2e_total_kg.value, bill.co2e_total_kg.low, bill.co2e_total_kg.high

The package imports nothing heavy until a name is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Assumption": "combien.provenance",
    "Bill": "combien.results.bill",
    "CombienError": "combien.errors",
    "ConflictError": "combien.errors",
    "InferenceRun": "combien.resolve.spec",
    "InputError": "combien.errors",
    "Line": "combien.results.bill",
    "Tracker": "combien.measure.tracker",
    "TrainingRun": "combien.resolve.spec",
    "UnknownNameError": "combien.errors",
    "catalog": "combien.data.catalog",
    "compare": "combien.plan.compare",
    "estimate": "combien.training.estimate",
    "infer": "combien.serving.infer",
    "report": "combien.report",
    "track": "combien.measure.tracker",
}

__all__ = [
    "Assumption",
    "Bill",
    "CombienError",
    "ConflictError",
    "InferenceRun",
    "InputError",
    "Line",
    "Tracker",
    "TrainingRun",
    "UnknownNameError",
    "catalog",
    "compare",
    "estimate",
    "infer",
    "report",
    "track",
]

if TYPE_CHECKING:
    from combien.data import catalog
    from combien.errors import CombienError, ConflictError, InputError, UnknownNameError
    from combien.measure.tracker import Tracker, track
    from combien.plan.compare import compare
    from combien.provenance import Assumption
    from combien.report import report
    from combien.resolve.spec import InferenceRun, TrainingRun
    from combien.results.bill import Bill, Line
    from combien.serving.infer import infer
    from combien.training.estimate import estimate


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'combien' has no attribute {name!r}")
    if name == "catalog":
        return importlib.import_module(module)
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
