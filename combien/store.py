"""The run store: tracked runs and their samples in a SQLite file, written as the job goes.

Location: `COMBIEN_DB`, else `~/.combien/runs.db`; a folder it creates is private (0700), and the
file too (0600). WAL journal and short transactions, so several tracked processes can write at
once and readers never block writers. Each run keeps its totals in columns (energy so far, and
once finished its facility energy, CO2e and water) beside its bill, so that listings read
neither the devices nor the bill; the columns sorted and filtered on are indexed.

Reading never writes: `Store(path, read_only=True)` opens the file read-only (a missing store
is an empty one, and no file is created). A run left `running` by a tracker that is gone
(SIGKILL, power loss) reads as `interrupted`. Every row read is checked: a damaged value (bad
JSON, text in a number column, an impossible energy) is dropped and named in the row's
`problems`, and the other runs read as usual.
"""

from __future__ import annotations

import json
import math
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from combien.errors import InputError

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
CREATE TABLE IF NOT EXISTS batches (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq)
);
"""

#: columns added since the first schema: (name, declaration)
ADDED_COLUMNS = (
    ("child_pid", "INTEGER"),
    ("energy_j", "REAL NOT NULL DEFAULT 0"),
    ("facility_energy_kwh", "REAL"),
    ("co2e_kg", "REAL"),
    ("water_l", "REAL"),
)

INDEXES = """
CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at, id);
CREATE INDEX IF NOT EXISTS runs_project ON runs(project, started_at, id);
CREATE INDEX IF NOT EXISTS runs_status ON runs(status, started_at, id);
CREATE INDEX IF NOT EXISTS phases_run ON phases(run_id);
CREATE INDEX IF NOT EXISTS events_run ON events(run_id, t);
"""

#: a run not seen for this many flush intervals is interrupted (its tracker no longer writes)
STALE_FLUSHES = 3

#: the statuses a run can have
STATUSES = ("running", "finished", "failed", "interrupted")

#: the largest energy a stored run can hold, J: beyond it the value is damage, not a
#: measurement (1e21 J is about ten times the world's yearly electricity)
MAX_ENERGY_J = 1e21

#: the largest LIMIT / OFFSET SQLite takes (a signed 64-bit integer)
MAX_ROWS = 2**63 - 1

#: the columns of a run's summary (listings and exports): no bill, no options
SUMMARY = (
    "id, project, command, status, started_at, ended_at, last_seen, duration_s, pid, host, "
    "flush_s, energy_j, facility_energy_kwh, co2e_kg, water_l"
)


def this_host() -> str:
    """The name of this machine, as runs record it in `host`."""
    return socket.gethostname()


def default_path() -> Path:
    """`COMBIEN_DB`, else ~/.combien/runs.db."""
    env = os.environ.get("COMBIEN_DB")
    return Path(env).expanduser() if env else Path.home() / ".combien" / "runs.db"


def _check_reachable(path: Path) -> None:
    """A store that does not exist could be made there: no file stands where a folder must."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                import errno

                raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(parent))
            return


