"""plan(): the cheapest, cleanest, driest and fastest ways to train a model under constraints.

    >>> plan(params="70B", tokens="15T", deadline="120d")

1. The space: hardware × chip count (powers of two up to --max-chips) × placement (cloud
   regions and their offers, owned chips in countries and states under each facility preset,
   providers without listed regions) — `space.py`.
2. The search: every configuration through the one chain at central values, on arrays
   (`search.py`); configurations the catalog cannot price or that miss a limit are dropped,
   counted by reason.
3. The Pareto front of cost, CO2e, water and wall-clock time among the rest; then the Monte
   Carlo ranges of the front's options only, each through the one resolver and chain as
   `estimate` would give them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

from combien.data import catalog
from combien.errors import IncompleteError, InputError
from combien.plan.constraints import (
    Limits,
    Restrictions,
    chip_counts,
    limits,
    plan_fields,
    restrictions,
)
from combien.plan.draws import sample_runs
from combien.plan.options import Dropped, Option, Plan, objective_text
from combien.plan.search import Grid, evaluate_grid, pareto
from combien.plan.space import Placement, placements
from combien.provenance import Caveat
from combien.resolve.spec import TrainingRun
from combien.resolve.training import resolve_training
from combien.results.bill import Line
from combien.units import HOURS_PER_DAY, count

#: the objectives as the plan names them (wall-clock time in days), in OBJECTIVES order
NAMES = ("cost_usd", "co2e_kg", "water_l", "wall_days")
#: warnings about a cost the option does not use: owned chips pay no cloud price, rented
#: ones no purchase price (keyed by `owned`)
_BESIDE_THE_POINT = {
    True: frozenset({"no-cloud-price", "on-demand-price"}),
    False: frozenset({"no-hardware-price"}),
}
#: the objectives of the search, as Option names them
SEARCHED = ("cost_usd", "co2e_kg", "water_l", "wall_hours")
#: (code, limit, objective it bounds)
_LIMITS = (
    ("deadline", "deadline_hours", "wall_hours"),
    ("budget", "budget_usd", "cost_usd"),
    ("co2e-max", "co2e_max_kg", "co2e_kg"),
    ("water-max", "water_max_l", "water_l"),
)
_FLAGS = {
    "deadline": "--deadline",
    "budget": "--budget",
    "co2e-max": "--co2e-max",
    "water-max": "--water-max",
}


def plan(
    *,
    deadline: object = None,
    budget: object = None,
    max_chips: object = None,
    co2e_max: object = None,
    water_max: object = None,
    hardware: str | Sequence[str] | None = None,
    locations: str | Sequence[str] | None = None,
    providers: str | Sequence[str] | None = None,
    facilities: str | Sequence[str] | None = None,
    commitments: str | Sequence[str] | None = None,
    samples: int = 10_000,
    seed: int = 0,
    today: date | None = None,
    **work: object,
) -> Plan:
    """Search the catalog for the ways to do `work` (params and tokens, flop, or a model)
    within the limits; the Pareto front of cost, CO2e, water and time, with ranges."""
    unknown = set(work) - set(plan_fields())
    if unknown:
        raise InputError(
            f"plan does not take {', '.join(sorted(unknown))} — it searches hardware, chips and "
            "places itself; restrict them with hardware=, locations=, providers=",
        )
    base = TrainingRun.parse({**work, "samples": samples, "seed": seed})
    given_work = base.given()
    sized = given_work & {"params", "active_params"} and "tokens" in given_work
    if not (given_work & {"model", "flop"} or sized):
        raise IncompleteError("plan needs the work: --params and --tokens, --flop, or --model")
    given = base.values()
    bounds = limits(
        deadline=deadline,
        budget=budget,
        max_chips=max_chips,
        co2e_max=co2e_max,
        water_max=water_max,
        today=today,
    )
    allowed, warnings = restrictions(
        hardware=hardware,
        locations=locations,
        providers=providers,
        facilities=facilities,
        commitments=commitments,
    )
    places = placements(allowed)
    if not places:
        raise InputError(_nothing_to_search(allowed))
    chips = chip_counts(bounds.max_chips)
    ids = list(allowed.hardware or _datacentre_hardware(warnings))
    grid = evaluate_grid(given, given, ids, chips, places)
    return _choose(grid, base, bounds, chips, warnings, allowed)


#: consumer cards, left out of a search unless named: NVIDIA's GeForce driver license, §2.1.3
#: "No Datacenter Deployment" (License For Customer Use of NVIDIA GeForce Software,
#: nvidia.com/drivers/geforce-license; it covers "GeForce or Titan branded hardware products")
CONSUMER_BRANDS = ("GeForce", "TITAN")


def _datacentre_hardware(warnings: list[Caveat]) -> list[str]:
    """Every catalog accelerator but the consumer cards, whose leaving out is said."""
    rows = catalog.hardware().rows
    consumer = [h.id for h in rows if any(b.lower() in h.name.lower() for b in CONSUMER_BRANDS)]
    if consumer:
        warnings.append(
            Caveat(
                "consumer-hardware",
                f"{', '.join(consumer)} left out: NVIDIA's GeForce software license (§2.1.3) "
                "does not license GeForce or Titan cards for data-centre deployment — name "
                "them in --hardware to search them",
            )
        )
    return [h.id for h in rows if h.id not in consumer]


def _nothing_to_search(allowed: Restrictions) -> str:
    named = [
        f"--{name} {','.join(values)}"
        for name, values in vars(allowed).items()
        if values is not None and name != "hardware"
    ]
    return (
        f"nothing to search with {' and '.join(named)}: no cloud region, owned site or "
        "offer matches — providers without listed regions (lambda, runpod, ...) are placed "
        "at WORLD, and owned chips only in countries and states"
    )


def _choose(
    grid: Grid,
    base: TrainingRun,
    bounds: Limits,
    chips: list[float],
    warnings: list[Caveat],
    allowed: Restrictions,
) -> Plan:
    """The options of the searched grid: the front, with ranges, and what was dropped."""
    ok, dropped = _feasible(grid, bounds, len(chips))
    feasible = np.flatnonzero(ok)
    on_front = feasible[pareto(grid.objectives(feasible))]
    members = set(on_front.tolist())
    options = [
        _option(grid, i, base, bounds, pareto_member=i in members)
        for i in [*_by_cost(grid, on_front), *_best_per_hardware(grid, feasible, on_front)]
    ]
    excluded = sum(d.configurations for d in _excluded(grid, len(chips)))
    return Plan(
        options=tuple(options),
        best=_best(options),
        dropped=tuple(dropped),
        flop=grid.flop,
        constraints={
            **_constraints(bounds, grid),
            **{k: list(v) for k, v in vars(allowed).items() if v is not None and k != "hardware"},
        },
        searched={
            "configurations": len(grid) + excluded,
            "evaluated": len(grid),
            "feasible": len(feasible),
            "front": len(on_front),
            "hardware": len(grid.hardware),
            "placements": len(grid.placements),
            "chip_counts": chips,
        },
        samples=base.samples,
        seed=base.seed,
        warnings=tuple(w.message for w in warnings),
    )


def _feasible(grid: Grid, bounds: Limits, n_chips: int) -> tuple[np.ndarray, list[Dropped]]:
    """Which configurations can be computed, priced and meet every limit; the others grouped
    by the first reason that drops them. An InputError when a limit leaves none."""
    dropped = _excluded(grid, n_chips)
    if len(grid) == 0:
        raise InputError(
            "no configuration to compute: "
            + "; ".join(f"{d.reason} ({', '.join(d.examples)})" for d in dropped)
        )
    known = np.isfinite(grid.objectives()).all(axis=1)
    energy_known = np.isfinite(grid.values["co2e_kg"])
    dropped += _group(grid, ~energy_known, "energy-unknown", "the catalog has no power for "
                      "this hardware (TDP): its energy cannot be computed")  # fmt: skip
    dropped += _group(grid, energy_known & ~known, "price-unknown", "the catalog cannot "
                      "price it: no purchase price for this hardware")  # fmt: skip
    if not known.any():
        raise InputError(
            "no configuration can be priced and computed: "
            + "; ".join(f"{d.reason} ({', '.join(d.examples)})" for d in dropped)
        )
    ok = known.copy()
    for code, limit, objective in _LIMITS:
        bound = getattr(bounds, limit)
        if bound is None:
            continue
        meets = grid.values[objective] <= bound
        if not (ok & meets).any():
            raise InputError(_binding(grid, ok, code, bound, objective, bounds))
        reason = f"{_describe_limit(code, bound)} not met"
        dropped += _group(grid, ok & ~meets, code, reason, closest=objective)
        ok &= meets
    return ok, dropped


def _best(options: Sequence[Option]) -> dict[str, int]:
    """For each objective, the front's option lowest in it (ties: the other objectives)."""
    front = [i for i, o in enumerate(options) if o.pareto]
    return {
        name: min(front, key=lambda i: tuple(options[i].objective(n) for n in _first(name)))
        for name in NAMES
    }


