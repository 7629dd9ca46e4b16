"""compare: variants through the one resolver and chain, side by side; differences over common
random numbers, so that "B is lower than A" comes with the share of draws in which it is."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from combien.data import catalog
from combien.errors import InputError
from combien.fields import TRAINING_LINES
from combien.plan.compare import compare
from combien.results.document import Document
from combien.training.estimate import estimate


def grid(location: str, year: int | None) -> float:
    """The lifecycle grid intensity combien reads for a location and year (gCO2e/kWh)."""
    found = catalog.grid_intensity(catalog.locations().get(location), year, "lifecycle")
    assert found is not None
    return found.value


# Llama 3.1 405B trained from 2024 (its preset's date less its days and the acquisition lag)
GRID_FR = grid("FR", 2024)
GRID_VA = grid("US-VA", 2024)


@pytest.fixture(scope="module")
def fr_va() -> Any:
    return compare(model="llama-3.1-405b", location=["FR", "US-VA"])


def test_each_column_is_the_estimate_of_its_variant(fr_va: Any) -> None:
    assert [v.name for v in fr_va.variants] == ["FR", "US-VA"]
    for variant, location in zip(fr_va.variants, ("FR", "US-VA"), strict=True):
        alone = estimate(model="llama-3.1-405b", location=location)
        assert variant.bill.to_dict() == alone.to_dict()
        assert variant.varies == {"location": location}


def test_grid_ratio_and_common_draws(fr_va: Any) -> None:
    fr, va = (v.bill for v in fr_va.variants)
    diff = fr_va.difference("US-VA", "co2e_operational_kg")
    # same facility energy, carbon = energy × grid: the ratio is that of the grids
    # (Virginia's 2024 lifecycle intensity over France's)
    assert diff.ratio == pytest.approx(GRID_VA / GRID_FR, rel=1e-12)
    assert diff.value == pytest.approx(va.co2e_operational_kg.value - fr.co2e_operational_kg.value)
    # both grids carry the same relative range (grid_rel) and the same draw of it, and the
    # energy draws are common: in every draw US-VA = 4.37 × FR, so the difference is
    # (4.37 − 1) × FR's draw, its P5 and P95 those of FR times 3.37, higher in every draw
    scale = GRID_VA / GRID_FR - 1
    assert diff.low == pytest.approx(scale * fr.co2e_operational_kg.low, rel=1e-9)
    assert diff.high == pytest.approx(scale * fr.co2e_operational_kg.high, rel=1e-9)
    assert (diff.p_lower, diff.p_higher) == (0.0, 1.0)
    assert diff.verdict("kg") == "higher in 100% of draws"


def test_shared_inputs_give_no_difference(fr_va: Any) -> None:
    # the energy is uncertain (MFU, power fraction, PUE...) but the same in both places: with
    # common draws its difference is exactly 0 in every draw, not a spread around 0
    for key in ("chip_hours", "wall_hours", "energy_kwh", "co2e_embodied_kg"):
        diff = fr_va.difference("US-VA", key)
        assert (diff.value, diff.low, diff.high) == (0.0, 0.0, 0.0), key
        assert (diff.p_lower, diff.p_higher) == (0.0, 0.0)
    assert fr_va.variants[0].bill.energy_kwh.low < fr_va.variants[0].bill.energy_kwh.high


def test_commitment_cheaper_in_the_share_its_range_implies() -> None:
    # AWS p4d (A100 40GB, us-east-1): on demand $4.10, 3-yr $1.45 per GPU-hour; each price's
    # range spans every listed price, $1.45–$4.10. With the same draw z of the price: the 3-yr
    # price is below the on-demand one unless |z| > 1.645 (one is then at the other's end),
    # so it is cheaper in 90% of draws (the chip-hours, shared, do not change the sign)
    result = compare(
        params="7B",
        tokens="1T",
        hardware="a100-40gb",
        chips=512,
        location="aws:us-east-1",
        commitment=["on-demand", "3y"],
    )
    diff = result.difference("3y", "cost_cloud_usd")
    assert diff.ratio == pytest.approx(1.45 / 4.10)
    assert diff.p_lower == pytest.approx(0.90, abs=0.01)
    assert diff.verdict("USD") == "cheaper in 91% of draws"  # 90.7% of these 10,000 draws


def test_several_lists_give_every_combination() -> None:
    result = compare(
        params="7B",
        tokens="1T",
        chips=256,
        location=["FR", "US-VA"],
        hardware=["h100-sxm", "a100-80gb"],
        samples=100,
    )
    names = [v.name for v in result.variants]
    assert names == ["FR · h100-sxm", "FR · a100-80gb", "US-VA · h100-sxm", "US-VA · a100-80gb"]
    assert len(result.differences) == 3
    # the same chip in another place takes the same time
    assert result.difference("US-VA · h100-sxm", "wall_hours").value == 0


def test_repeats_are_counted_once_and_unknown_ids_named() -> None:
    result = compare(model="gpt-3", location=["FR", "US-VA", "France"], samples=100)
    assert [v.name for v in result.variants] == ["FR", "US-VA"]
    assert [w.message for w in result.warnings] == [
        "--location names FR more than once: it is counted once"
    ]
    with pytest.raises(InputError) as error:
        compare(model="gpt-3", location=["FRR", "US-VX"])
    message = str(error.value)
    assert message.startswith("--location: unknown location 'FRR' — did you mean: FR")
    assert "; unknown location 'US-VX' — did you mean: US-VA" in message
    with pytest.raises(InputError, match="at least two variants"):
        compare(model="gpt-3", location=["FR", "FR"])


def test_protocol_and_json_shape(fr_va: Any) -> None:
    assert isinstance(fr_va, Document)
    data = fr_va.to_dict()
    assert data["schema"] == "combien.compare/1" and data["baseline"] == "FR"
    assert [v["name"] for v in data["variants"]] == ["FR", "US-VA"]
    assert data["variants"][1]["bill"]["schema"] == "combien.bill/1"
    lines = data["differences"][0]["lines"]
    assert set(lines) >= set(TRAINING_LINES)
    assert lines["co2e_total_kg"]["p_higher"] == 1.0
    markdown = fr_va.to_markdown()
    assert "| line | FR | US-VA |" in markdown and "### Differences from FR" in markdown


def test_csv_has_a_row_per_variant_and_line(fr_va: Any) -> None:
    rows = list(csv.DictReader(io.StringIO(fr_va.to_csv())))
    assert len(rows) == 2 * len(fr_va.keys)
    va = {r["line"]: r for r in rows if r["variant"] == "US-VA"}
    total = fr_va.difference("US-VA", "co2e_total_kg")
    assert float(va["co2e_total_kg"]["diff_value"]) == pytest.approx(total.value)
    assert float(va["co2e_total_kg"]["p_higher"]) == 1.0
    assert all(r["diff_value"] == "" for r in rows if r["variant"] == "FR")


def test_cli_compare_prints_both_and_the_co2e_difference(cli: Any, fr_va: Any) -> None:
    result = cli("compare", "--model", "llama-3.1-405b", "--location", "FR,US-VA")
    assert result.code == 0, result.err
    assert "FR" in result.out and "US-VA" in result.out
    assert "higher in 100% of draws" in result.out
    data = cli("compare", "--model", "llama-3.1-405b", "--location", "FR,US-VA",
               "--format", "json").json()  # fmt: skip
    assert data == fr_va.to_dict()
    rows = cli("compare", "--model", "gpt-3", "--location", "FR,US-VA", "--format", "csv").out
    assert rows.startswith("variant,line,unit,value,low,high,diff_value")


def test_cli_specs_are_variants(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "iowa.yaml").write_text("model: gpt-3\nlocation: US-IA\n")
    (tmp_path / "quebec.yaml").write_text("model: gpt-3\nlocation: CA-QC\n")
    data = cli(
        "compare",
        "--spec",
        str(tmp_path / "iowa.yaml"),
        "--spec",
        str(tmp_path / "quebec.yaml"),
        "--format",
        "json",
    ).json()
    assert [v["name"] for v in data["variants"]] == ["iowa", "quebec"]
    grids = [v["bill"]["inputs"]["grid_gco2e_per_kwh"]["value"] for v in data["variants"]]
    years = [int(v["bill"]["labels"]["grid_year"]) for v in data["variants"]]
    assert grids == [grid("US-IA", years[0]), grid("CA-QC", years[1])]


def test_cli_bad_lists_are_one_line(cli: Any) -> None:
    result = cli("compare", "--model", "gpt-3", "--hardware", "h10,b20")
    assert result.code == 2 and result.err.count("\n") == 1
    assert "unknown hardware 'h10' — did you mean: h100-sxm" in result.err
    assert "unknown hardware 'b20'" in result.err


# ------------------------------------------------------------------ the README's section

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def readme_commands(word: str) -> list[list[str]]:
    """The commands of the README's "Compare and plan" section that start with `word`."""
    import re
    import shlex

    section = README.split("## Compare and plan\n")[1].split("\n## ")[0]
    lines = [
        line.strip()
        for block in re.findall(r"```console\n(.*?)```", section, flags=re.S)
        for line in block.splitlines()
    ]
    return [shlex.split(line)[1:] for line in lines if line.startswith(f"combien {word} ")]