def _create_private(path: Path) -> None:
    """The store's folder (0700) and file (0600), when they do not exist yet."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


class Store:
    """A SQLite file of runs. Thread-safe; one connection per store object."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path).expanduser() if path else default_path()
        self.read_only = read_only
        self._lock = threading.Lock()
        self._db = self._connect()
        self._db.row_factory = sqlite3.Row
        self.identity = self._identity()
        self._summary = _summary_columns(getattr(self, "_missing", []))

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            return self._connect_read_only()
        _create_private(self.path)
        db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.executescript(SCHEMA)
        _migrate(db)
        db.executescript(INDEXES)
        db.commit()
        return db

    def _connect_read_only(self) -> sqlite3.Connection:
        """The file read-only; a missing store is an empty one; a read-only folder is read as
        an immutable file."""
        if not self.path.exists():
            _check_reachable(self.path)
            db = sqlite3.connect(":memory:", check_same_thread=False)
            db.executescript(SCHEMA)
            _migrate(db)
            return db
        from urllib.parse import quote

        uri = f"file:{quote(str(self.path.resolve()))}"
        for mode in ("mode=ro", "immutable=1"):
            db = sqlite3.connect(f"{uri}?{mode}", uri=True, timeout=30, check_same_thread=False)
            try:
                columns = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
            except sqlite3.OperationalError:
                db.close()
                continue
            if not columns:
                raise sqlite3.DatabaseError(f"{self.path} holds no runs table")
            self._missing = [name for name, _ in ADDED_COLUMNS if name not in columns]
            return db
        raise sqlite3.OperationalError(f"unable to open {self.path} for reading")

    def _identity(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_dev, stat.st_ino

    def intact(self) -> str | None:
        """None while the file this store opened is still there; else what happened to it."""
        if self.identity is None:
            return None
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return f"{self.path} was deleted"
        except OSError as exc:
            return f"{self.path} cannot be reached ({exc.strerror or exc})"
        if (stat.st_dev, stat.st_ino) != self.identity:
            return f"{self.path} was replaced by another file"
        if not os.access(self.path, os.W_OK):
            return f"{self.path} is no longer writable"
        return None

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

    def create_run(self, run: dict[str, Any], *, replace: bool = False) -> None:
        """Insert a run; its `host` is this machine unless given (`replace`: keep the row if
        the run is there already, as when a fallback file is imported)."""
        run = {"host": this_host(), **run}
        columns = ", ".join(run)
        marks = ", ".join("?" for _ in run)
        verb = "INSERT OR IGNORE" if replace else "INSERT"
        with self._tx() as db:
            db.execute(f"{verb} INTO runs ({columns}) VALUES ({marks})", list(run.values()))

    def set_child_pid(self, run_id: str, pid: int) -> None:
        """The pid of the command a tracker runs."""
        with self._tx() as db:
            db.execute("UPDATE runs SET child_pid = ? WHERE id = ?", (pid, run_id))

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
        now: float | None = None,
    ) -> None:
        """Append samples, update device totals, heartbeat; one short transaction."""
        now = time.time() if now is None else now
        with self._tx() as db:
            _append(db, run_id, samples, events, phases)
            _update(db, run_id, devices, duration_s, forecast, now)

    def finish(
        self, run_id: str, *, status: str, duration_s: float, bill: dict[str, Any] | None
    ) -> None:
        """The run's end: status, duration, and the bill with its totals in columns."""
        with self._tx() as db:
            _finish(db, run_id, status, duration_s, bill, None)

    def ingest(
        self,
        run: dict[str, Any],
        seq: int,
        *,
        samples: Iterable[tuple[float, str, str, float]] = (),
        events: Iterable[tuple[float, str, str]] = (),
        phases: Iterable[tuple[str, float, float | None, float | None]] = (),
        devices: Iterable[dict[str, Any]] | None = None,
        duration_s: float | None = None,
        forecast: dict[str, Any] | None = None,
        finish: dict[str, Any] | None = None,
    ) -> bool:
        """Batch `seq` of a run tracked on another machine (`combien track --server`), in one
        transaction: the first batch to arrive creates the run (`run`: its columns); samples,
        events and phases are appended; the devices' totals, duration and forecast are the
        newest batch's; `finish` (status, duration_s, ended_at, bill) ends the run. False when
        this batch is stored already (sent again): nothing is written twice. A run that a
        tracker of this machine writes in this store is refused."""
        run_id, now = str(run["id"]), time.time()
        with self._tx() as db:
            exists, latest = db.execute(
                "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?), "
                "(SELECT MAX(seq) FROM batches WHERE run_id = ?)",
                (run_id, run_id),
            ).fetchone()
            if exists and latest is None:
                raise InputError(f"run {run_id!r} is in this store already, from a local tracker")
            if not exists:
                row = {k: v for k, v in run.items() if k in RUN_COLUMNS}
                row.update(status="running", last_seen=now)
                marks = ", ".join("?" for _ in row)
                db.execute(
                    f"INSERT INTO runs ({', '.join(row)}) VALUES ({marks})", list(row.values())
                )
            added = db.execute(
                "INSERT OR IGNORE INTO batches (run_id, seq) VALUES (?, ?)", (run_id, seq)
            )
            if added.rowcount == 0:
                return False
            _append(db, run_id, samples, events, phases)
            newest = latest is None or seq > latest
            if newest and devices is not None and duration_s is not None:
                _update(db, run_id, devices, duration_s, forecast, now)
            else:
                db.execute("UPDATE runs SET last_seen = ? WHERE id = ?", (now, run_id))
            if finish is not None:
                _finish(
                    db,
                    run_id,
                    finish["status"],
                    finish["duration_s"],
                    finish.get("bill"),
                    finish.get("ended_at"),
                )
        return True

    def mark_interrupted(self) -> int:
        """Runs left `running` by a tracker that is gone: mark them `interrupted` (only the
        running rows are read, through their index)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {self._summary} FROM runs WHERE status = 'running'"
            ).fetchall()
        stale = [row["id"] for row in rows if _gone(dict(row), time.time())]
        if stale and not self.read_only:
            with self._tx() as db:
                db.executemany(
                    "UPDATE runs SET status = 'interrupted', ended_at = last_seen WHERE id = ?",
                    [(s,) for s in stale],
                )
        return len(stale)

    # ------------------------------------------------------------ reading

    def runs(
        self,
        limit: int = 50,
        *,
        offset: int = 0,
        project: str | None = None,
        status: str | None = None,
        since: float | None = None,
        before: float | None = None,
    ) -> list[dict[str, Any]]:
        """Run summaries, newest first (`limit` None: all); each row checked."""
        return list(
            self.iter_runs(
                limit, offset=offset, project=project, status=status, since=since, before=before
            )
        )

    def iter_runs(
        self,
        limit: int | None = None,
        *,
        offset: int = 0,
        project: str | None = None,
        status: str | None = None,
        since: float | None = None,
        before: float | None = None,
        page: int = 1000,
    ) -> Iterator[dict[str, Any]]:
        """Run summaries, newest first, read a page at a time (no cap when `limit` is None)."""
        for name, value in (("limit", limit), ("offset", offset)):
            if value is not None and not 0 <= value <= MAX_ROWS:
                raise InputError(f"--{name}: {value} is not between 0 and {MAX_ROWS}")
        if status is not None and status not in STATUSES:
            raise InputError(f"--status: {status!r} is not one of {', '.join(STATUSES)}")
        # an interrupted run is stored as running until a writer marks it: read both, sort out
        stored = "running" if status == "interrupted" else status
        where, args = _filters(project, stored, since)
        skip, left = offset, limit
        # the stored status is the status read, except for running rows (some read as
        # interrupted): there the rows are skipped as they are read, elsewhere by SQLite
        sql_skip = 0 if stored == "running" else skip
        skip -= sql_skip
        keyset, keyargs = (" AND started_at < ?", [before]) if before is not None else ("", [])
        while left is None or left > 0:
            with self._lock:
                rows = self._db.execute(
                    f"SELECT {self._summary} FROM runs WHERE 1 = 1{where}{keyset} "
                    "ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?",
                    [*args, *keyargs, page, sql_skip],
                ).fetchall()
            sql_skip = 0
            if not rows:
                return
            now = time.time()
            for raw in rows:
                row = checked_run(dict(raw), now)
                if status is not None and row["status"] != status:
                    continue
                if skip:
                    skip -= 1
                    continue
                yield row
                if left is not None:
                    left -= 1
                    if left == 0:
                        return
            last = rows[-1]
            keyset = " AND (started_at < ? OR (started_at = ? AND id < ?))"
            keyargs = [last["started_at"], last["started_at"], last["id"]]

    def started_at(self, run_id: str) -> float:
        """When a run (id or unique prefix) started: for `--before RUN`."""
        run = self.run(run_id)
        if run is None:
            raise InputError(f"no run {run_id!r} in {self.path} — see `combien runs list`")
        return float(run["started_at"])

    def find(self, prefix: str) -> list[str]:
        """The ids that start with `prefix` (at most two: one is a match, two ambiguous)."""
        if not prefix or not prefix.isprintable():
            raise InputError("a run id (or a prefix of one) is needed — see `combien runs list`")
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT 2",
                (prefix, upper),
            ).fetchall()
        return [str(row[0]) for row in rows]

    def run(self, run_id: str) -> dict[str, Any] | None:
        """A run with its devices, phases and events; `run_id` may be a unique prefix."""
        found = self.find(run_id)
        if len(found) != 1:
            return None
        (key,) = found
        with self._lock:
            row = self._db.execute("SELECT * FROM runs WHERE id = ?", (key,)).fetchone()
            devices = self._db.execute(
                "SELECT node, key, kind, name, method, energy_j FROM devices "
                "WHERE run_id = ? ORDER BY node, key",
                (key,),
            ).fetchall()
            phases = self._db.execute(
                "SELECT name, started_at, ended_at, energy_j FROM phases WHERE run_id = ? "
                "ORDER BY started_at",
                (key,),
            ).fetchall()
            events = self._db.execute(
                "SELECT t, code, message FROM events WHERE run_id = ? ORDER BY t", (key,)
            ).fetchall()
        out = checked_run(dict(row), time.time())
        problems: list[str] = out["problems"]
        out["devices"] = [_checked_device(dict(r), problems) for r in devices]
        out["phases"] = [_checked_numbers(dict(r), ("energy_j",), problems) for r in phases]
        out["events"] = [
            {k: _text(v) if k != "t" else v for k, v in dict(r).items()} for r in events
        ]
        for key_ in ("options", "forecast", "bill"):
            out[key_] = _json(out.get(key_), key_, problems)
        return out

    def samples(self, run_id: str) -> list[dict[str, Any]]:
        return list(self.iter_samples(run_id))

    def iter_samples(self, run_id: str) -> Iterator[dict[str, Any]]:
        """A run's samples in time order; a damaged number reads as None (null, empty)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT t, node, key, energy_j FROM samples WHERE run_id = ? ORDER BY t, node, key",
                (run_id,),
            ).fetchall()
        for row in rows:
            yield _checked_sample(dict(row))

    def last_samples(self, run_id: str, count: int = 2) -> list[dict[str, Any]]:
        """The last `count` samples of each of a run's devices, device by device, each in time
        order: its power now, without reading the whole run (checked as `iter_samples` does)."""
        with self._lock:
            devices = self._db.execute(
                "SELECT node, key FROM devices WHERE run_id = ? ORDER BY node, key", (run_id,)
            ).fetchall()
            rows: list[sqlite3.Row] = []
            for node, key in devices:
                last = self._db.execute(
                    "SELECT t, node, key, energy_j FROM samples "
                    "WHERE run_id = ? AND node = ? AND key = ? ORDER BY t DESC LIMIT ?",
                    (run_id, node, key, count),
                ).fetchall()
                rows.extend(reversed(last))
        return [_checked_sample(dict(row)) for row in rows]


