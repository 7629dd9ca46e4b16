"""The run store: tracked runs and their samples in a SQLite file, written as the job goes.

Location: `COMBIEN_DB`, else `~/.combien/runs.db`. WAL journal and short transactions, so several
tracked processes can write at once and readers never block writers. A run whose process died
without closing it (SIGKILL, power loss) is marked `interrupted` when the store is next read.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    project TEXT,
    command TEXT,
    status TEXT NOT NULL,
    started_at REAL NOT NULL,
    ended_at REAL,
    last_seen REAL NOT NULL,
    duration_s REAL NOT NULL DEFAULT 0,
    pid INTEGER,
    host TEXT,
    scope TEXT,
    flush_s REAL,
    options TEXT,
    forecast TEXT,
    bill TEXT
);
CREATE TABLE IF NOT EXISTS devices (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    node TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    method TEXT NOT NULL,
    energy_j REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, node, key)
);
CREATE TABLE IF NOT EXISTS samples (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    t REAL NOT NULL,
    node TEXT NOT NULL,
    key TEXT NOT NULL,
    energy_j REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS samples_run ON samples(run_id, t);
CREATE TABLE IF NOT EXISTS phases (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    started_at REAL NOT NULL,
    ended_at REAL,
    energy_j REAL
);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    t REAL NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL
);
"""

#: a run not seen for this many flush intervals, whose process is gone, is interrupted
STALE_FLUSHES = 3


def this_host() -> str:
    """The name of this machine, as runs record it in `host`."""
    return socket.gethostname()


def default_path() -> Path:
    """`COMBIEN_DB`, else ~/.combien/runs.db."""
    env = os.environ.get("COMBIEN_DB")
    return Path(env).expanduser() if env else Path.home() / ".combien" / "runs.db"


class Store:
    """A SQLite file of runs. Thread-safe; one connection per store object."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path).expanduser() if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
            self._db.commit()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------ writing

    def create_run(self, run: dict[str, Any]) -> None:
        """Insert a run; its `host` is this machine unless given."""
        run = {"host": this_host(), **run}
        columns = ", ".join(run)
        marks = ", ".join("?" for _ in run)
        with self._tx() as db:
            db.execute(f"INSERT INTO runs ({columns}) VALUES ({marks})", list(run.values()))

    def flush(
        self,
        run_id: str,
        *,
        samples: Iterable[tuple[float, str, str, float]],
        devices: Iterable[dict[str, Any]],
        duration_s: float,
        forecast: dict[str, Any] | None = None,
        events: Iterable[tuple[float, str, str]] = (),
        phases: Iterable[tuple[str, float, float | None, float | None]] = (),
    ) -> None:
        """Append samples, update device totals, heartbeat; one short transaction."""
        now = time.time()
        with self._tx() as db:
            db.executemany(
                "INSERT INTO samples (run_id, t, node, key, energy_j) VALUES (?, ?, ?, ?, ?)",
                [(run_id, *s) for s in samples],
            )
            db.executemany(
                "INSERT INTO devices (run_id, key, node, kind, name, method, energy_j) "
                "VALUES (:run_id, :key, :node, :kind, :name, :method, :energy_j) "
                "ON CONFLICT (run_id, node, key) DO UPDATE SET energy_j = excluded.energy_j, "
                "method = excluded.method",
                [{"run_id": run_id, **d} for d in devices],
            )
            db.executemany(
                "INSERT INTO events (run_id, t, code, message) VALUES (?, ?, ?, ?)",
                [(run_id, *e) for e in events],
            )
            db.executemany(
                "INSERT INTO phases (run_id, name, started_at, ended_at, energy_j) "
                "VALUES (?, ?, ?, ?, ?)",
                [(run_id, *p) for p in phases],
            )
            db.execute(
                "UPDATE runs SET last_seen = ?, duration_s = ?, forecast = COALESCE(?, forecast) "
                "WHERE id = ?",
                (now, duration_s, json.dumps(forecast) if forecast else None, run_id),
            )

    def finish(self, run_id: str, *, status: str, duration_s: float, bill: dict[str, Any]) -> None:
        now = time.time()
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET status = ?, ended_at = ?, last_seen = ?, duration_s = ?, "
                "bill = ? WHERE id = ?",
                (status, now, now, duration_s, json.dumps(bill), run_id),
            )

    # ------------------------------------------------------------ reading

    def mark_interrupted(self) -> int:
        """Runs left `running` by a process that is gone: mark them `interrupted`."""
        now = time.time()
        with self._lock:
            rows = self._db.execute(
                "SELECT id, pid, host, last_seen, flush_s FROM runs WHERE status = 'running'"
            ).fetchall()
        here = this_host()
        stale = []
        for row in rows:
            late = now - row["last_seen"] > STALE_FLUSHES * (row["flush_s"] or 5.0)
            dead = row["host"] == here and row["pid"] and not _alive(row["pid"])
            if dead or (late and row["host"] != here):
                stale.append(row["id"])
        if stale:
            with self._tx() as db:
                db.executemany(
                    "UPDATE runs SET status = 'interrupted', ended_at = last_seen WHERE id = ?",
                    [(s,) for s in stale],
                )
        return len(stale)

    def runs(self, limit: int = 50) -> list[dict[str, Any]]:
        self.mark_interrupted()
        with self._lock:
            rows = self._db.execute(
                "SELECT r.*, (SELECT SUM(energy_j) FROM devices d WHERE d.run_id = r.id) AS "
                "energy_j FROM runs r ORDER BY started_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [dict(r) for r in rows]

    def run(self, run_id: str) -> dict[str, Any] | None:
        """A run with its devices, phases and events; `run_id` may be a unique prefix."""
        self.mark_interrupted()
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM runs WHERE id LIKE ? ORDER BY started_at DESC", (run_id + "%",)
            ).fetchall()
            if len(rows) != 1:
                return None
            out = dict(rows[0])
            out["devices"] = [
                dict(r)
                for r in self._db.execute(
                    "SELECT node, key, kind, name, method, energy_j FROM devices "
                    "WHERE run_id = ? ORDER BY node, key",
                    (out["id"],),
                )
            ]
            out["phases"] = [
                dict(r)
                for r in self._db.execute(
                    "SELECT name, started_at, ended_at, energy_j FROM phases WHERE run_id = ? "
                    "ORDER BY started_at",
                    (out["id"],),
                )
            ]
            out["events"] = [
                dict(r)
                for r in self._db.execute(
                    "SELECT t, code, message FROM events WHERE run_id = ? ORDER BY t", (out["id"],)
                )
            ]
        for key in ("options", "forecast", "bill"):
            out[key] = json.loads(out[key]) if out[key] else None
        return out

    def samples(self, run_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT t, node, key, energy_j FROM samples WHERE run_id = ? ORDER BY t, node, key",
                (run_id,),
            ).fetchall()
        return [dict(r) for r in rows]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
