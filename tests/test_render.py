"""The bill people read: the CLI's quick path, human numbers, footnoted sources, 80 columns."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from combien import units
from combien.cli import _quick, application

ESTIMATE = ("estimate", "--params", "70B", "--tokens", "15T", "--hardware", "h100-sxm")

# ------------------------------------------------------------------ the quick path


def _click_flags(command: str) -> set[str]:
    import typer.main

    group: Any = typer.main.get_command(application())
    return {o for p in group.commands[command].params for o in p.opts if o.startswith("--")}


@pytest.mark.parametrize("command", ["estimate", "infer"])
def test_quick_path_reads_the_options_typer_reads(command: str) -> None:
    assert set(_quick.fields_of(command)) | set(_quick.OWN) == _click_flags(command)


def test_quick_path_gives_what_typer_gives(cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    args = [*ESTIMATE, "--chips", "1024", "--prefer", "flop", "--format=json", "--samples", "200"]
    assert _quick.read("estimate", args[1:]) is not None  # the quick path takes these
    quick = cli(*args)
    application()(args=args, prog_name="combien", standalone_mode=False)
    assert quick.code == 0 and quick.out == capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--params", "70B", "--help"],
        ["--params"],
        ["--params", "70B", "--params", "7B"],
        ["--nope", "1"],
        ["--samples", "many"],
        ["--format", "yaml"],
        ["70B"],
    ],
)
def test_quick_path_leaves_to_typer_what_it_cannot_read(args: list[str]) -> None:
    assert _quick.read("estimate", args) is None


def test_quick_path_errors_are_typers(cli: Any) -> None:
    unknown = cli(*ESTIMATE, "--nope", "1")
    assert unknown.code == 2 and "No such option: --nope" in unknown.err
    bad = cli(*ESTIMATE, "--mfu", "40")
    assert bad.code == 2 and bad.err.startswith("combien: error: --mfu must be in (0, 1]")


def test_estimate_does_not_build_the_typer_application() -> None:
    code = (
        "import sys, io, contextlib\n"
        "from combien.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main({[*ESTIMATE, '--format', 'json', '--samples', '100']!r}) == 0\n"
        "assert 'typer' not in sys.modules and 'rich' not in sys.modules, 'typer or rich'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------ readable at a glance

DEMO = ("estimate", "--model", "llama-3.1-405b", "--location", "US", "--facility", "hyperscale")


def test_numbers_in_human_units() -> None:
    from combien.units import quantity, span

    # the H100's dense BF16 peak (NVIDIA datasheet, 1,978.9 TFLOP/s with sparsity, halved)
    assert quantity(989.4e12, "FLOP/s") == "989 TFLOP/s"
    assert quantity(33_750, "USD") == "$33,750"  # an H100 server's share per GPU
    assert span(72_908, 260_400, "USD") == "$72.9k–$260k"  # both ends in thousands
    assert quantity(150.2e6, "USD") == "$150M"
    assert quantity(2028.6, "year") == "2028.6"
    assert span(23.7e6, 45.1e6, "kWh") == "23.7–45.1 GWh"  # the unit said once
    assert span(940e3, 2.26e6, "kWh") == "940 MWh–2.26 GWh"  # unless the prefixes differ


def test_demo_markdown_is_short_and_cites_each_source_once(cli: Any) -> None:
    out = cli(*DEMO, "--format", "markdown").out
    assert len(out.encode()) < 4096
    notes = [line for line in out.splitlines() if line.startswith("[")]
    texts = [note.partition("] ")[2] for note in notes]
    assert len(texts) == len(set(texts)) >= 5
    # the H100 row's citation is quoted once; the price is the observation nearest before the
    # training start (2024-05-24): an 8-GPU HGX board's price of 2024-03-27, per GPU
    assert sum("NVIDIA H100 Tensor Core GPU datasheet" in t for t in texts) == 1
    assert any(t.startswith("hardware_prices:h100-sxm 2024-03-27") for t in texts)
    assert "e+" not in out


def test_tables_fit_80_columns_without_cutting(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    infer = ("infer", "--model", "llama-3.1-70b", "--rps", "100")
    life = ("lifecycle", "--model", "llama-3.1-405b", "--rps", "200", "--location", "US")
    plan = ("plan", "--params", "70B", "--tokens", "15T", "--deadline", "120d", "--samples", "200")
    far = ("lifecycle", "--model", "gpt-4o", "--rps", "1")  # overtakes in centuries
    for args in (DEMO, infer, life, plan, far):
        out = cli(*args).out
        assert max(map(len, out.splitlines())) <= 80
        table = out.split("\n[1] ")[0]  # the tables, before the sources
        assert "…" not in table, table
        if args is plan:  # every column keeps its words: none is squeezed to nothing
            assert "owned in" in table and "cheapest" in table
        if args is infer:  # H100 SXM: 3.35 TB/s (NVIDIA datasheet), with its prefix
            assert "3.35 TB/s" in out
            # with per-day and per-year columns the labels still wrap between words only
            assert "(accelerators)" in table and "accelerat\n" not in table


def test_infer_says_the_defaults_that_decide_it(cli: Any) -> None:
    args = ("infer", "--model", "llama-3.1-70b", "--rps", "100")
    out = cli(*args, "--format", "markdown").out
    inputs = cli(*args, "--format", "json").json()["inputs"]
    batch, busy = inputs["batch"]["value"], inputs["utilisation"]["value"]
    # the serving catalog's request: 1,000 input + 500 output tokens
    assert "requests of 1,000 input + 500 output tokens" in out
    assert f"{batch:,.0f} at a time per replica, replicas busy {busy:.0%} of the time" in out
    for name in ("| batch |", "| tokens_in |", "| utilisation |", "| peak_flops |"):
        assert name in out
    assert "989 TFLOP/s" in out  # the H100's dense BF16 peak, not 9.894e+14


def test_lifecycle_prints_its_warnings(cli: Any) -> None:
    out = cli("lifecycle", "--model", "llama-3.1-405b", "--rps", "200", "--format", "markdown").out
    # no location given: the world's grid is assumed, and said
    warnings = out.split("### Warnings")[1]
    assert "location" in warnings
    # one warning per phase where the two differ: Meta's fleet PUE trains, a typical site serves
    facility = [w for w in warnings.splitlines() if "facility unknown" in w]
    assert [w.split(":")[0] for w in facility] == ["- training", "- serving"]
    assert "Meta's published fleet figure" in facility[0]
    # said once where the two bills agree
    assert sum("no location given" in w for w in warnings.splitlines()) == 1


# ------------------------------------------------------------------ one interface


def test_version_and_python_m(cli: Any) -> None:
    import combien

    out = cli("--version")
    assert out.code == 0 and out.out == f"combien {combien.__version__}\n"
    run = subprocess.run(
        [sys.executable, "-m", "combien", "--version"], capture_output=True, text=True, check=True
    )
    assert run.stdout == f"combien {combien.__version__}\n"
    assert "--install-completion" in cli("--help").out  # shell completion


def test_infer_and_report_are_exported_like_estimate() -> None:
    import combien

    assert {"estimate", "infer", "report"} <= set(combien.__all__)
    bill = combien.infer(request_energy_kwh=0.004, pue=1.17, wue=0.55, ewif=3.142, samples=100)
    # Li et al. 2023: 0.004 kWh × (0.55 + 1.17 × 3.142) L/kWh = 16.9 mL per request
    total = bill.per_request["water_total_l"]
    assert total.value == pytest.approx(0.004 * (0.55 + 1.17 * 3.142), rel=1e-12)


def test_csv_where_rows_make_sense(cli: Any) -> None:
    import csv
    import io

    bill = cli(*ESTIMATE, "--chips", "16384", "--format", "csv", "--samples", "200")
    rows = {r["line"]: r for r in csv.DictReader(io.StringIO(bill.out))}
    data = cli(*ESTIMATE, "--chips", "16384", "--format", "json", "--samples", "200").json()
    assert float(rows["energy_kwh"]["value"]) == data["energy_kwh"]["value"]
    assert float(rows["co2e_total_kg"]["high"]) == data["co2e_kg"]["total"]["high"]
    li = ("infer", "--request-energy-kwh", "0.004", "--pue", "1.17", "--wue", "0.55")
    served = cli(*li, "--ewif", "3.142", "--format", "csv", "--samples", "100")
    water = {r["line"]: r for r in csv.DictReader(io.StringIO(served.out))}["water_total_l"]
    assert float(water["per_request"]) == pytest.approx(0.004 * (0.55 + 1.17 * 3.142))
    hardware = cli("data", "hardware", "--search", "h100-sxm", "--format", "csv").out
    row = next(csv.DictReader(io.StringIO(hardware)))
    assert row["id"] == "h100-sxm" and float(row["tdp_w"]) == 700  # NVIDIA datasheet


@pytest.mark.parametrize(
    ("args", "rows_key", "id_column"),
    [
        (("claims",), "claims", "id"),
        (("validate",), "checks", "case"),
        (("validate", "--serving"), "checks", "case"),
        (("trends",), "models", "id"),
        (("plan", "--params", "7B", "--tokens", "1T", "--deadline", "60d"), "options", "id"),
    ],
)
def test_every_command_that_offers_csv_gives_its_rows(
    cli: Any, args: tuple[str, ...], rows_key: str, id_column: str
) -> None:
    import csv
    import io

    extra = ("--samples", "200") if args[0] == "plan" else ()
    rows = list(csv.DictReader(io.StringIO(cli(*args, *extra, "--format", "csv").out)))
    records = cli(*args, *extra, "--format", "json").json()[rows_key]
    assert len(rows) == len(records) > 0
    assert [r[id_column] for r in rows] == [str(r[id_column]) for r in records]
    first, record = rows[0], records[0]
    for key, value in record.items():  # a nested value becomes dotted columns
        if isinstance(value, dict):
            for sub, inner in value.items():
                if isinstance(inner, float):
                    assert float(first[f"{key}.{sub}"]) == inner
        elif isinstance(value, float):
            assert float(first[key]) == value


def test_sector_as_csv(cli: Any) -> None:
    import csv
    import io

    rows = {
        r["quantity"]: r for r in csv.DictReader(io.StringIO(cli("sector", "--format", "csv").out))
    }
    data = cli("sector", "--format", "json").json()
    assert float(rows["energy_twh"]["low"]) == data["energy_twh"]["low"]
    assert float(rows["revenue_gap_usd"]["value"]) == data["revenue_gap_usd"]
    assert rows["revenue_gap_usd"]["low"] == ""


def test_a_tracked_run_shows_its_measured_wall_clock(cli: Any, tmp_path: Any) -> None:
    db = str(tmp_path / "runs.db")
    code = "import time; time.sleep(0.3)"
    tracked = cli("track", "--db", db, "--format", "markdown", "--", sys.executable, "-c", code)
    assert tracked.code == 0
    row = next(r for r in tracked.err.splitlines() if r.startswith("| Wall-clock time |"))
    assert row.endswith("| measured |") and "not computed" not in row
    seconds = row.split("|")[2].strip()
    assert seconds.endswith(" s") and 0.3 <= float(seconds.removesuffix(" s")) < 60  # it slept


def test_the_run_list_fits_80_columns(
    cli: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    db = str(tmp_path / "runs.db")
    assert cli("track", "--db", db, "--", sys.executable, "-c", "pass").code == 0
    listed = cli("runs", "list", "--db", db).out
    assert max(map(len, listed.splitlines())) <= 80 and "…" not in listed
    run_id = cli("runs", "list", "--db", db, "--format", "json").json()[0]["id"]
    # the id's first 8 characters, which `runs show` takes as a prefix; no empty project column
    assert run_id[:8] in listed and run_id not in listed and "project" not in listed
    assert cli("runs", "show", run_id[:8], "--db", db).code == 0
    assert "-c pass" in " ".join(listed.split())  # the command, whole, wrapped if it must


def test_a_run_id_is_text_not_markup() -> None:
    from rich.console import Console

    from combien.measure.runs import RunList

    row = {"id": "[/]abc[bold]", "project": "", "status": "finished", "started_at": 0.0,
           "duration_s": 1.0, "energy_kwh": 1e-6, "co2e_kg": 1e-6, "command": "[red]x"}  # fmt: skip
    console = Console(width=80, record=True)
    console.print(RunList([row]).to_table())  # an imported run's id may be any text
    out = console.export_text()
    assert "[/]abc[" in out and "[red]x" in out


def test_every_format_option_names_the_formats(cli: Any) -> None:
    for args in (("track", "--format", "xml", "--", "true"), ("compare", "--format", "xml")):
        got = cli(*args)
        assert got.code == 2
        assert got.err.strip() == "combien: error: --format: unknown 'xml' — use one of table, " \
            "json, markdown, csv"  # fmt: skip


def test_runs_compare_fits_80_columns_and_gives_csv(
    cli: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import csv
    import io

    monkeypatch.setenv("COLUMNS", "80")
    db, spec = str(tmp_path / "runs.db"), tmp_path / "spec.yaml"
    spec.write_text("params: 1M\ntokens: 1M\nhardware: h100-sxm\nchips: 1\n")
    assert cli("track", "--db", db, "--", sys.executable, "-c", "pass").code == 0
    run = cli("runs", "list", "--db", db, "--format", "json").json()[0]["id"][:8]
    args = ("runs", "compare", run, "--spec", str(spec), "--db", db)
    table = cli(*args).out
    assert max(map(len, table.splitlines())) <= 80 and "…" not in table
    assert "Energy (IT)" in table  # the line's label, not squeezed to nothing
    data = cli(*args, "--format", "json").json()
    rows = {r["line"]: r for r in csv.DictReader(io.StringIO(cli(*args, "--format", "csv").out))}
    it = data["lines"]["it_energy_kwh"]
    assert float(rows["it_energy_kwh"]["measured"]) == it["measured"]
    assert float(rows["it_energy_kwh"]["ratio"]) == pytest.approx(it["ratio"])


def test_a_bill_hints_only_the_flags_its_command_has(cli: Any, tmp_path: Any) -> None:
    estimated = cli("estimate", "--params", "7B", "--tokens", "1T", "--hardware", "h100-sxm")
    capex = "cost_hardware_capex_usd not computed"
    assert f"{capex}: upfront hardware cost needs the number" in estimated.out
    assert "pass --chips, or --days with the compute" in " ".join(estimated.out.split())
    db = str(tmp_path / "runs.db")
    tracked = cli("track", "--db", db, "--", sys.executable, "-c", "pass")
    assert tracked.code == 0 and capex in tracked.err
    assert "--chips" not in tracked.err and "--days" not in tracked.err  # track has neither


def test_lifecycle_takes_the_samples_and_seed_of_its_two_bills(cli: Any) -> None:
    life = ("lifecycle", "--model", "llama-3.1-405b", "--rps", "10", "--format", "json")
    data = cli(*life, "--samples", "500", "--seed", "3").json()
    for phase in ("training", "serving"):
        assert data[phase]["uncertainty"] == {"samples": 500, "seed": 3, "interval": "p5-p95"}
    # the training bill is the estimate's at the same samples and seed
    alone = cli("estimate", "--model", "llama-3.1-405b", "--samples", "500", "--seed", "3",
                "--format", "json").json()  # fmt: skip
    assert data["quantities"][0]["training"] == alone["energy_kwh"]


def test_when_serving_overtakes_training_reads_in_days_then_years() -> None:
    from combien.field.lifecycle import _overtakes_text

    assert _overtakes_text({"value": 273.4, "low": 60.2, "high": 1208.0}) == "day 273 [60–1,208]"
    # 273,124 days = 747.8 Julian years; 826 days = 2.26
    days = {"value": 273_124.0, "low": 60_167.0, "high": 1_208_900.0}
    assert _overtakes_text(days) == "year 748 [165–3,310]"
    assert _overtakes_text({"value": 826.0, "low": 330.0, "high": 1753.0}) == "year 2.3 [0.9–4.8]"


def test_lifecycle_as_csv(cli: Any) -> None:
    import csv
    import io

    args = ("lifecycle", "--model", "llama-3.1-405b", "--rps", "200", "--months", "24")
    rows = {
        r["quantity"]: r for r in csv.DictReader(io.StringIO(cli(*args, "--format", "csv").out))
    }
    energy = cli(*args, "--format", "json").json()["quantities"][0]
    assert float(rows["energy_kwh"]["training"]) == energy["training"]["value"]
    # 24 months of serving = 24 × 365.25 / 12 = 730.5 days
    assert float(rows["energy_kwh"]["serving"]) == pytest.approx(
        float(rows["energy_kwh"]["serving_per_day"]) * 730.5
    )


# ------------------------------------------------------------------ a command loads its module


def test_command_table_matches_the_application() -> None:
    from combien import cli

    app = application()
    commands = [cli._name(c) for c in app.registered_commands]
    groups = [g.name for g in app.registered_groups]
    assert commands + groups == list(cli.COMMANDS)  # the order of `combien --help`
    for info in app.registered_commands:
        assert info.callback.__module__ == f"combien.cli.{cli.COMMANDS[cli._name(info)]}"
    for group in app.registered_groups:
        modules = {c.callback.__module__ for c in group.typer_instance.registered_commands}
        assert modules == {f"combien.cli.{cli.COMMANDS[group.name]}"}


@pytest.mark.parametrize(
    ("args", "absent"),
    [
        (["--version"], ("typer", "numpy", "pydantic")),
        (["data", "facts", "--format", "json"], ("combien.cli.training", "combien.resolve.spec")),
    ],
)
def test_a_command_loads_only_what_it_needs(args: list[str], absent: tuple[str, ...]) -> None:
    code = (
        "import sys, io, contextlib\n"
        "from combien.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main({args!r}) == 0\n"
        f"loaded = [m for m in {absent!r} if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_serving_table_shows_per_day_and_per_year_only_with_a_traffic() -> None:
    from combien.serving.infer import infer

    alone = infer(model="llama-3.1-8b", hardware="h100-sxm", samples=100)
    assert alone.header() == ("line", "per request", "per 1,000", "90% range")
    assert all(len(row) == 4 for row in alone.rows())
    assert "per day" not in alone.to_markdown()
    served = infer(model="llama-3.1-8b", hardware="h100-sxm", rps=10, samples=100)
    assert served.header()[-2:] == ("per day", "per year")
    energy = next(row for row in served.rows() if row[0] == "Energy (facility)")
    # 10 requests a second: a day is 864,000 requests
    per_request = served.per_request["energy_kwh"].value
    assert energy[4] == units.quantity(per_request * 864_000, "kWh")