def _first(name: str) -> tuple[str, ...]:
    """The objectives in the order that breaks ties: `name` first."""
    return (name, *(n for n in NAMES if n != name))


def _by_cost(grid: Grid, index: np.ndarray) -> list[int]:
    keys = grid.objectives(index)
    return [int(index[i]) for i in np.lexsort(keys.T[::-1])]


def _best_per_hardware(grid: Grid, feasible: np.ndarray, on_front: np.ndarray) -> list[int]:
    """The cheapest feasible configuration of each hardware that the front does not hold."""
    present = {int(h) for h in grid.hw[on_front]}
    out = []
    for h in sorted(set(int(h) for h in grid.hw[feasible]) - present):
        mine = feasible[grid.hw[feasible] == h]
        out.append(_by_cost(grid, mine)[0])
    return out


def _option(
    grid: Grid, i: int, base: TrainingRun, bounds: Limits, *, pareto_member: bool
) -> Option:
    """A configuration with the Monte Carlo ranges of its objectives (as `estimate` gives)."""
    hardware = grid.hardware[int(grid.hw[i])]
    place = grid.placements[int(grid.place[i])]
    run = base.merged(hardware=hardware, chips=float(grid.chips[i]), **place.fields())
    resolved = resolve_training(run)
    sampled = sample_runs([resolved], base.samples, base.seed)[0]
    cost_key = "cost_ownership_usd" if place.owned else "cost_cloud_usd"
    n = base.samples
    wall = sampled.samples("wall_hours", n)
    cost = sampled.samples(cost_key, n)
    return Option(
        hardware=hardware,
        chips=float(grid.chips[i]),
        placement=place,
        cost_usd=sampled.line(cost_key, n),
        co2e_kg=sampled.line("co2e_total_kg", n),
        water_l=sampled.line("water_total_l", n),
        wall_hours=sampled.line("wall_hours", n),
        pareto=pareto_member,
        p_deadline=None
        if bounds.deadline_hours is None
        else float(np.mean(wall <= bounds.deadline_hours)),
        p_budget=None if bounds.budget_usd is None else float(np.mean(cost <= bounds.budget_usd)),
        warnings=tuple(
            w.message for w in resolved.warnings if w.code not in _BESIDE_THE_POINT[place.owned]
        ),
    )


