"""Reference data: every row sourced and dated, provenance kept by the loaders, lookups helpful."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from combien.data import catalog
from combien.engine import compute

DATA = resources.files("combien.data")
FILES = sorted(p.name for p in DATA.iterdir() if p.name.endswith(".csv"))


@pytest.mark.parametrize("name", FILES)
def test_every_row_has_source_and_date(name: str) -> None:
    with DATA.joinpath(name).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, name
    for line, row in enumerate(rows, start=2):
        assert (row.get("source") or "").strip(), f"{name}:{line} has no source"
        assert (row.get("as_of") or "").strip(), f"{name}:{line} has no as_of"


def test_provenance_survives_loading() -> None:
    loaded = [
        *catalog.hardware(),
        *catalog.locations(),
        *catalog.cloud_prices(),
        *catalog.facilities(),
        *catalog.conventions(),
        *catalog.models(),
    ]
    loaded += [catalog.default(i) for i in catalog.default_ids()]
    assert all(row.source and row.as_of for row in loaded)
    h100 = catalog.hardware().get("H100")
    assert "datasheet" in h100.source.lower()


REQUIRED_HARDWARE = [
    "v100",
    "a100-40gb",
    "a100-80gb",
    "a100-80gb-pcie",
    "h100-sxm",
    "h100-pcie",
    "h800",
    "h200",
    "b200",
    "mi250x",
    "mi300x",
    "tpu-v2",
    "tpu-v3",
    "tpu-v4",
    "tpu-v5e",
    "tpu-v5p",
    "tpu-v6e",
    "l4",
    "l40s",
    "t4",
    "rtx-4090",
]


@pytest.mark.parametrize("hw_id", REQUIRED_HARDWARE)
def test_hardware_rows(hw_id: str) -> None:
    hw = catalog.hardware().get(hw_id)
    assert hw.peak_flops_bf16 and hw.peak_flops_bf16 > 1e13
    assert hw.mfu_low <= hw.mfu <= hw.mfu_high <= 1
    assert hw.power_fraction_low <= hw.power_fraction <= hw.power_fraction_high <= 1
    assert hw.embodied_kgco2e_low <= hw.embodied_kgco2e <= hw.embodied_kgco2e_high
    assert hw.server_power_multiplier >= 1


def test_dense_not_sparse_peaks() -> None:
    # the H100 SXM dense BF16 peak is 989 TFLOP/s; 1979 is the sparse figure
    assert catalog.hardware().get("h100-sxm").peak_flops_bf16 == pytest.approx(989.4e12, rel=0.01)
    assert catalog.hardware().get("a100-80gb").peak_flops_bf16 == pytest.approx(312e12)


def test_aliases_and_suggestions() -> None:
    table = catalog.hardware()
    assert table.get("H100").id == table.get("h100").id == "h100-sxm"
    assert table.get("TPU v4").id == "tpu-v4"
    assert table.suggest("h10")[:2] == ["h100-sxm", "h100-pcie"]


def test_locations_cover_what_is_asked() -> None:
    table = catalog.locations()
    kinds: dict[str, int] = {}
    for row in table:
        kinds[row.kind] = kinds.get(row.kind, 0) + 1
    assert kinds["country"] >= 40
    assert kinds["cloud-region"] >= 20
    for state in [
        "US-VA",
        "US-IA",
        "US-OR",
        "US-TX",
        "US-WA",
        "US-AZ",
        "US-GA",
        "US-OH",
        "US-NC",
        "US-NV",
        "US-CA",
        "US-IL",
        "CA-QC",
    ]:
        assert table.get(state).kind == "subdivision"
    for region in ["aws:us-east-1", "gcp:us-central1", "azure:eastus"]:
        assert table.get(region).kind == "cloud-region"


def test_every_location_resolves_grid_and_water() -> None:
    for row in catalog.locations():
        grid = catalog.location_value(row, "grid_gco2e_per_kwh")
        ewif = catalog.location_value(row, "ewif_l_per_kwh")
        assert grid is not None and 0 <= grid.value < 1200, row.id
        assert ewif is not None and 0 <= ewif.value < 20, row.id
        if row.kind == "cloud-region":
            assert catalog.location_value(row, "pue") is not None, row.id


def test_location_inheritance() -> None:
    region = catalog.locations().get("aws:us-east-1")
    grid = catalog.location_value(region, "grid_gco2e_per_kwh")
    assert grid is not None and grid.from_id == "US-VA"


def test_prices_refer_to_known_hardware() -> None:
    hardware = catalog.hardware()
    for price in catalog.cloud_prices():
        assert price.hardware in hardware
        values = [
            v
            for v in (
                price.on_demand_usd_per_hour,
                price.commit_1y_usd_per_hour,
                price.commit_3y_usd_per_hour,
            )
            if v is not None
        ]
        assert values and all(0 < v < 100 for v in values)


def test_facilities_and_conventions() -> None:
    for fac_id in ["hyperscale", "enterprise", "air-cooled", "evaporative", "dlc", "typical"]:
        fac = catalog.facilities().get(fac_id)
        assert 1 <= fac.pue_low <= fac.pue <= fac.pue_high
        assert 0 <= fac.wue_low <= fac.wue_l_per_kwh <= fac.wue_high
    for conv in ["full", "tdp", "epoch"]:
        assert catalog.conventions().get(conv)


REQUIRED_PRESETS = [
    "gpt-3",
    "bloom",
    "llama-65b",
    "llama-2-70b",
    "llama-3.1-405b",
    "deepseek-v3",
    "gpt-4",
    "gemini-ultra",
]


@pytest.mark.parametrize("model_id", REQUIRED_PRESETS)
def test_presets_exist(model_id: str) -> None:
    preset = catalog.models().get(model_id)
    assert preset.hardware in catalog.hardware()
    assert preset.flop or preset.chip_hours or (preset.params and preset.tokens)


def test_presets_do_not_contradict_themselves() -> None:
    k = catalog.default("training_flop_per_param_token").value
    for m in catalog.models():
        n = m.active_params or m.params
        if m.flop and n and m.tokens:
            ratio = m.flop / compute.training_flop(n, m.tokens, k)
            # published FLOP vs 6·N·D: within 20%, or explained in the row's notes
            assert 0.8 < ratio < 1.25 or "6ND" in m.notes or "6·N·D" in m.notes, m.id
        if m.chips and m.days and m.chip_hours:
            ratio = m.chip_hours / compute.chip_hours_from_days(m.chips, m.days)
            assert 0.85 < ratio < 1.15 or m.notes, m.id
        if m.flop and m.chip_hours and m.hardware:
            peak = catalog.hardware().get(m.hardware).peak_flops(m.precision or "bf16")
            if peak:
                assert compute.implied_mfu(m.flop, m.chip_hours, peak) < 0.65, m.id
