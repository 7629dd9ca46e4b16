"""Reference data: every row sourced and dated, provenance kept by the loaders, lookups helpful."""

from __future__ import annotations

import csv
import itertools
from decimal import Decimal
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
        grid = catalog.grid_intensity(row, None, "lifecycle")
        ewif = catalog.location_value(row, "ewif_l_per_kwh")
        # Turkmenistan's 1,306 g/kWh (Ember, 2023) is the highest; --grid accepts up to 2,000
        assert grid is not None and 0 <= grid.value < 2000, row.id
        assert ewif is not None and 0 <= ewif.value < 20, row.id
        if row.kind == "cloud-region":
            assert catalog.location_value(row, "pue") is not None, row.id


def test_location_inheritance() -> None:
    region = catalog.locations().get("aws:us-east-1")
    grid = catalog.grid_intensity(region, None, "lifecycle")
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


def test_facility_ranges() -> None:
    for fac_id in ["hyperscale", "enterprise", "air-cooled", "evaporative", "dlc", "typical"]:
        fac = catalog.facilities().get(fac_id)
        assert 1 <= fac.pue_low <= fac.pue <= fac.pue_high
        assert 0 <= fac.wue_low <= fac.wue_l_per_kwh <= fac.wue_high


def test_conventions_carry_their_publications_factors() -> None:
    # tdp: chip TDP × chip-hours × PUE, no server overhead, power at TDP (Touvron et al. 2023 §6;
    # Luccioni et al. 2023, Table 1)
    tdp = catalog.conventions().get("tdp")
    assert (tdp.power_fraction, tdp.server_overhead, tdp.pue) == (1, 1, None)
    # epoch: PUE 1.25 outside hyperscalers, MFU 0.375 when unknown, the median of 33 known values
    # (Cottier et al. 2024; training-cost-trends energy.py and parameters.py)
    epoch = catalog.conventions().get("epoch")
    assert (epoch.pue, epoch.mfu) == (1.25, 0.375)
    # full: no factor fixed, every one from the hardware and the site
    full = catalog.conventions().get("full")
    assert (full.power_fraction, full.server_overhead, full.pue, full.mfu) == (None,) * 4


# Each required preset carries the figures its publications give (the row's source)
PUBLISHED = [
    ("gpt-3", "flop", 3.14e23),  # Brown et al. 2020, Table D.1
    ("gpt-3", "chips", 10_000),  # Patterson et al. 2021, Table 4
    ("gpt-3", "days", 14.8),  # Patterson et al. 2021, Table 4
    ("bloom", "chip_hours", 1_082_990),  # Luccioni et al. 2023, Table 1
    ("llama-65b", "chip_hours", 1_022_362),  # Touvron et al. 2023, Table 15
    ("llama-2-70b", "chip_hours", 1_720_320),  # Llama 2 model card
    ("llama-3.1-405b", "chip_hours", 30.84e6),  # Llama 3.1 model card
    ("llama-3.1-405b", "flop", 3.8e25),  # Llama Team 2024, 'The Llama 3 Herd of Models', §1
    ("deepseek-v3", "chip_hours", 2.788e6),  # DeepSeek-V3 technical report
    ("gpt-4", "flop", 2.1e25),  # Epoch AI (Cottier et al. 2024)
    ("gemini-ultra", "flop", 5e25),  # Epoch AI (Cottier et al. 2024)
]


@pytest.mark.parametrize(("model_id", "field", "published"), PUBLISHED)
def test_presets_carry_published_figures(model_id: str, field: str, published: float) -> None:
    preset = catalog.models().get(model_id)
    assert preset.hardware in catalog.hardware()
    assert getattr(preset, field) == pytest.approx(published)


def test_every_preset_says_what_it_works_on() -> None:
    # models.csv domain: Epoch AI's, lower case; `combien infer` serves the language models
    known = {"language", "vision", "games", "speech", "audio", "multimodal", "biology",
             "image generation"}  # fmt: skip
    domains = {m.id: m.domain for m in catalog.models().rows}
    assert all(d and set(d) <= known for d in domains.values()), domains
    assert domains["alexnet"] == ("vision",) and domains["alphago-lee"] == ("games",)
    assert domains["llama-3.1-405b"] == ("language",)


def _raw_models() -> dict[str, dict[str, str]]:
    with DATA.joinpath("models.csv").open(encoding="utf-8", newline="") as fh:
        return {row["id"]: row for row in csv.DictReader(fh)}


def _half_unit(text: str) -> float:
    """Half a unit of the last digit written: the rounding a published figure carries."""
    exponent = Decimal(text).as_tuple().exponent
    assert isinstance(exponent, int), text
    return 0.5 * 10.0**exponent