def _cells(text: str, label: str) -> list[str]:
    import re

    row = re.search(re.escape(label) + r"\s*│([^\n]*)", text)
    assert row, (label, text)
    return [c.strip() for c in row[1].split("│") if c.strip()]


def _amount(cell: str) -> float:
    """'2,064 t [1,402 t – 3,068 t]' → 2064, '$461k' → 461000 (the central value, in the
    printed unit)."""
    import re

    number = re.match(r"[$+−]*([\d,.]+)([kMB]?)", cell.split("[")[0].strip())
    assert number, cell
    scale = {"": 1.0, "k": 1e3, "M": 1e6, "B": 1e9}[number[2]]
    return float(number[1].replace(",", "")) * scale


def test_readme_compare_commands(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "250")
    (tmp_path / "a.yaml").write_text("model: gpt-3\nlocation: US-IA\n")
    (tmp_path / "b.yaml").write_text("model: gpt-3\nlocation: CA-QC\n")
    locations, commitments, specs = readme_commands("compare")
    out = cli(*locations).out
    # operational CO2e: the same energy at Virginia's and France's grid intensities
    fr, va = (_amount(c) for c in _cells(out, "CO2e operational")[:2])
    assert va / fr == pytest.approx(GRID_VA / GRID_FR, rel=5e-3)
    assert "higher in 100% of draws" in out
    out = cli(*commitments).out
    # AWS p4d: $1.45 (3-yr) against $4.10 (on demand) per GPU-hour, cheaper in 90% of draws in
    # theory, 91% of these (as above)
    on_demand, three_years = (_amount(c) for c in _cells(out, "Cost: cloud rental")[:2])
    assert three_years / on_demand == pytest.approx(1.45 / 4.10, rel=5e-3)
    assert "cheaper in 91% of draws" in out
    rows = list(csv.DictReader(io.StringIO(cli(*specs).out)))
    quebec = next(r for r in rows if r["variant"] == "b" and r["line"] == "co2e_operational_kg")
    # the same run in Quebec and in Iowa: the ratio of their grids in the run's year
    ratio = (
        estimate(model="gpt-3", location="CA-QC", samples=100).inputs["grid_gco2e_per_kwh"].value
        / estimate(model="gpt-3", location="US-IA", samples=100).inputs["grid_gco2e_per_kwh"].value
    )
    assert float(quebec["diff_ratio"]) == pytest.approx(ratio, rel=1e-12)


