"""The run store under hostile input and damage: corrupt rows, odd ids and limits, read-only use,
secrets in command lines, markup and escapes in stored text, formulas in exports; and the store at
scale (filters, paging, an export with no cap)."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import combien
from combien.measure.redaction import redact
from combien.store import Store
from combien.testing import FakeSensor, ManualClock

EACH_SECOND: dict[str, Any] = {"interval_s": 0.25, "flush_s": 1.0}


def tracked(db: Path, project: str = "p", seconds: float = 2.0, watts: float = 100.0) -> str:
    """A finished run of `seconds` at `watts` in the store; its id."""
    clock = ManualClock()
    with combien.Tracker(
        db=str(db), project=project, sensors=[FakeSensor(watts)], clock=clock, **EACH_SECOND
    ) as t:
        clock.advance(seconds)
    return t.id


# ------------------------------------------------------------------ 10. corrupt stores


def test_damaged_rows_are_named_and_do_not_hide_the_others(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # the table's status column in full
    db = tmp_path / "runs.db"
    good, bad_json, bad_number, huge, negative = (tracked(db, f"p{i}") for i in range(5))
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE runs SET bill = '{not json', options = '[1' WHERE id = ?", (bad_json,))
        raw.execute("UPDATE runs SET duration_s = 'abc' WHERE id = ?", (bad_number,))
        raw.execute("UPDATE devices SET energy_j = 1e308 WHERE run_id = ?", (huge,))
        raw.execute("UPDATE runs SET energy_j = 1e308 WHERE id = ?", (huge,))
        raw.execute("UPDATE devices SET energy_j = -5e6 WHERE run_id = ?", (negative,))
        raw.execute("UPDATE runs SET energy_j = -5e6 WHERE id = ?", (negative,))
    listing = cli("runs", "list", "--db", str(db), "--format", "json")
    assert listing.code == 0
    rows = {row["id"]: row for row in listing.json()}
    assert set(rows) == {good, bad_json, bad_number, huge, negative}
    assert "problems" not in rows[good]
    assert rows[good]["energy_kwh"] == pytest.approx(100 * 2.0 / 3.6e6)
    assert rows[bad_number]["problems"] == ["duration_s is not a valid number"]
    assert rows[bad_number]["duration_s"] == 0.0
    for damaged in (huge, negative):
        assert rows[damaged]["energy_kwh"] is None
        assert "is not a possible value" in rows[damaged]["problems"][0]
    table = cli("runs", "list", "--db", str(db))
    assert table.code == 0 and table.out.count("(damaged)") == 3
    # a run whose bill is damaged is billed again from its devices; negative energy counts 0
    shown = cli("runs", "show", bad_json, "--db", str(db), "--format", "json")
    assert shown.code == 0
    notes = shown.json()["run"]["notes"]
    assert "damaged in the store: bill is not valid JSON" in notes
    assert shown.json()["energy_kwh"]["value"] > 0
    with sqlite3.connect(db) as raw:
        raw.execute(
            "UPDATE samples SET energy_j = 'x' WHERE run_id = ? AND t = "
            "(SELECT MIN(t) FROM samples WHERE run_id = ?)",
            (good, good),
        )
    samples = cli("runs", "export", "--db", str(db), "--run", good, "--format", "json").json()
    assert [s["energy_j"] for s in samples][:2] == [None, 100.0]  # read at 0 s, then at 1 s
    for damaged in (huge, negative):
        bill = cli("runs", "show", damaged, "--db", str(db), "--format", "json").json()
        assert bill["it_energy_kwh"]["value"] == 0.0
        assert any(
            damaged_note.startswith("damaged in the store: energy of device")
            for damaged_note in bill["run"]["notes"]
        )


def test_a_file_that_is_not_a_store_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    tracked(db)
    data = bytearray(db.read_bytes())
    data[0:16] = b"\xff" * 16  # the header flipped
    db.write_bytes(bytes(data))
    done = subprocess.run(
        [sys.executable, "-m", "combien.cli", "runs", "list", "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "run store cannot be used" in done.stderr and "Traceback" not in done.stderr


# ------------------------------------------------------------------ 11. hostile arguments


@pytest.mark.parametrize(
    "args",
    [
        ("runs", "list", "--limit", "99999999999999999999999"),
        ("runs", "list", "--limit", "-1"),
        ("runs", "list", "--status", "gone"),
        ("runs", "list", "--since", "yesterday"),
        ("runs", "show", "%"),
        ("runs", "show", "_"),
        ("runs", "show", ""),
        ("runs", "export", "--run", ""),
        ("runs", "export", "--run", "%"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(tmp_path: Path, cli: Any, args: tuple[str]) -> None:
    db = tmp_path / "runs.db"
    tracked(db)
    tracked(db)
    result = cli(*args, "--db", str(db))
    assert result.code == 2


def test_bad_track_options_are_one_line_and_exit_2(tmp_path: Path) -> None:
    for flag, value in (("--interval", "inf"), ("--flush", "nan"), ("--interval", "0")):
        done = subprocess.run(
            [sys.executable, "-m", "combien.cli", "track", flag, value, "--", "true"],
            env={**os.environ, "COMBIEN_DB": str(tmp_path / "r.db")},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("runs", "list", "--format", "json"),
        ("runs", "show", "abc"),
        ("runs", "export"),
        ("runs", "export", "abc"),
        ("runs", "compare", "abc", "--spec", "run.yaml"),
        ("report", "--run", "abc"),
    ],
)
def test_reading_a_store_that_is_not_there_says_so_and_creates_none(
    tmp_path: Path, cli: Any, args: tuple[str, ...]
) -> None:
    """A mistyped --db is one line, exit 2, not an empty list; nothing is made."""
    missing = tmp_path / "nowhere" / "runs.db"
    result = cli(*args, "--db", str(missing))
    assert (result.code, result.out) == (2, "") and result.err.count("\n") == 1
    assert result.err.startswith(f"combien: error: no run store at {missing} — check --db;")
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("configured", ["COMBIEN_DB", "HOME"])
def test_the_configured_store_not_made_yet_lists_no_runs(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch, configured: str
) -> None:
    """Before the first tracked run, the store of COMBIEN_DB (else ~/.combien/runs.db) is not
    there yet: nothing is tracked, and reading creates nothing."""
    monkeypatch.delenv("COMBIEN_DB", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    if configured == "COMBIEN_DB":
        monkeypatch.setenv("COMBIEN_DB", str(tmp_path / "nowhere" / "runs.db"))
    listing = cli("runs", "list", "--format", "json")
    assert listing.code == 0 and listing.json() == []
    assert not (tmp_path / ".combien").exists() and not (tmp_path / "nowhere").exists()


def test_an_unwritable_output_keeps_the_exit_code_and_the_bill(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "combien.cli",
            "track",
            "--format",
            "json",
            "--output",
            str(tmp_path / "missing" / "bill.json"),
            "--",
            sys.executable,
            "-c",
            "import sys; sys.exit(3)",
        ],
        env={**os.environ, "COMBIEN_DB": str(tmp_path / "r.db")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 3
    assert "could not be written" in done.stderr
    bill = json.loads(done.stderr[done.stderr.index("{") :])
    assert bill["run"]["status"] == "failed"


# ------------------------------------------------------------------ 12. safe by default


def test_store_is_private(tmp_path: Path) -> None:
    db = tmp_path / "new" / "runs.db"
    tracked(db)
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_secrets_in_command_lines_are_redacted() -> None:
    command = [
        "python",
        "train.py",
        "--api-key",
        "sk-123",
        "--hf_token=hf_abc",
        "--lr",
        "3e-4",
        "WANDB_API_KEY=xyz",
        "--password",
        "--epochs",
        "3",
        "DB_SECRET=s",
        "PATH=/bin",
    ]
    assert redact(command) == [
        "python",
        "train.py",
        "--api-key",
        "***",
        "--hf_token=***",
        "--lr",
        "3e-4",
        "WANDB_API_KEY=***",
        "--password",
        "--epochs",
        "3",
        "DB_SECRET=***",
        "PATH=/bin",
    ]


def test_stored_text_is_printed_as_text(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    db = tmp_path / "runs.db"
    tracked(db, project="[/]")
    tracked(db, project="\x1b[2J\x1b[Hclear")
    tracked(db, project="[bold red]loud[/]")
    table = cli("runs", "list", "--db", str(db))
    assert table.code == 0
    assert "[/]" in table.out and "[bold red]loud[/]" in table.out
    assert "\x1b" not in table.out and "\\x1b[2J" in table.out


def test_csv_export_neutralises_formulas(tmp_path: Path, cli: Any) -> None:
    db = tmp_path / "runs.db"
    tracked(db, project='=HYPERLINK("http://x")')
    tracked(db, project="+1")
    tracked(db, project="plain")
    rows = list(csv.DictReader(io.StringIO(cli("runs", "export", "--db", str(db)).out)))
    assert sorted(row["project"] for row in rows) == ["'+1", '\'=HYPERLINK("http://x")', "plain"]


# ------------------------------------------------------------------ 7. at scale


def fill(db: Path, count: int) -> None:
    """`count` finished runs straight into the store, one a minute, projects a and b."""
    store = Store(db)
    for i in range(count):
        store.create_run(
            {
                "id": f"{i:012x}",
                "project": "a" if i % 2 else "b",
                "status": "finished" if i % 3 else "failed",
                "started_at": 1_700_000_000.0 + 60 * i,
                "last_seen": 1_700_000_000.0 + 60 * i,
                "pid": 1,
            }
        )
    store.close()


def test_export_has_no_cap_and_listing_pages(tmp_path: Path, cli: Any) -> None:
    db = tmp_path / "runs.db"
    fill(db, 1234)
    exported = json.loads(cli("runs", "export", "--db", str(db), "--format", "json").out)
    assert len(exported) == 1234
    csv_rows = cli("runs", "export", "--db", str(db)).out.splitlines()
    assert len(csv_rows) == 1 + 1234
    store = Store(db, read_only=True)
    newest = [r["id"] for r in store.runs(10)]
    assert newest == [f"{i:012x}" for i in range(1233, 1223, -1)]
    assert [r["id"] for r in store.runs(5, offset=10)] == [
        f"{i:012x}" for i in range(1223, 1218, -1)
    ]
    before = store.started_at(newest[-1])
    assert [r["id"] for r in store.runs(3, before=before)] == [
        f"{i:012x}" for i in (1223, 1222, 1221)
    ]
    project_a = store.runs(None, project="a")
    assert len(project_a) == 617 and all(r["project"] == "a" for r in project_a)
    failed = store.runs(None, status="failed")
    assert len(failed) == 412 and all(r["status"] == "failed" for r in failed)
    since = store.runs(None, since=1_700_000_000.0 + 60 * 1200)
    assert len(since) == 34
    listed = cli(
        "runs",
        "list",
        "--db",
        str(db),
        "--project",
        "a",
        "--limit",
        "2",
        "--before",
        f"{1233:012x}",
        "--format",
        "json",
    ).json()
    assert [r["id"] for r in listed] == [f"{1231:012x}", f"{1229:012x}"]


def test_listing_reads_an_index_not_the_table(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    fill(db, 10)
    raw = sqlite3.connect(db)
    plans = {
        "list": "SELECT id FROM runs ORDER BY started_at DESC, id DESC LIMIT 50",
        "project": "SELECT id FROM runs WHERE project = 'a' ORDER BY started_at DESC, id DESC",
        "prefix": "SELECT id FROM runs WHERE id >= '00' AND id < '01' LIMIT 2",
        "running": "SELECT id FROM runs WHERE status = 'running'",
    }
    for name, query in plans.items():
        plan = " ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {query}"))
        assert "USING" in plan and "TEMP B-TREE" not in plan, (name, plan)


def test_a_store_of_the_first_schema_is_upgraded(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    run_id = tracked(db)
    with sqlite3.connect(db) as raw:  # back to the first schema's columns
        for column in ("child_pid", "energy_j", "facility_energy_kwh", "co2e_kg", "water_l"):
            for index in ("runs_started", "runs_project", "runs_status"):
                raw.execute(f"DROP INDEX IF EXISTS {index}")
            raw.execute(f"ALTER TABLE runs DROP COLUMN {column}")
    (row,) = Store(db, read_only=True).runs()  # read as it is, without writing
    assert row["energy_j"] == pytest.approx(200.0) and row["co2e_kg"] is None
    (row,) = Store(db).runs()  # upgraded by a writer: totals filled from devices and the bill
    assert row["id"] == run_id and row["energy_j"] == pytest.approx(200.0)
    assert row["co2e_kg"] is not None and row["co2e_kg"] > 0


def test_stored_command_lines_hide_secrets(tmp_path: Path) -> None:
    env = {**os.environ, "COMBIEN_DB": str(tmp_path / "r.db")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "combien.cli",
            "track",
            "--",
            sys.executable,
            "-c",
            "pass",
            "--token",
            "t0k3n",
            "--db-password=hunter2",
            "HF_TOKEN=abc",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (run,) = Store(tmp_path / "r.db").runs()
    assert run["command"].endswith("--token '***' '--db-password=***' 'HF_TOKEN=***'")
    assert not {"t0k3n", "hunter2", "abc"} & set(run["command"].split())
    clock = ManualClock()
    with combien.Tracker(
        db=str(tmp_path / "r.db"),
        command="train.py --api_key=sk-1 'unbalanced",
        sensors=[FakeSensor()],
        clock=clock,
    ) as t:
        clock.advance(1.0)
    assert Store(tmp_path / "r.db").run(t.id)["command"] == "train.py --api_key=*** 'unbalanced"
