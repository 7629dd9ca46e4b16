"""`combien report`: the model card block, the AI Act section, the paper's appendix, the page."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

import combien
from combien.data import catalog
from combien.report import FORMATS, report
from combien.testing import FakeSensor, ManualClock

huggingface_hub = pytest.importorskip("huggingface_hub")


@pytest.fixture(scope="module")
def gpt3() -> combien.Bill:
    return combien.estimate(model="gpt-3")


@pytest.fixture(scope="module")
def llama() -> combien.Bill:
    return combien.estimate(model="llama-3.1-405b")


# ------------------------------------------------------------------ the Hugging Face model card


def test_model_card_parses_and_states_grams(cli: Any, gpt3: combien.Bill) -> None:
    out = cli("report", "--model", "gpt-3", "--as", "hf-model-card")
    assert out.code == 0, out.err
    card = huggingface_hub.ModelCard(out.out)
    emissions = card.data.co2_eq_emissions
    total = gpt3.co2e_total_kg
    assert total is not None
    assert emissions["emissions"] == pytest.approx(total.value * 1000, rel=1e-12)  # grams
    assert emissions["training_type"] == "pre-training"
    assert emissions["geographical_location"] == "US"  # the gpt-3 preset's location
    # Patterson et al. 2021: 10,000 V100 GPUs
    assert emissions["hardware_used"] == "10,000 × v100"
    assert emissions["source"].startswith("estimated with combien")
    assert "## Environmental impact" in card.text


# ------------------------------------------------------------------ the EU AI Act


def test_ai_act_threshold_is_sourced_data() -> None:
    fact = catalog.fact("ai-act-systemic-risk-flop")
    assert fact.value == 1e25 and fact.unit == "FLOP"
    assert "Article 51(2)" in fact.source and "2024/1689" in fact.source


def test_ai_act_section_of_llama_405b(cli: Any) -> None:
    out = cli("report", "--model", "llama-3.1-405b", "--as", "eu-ai-act")
    assert out.code == 0, out.err
    text = out.out
    assert "Annex XI" in text and "2(d)" in text and "2(e)" in text
    # Meta: 3.8e25 FLOP, 30.84M H100-hours on 16,384 GPUs → 30.84e6 / 16,384 / 24 = 78.4 days
    assert "| Training compute | 3.8e25 FLOP | — | published |" in text
    assert "| Training time (wall-clock) | 78.4 d |" in text
    assert "| Accelerator-hours | 30.8M chip-h | — | published |" in text
    assert "16,384 × h100-sxm" in text
    # energy: not published by Meta, so estimated from the compute, as Annex XI 2(e) allows
    assert "| Energy (IT equipment) |" in text and "| estimated |" in text
    assert "estimated from the computational resources" in text
    assert "**Threshold crossed.** Training compute 3.8e25 FLOP is greater than 1e25 FLOP" in text


def test_ai_act_below_the_threshold(gpt3: combien.Bill) -> None:
    text = report(gpt3, "eu-ai-act")
    # Brown et al. 2020: 3.14e23 FLOP, below 1e25
    assert "Not crossed: training compute 3.14e23 FLOP is not greater than 1e25 FLOP" in text


def test_ai_act_of_a_tracked_run_says_measured(cli: Any, tmp_path: Path) -> None:
    db = str(tmp_path / "runs.db")
    cli("track", "--db", db, "--location", "FR", "--", sys.executable, "-c", "pass")
    run_id = json.loads(cli("runs", "list", "--db", db, "--format", "json").out)[0]["id"]
    out = cli("report", "--run", run_id, "--db", db, "--as", "eu-ai-act")
    assert out.code == 0, out.err
    assert "| Training time (wall-clock) |" in out.out and "| measured |" in out.out
    assert "measured IT energy" in out.out or "tracked" in out.out
    assert "Training compute not known" in out.out


# ------------------------------------------------------------------ what a tracked run measured


def _tracked(tmp_path: Path, *, gpu: bool, cpu: bool) -> combien.Bill:
    """The bill of a 100 s run in France, read back from the store: a GPU with an energy
    counter (700 W) and a CPU without one (its 50 W estimated), as asked."""
    from combien.measure.runs import get_run, stored_bill
    from combien.store import Store

    sensors = [FakeSensor(700.0, name="NVIDIA H100 80GB HBM3")] if gpu else []
    if cpu:
        sensors.append(FakeSensor(50.0, kind="cpu", name="AMD EPYC 9654", method="estimated"))
    db, clock = str(tmp_path / "runs.db"), ManualClock()
    with combien.Tracker(location="FR", db=db, sensors=sensors, clock=clock) as t:
        clock.advance(100.0)
    return stored_bill(get_run(Store(db), t.id))


def test_reports_of_a_run_whose_devices_are_all_estimated(tmp_path: Path) -> None:
    bill = _tracked(tmp_path, gpu=False, cpu=True)
    card = report(bill, "hf-model-card")
    assert "source: estimated with combien's tracker (cpu estimated from utilisation" in card
    assert "measured" not in card.split("---")[1]  # the metadata block
    act = report(bill, "eu-ai-act")
    assert "| Energy (IT equipment) |" in act and "| estimated | tracked: cpu (estimated) |" in act
    assert "not measured: no device of the run had an energy counter (cpu)" in act
    assert "some devices" not in act
    described = json.loads(report(bill, "boamps"))["task"]["taskDescription"]
    assert described.startswith("Training energy estimated by combien's tracker: cpu estimated")
    assert "Tracked with combien: IT energy of the run (cpu estimated" in report(bill, "markdown")


def test_reports_of_a_run_whose_devices_are_all_measured(tmp_path: Path) -> None:
    bill = _tracked(tmp_path, gpu=True, cpu=False)
    card = report(bill, "hf-model-card")
    assert "source: measured with combien (gpu measured by hardware sensors)" in card
    assert "estimated" not in card.split("---")[1]
    act = report(bill, "eu-ai-act")
    # 700 W × 100 s = 19.4 Wh, taken as read
    assert "| Energy (IT equipment) | 19.4 Wh | — | measured | tracked: gpu (measured) |" in act
    assert "not measured" not in act
    described = json.loads(report(bill, "boamps"))["task"]["taskDescription"]
    assert described.startswith("Training energy measured by combien's tracker: gpu measured")


def test_reports_of_a_run_with_measured_and_estimated_devices(tmp_path: Path) -> None:
    bill = _tracked(tmp_path, gpu=True, cpu=True)
    both = "gpu measured by hardware sensors; cpu estimated from utilisation"
    card = report(bill, "hf-model-card")
    assert f"source: partly measured with combien ({both}" in " ".join(card.split())
    act = report(bill, "eu-ai-act")
    assert f"| {both}, without an energy counter |" in act
    assert f"The energy consumption is partly measured: {both}" in act
    assert "| partly measured IT energy × PUE 1.25 (estimated) |" in act
    described = json.loads(report(bill, "boamps"))["task"]["taskDescription"]
    assert described.startswith(f"Training energy tracked by combien's tracker: {both}")


# ------------------------------------------------------------------ the paper's appendix, the page


def test_appendix_cites_every_source_in_full(llama: combien.Bill) -> None:
    text = report(llama, "markdown")
    for a in llama.inputs.values():
        citation = a.source.partition(" — ")[2]
        if citation:
            assert citation in text  # in full, once
    assert "| CO2e total |" in text and "5th–95th percentiles" in text


def test_latex_is_escaped(llama: combien.Bill) -> None:
    text = report(llama, "latex")
    assert "\\begin{tabular}" in text and "90\\% range" in text
    body = text.replace("\\%", "").replace("\\$", "").replace("\\_", "").replace("\\&", "")
    assert "%" not in body and "_" not in body.replace("\\textbackslash{}", "")


def test_html_is_one_page_without_network(llama: combien.Bill) -> None:
    page = report(llama, "html")
    assert page.startswith("<!doctype html>") and "<svg" in page
    for tag in ("<script", "<link", "src=", "@import"):
        assert tag not in page
    assert page.count("<svg") == sum(1 for line in llama.lines.values() if line) - 1


# ------------------------------------------------------------------ bad input


def test_report_with_nothing_to_report(cli: Any) -> None:
    out = cli("report")
    assert out.code == 2 and out.err.count("\n") == 1 and "nothing to report" in out.err


def test_unknown_format_suggests(cli: Any) -> None:
    out = cli("report", "--model", "gpt-3", "--as", "hf-card")
    assert out.code == 2
    assert "unknown report format 'hf-card' — did you mean: hf-model-card" in out.err
    assert set(FORMATS) >= {"hf-model-card", "eu-ai-act", "markdown", "latex", "html"}


def test_unknown_run(cli: Any, tmp_path: Path) -> None:
    from combien.store import Store

    db = tmp_path / "runs.db"
    Store(db).close()  # a store without runs
    out = cli("report", "--run", "nope", "--db", str(db))
    assert out.code == 2 and "no run 'nope'" in out.err


def test_unwritable_output_leaves_nothing(cli: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    out = cli("report", "--model", "gpt-3", "--output", str(blocker / "card.md"))
    assert out.code == 2 and out.err.count("\n") == 1
    assert out.err.startswith("combien: error: --output: cannot write")
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]


def test_output_is_written_whole(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "appendix.tex"
    out = cli("report", "--model", "gpt-3", "--as", "latex", "--output", str(target))
    assert out.code == 0 and out.out == ""
    assert target.read_text(encoding="utf-8").startswith("\\section*")
    assert [p.name for p in tmp_path.iterdir()] == ["appendix.tex"]