def _append(
    db: sqlite3.Connection,
    run_id: str,
    samples: Iterable[tuple[float, str, str, float]],
    events: Iterable[tuple[float, str, str]],
    phases: Iterable[tuple[str, float, float | None, float | None]],
) -> None:
    """A run's new samples, events and phases."""
    db.executemany(
        "INSERT INTO samples (run_id, t, node, key, energy_j) VALUES (?, ?, ?, ?, ?)",
        [(run_id, *s) for s in samples],
    )
    db.executemany(
        "INSERT INTO events (run_id, t, code, message) VALUES (?, ?, ?, ?)",
        [(run_id, *e) for e in events],
    )
    db.executemany(
        "INSERT INTO phases (run_id, name, started_at, ended_at, energy_j) VALUES (?, ?, ?, ?, ?)",
        [(run_id, *p) for p in phases],
    )


def _update(
    db: sqlite3.Connection,
    run_id: str,
    devices: Iterable[dict[str, Any]],
    duration_s: float,
    forecast: dict[str, Any] | None,
    now: float,
) -> None:
    """A run's device totals, duration, forecast and heartbeat."""
    db.executemany(
        "INSERT INTO devices (run_id, key, node, kind, name, method, energy_j) "
        "VALUES (:run_id, :key, :node, :kind, :name, :method, :energy_j) "
        "ON CONFLICT (run_id, node, key) DO UPDATE SET energy_j = excluded.energy_j, "
        "method = excluded.method",
        [{"run_id": run_id, **d} for d in devices],
    )
    db.execute(
        "UPDATE runs SET last_seen = ?, duration_s = ?, forecast = COALESCE(?, forecast), "
        "energy_j = (SELECT COALESCE(SUM(energy_j), 0) FROM devices WHERE run_id = ?) "
        "WHERE id = ?",
        (now, duration_s, json.dumps(forecast) if forecast else None, run_id, run_id),
    )


