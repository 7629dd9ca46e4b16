"""Refresh the MFU model's data: the runs it is fitted on and its fitted coefficients.

    python bench/mfu_fit.py runs PATH/TO/epoch/ai_models.csv   # writes combien/data/mfu_runs.csv
    python bench/mfu_fit.py fit                                # writes combien/data/mfu_fit.csv

`runs` keeps, from Epoch AI's Notable AI Models database (CC BY 4.0), every row with a
`Hardware utilization (MFU)`, a hardware quantity and a parameter count, published from 2017
(tensor-core and TPU era). `fit` fits log(MFU) on the terms of `combien.engine.compute`
(least squares, centred terms) and writes the coefficients, the centres, the residual spread,
the number of runs and the date. tests/test_mfu.py checks that the stored fit is the fit of the
stored runs.
"""

from __future__ import annotations

import csv
import datetime
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "combien" / "data"

# Epoch's hardware names → combien hardware ids (blank: not in hardware.csv)
HARDWARE = {
    "NVIDIA H100 SXM5 80GB": "h100-sxm",
    "NVIDIA H800 SXM5": "h800",
    "NVIDIA A100": "a100-40gb",
    "NVIDIA A100 SXM4 40 GB": "a100-40gb",
    "NVIDIA A100 SXM4 80 GB": "a100-80gb",
    "NVIDIA Tesla V100 DGXS 32 GB": "v100",
    "NVIDIA Tesla V100S PCIe 32 GB": "v100",
    "Google TPU v2": "tpu-v2",
    "Google TPU v3": "tpu-v3",
    "Google TPU v4": "tpu-v4",
    "Google TPU v5p": "tpu-v5p",
}


def runs(epoch_csv: str) -> None:
    with open(epoch_csv, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        mfu, chips, params = (
            r["Hardware utilization (MFU)"].strip(),
            r["Hardware quantity"].strip(),
            r["Parameters"].strip(),
        )
        date = r["Publication date"].strip()
        if not (mfu and chips and params and date >= "2017"):
            continue
        hw_name = r["Training hardware"].strip()
        hours = r["Training time (hours)"].strip()
        chip_hours = r["Training chip-hours"].strip()
        link = (r["Link"].split(",")[0] or r["Reference"]).strip()
        kind = "tpu" if "TPU" in hw_name else ("gpu" if "NVIDIA" in hw_name else "other")
        out.append(
            {
                "model": r["Model"].strip(),
                "organization": r["Organization"].strip(),
                "date": date,
                "hardware_name": hw_name,
                "hardware": HARDWARE.get(hw_name, ""),
                "kind": kind,
                "chips": chips,
                "params": params,
                "flop": r["Training compute (FLOP)"].strip(),
                "training_hours": hours,
                "chip_hours": chip_hours,
                "precision": r["Numerical format"].strip(),
                "mfu": mfu,
                "source": f"Epoch AI (2026), Notable AI Models database, CC BY 4.0, row "
                f"'{r['Model'].strip()}' (MFU, hardware, chips, parameters, compute, time); "
                f"original publication: {link}",
                "as_of": "2026-04-01",
            }
        )
    with open(DATA / "mfu_runs.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(out[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(out)
    print(f"{len(out)} runs → {DATA / 'mfu_runs.csv'}")


def fit() -> None:
    sys.path.insert(0, str(DATA.parent.parent))
    from combien.data import catalog
    from combien.field import validate

    model = validate.fit_mfu_model(catalog.mfu_runs())
    today = datetime.date.today().isoformat()
    source = (
        f"combien fit (bench/mfu_fit.py, {today}): least squares of log(MFU) on "
        f"{model.runs} runs of combien/data/mfu_runs.csv (Epoch AI (2026), Notable AI Models "
        "database, CC BY 4.0)"
    )
    with open(DATA / "mfu_fit.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["term", "center", "coefficient", "source", "as_of"])
        for term, center, coef in model.rows():
            writer.writerow([term, f"{center:.6g}", f"{coef:.6g}", source, today])
    print(model)


if __name__ == "__main__":
    if sys.argv[1:2] == ["runs"]:
        runs(sys.argv[2])
    else:
        fit()