def _describe(grid: Grid, i: int) -> str:
    """A configuration of the search in words (central values)."""
    hardware = grid.hardware[int(grid.hw[i])]
    place: Placement = grid.placements[int(grid.place[i])]
    cost, co2e, water, wall = (float(grid.values[k][i]) for k in SEARCHED)
    option = Option(
        hardware,
        float(grid.chips[i]),
        place,
        Line(cost, cost, cost),
        Line(co2e, co2e, co2e),
        Line(water, water, water),
        Line(wall, wall, wall),
        pareto=False,
    )
    return option.describe()


def _group(
    grid: Grid, mask: np.ndarray, code: str, reason: str, closest: str | None = None
) -> list[Dropped]:
    """The configurations of `mask` as one Dropped (none if empty), with the closest to the
    limit (or the first few) as examples."""
    index = np.flatnonzero(mask)
    if len(index) == 0:
        return []
    examples: tuple[str, ...]
    if closest:
        examples = (_describe(grid, _closest(grid, index, closest)),)
    else:
        examples = tuple(sorted({grid.hardware[int(h)] for h in grid.hw[index]})[:5])
    return [Dropped(code, reason, len(index), examples)]


def _excluded(grid: Grid, n_chips: int) -> list[Dropped]:
    """Pairs and hardware left out before the chain, grouped by reason."""
    reasons = {
        "unusable": "the hardware cannot run this work as given",
        "not-offered": "hardware not offered there",
        "not-sold": "hardware not sold, so not owned: Google rents its TPUs in its cloud, and "
        "their purchase price is Epoch AI's equivalent, an estimate of Google's own cost",
        "no-commitment": "no price at this commitment",
    }
    out = []
    for code, reason in reasons.items():
        rows = [e for e in grid.excluded if e.code == code]
        if not rows:
            continue
        per = n_chips * (len(grid.placements) if code == "unusable" else 1)
        examples = tuple(dict.fromkeys(e.reason for e in rows))[:5]
        out.append(Dropped(code, reason, per * len(rows), examples))
    return out


