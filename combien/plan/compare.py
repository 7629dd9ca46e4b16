"""compare(): variants of a training run, each through the one resolver and the one chain, side
by side, with each variant's differences from the first over common random numbers.

    >>> compare(model="llama-3.1-405b", location=["FR", "US-VA"])

A field given as a list varies: several lists give every combination, in the order given. Runs
(e.g. read from YAML files) are variants too; listed fields vary each of them.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from combien.engine.uncertainty import percentiles_5_95
from combien.errors import InputError
from combien.fields import HEAT_LINES, INPUTS, TRAINING_LINES
from combien.plan.comparison import Comparison, Difference, Variant
from combien.plan.draws import Sampled, sample_runs
from combien.plan.names import GRID, TABLES, id_list
from combien.provenance import Caveat
from combien.resolve.spec import TrainingRun
from combien.resolve.training import resolve_training
from combien.training.estimate import bill_from


def compare(
    *runs: TrainingRun,
    names: Sequence[str] | None = None,
    samples: int | None = None,
    seed: int | None = None,
    **fields: object,
) -> Comparison:
    """Variants side by side: the runs given, each with every combination of the listed fields
    (`location=["FR", "US-VA"]`); a single value applies to every variant."""
    if samples is not None:
        fields["samples"] = samples
    if seed is not None:
        fields["seed"] = seed
    variants, warnings = _variants(runs, names, fields)
    if len(variants) < 2:
        raise InputError(
            "compare needs at least two variants — give a flag several values "
            "(--location FR,US-VA) or two --spec files"
        )
    first = variants[0][1]
    resolved = [resolve_training(run.merged(samples=first.samples, seed=first.seed))
                for _, run, _ in variants]  # fmt: skip
    sampled = sample_runs(resolved, first.samples, first.seed)
    bills = [bill_from(a, samples=first.samples, seed=first.seed) for a in resolved]
    # every line of a training bill; the heat lines and the headline cost where computed
    keys = tuple(
        k
        for k in (*TRAINING_LINES, *HEAT_LINES, "cost_usd")
        if k in TRAINING_LINES or any(b.line(k) is not None for b in bills)
    )
    return Comparison(
        variants=tuple(
            Variant(name, varies, bill)
            for (name, _, varies), bill in zip(variants, bills, strict=True)
        ),
        differences=tuple(
            {k: difference(sampled[0], other, k, first.samples) for k in keys}
            for other in sampled[1:]
        ),
        keys=keys,
        samples=first.samples,
        seed=first.seed,
        warnings=tuple(warnings),
    )


def difference(base: Sampled, other: Sampled, key: str, samples: int) -> Difference | None:
    """A line of `other` minus the same line of `base`, over their common draws."""
    if key not in base.central or key not in other.central:
        return None
    diff = other.samples(key, samples) - base.samples(key, samples)
    low, high = percentiles_5_95(diff[np.newaxis, :])
    a, b = base.central[key], other.central[key]
    return Difference(
        value=b - a,
        low=float(low[0]),
        high=float(high[0]),
        p_lower=float(np.mean(diff < 0)),
        p_higher=float(np.mean(diff > 0)),
        ratio=b / a if a else None,
    )


def _variants(
    runs: Sequence[TrainingRun], names: Sequence[str] | None, fields: Mapping[str, object]
) -> tuple[list[tuple[str, TrainingRun, dict[str, str]]], list[Caveat]]:
    """(name, run, the values that make it differ) of every variant, and warnings."""
    warnings: list[Caveat] = []
    listed: dict[str, list[str]] = {}
    single: dict[str, object] = {}
    for key, value in fields.items():
        if _is_list(key, value):
            values = [str(v) for v in value]  # type: ignore[attr-defined]
            if key in TABLES or key in ("provider", "commitment"):
                values, repeats = id_list(key, values)
            else:
                values, repeats = _distinct(key, values)
            warnings += repeats
            listed[key] = values
        else:
            single[key] = value
    bases = list(runs) or [TrainingRun.parse({})]
    labels = list(names) if names else [f"run {i + 1}" for i in range(len(bases))]
    if len(labels) != len(bases):
        raise InputError(f"{len(labels)} names for {len(bases)} runs")
    combos = list(itertools.product(*listed.values())) if listed else [()]
    out = []
    for label, base in zip(labels, bases, strict=True):
        for combo in combos:
            varies = dict(zip(listed, combo, strict=True))
            name = " · ".join(
                ([label] if len(bases) > 1 else []) + [str(v) for v in varies.values()]
            )
            out.append((name or label, _variant(base, {**single, **varies}), varies))
    return out, warnings


def _variant(base: TrainingRun, fields: Mapping[str, object]) -> TrainingRun:
    """The base run with the fields set; `energy="grid"` is the location's own grid (no
    energy scenario)."""
    if fields.get("energy") != GRID:
        return base.merged(**fields)
    data = base.values()
    data.pop("energy", None)
    data.update({k: v for k, v in fields.items() if k != "energy" and v is not None})
    return TrainingRun.parse(data)


def _is_list(key: str, value: object) -> bool:
    field = INPUTS.get(key)
    if field is None or field.kind == "choices":
        return False
    return isinstance(value, list | tuple)


def _distinct(key: str, values: list[str]) -> tuple[list[str], list[Caveat]]:
    """Values of a numeric or free field, each once (by its parsed value)."""
    field = INPUTS[key]
    seen: dict[object, str] = {}
    warnings = []
    for value in values:
        parsed = field.parse(value)
        if parsed in seen:
            warnings.append(
                Caveat(
                    "repeated",
                    f"{field.flag} gives {value} more than once: it is counted once",
                )
            )
            continue
        seen[parsed] = value
    return list(seen.values()), warnings
