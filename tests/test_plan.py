"""plan: the search over hardware × chips × place × offer, its Pareto front, the best option
per objective, the dropped configurations and the limits no configuration meets."""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Any

import numpy as np
import pytest

from combien.data import catalog
from combien.errors import InputError
from combien.fields import COMMITMENTS
from combien.plan.plan import plan
from combien.plan.search import pareto
from combien.results.document import Document
from combien.training.estimate import estimate

WORK = {"params": "70B", "tokens": "15T"}
SMALL = {
    **WORK,
    "hardware": ["h100-sxm", "a100-40gb"],
    "locations": ["aws:us-east-1", "gcp:us-central1", "FR"],
    "max_chips": 4096,
    "deadline": "120d",
}


def _dominates(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("cost_usd", "co2e_kg", "water_l")
    x = [a[k]["value"] for k in keys] + [a["wall_days"]]
    y = [b[k]["value"] for k in keys] + [b["wall_days"]]
    return all(p <= q for p, q in zip(x, y, strict=True)) and x != y


@pytest.fixture(scope="module")
def issue_json() -> Any:
    """`combien plan --params 70B --tokens 15T --deadline 120d --format json`."""
    import contextlib
    import io
    import json

    from combien.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        args = ["--params", "70B", "--tokens", "15T", "--deadline", "120d", "--format", "json"]
        assert main(["plan", *args, "--samples", "1000"]) == 0
    return json.loads(out.getvalue())


def test_issue_json_shape(issue_json: Any) -> None:
    assert issue_json["schema"] == "combien.plan/1"
    for option in issue_json["options"]:
        for key in ("hardware", "chips", "location", "provider", "commitment", "wall_days"):
            assert key in option
        for key in ("cost_usd", "co2e_kg", "water_l"):
            line = option[key]
            assert line["low"] <= line["value"] <= line["high"], option["description"]
        assert isinstance(option["pareto"], bool)
    assert set(issue_json["best"]) == {"cost_usd", "co2e_kg", "water_l", "wall_days"}
    assert {d["code"] for d in issue_json["dropped"]} >= {"deadline", "not-offered"}


def test_front_is_not_dominated_and_meets_the_deadline(issue_json: Any) -> None:
    options = issue_json["options"]
    front = [o for o in options if o["pareto"]]
    assert front
    for a, b in itertools.permutations(options, 2):
        if b["pareto"]:
            assert not _dominates(a, b), (a["description"], b["description"])
    assert all(o["wall_days"] <= 120 for o in options)

    # each best is the front's minimum of its objective
    def value(option: dict[str, Any], name: str) -> float:
        return float(option["wall_days"] if name == "wall_days" else option[name]["value"])

    for name, best in issue_json["best"].items():
        assert value(options[best["option"]], name) == min(value(o, name) for o in front)


def _brute_force_cheapest() -> tuple[float, str, float, dict[str, str]]:
    """The cheapest configuration of SMALL meeting the deadline, estimate by estimate."""
    chips = [2.0**k for k in range(13)]  # 1 … 4,096
    places: list[dict[str, str]] = []
    for region, provider in (("aws:us-east-1", "aws"), ("gcp:us-central1", "gcp")):
        places += [{"location": region, "provider": provider, "commitment": c} for c in COMMITMENTS]
    places += [
        {"location": "FR", "facility": f.id} for f in catalog.facilities() if f.id != "typical"
    ]
    best: tuple[float, str, float, dict[str, str]] | None = None
    for hardware, n, place in itertools.product(("h100-sxm", "a100-40gb"), chips, places):
        bill = estimate(**WORK, hardware=hardware, chips=n, samples=100, **place)
        codes = {w.code for w in bill.warnings}
        if codes & {"no-cloud-price", "on-demand-price"}:
            continue  # not offered at that provider or commitment
        owned = "provider" not in place
        cost = bill.cost_ownership_usd if owned else bill.cost_cloud_usd
        if cost is None or bill.wall_hours is None or bill.wall_hours.value > 120 * 24:
            continue
        if best is None or cost.value < best[0]:
            best = (cost.value, hardware, n, place)
    assert best is not None
    return best


def test_cheapest_is_the_brute_force_cheapest() -> None:
    result = plan(**SMALL, samples=100)
    cost, hardware, chips, place = _brute_force_cheapest()
    cheapest = result.best_option("cost_usd")
    assert cheapest.cost_usd.value == pytest.approx(cost, rel=1e-12)
    assert (cheapest.hardware, cheapest.chips, cheapest.placement.fields()) == (
        hardware,
        chips,
        place,
    )


def test_front_ranges_are_those_of_estimate() -> None:
    result = plan(**SMALL, samples=1000)
    for option in result.options:
        bill = estimate(
            **WORK, hardware=option.hardware, chips=option.chips, samples=1000,
            **option.placement.fields(),
        )  # fmt: skip
        cost = bill.cost_ownership_usd if option.placement.owned else bill.cost_cloud_usd
        assert option.cost_usd == cost
        assert option.co2e_kg == bill.co2e_total_kg
        assert option.water_l == bill.water_total_l
        assert option.wall_hours == bill.wall_hours
        # the share of draws within the deadline: at least 95% when the P95 of the time is
        # within it, below 95% when it is not
        assert option.p_deadline is not None
        assert (option.p_deadline >= 0.95) == (option.wall_hours.high <= 120 * 24)


def test_pareto_against_all_pairs() -> None:
    rng = np.random.default_rng(7)
    points = rng.integers(0, 6, size=(400, 4)).astype(float)  # many ties and duplicates
    mask = pareto(points, chunk=16, pivots=4)
    for i in range(len(points)):
        dominated = any(
            (points[j] <= points[i]).all() and (points[j] < points[i]).any()
            for j in range(len(points))
        )
        assert mask[i] == (not dominated)


def test_a_deadline_no_one_meets_names_the_fastest() -> None:
    fastest = plan(**WORK, max_chips=64, samples=100).best_option("wall_days")
    with pytest.raises(InputError) as error:
        plan(**WORK, max_chips=64, deadline="30d", samples=100)
    message = str(error.value)
    assert message.startswith("no configuration meets --deadline 30.0 days: the fastest, ")
    assert fastest.describe() in message
    ratio = fastest.wall_days.value / 30
    assert f"({ratio:.2f}× the limit) — raise --max-chips (now 64)" in message


def test_a_budget_below_the_cheapest_says_by_how_much() -> None:
    cheapest = plan(**SMALL, samples=100).best_option("cost_usd")
    with pytest.raises(InputError) as error:
        plan(**SMALL, budget="1M", samples=100)
    message = str(error.value)
    assert "no configuration meets --budget $1.00M within --deadline: the cheapest" in message
    assert cheapest.describe() in message
    assert f"({cheapest.cost_usd.value / 1e6:.2f}× the limit)" in message


def test_limits_drop_with_their_reason() -> None:
    free = plan(**SMALL, samples=100)
    cap = free.best_option("co2e_kg").co2e_kg.value * 2
    limited = plan(**SMALL, co2e_max=cap, samples=100)
    assert all(o.co2e_kg.value <= cap for o in limited.options)
    codes = {d.code: d for d in limited.dropped}
    assert codes["co2e-max"].configurations > 0
    assert codes["co2e-max"].reason.startswith("--co2e-max")


def test_empty_search_space_names_the_restriction() -> None:
    expected = "nothing to search with --locations FR and --providers lambda: "
    with pytest.raises(InputError, match="^" + re.escape(expected)):
        plan(**WORK, locations="FR", providers="lambda")


def test_unpriced_hardware_is_shown_as_such() -> None:
    # the catalog has no purchase price for an L4: owning L4s cannot be priced
    assert catalog.hardware().get("l4").price_usd is None
    result = plan(**WORK, hardware="l4,h100-sxm", providers="owned", locations="FR", samples=100)
    unpriced = {d.code: d for d in result.dropped}["price-unknown"]
    assert unpriced.examples == ("l4",)
    # 5 facility presets × 17 chip counts (1 … 65,536)
    assert unpriced.configurations == 5 * 17


def test_consumer_cards_are_searched_only_when_named() -> None:
    # NVIDIA's GeForce software license, §2.1.3: "No Datacenter Deployment"
    result = plan(**WORK, locations="US", samples=100)
    assert {"rtx-4090", "titan-x"}.isdisjoint(result.constraints["hardware"])  # type: ignore[arg-type]
    (said,) = [w for w in result.warnings if "rtx-4090, titan-x left out" in w]
    assert "GeForce software license (§2.1.3)" in said
    named = plan(**WORK, hardware="rtx-4090", locations="US", samples=100)
    assert named.constraints["hardware"] == ["rtx-4090"] and not named.warnings


def test_tpus_are_rented_not_owned() -> None:
    # Google does not sell TPUs: their price is Epoch AI's equivalent (price_basis), not a sale
    assert catalog.hardware().get("tpu-v6e").price_basis == "equivalent"
    result = plan(**WORK, hardware="tpu-v6e,h100-sxm", locations="US", samples=100)
    assert not any(o.hardware == "tpu-v6e" and o.placement.owned for o in result.options)
    assert any(o.hardware == "h100-sxm" and o.placement.owned for o in result.options)
    unsold = {d.code: d for d in result.dropped}["not-sold"]
    assert "Google rents its TPUs" in unsold.reason
    with pytest.raises(InputError, match="not sold"):
        plan(**WORK, hardware="tpu-v6e", providers="owned", locations="US", samples=100)


def test_repeats_and_unknown_ids() -> None:
    result = plan(**WORK, hardware="h100-sxm,h100,h100-sxm", locations="FR", samples=100)
    assert result.constraints["hardware"] == ["h100-sxm"]
    assert "--hardware names h100-sxm more than once: it is counted once" in result.warnings
    with pytest.raises(InputError) as error:
        plan(**WORK, locations="FRR,US-VX")
    assert re.match(
        r"--locations: unknown location 'FRR' — did you mean: FR.*; unknown location 'US-VX'",
        str(error.value),
    )


def test_a_country_admits_its_cloud_regions() -> None:
    result = plan(**WORK, hardware="a100-40gb", locations="CA", samples=100, deadline="120d")
    places = {o.placement.location for o in result.options}
    assert places <= {"CA", "CA-QC", "CA-ON", "CA-BC", "CA-AB", "aws:ca-central-1",
                      "gcp:northamerica-northeast1", "azure:canadacentral"}  # fmt: skip


def test_deadline_as_a_date() -> None:
    result = plan(**SMALL | {"deadline": "2027-06-01"}, today=date(2027, 2, 1), samples=100)
    assert result.constraints["deadline_days"] == 120  # February 1 to June 1, 2027
    with pytest.raises(InputError, match="is not after today"):
        plan(**WORK, deadline="2027-01-01", today=date(2027, 2, 1))


def test_protocol_and_cli(cli: Any) -> None:
    result = plan(**SMALL, samples=100)
    assert isinstance(result, Document)
    assert "combien — plan: 6.3e24 FLOP" in result.to_markdown()
    printed = cli("plan", "--params", "70B", "--tokens", "15T", "--hardware", "h100-sxm",
                  "--locations", "FR", "--deadline", "1d", "--max-chips", "8")  # fmt: skip
    assert printed.code == 2 and printed.err.count("\n") == 1
    assert "no configuration meets --deadline 1.0 days: the fastest, 8 × h100-sxm" in printed.err


def readme_commands(word: str) -> list[list[str]]:
    """The commands of the README's "Compare and plan" section that start with `word`."""
    import shlex
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Compare and plan\n")[1].split("\n## ")[0]
    blocks = re.findall(r"```console\n(.*?)```", section, flags=re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith(f"combien {word} ")]


def test_readme_plan_commands(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    issue, limited = readme_commands("plan")
    out = cli(*issue).out
    # 6 × 70B × 15T = 6.3e24 FLOP; the cheapest as the library finds it
    assert "combien — plan: 6.3e24 FLOP, deadline 120d" in out
    cheapest = plan(**WORK, deadline="120d", samples=100).best_option("cost_usd")
    assert cheapest.describe() in out
    data = cli(*limited).json()
    # Llama 3.1 405B: 3.8e25 FLOP (Meta's model card, models.csv)
    assert data["work"]["flop"] == catalog.models().get("llama-3.1-405b").flop
    france_or_us = {"FR", "US"}
    for option in data["options"]:
        assert option["cost_usd"]["value"] <= 50e6 and option["wall_days"] <= 180
        location = catalog.locations().get(option["location"])
        assert (
            location.id in france_or_us
            or location.parent in france_or_us
            or (catalog.locations().get(location.parent or "WORLD").parent in france_or_us)
        )


def test_every_configuration_is_the_estimate_at_central_inputs() -> None:
    from combien.plan.constraints import chip_counts
    from combien.plan.search import evaluate_grid
    from combien.plan.space import Restrictions, placements
    from combien.resolve.spec import TrainingRun
    from combien.training.estimate import central

    work = {"params": 70e9, "tokens": 15e12}
    hardware = ["h100-sxm", "a100-40gb"]
    places = placements(
        Restrictions(hardware=tuple(hardware), locations=("aws:us-east-1", "FR", "WORLD"))
    )
    grid = evaluate_grid(work, work, hardware, chip_counts(1024), places)
    assert len(grid) > 100
    for i in range(len(grid)):
        place = grid.placements[int(grid.place[i])]
        run = TrainingRun.parse(
            {**work, "hardware": grid.hardware[int(grid.hw[i])], "chips": grid.chips[i],
             **place.fields()}
        )  # fmt: skip
        values = central(run)
        cost = values["cost_ownership_usd" if place.owned else "cost_cloud_usd"]
        expected = (cost, values["co2e_total_kg"], values["water_total_l"], values["wall_hours"])
        assert tuple(grid.objectives()[i]) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("command", ["compare", "plan"])
def test_smoke_help(cli: Any, command: str) -> None:
    """Smoke test: both commands have help."""
    result = cli(command, "--help")
    assert result.code == 0 and "Usage" in result.out


def test_every_limit_and_list_is_documented() -> None:
    from pathlib import Path

    from combien.fields import flag
    from combien.plan.constraints import LIMITS, RESTRICTIONS

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for name in [*LIMITS, *RESTRICTIONS]:
        assert f"`{flag(name)}" in readme, name


def test_chip_counts() -> None:
    from combien.plan.constraints import chip_counts

    # by default up to the largest cluster of a published run: 100,000 H100 (Grok 3, xAI),
    # so powers of two up to 65,536
    largest = max(m.chips or 0 for m in catalog.models())
    assert largest == 100_000
    assert chip_counts(None) == [2.0**k for k in range(17)]
    # a limit that is not a power of two is searched too
    assert chip_counts(3000) == [2.0**k for k in range(12)] + [3000.0]