def _binding(
    grid: Grid, ok: np.ndarray, code: str, bound: float, objective: str, bounds: Limits
) -> str:
    """Why no configuration is left: the limit that binds, and the closest configuration."""
    index = np.flatnonzero(ok)
    if len(index) == 0:
        return "no configuration can be priced and computed within the restrictions"
    best = _closest(grid, index, objective)
    value = float(grid.values[objective][best])
    name = "wall_days" if objective == "wall_hours" else objective
    shown = value / HOURS_PER_DAY if objective == "wall_hours" else value
    limit = bound / HOURS_PER_DAY if objective == "wall_hours" else bound
    active = [c for c, lim, _ in _LIMITS if getattr(bounds, lim) is not None]
    earlier = active[: active.index(code)]
    within = f" within {', '.join(_FLAGS[c] for c in earlier)}" if earlier else ""
    best_word = {
        "cost_usd": "cheapest",
        "co2e_kg": "cleanest",
        "water_l": "driest",
        "wall_days": "fastest",
    }[name]
    hint = {
        "deadline": f"raise --max-chips (now {count(float(grid.chips.max()))}) or move the "
        "deadline",
        "budget": "raise the budget or relax the other limits",
        "co2e-max": "raise --co2e-max or relax the other limits",
        "water-max": "raise --water-max or relax the other limits",
    }[code]
    needs = "" if code == "deadline" else f", {objective_text(name, shown)}"
    return (
        f"no configuration meets {_describe_limit(code, bound)}{within}: the {best_word}, "
        f"{_describe(grid, best)}{needs} ({shown / limit:.2f}× the limit) — {hint}"
    )


def _closest(grid: Grid, index: np.ndarray, objective: str) -> int:
    """The configuration of `index` lowest in `objective`, ties broken by the others in
    OBJECTIVES order (as the plan's best options are)."""
    order = [objective, *(k for k in SEARCHED if k != objective)]
    keys = [grid.values[k][index] for k in reversed(order)]
    return int(index[np.lexsort(keys)[0]])


def _describe_limit(code: str, bound: float) -> str:
    if code == "deadline":
        return f"--deadline {bound / HOURS_PER_DAY:,.1f} days"
    unit = {"budget": "cost_usd", "co2e-max": "co2e_kg", "water-max": "water_l"}[code]
    return f"{_FLAGS[code]} {objective_text(unit, bound)}"


def _constraints(bounds: Limits, grid: Grid) -> dict[str, object]:
    return {
        "deadline": bounds.deadline_text or None,
        "deadline_days": None
        if bounds.deadline_hours is None
        else bounds.deadline_hours / HOURS_PER_DAY,
        "budget_usd": bounds.budget_usd,
        "max_chips": bounds.max_chips,
        "co2e_max_kg": bounds.co2e_max_kg,
        "water_max_l": bounds.water_max_l,
        "hardware": list(grid.hardware),
    }
