"""Jobs across ranks (torch.distributed): one reader per node, one run recorded by rank 0.

`join_ranks(run_id)`: when the job has initialised a process group, every rank takes rank 0's
run id, and only local rank 0 of each node reads that node's sensors. `gather(measurement, ...)`:
at the end every rank sends its devices, and rank 0 gets every node's. `node_name()` names this
node. torch is never imported here unless the job has imported torch.distributed itself.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import sys
from typing import Any, NamedTuple

from combien.measure.sampler import Measurement
from combien.measure.sensors import Device


class Ranks(NamedTuple):
    """Where this process stands in the job: not distributed is rank 0, its node's reader."""

    active: bool = False
    rank: int = 0
    reader: bool = True


def node_name() -> str:
    """This node's name: COMBIEN_NODE, else the host name."""
    return os.environ.get("COMBIEN_NODE") or socket.gethostname()


def join_ranks(run_id: str, wanted: bool | None = None) -> tuple[Ranks, str]:
    """This rank, and the run id shared from rank 0 (`wanted=False`: act alone)."""
    if wanted is False or "torch.distributed" not in sys.modules:
        return Ranks(), run_id  # a job that uses torch.distributed has imported it already
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return Ranks(), run_id
    shared = [run_id]
    dist.broadcast_object_list(shared, src=0)
    reader = int(os.environ.get("LOCAL_RANK", "0")) == 0
    return Ranks(active=True, rank=dist.get_rank(), reader=reader), shared[0]


def gather(measurement: Measurement, ranks: Ranks, node: str) -> Measurement:
    """On rank 0, every reader's devices (over rank 0's duration); elsewhere, this rank's."""
    if not ranks.active:
        return measurement
    import torch.distributed as dist

    payload = {
        "node": node,
        "reader": ranks.reader,
        "devices": [dataclasses.asdict(d) | {"energy_j": e} for d, e in measurement.devices],
    }
    gathered: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, payload)
    if ranks.rank != 0:
        return measurement
    devices = tuple(
        (Device(**{k: v for k, v in row.items() if k != "energy_j"}), float(row["energy_j"]))
        for sent in gathered
        if sent and sent["reader"]
        for row in sent["devices"]
    )
    return Measurement(devices, measurement.duration_s)
