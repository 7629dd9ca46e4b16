"""Multi-process and multi-node: one reader per node, rank 0 records one run for all nodes.

Real torch.distributed with the gloo backend, two processes on the CPU. Two "nodes" are
simulated by giving each process its own COMBIEN_NODE name and LOCAL_RANK 0.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from combien.store import Store
from combien.units import kwh_from_j

pytest.importorskip("torch.distributed")

WORKER = textwrap.dedent(
    """
    import sys
    import torch.distributed as dist
    import combien
    from combien.testing import FakeSensor, ManualClock
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    power = [100.0, 100.0] if rank == 0 else [250.0]
    clock = ManualClock()  # each rank's run lasts 10 s exactly, however late its process started
    t = combien.Tracker(db=sys.argv[1], sensors=[FakeSensor(power, name="NVIDIA H100 80GB HBM3")],
                        interval_s=0.25, flush_s=1.0, project="ddp", clock=clock)
    t.start()
    clock.advance(10.0)
    dist.barrier()
    bill = t.stop()
    if rank == 0:
        print(t.id, flush=True)
    dist.destroy_process_group()
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _launch(db: Path, nodes: list[tuple[str, str]]) -> str:
    port = str(_free_port())
    procs = []
    for rank, (node, local_rank) in enumerate(nodes):
        env = {
            **os.environ,
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": port,
            "RANK": str(rank),
            "WORLD_SIZE": str(len(nodes)),
            "LOCAL_RANK": local_rank,
            "COMBIEN_NODE": node,
        }
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(db)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
    return outputs[0][0].strip()


def test_two_nodes_one_run(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    run_id = _launch(db, [("node-a", "0"), ("node-b", "0")])
    runs = Store(db).runs()
    assert [r["id"] for r in runs] == [run_id]  # one run, written by rank 0 only
    run = Store(db).run(run_id)
    assert run is not None and run["status"] == "finished"
    devices = {(d["node"], d["key"]): d["energy_j"] for d in run["devices"]}
    # node-a's two GPUs draw 100 W each, node-b's single GPU 250 W, for 10 s
    assert devices == pytest.approx(
        {("node-a", "gpu0"): 1000.0, ("node-a", "gpu1"): 1000.0, ("node-b", "gpu0"): 2500.0}
    )
    nodes = {n["node"]: n["energy_kwh"] for n in run["bill"]["run"]["nodes"]}
    assert nodes == pytest.approx({"node-a": kwh_from_j(2000.0), "node-b": kwh_from_j(2500.0)})
    assert run["bill"]["inputs"]["chip_hours"]["value"] == pytest.approx(3 * 10 / 3600)


def test_two_ranks_one_node_read_once(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    run_id = _launch(db, [("node-a", "0"), ("node-a", "1")])
    run = Store(db).run(run_id)
    assert run is not None
    # local rank 1 does not read: only rank 0's two GPUs are counted, once
    devices = {(d["node"], d["key"]): d["energy_j"] for d in run["devices"]}
    assert devices == pytest.approx({("node-a", "gpu0"): 1000.0, ("node-a", "gpu1"): 1000.0})
    assert run["bill"]["inputs"]["chip_hours"]["value"] == pytest.approx(2 * 10 / 3600)