def _finish(
    db: sqlite3.Connection,
    run_id: str,
    status: str,
    duration_s: float,
    bill: dict[str, Any] | None,
    ended_at: float | None,
) -> None:
    """A run's end: status, end time (default: now), duration, the bill and its totals."""
    now = time.time()
    db.execute(
        "UPDATE runs SET status = ?, ended_at = ?, last_seen = ?, duration_s = ?, "
        "bill = ?, facility_energy_kwh = ?, co2e_kg = ?, water_l = ? WHERE id = ?",
        (
            status,
            now if ended_at is None else ended_at,
            now,
            duration_s,
            json.dumps(bill) if bill else None,
            *_bill_totals(bill),
            run_id,
        ),
    )


# ------------------------------------------------------------ checks on what is read


def _filters(project: str | None, status: str | None, since: float | None) -> tuple[str, list[Any]]:
    where, args = "", []
    for column, op, value in (
        ("project", "=", project),
        ("status", "=", status),
        ("started_at", ">=", since),
    ):
        if value is not None:
            where += f" AND {column} {op} ?"
            args.append(value)
    return where, args


def _number(value: Any) -> float | None:
    """A finite float, or None for anything else (text, NULL, inf, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _text(value: Any) -> str:
    """Stored text as text (bytes and numbers in a text column included)."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def checked_run(row: dict[str, Any], now: float) -> dict[str, Any]:
    """A runs row made safe to use: each damaged value replaced and named in `problems`; a
    running run whose tracker is gone reads as interrupted."""
    problems: list[str] = []
    row["id"] = _text(row.get("id"))
    for key in ("project", "command", "host"):
        row[key] = _text(row[key]) if row.get(key) is not None else None
    if row.get("status") not in STATUSES:
        problems.append(f"status {_text(row.get('status'))[:40]!r} is not a known status")
        row["status"] = "damaged"
    for key in ("started_at", "last_seen", "duration_s"):
        number = _number(row.get(key))
        if number is None or (key == "duration_s" and number < 0):
            problems.append(f"{key} is not a valid number")
            number = 0.0
        row[key] = number
    for key in ("ended_at", "flush_s"):
        if row.get(key) is not None and _number(row[key]) is None:
            problems.append(f"{key} is not a valid number")
            row[key] = None
    if "energy_j" in row:
        energy = _number(row["energy_j"])
        if energy is None or not 0 <= energy <= MAX_ENERGY_J:
            problems.append(f"energy {_text(row['energy_j'])[:40]} J is not a possible value")
            energy = None
        row["energy_j"] = energy
    for key in ("facility_energy_kwh", "co2e_kg", "water_l"):
        if key in row and row[key] is not None:
            number = _number(row[key])
            if number is None or number < 0:
                problems.append(f"{key} is not a possible value")
            row[key] = number if number is not None and number >= 0 else None
    for key in ("pid", "child_pid"):
        if key in row and not (row[key] is None or isinstance(row[key], int)):
            problems.append(f"{key} is not a process id")
            row[key] = None
    if row["status"] == "running" and _gone(row, now):
        row["status"] = "interrupted"
        row["ended_at"] = row["last_seen"]
    row["problems"] = problems
    return row