def test_energy_grid_is_the_location_grid_and_commitment_aliases() -> None:
    result = compare(model="gpt-3", energy=["grid", "nuclear"], samples=1000)
    grid, nuclear = (v.bill for v in result.variants)
    assert "energy" not in grid.labels and nuclear.labels["energy"] == "nuclear"
    # nuclear power: 12 gCO2e/kWh lifecycle (IPCC AR5 WGIII Annex III), the same energy
    ratio = 12 / grid.inputs["grid_gco2e_per_kwh"].value
    assert result.difference("nuclear", "co2e_operational_kg").ratio == pytest.approx(ratio)
    aliases = compare(
        params="7B",
        tokens="1T",
        hardware="a100-40gb",
        chips=512,
        location="aws:us-east-1",
        commitment=["on-demand", "3yr"],
        samples=100,
    )
    assert [v.name for v in aliases.variants] == ["on-demand", "3y"]


def test_many_variants_print_one_row_each(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    args = ["compare", "--params", "7B", "--tokens", "1T", "--chips", "256", "--samples", "100"]
    out = cli(*args, "--location", "FR,US-VA,SE", "--hardware", "h100-sxm,a100-80gb").out
    assert "one row per variant; every line: --format markdown, json or csv" in out
    assert sum(line.startswith("│ a100-80gb · ") for line in out.splitlines()) == 3
    few = cli(*args, "--location", "FR,US-VA", "--hardware", "h100-sxm").out
    assert "every line" not in few and "│ CO2e embodied" in few
