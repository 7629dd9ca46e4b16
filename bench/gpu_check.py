"""GPU check: combien's measured energy against NVML's energy counter, read independently.

Runs a real training loop (a bf16 MLP stack with AdamW) on the first visible NVIDIA GPU for
about a minute under two trackers at once — one reading NVML's total-energy counter (the
default), one forced to sample power and integrate it (the fallback for GPUs without the
counter) — and reads the counter itself before and after. Prints each tracker's energy, the
independent counter's, their ratios, and the measured bill.

    python bench/gpu_check.py [--seconds 60]

Exits 1 with a clear message on a machine without an NVIDIA GPU.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _no_gpu(reason: str) -> None:
    sys.stderr.write(f"gpu_check: no NVIDIA GPU to check ({reason}); run it on a GPU machine\n")
    raise SystemExit(1)


class PowerOnly:
    """pynvml with the energy counter hidden, so NvmlSensor falls back to power sampling."""

    def __init__(self, nvml: Any) -> None:
        self._nvml = nvml

    def __getattr__(self, name: str) -> Any:
        return getattr(self._nvml, name)

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: Any) -> int:
        raise self._nvml.NVMLError(self._nvml.NVML_ERROR_NOT_SUPPORTED)


def train(seconds: float, tracker: Any) -> int:
    import torch

    device = torch.device("cuda")
    torch.manual_seed(0)
    width, depth, batch = 8192, 8, 4096
    layers = [
        torch.nn.Sequential(torch.nn.Linear(width, width), torch.nn.GELU()) for _ in range(depth)
    ]
    model = torch.nn.Sequential(*layers).to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.randn(batch, width, device=device)
    target = torch.randn(batch, width, device=device)
    steps, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = torch.nn.functional.mse_loss(model(x), target)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        steps += 1
        if steps % 20 == 0:
            torch.cuda.synchronize()
            tracker.progress(time.monotonic() - (end - seconds), seconds)
    torch.cuda.synchronize()
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--location", default="US-VA")
    args = parser.parse_args()
    try:
        import pynvml
        import torch
    except ImportError as exc:
        _no_gpu(f"{exc.name} is not installed")
    if not torch.cuda.is_available():
        _no_gpu("torch.cuda.is_available() is False")
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        _no_gpu(f"NVML: {exc}")

    import combien
    from combien.measure.nvml import NvmlSensor

    index = torch.cuda.current_device()
    handle = pynvml.nvmlDeviceGetHandleByIndex(index)
    name = pynvml.nvmlDeviceGetName(handle)
    db = str(Path(tempfile.mkdtemp()) / "runs.db")
    counter_sensor = NvmlSensor()
    power_sensor = NvmlSensor(nvml=PowerOnly(pynvml))
    print(
        f"GPU: {name}; counter tracker reads {counter_sensor.methods}, "
        f"power tracker reads {power_sensor.methods}"
    )
    by_counter = combien.Tracker(
        location=args.location,
        db=db,
        sensors=[counter_sensor],
        project="gpu-check",
        total=args.seconds,
    )
    by_power = combien.Tracker(
        location=args.location,
        db=db,
        sensors=[power_sensor],
        project="gpu-check-power",
        interval_s=0.1,
    )
    start_mj = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
    t0 = time.monotonic()
    by_counter.start()
    by_power.start()
    steps = train(args.seconds, by_counter)
    bill = by_counter.stop()
    by_power.stop()
    elapsed = time.monotonic() - t0
    end_mj = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
    reference_j = (end_mj - start_mj) / 1000
    gpu_j = sum(e for d, e in by_counter.measurement().devices if d.kind == "gpu")
    power_j = sum(e for d, e in by_power.measurement().devices if d.kind == "gpu")
    print(f"training: {steps} steps in {elapsed:.1f} s, average {reference_j / elapsed:.0f} W")
    print(f"{'reading':<34}{'energy (J)':>14}{'÷ NVML counter':>16}")
    print(f"{'NVML counter, read independently':<34}{reference_j:>14.1f}{1:>16.4f}")
    print(f"{'combien, counter mode (1 s)':<34}{gpu_j:>14.1f}{gpu_j / reference_j:>16.4f}")
    print(f"{'combien, power sampling (0.1 s)':<34}{power_j:>14.1f}{power_j / reference_j:>16.4f}")
    forecast = by_counter.forecast()
    if forecast:
        print(
            f"forecast at the end: {forecast.energy_j.value:.1f} J "
            f"[{forecast.energy_j.low:.1f}, {forecast.energy_j.high:.1f}]"
        )
    print(f"hardware recognised as: {bill.labels.get('hardware')}")
    print(
        f"measured bill: facility {bill.energy_kwh.value * 1000:.2f} Wh, "
        f"CO2e {bill.co2e_total_kg.value * 1000:.2f} g, "
        f"water {bill.water_total_l.value:.3f} L, "
        f"cloud cost ${bill.cost_cloud_usd.value:.3f}"
    )


if __name__ == "__main__":
    main()