def _checked_sample(sample: dict[str, Any]) -> dict[str, Any]:
    """A sample as read: a damaged time or energy reads as None, node and key as text."""
    for key in ("t", "energy_j"):
        number = _number(sample[key])
        sample[key] = number if number is None or key == "t" or number >= 0 else None
    sample["node"], sample["key"] = _text(sample["node"]), _text(sample["key"])
    return sample


def _checked_numbers(row: dict[str, Any], keys: tuple[str, ...], problems: list[str]) -> Any:
    for key in keys:
        if row.get(key) is not None:
            number = _number(row[key])
            if number is None or not 0 <= number <= MAX_ENERGY_J:
                problems.append(f"{key} of {_text(row.get('name') or row.get('key'))} is damaged")
                number = None
            row[key] = number
    return row


def _checked_device(row: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    for key in ("node", "key", "kind", "name", "method"):
        row[key] = _text(row.get(key))
    energy = _number(row.get("energy_j"))
    if energy is None or not 0 <= energy <= MAX_ENERGY_J:
        problems.append(
            f"energy of device {row['key']} ({_text(row.get('energy_j'))[:40]}) is not a "
            "possible value; it is counted as 0"
        )
        energy = 0.0
    row["energy_j"] = energy
    return row


def _json(value: Any, key: str, problems: list[str]) -> Any:
    if value is None or value == "":
        return None
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError, RecursionError):
        problems.append(f"{key} is not valid JSON")
        return None
    if not isinstance(parsed, dict):
        problems.append(f"{key} is not a JSON object")
        return None
    return parsed


def _bill_totals(bill: dict[str, Any] | None) -> tuple[float | None, float | None, float | None]:
    """(facility kWh, CO2e kg, water l) of a bill, for the run's columns."""
    if not bill:
        return None, None, None

    def value(*path: str) -> float | None:
        node: Any = bill
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        return _number(node)

    return (
        value("energy_kwh", "value"),
        value("co2e_kg", "total", "value"),
        value("water_l", "total", "value"),
    )