# Presets whose published chip-hours are not chips × days × 24, even allowing for the rounding
# of both as written, and why (each row's notes in models.csv).
CHIP_HOURS_EXCEPTIONS = {
    "palm-540b": "6,144 TPU v4 for 1,200 h, then only 3,072 of them for the last 336 h",
    "gemini-ultra": "Epoch AI's speculative round figures: ~57,000 TPU v4 × ~100 days = 136.8M "
    "against its own 132M chip-hours (-3.5%)",
    "bloom": "the 1,082,990 published GPU-hours are 0.6% below 384 GPUs × the published wall "
    "clock (118 d 5 h 41 min); the paper gives both and does not reconcile them",
    "resnext-101-32x48d": "chip-hours are '19 GPU-years' (Radford et al. 2021), two digits "
    "(±2.6%); days are Epoch AI's 496 h",
}


def _chips_days_presets() -> list[str]:
    return [m.id for m in catalog.models() if m.chips and m.days and m.chip_hours]


@pytest.mark.parametrize("model_id", _chips_days_presets())
def test_chip_hours_agree_with_chips_times_days(model_id: str) -> None:
    m = catalog.models().get(model_id)
    raw = _raw_models()[model_id]
    assert m.chips and m.days and m.chip_hours
    from_days = compute.chip_hours_from_days(m.chips, m.days)
    assert from_days == pytest.approx(m.chips * m.days * 24)
    # chips are exact counts; days and chip-hours are as precise as the digits written
    rounding = m.chips * 24 * _half_unit(raw["days"]) + _half_unit(raw["chip_hours"])
    agrees = abs(m.chip_hours - from_days) <= rounding * (1 + 1e-9)
    assert agrees != (model_id in CHIP_HOURS_EXCEPTIONS), CHIP_HOURS_EXCEPTIONS.get(model_id)


def test_chip_hours_exceptions_hold_for_their_reason() -> None:
    models = catalog.models()
    assert models.get("palm-540b").chip_hours == 6144 * 1200 + 3072 * 336
    assert models.get("palm-540b").days == (1200 + 336) / 24
    gemini = models.get("gemini-ultra")
    assert gemini.chip_hours / (57_000 * 100 * 24) == pytest.approx(132 / 136.8)
    bloom = models.get("bloom")
    wall_clock_h = 118 * 24 + 5 + 41 / 60
    assert bloom.days == pytest.approx(wall_clock_h / 24, abs=0.005)
    assert bloom.chip_hours / (384 * wall_clock_h) == pytest.approx(0.9939, abs=5e-5)
    resnext = models.get("resnext-101-32x48d")
    assert resnext.chip_hours == 19 * 8760
    assert abs(336 * 496 / resnext.chip_hours - 1) < 0.5 / 19


# Published FLOP and 6·N·D (Kaplan et al. 2020) agree within a factor 1.25 either way: 6·N·D
# counts the weight matrix products only, and most figures are published to two digits. The
# presets outside that band, and why (each row's notes in models.csv):
FLOP_EXCEPTIONS = {
    "opt-175b": "the logbook's 4.3e23 presumably counts restarts and repeated steps",
    "xlnet-large": "Epoch AI's geometric mean of a hardware estimate (8.9e21) and 6·N·D",
    "roberta-large": "Epoch AI's geometric mean of a hardware estimate (1.66e22) and 6·N·D",
    "gshard-dense-2.3b": "Epoch AI's geometric mean of a hardware estimate (1.37e23) and 6·N·D",
    "t5-11b": "encoder-decoder: each token passes through half of the parameters",
    "meena": "approximate token count ('about 10T') and a seq2seq architecture",
    "switch-c": "Patterson et al.'s 8.22e22 is 13.6× 6 · 1.75e9 active parameters · 5.76e11 tokens",
    "pangu-sigma": "sparse: Epoch's hardware estimate, active parameters not published",
    "yuan-1.0": "the paper's 4,095 PFLOP/s-days, published as is",
    "gopher": "the paper counts attention and embedding FLOP per layer (Table A26)",
}


def _flop_presets() -> list[str]:
    return [m.id for m in catalog.models() if m.flop and m.tokens and (m.active_params or m.params)]


@pytest.mark.parametrize("model_id", _flop_presets())
def test_published_flop_agrees_with_6nd(model_id: str) -> None:
    m = catalog.models().get(model_id)
    k = catalog.default("training_flop_per_param_token").value
    assert k == 6  # Kaplan et al. 2020: forward 2·N, backward 4·N FLOP per token
    n = m.active_params or m.params
    assert m.flop and n and m.tokens
    ratio = m.flop / compute.training_flop(n, m.tokens, k)
    agrees = 1 / 1.25 <= ratio <= 1.25
    assert agrees != (model_id in FLOP_EXCEPTIONS), (ratio, FLOP_EXCEPTIONS.get(model_id))


@pytest.mark.parametrize(
    ("model_id", "hardware_estimate"),
    [("xlnet-large", 8.9e21), ("roberta-large", 1.66e22), ("gshard-dense-2.3b", 1.37e23)],
)
def test_flop_exceptions_geometric_mean(model_id: str, hardware_estimate: float) -> None:
    m = catalog.models().get(model_id)
    assert m.params and m.tokens
    six_nd = 6 * m.params * m.tokens
    # the hardware estimates are written with 2–3 digits in the notes
    assert m.flop == pytest.approx((hardware_estimate * six_nd) ** 0.5, rel=0.01)


def test_flop_exceptions_explained_by_arithmetic() -> None:
    models = catalog.models()
    assert models.get("st-moe-32b").flop == pytest.approx(6 * 32e9 * 1.5e12, rel=0.01)
    assert models.get("yuan-1.0").flop == pytest.approx(4095 * 1e15 * 86_400, rel=1e-3)
    t5 = models.get("t5-11b")
    assert t5.params and t5.tokens
    assert 1 / 1.25 < t5.flop / (6 * t5.params / 2 * t5.tokens) < 1.25


def test_implied_mfu_below_the_highest_published() -> None:
    # LaMDA reports 56.5% and MegaScale 55%: a preset implying more than 65% contradicts itself
    for m in catalog.models():
        if m.flop and m.chip_hours and m.hardware:
            peak = catalog.hardware().get(m.hardware).peak_flops(m.precision or "bf16")
            if peak:
                assert compute.implied_mfu(m.flop, m.chip_hours, peak) < 0.65, m.id


def test_new_tables_keep_their_provenance() -> None:
    loaded = [
        *catalog.mfu_runs(),
        *catalog.mfu_fit().values(),
        *catalog.hardware_rules(),
        *catalog.precisions().values(),
        *catalog.validation_runs(),
    ]
    assert all(row.source and row.as_of for row in loaded)
    assert all("Epoch AI (2026)" in r.source for r in catalog.mfu_runs())


def test_every_accelerator_says_its_precisions() -> None:
    table = catalog.precisions()
    for hw in catalog.hardware():
        assert hw.id in table, hw.id
        formats = set(table[hw.id].precisions)
        assert formats <= {"fp8", "bf16", "fp16", "tf32", "fp32"}, hw.id
        # a format with a peak in hardware.csv is one the chip has (the bf16 column holds fp16
        # for chips without bf16)
        if hw.peak_flops_fp8:
            assert "fp8" in formats, hw.id
        if hw.peak_flops_bf16:
            assert formats & {"bf16", "fp16"}, hw.id


def test_hardware_imputation_covers_every_date() -> None:
    rules = catalog.hardware_rules()
    anyone = sorted((r.start, r.end) for r in rules if "*" in r.organizations)
    assert anyone[0][0] <= "1990-01-01" and anyone[-1][1] >= "2030-12-31"
    for (_, end), (start, _) in itertools.pairwise(anyone):
        assert start > end  # no overlap, and ...
    for rule in rules:
        assert rule.hardware in catalog.hardware(), rule.hardware


def test_mfu_runs_name_known_hardware_or_none() -> None:
    for run in catalog.mfu_runs():
        assert 0 < run.mfu < 1 and run.chips >= 1 and run.params > 0
        assert run.date >= "2017"
        if run.hardware:
            assert run.hardware in catalog.hardware(), run.hardware


# presets whose compute is not published at all (no FLOP, no tokens): nothing to estimate from
NO_COMPUTE = {
    "mixtral-8x7b": "tokens and FLOP unpublished; Epoch's 10T-token guess is not used",
    "mistral-7b": "tokens and FLOP unpublished, not in Epoch's snapshot",
}


@pytest.mark.parametrize("model_id", [m.id for m in catalog.models()])
def test_every_preset_gets_a_bill(model_id: str) -> None:
    import combien

    if model_id in NO_COMPUTE:
        with pytest.raises(combien.InputError, match="not enough to derive compute"):
            combien.estimate(model=model_id, samples=100)
        return
    bill = combien.estimate(model=model_id, samples=100)
    assert bill.chip_hours is not None and bill.chip_hours.value > 0
    preset = catalog.models().get(model_id)
    if not preset.hardware:
        assert bill.labels["hardware_basis"] == "imputed"
    assert bill.energy_kwh is not None and bill.co2e_total_kg is not None
    assert bill.cost_usd is not None


def test_a_preset_without_compute_says_what_to_pass() -> None:
    import combien

    # Mixtral: Mistral AI publishes 46.7B total and 12.9B active parameters, nothing more
    with pytest.raises(combien.InputError) as caught:
        combien.estimate(model="mixtral-8x7b", samples=100)
    message = str(caught.value)
    assert "mixtral-8x7b publishes its size (12.9B active of 46.7B parameters)" in message
    assert "not its training tokens or compute" in message
    assert "--tokens N (FLOP = 6 × 12.9B × N), --flop, --chip-hours" in message
    with pytest.raises(combien.InputError, match=r"mistral-7b publishes its size \(7.30B param"):
        combien.estimate(model="mistral-7b", samples=100)
    # what it asks for completes it: 6 × 12.9e9 active parameters × the tokens given
    bill = combien.estimate(model="mixtral-8x7b", tokens="2T", samples=100)
    assert bill.inputs["flop"].value == pytest.approx(6 * 12.9e9 * 2e12)
    bill = combien.estimate(model="mistral-7b", flop=1e23, samples=100)
    assert bill.inputs["flop"].value == 1e23
    # without a preset, the general message
    with pytest.raises(combien.InputError, match="give --params and --tokens, --flop"):
        combien.estimate(params="7B", samples=100)