def _summary_columns(missing: list[str]) -> str:
    """The summary's columns; those an older store lacks (read-only: not added) computed."""
    columns = [c.strip() for c in SUMMARY.split(",")]
    computed = {
        "energy_j": "(SELECT COALESCE(SUM(energy_j), 0) FROM devices d WHERE d.run_id = runs.id)"
    }
    return ", ".join(f"{computed.get(c, 'NULL')} AS {c}" if c in missing else c for c in columns)


def _migrate(db: sqlite3.Connection) -> None:
    """Add the columns a store made by an earlier version lacks, and fill them."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
    missing = [(name, kind) for name, kind in ADDED_COLUMNS if name not in columns]
    for name, kind in missing:
        db.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")
    if any(name == "energy_j" for name, _ in missing):
        db.execute(
            "UPDATE runs SET energy_j = (SELECT COALESCE(SUM(energy_j), 0) FROM devices "
            "WHERE run_id = runs.id)"
        )
    if any(name == "co2e_kg" for name, _ in missing):
        for run_id, bill in db.execute("SELECT id, bill FROM runs WHERE bill IS NOT NULL"):
            try:
                totals = _bill_totals(json.loads(bill))
            except (TypeError, ValueError):
                continue
            db.execute(
                "UPDATE runs SET facility_energy_kwh = ?, co2e_kg = ?, water_l = ? WHERE id = ?",
                (*totals, run_id),
            )


def _gone(row: dict[str, Any], now: float) -> bool:
    """True when the tracker of a running run no longer writes: its process is gone (on this
    machine), or it has not been seen for `STALE_FLUSHES` flush intervals."""
    flush_s = _number(row.get("flush_s")) or 5.0
    late = now - (_number(row.get("last_seen")) or 0.0) > STALE_FLUSHES * flush_s
    pid = row.get("pid")
    if row.get("host") == this_host() and isinstance(pid, int) and pid > 0:
        return not _alive(pid)
    return late


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


#: the run columns a fallback file may set
RUN_COLUMNS = (
    "id",
    "project",
    "command",
    "status",
    "started_at",
    "last_seen",
    "pid",
    "child_pid",
    "host",
    "scope",
    "flush_s",
    "options",
)


def import_lines(store: Store, lines: Iterable[str]) -> str:
    """Bring a run kept in a fallback file (JSON lines, see `combien.measure.recorder`) into the
    store; its id. A run already there keeps its rows and gets the file's."""
    run: dict[str, Any] | None = None
    samples: list[tuple[float, str, str, float]] = []
    events: list[tuple[float, str, str]] = []
    phases: list[tuple[str, float, float | None, float | None]] = []
    totals: dict[str, Any] = {}
    finish: dict[str, Any] | None = None
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            item = json.loads(text)
            if not isinstance(item, dict):
                raise ValueError("not an object")
            if "run" in item:
                run = {k: v for k, v in dict(item["run"]).items() if k in RUN_COLUMNS}
            elif "event" in item:
                events.append((float(item["t"]), str(item["event"]), str(item["message"])))
            elif "phase" in item:
                name, start, end, energy = item["phase"]
                phases.append((str(name), float(start), end, energy))
            elif "devices" in item:
                totals = item
            elif "finish" in item:
                finish = dict(item["finish"])
            else:
                samples.append(
                    (float(item["t"]), str(item["node"]), str(item["key"]), float(item["energy_j"]))
                )
        except (ValueError, TypeError, KeyError) as exc:
            raise InputError(f"line {number} is not a line of a combien run file ({exc})") from None
    if run is None or not isinstance(run.get("id"), str) or not run["id"]:
        raise InputError("this file holds no combien run (its first line names the run)")
    store.create_run(run, replace=True)
    devices = [
        {k: d[k] for k in ("key", "node", "kind", "name", "method", "energy_j")}
        for d in totals.get("devices") or []
    ]
    duration_s = float((finish or totals).get("duration_s") or 0.0)
    store.flush(
        run["id"],
        samples=samples,
        devices=devices,
        duration_s=duration_s,
        forecast=totals.get("forecast"),
        events=events,
        phases=phases,
        now=float(totals.get("t") or run.get("last_seen") or time.time()),
    )
    if finish is not None:
        status = str(finish.get("status") or "finished")
        store.finish(run["id"], status=status, duration_s=duration_s, bill=finish.get("bill"))
    return str(run["id"])
