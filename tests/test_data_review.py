"""Reviewed reference figures, each checked against the number its source gives."""

from __future__ import annotations

import collections
import math

import numpy as np
import pytest

import combien
from combien.data import catalog
from combien.resolve import site
from combien.units import Z95


def _bill(**kwargs: object) -> combien.Bill:
    return combien.estimate(samples=200, **kwargs)  # type: ignore[arg-type]


# 1. gcp:us-central2 — TPU v4 is offered only in us-central2-b (Google Cloud TPU regions and
# zones), and Google's TPU v4 cluster is in its Oklahoma (Mayes County) data centre.


def test_every_priced_region_is_a_location() -> None:
    for price in catalog.cloud_prices():
        if price.region:
            assert catalog.locations().get(price.region).id == price.region


def test_us_central2_is_oklahoma() -> None:
    loc = catalog.locations().get("gcp:us-central2")
    assert (loc.kind, loc.parent, loc.provider) == ("cloud-region", "US-OK", "gcp")
    assert "Oklahoma" in loc.name and "us-central2-b" in loc.source
    # the facility fields of every gcp region: Google's 2023 fleet PUE and WUE
    assert (loc.pue, loc.wue_l_per_kwh) == (1.1, 1.06)
    v4 = next(p for p in catalog.cloud_prices() if p.hardware == "tpu-v4")
    assert v4.region == "gcp:us-central2"


def test_a_tpu_v4_run_there_gets_oklahomas_grid() -> None:
    bill = _bill(hardware="tpu-v4", chips=1024, days=10, location="gcp:us-central2")
    grid = bill.inputs["grid_gco2e_per_kwh"]
    assert grid.source.startswith("grid_intensity:US-OK ")
    # Oklahoma's own figure, not the US one
    oklahoma = catalog.grid_intensity(catalog.locations().get("US-OK"), None, "lifecycle")
    assert oklahoma is not None and oklahoma.from_id == "US-OK"
    assert grid.value == pytest.approx(oklahoma.value)
    assert bill.inputs["price_usd_per_kwh"].source.startswith("locations:US-OK")
    # Google Cloud's TPU v4 pod slice: $1.45 per chip-hour at a 3-year commitment
    assert bill.inputs["price_usd_per_hour"].value == pytest.approx(1.45)


# 2. Switch-C — the architecture of Google's flaxformer switch_c.gin (15 + 15 layers, every MLP a
# 2,048-expert switch layer, d_model 2080, d_ff 6144, 30 heads of 64, vocabulary 32,128).

D_MODEL, D_FF, LAYERS, EXPERTS, HEADS, HEAD_DIM, VOCAB = 2080, 6144, 15, 2048, 30, 64, 32_128


def _switch_c() -> tuple[float, float]:
    inner = HEADS * HEAD_DIM
    attention = LAYERS * 4 * D_MODEL * inner + LAYERS * 8 * D_MODEL * inner
    routers = 2 * LAYERS * D_MODEL * EXPERTS
    embeddings = 2 * VOCAB * D_MODEL  # input embedding and separate output logits
    expert = 2 * D_MODEL * D_FF
    shared = attention + routers + embeddings
    return shared + 2 * LAYERS * EXPERTS * expert, shared + 2 * LAYERS * expert


def test_switch_c_architecture_gives_the_papers_total() -> None:
    total, _ = _switch_c()
    assert total == pytest.approx(1571e9, rel=5e-4)  # Fedus et al. 2021, Table 9: 1,571B


def test_switch_c_active_params() -> None:
    m = catalog.models().get("switch-c")
    _, active = _switch_c()
    assert active == pytest.approx(1.747e9, rel=1e-3)
    assert m.active_params == pytest.approx(active, rel=0.005)
    assert m.params is not None and m.active_params / m.params == pytest.approx(0.0011, abs=1e-4)


# 3. TPU prices — Epoch AI's code multiplies a TPU's equivalent price by 1.64.


@pytest.mark.parametrize("hw_id", ["tpu-v2", "tpu-v3", "tpu-v4", "tpu-v5e", "tpu-v5p", "tpu-v6e"])
def test_tpu_equivalent_price_times_epochs_server_overhead(hw_id: str) -> None:
    hw = catalog.hardware().get(hw_id)
    assert hw.price_basis == "equivalent" and hw.server_cost_multiplier is None
    assert catalog.default("server_cost_multiplier").value == 1.64  # get_server_cost_overhead
    price, words = site.server_price(hw, hw.price_usd or 0.0, "equivalent")
    assert price == pytest.approx((hw.price_usd or 0.0) * 1.64)
    assert "1.64" in words
    assert "Does not include server hardware costs" in hw.notes
    assert "get_server_cost_overhead" in hw.notes


def test_tpu_v4_server_price() -> None:
    hw = catalog.hardware().get("tpu-v4")
    # Epoch AI Hardware prices.csv: $5,176 (Cottier et al. 2024, Table 3) × 1.64
    assert site.server_price(hw, 5176, "equivalent")[0] == pytest.approx(8488.64)


# 3b. TPU v5p power — Google publishes none; combien gives v5p TPU v4's documented bf16 peak per
# watt of maximum chip power (Google Cloud TPU v4 documentation: 275 TFLOP/s, 192 W).


def test_tpu_v5p_power_is_v4s_peak_per_watt() -> None:
    v4, v5p = catalog.hardware().get("tpu-v4"), catalog.hardware().get("tpu-v5p")
    assert (v4.tdp_w, v4.peak_flops_bf16) == (192, 2.75e14)
    assert v5p.peak_flops_bf16 == 4.59e14  # Google Cloud TPU v5p documentation
    assert v5p.tdp_w == round(4.59e14 * 192 / 2.75e14)  # 320.4 W
    assert "combien estimate" in v5p.source and "heise" in v5p.source


def test_a_v5p_run_gets_energy_from_the_estimate() -> None:
    # Gemma 2 27B: 6,144 TPU v5p; the chip-hour draws 320 W x 1.56 ('other TPU') x 0.43
    bill = _bill(model="gemma-2-27b", location="US-OK")
    it_energy, chip_hours = bill.line("it_energy_kwh"), bill.chip_hours
    assert it_energy is not None and chip_hours is not None
    per_chip_hour_kw = it_energy.value / chip_hours.value
    assert per_chip_hour_kw == pytest.approx(0.320 * 1.56 * 0.43, rel=1e-6)


def test_a_chip_without_power_says_what_to_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [hw.replace(tdp_w=None) if hw.id == "tpu-v5p" else hw for hw in catalog.hardware().rows]
    monkeypatch.setattr(catalog, "hardware", lambda: catalog.Table("hardware", rows))
    bill = _bill(model="gemma-2-27b")
    assert bill.energy_kwh is None and bill.chip_hours is not None
    warning = next(w for w in bill.warnings if w.code == "no-tdp")
    assert "no TDP for tpu-v5p" in warning.message and "--chip-power-w" in warning.message


# 4. The typical facility — Epoch AI's non-hyperscaler default 1.25 (IDC's public-cloud 1.25),
# a hyperscale fleet 1.10 at the low end, Uptime's 2023 industry average 1.58 at the high end.


def test_typical_facility() -> None:
    typical = catalog.facilities().get("typical")
    assert (typical.pue, typical.pue_low, typical.pue_high) == (1.25, 1.1, 1.58)
    assert "Uptime" in typical.source and "1.58" in typical.source
    assert "IDC" in typical.notes and "fleet_pue.csv" in typical.notes
    hyperscale = catalog.facilities().get("hyperscale")
    enterprise = catalog.facilities().get("enterprise")
    assert hyperscale.pue < typical.pue < enterprise.pue


# 5. Fleet PUE of the operator that trained a preset.


@pytest.mark.parametrize(
    ("organization", "year", "pue"),
    [
        ("Google", 2010, 1.16),  # Google, 2012: "1.16 in 2010"
        ("Google", 2011, 1.14),  # "approximately 1.14" in 2011
        ("Google", 2014, 1.12),  # Environmental Report 2017: 1.12 for five years
        ("Google", 2016, 1.12),  # Environmental Report 2017
        ("Google", 2017, 1.11),  # Environmental Report 2018
        ("Google", 2023, 1.10),  # Environmental Report 2024
        ("Meta", 2023, 1.08),  # Meta 2024 Sustainability Report
    ],
)
def test_fleet_pue_rows(organization: str, year: int, pue: float) -> None:
    row = catalog.fleet_pue_for(organization, year)
    assert row is not None and (row.organization, row.year, row.pue) == (organization, year, pue)


def test_fleet_pue_nearest_year() -> None:
    # Google publishes 2010-2017 and 2019-2024 (2018 unread): 2018 is a tie, the later wins
    assert catalog.fleet_pue_for("Google DeepMind", 2018).year == 2019  # type: ignore[union-attr]
    assert catalog.fleet_pue_for("Google Brain", 2020).year == 2020  # type: ignore[union-attr]
    assert catalog.fleet_pue_for("Google", 2030).year == 2024  # type: ignore[union-attr]
    amazon = catalog.fleet_pue_for("Amazon", 2023)
    assert amazon is not None and (amazon.year, amazon.pue) == (2023, 1.15)
    assert catalog.fleet_pue_for("Facebook AI", 2019).year == 2022  # type: ignore[union-attr]
    assert catalog.fleet_pue_for("Meta AI", None).year == 2023  # type: ignore[union-attr]
    assert catalog.fleet_pue_for("OpenAI", 2020) is None
    assert catalog.fleet_pue_for("Microsoft", 2024) is None  # no fleet figure read


def test_a_google_preset_uses_googles_fleet_pue() -> None:
    bill = _bill(model="palm-540b")
    pue = bill.inputs["pue"]
    # PaLM: published 2022-04-04, 64 days + 60 → training year 2021, whose PUE Google published
    assert pue.value == 1.10 and pue.source.startswith("fleet_pue:Google 2021")
    assert "the training year" in pue.source
    rel = catalog.default("pue_operator_rel")
    assert (pue.low, pue.high) == pytest.approx((1.10 * rel.low, 1.10 * rel.high))
    assert bill.labels["facility"] == "fleet:google"


def test_a_meta_preset_uses_metas_fleet_pue() -> None:
    pue = _bill(model="llama-7b").inputs["pue"]
    assert pue.value == 1.08 and pue.source.startswith("fleet_pue:Meta 2022")
    assert "the training year" in pue.source


def test_what_the_user_says_still_wins() -> None:
    assert _bill(model="palm-540b", pue=1.3).inputs["pue"].value == 1.3
    assert _bill(model="palm-540b", facility="enterprise").inputs["pue"].value == 1.56
    region = _bill(model="palm-540b", location="gcp:us-central2").inputs["pue"]
    assert region.source.startswith("locations:gcp:us-central2")
    assert _bill(model="palm-540b", convention="epoch").inputs["pue"].value == 1.25


def test_other_organisations_keep_the_typical_facility() -> None:
    bill = _bill(model="gpt-3")
    assert bill.inputs["pue"].value == 1.25
    assert "default-facility" in {w.code for w in bill.warnings}


def test_the_facility_warning_names_only_what_is_typical() -> None:
    def said(**kwargs: object) -> str | None:
        bill = _bill(model="gpt-3", **kwargs)
        return next((w.message for w in bill.warnings if w.code == "default-facility"), None)

    assert "PUE and WUE of a typical data centre are used" in (said() or "")
    pue = said(pue=1.1) or ""
    assert "the PUE is given, the WUE that of a typical data centre" in pue
    assert "--wue," in pue and "--pue" not in pue
    assert "the WUE is given, the PUE that of a typical data centre" in (said(wue=0.2) or "")
    assert said(pue=1.1, wue=0.2) is None
    assert said(facility="typical") is None  # chosen, not unknown
    palm = _bill(model="palm-540b")
    fleet = next(w.message for w in palm.warnings if w.code == "default-facility")
    assert "the PUE is Google's published fleet figure for 2021, the WUE that of a typical" in fleet


# 6. Ranges: cloud_price_rel computed from cloud_prices.csv; the others stated as judgements.


def test_cloud_price_rel_calibration() -> None:
    prices: dict[str, list[float]] = collections.defaultdict(list)
    latest, _ = site.prices_of_period(list(catalog.cloud_prices()), None)  # each offer's latest
    for p in latest:
        for v in (p.on_demand_usd_per_hour, p.commit_1y_usd_per_hour, p.commit_3y_usd_per_hour):
            if v is not None:
                prices[p.hardware].append(v)
    ratios = [v / np.median(vs) for vs in prices.values() if len(vs) >= 4 for v in vs]
    assert len(ratios) == 88
    p5, p95 = np.percentile(ratios, [5, 95])
    rel = catalog.default("cloud_price_rel")
    assert rel.low == pytest.approx(1 / p95, abs=5e-4)
    assert rel.high == pytest.approx(1 / p5, abs=5e-3)


def test_server_power_multiplier_rel_arithmetic() -> None:
    ratios = [((10 / 16) / 0.3 + (1.5 / 4) / 0.3) / 2, (10.2 / 8) / 0.7, (6.5 / 8) / 0.4]
    logs = [math.log(r) for r in ratios]
    sd = float(np.std(logs, ddof=1))
    assert sd == pytest.approx(0.099, abs=5e-4)
    rel = catalog.default("server_power_multiplier_rel")
    assert rel.low == pytest.approx(math.exp(-Z95 * sd), abs=0.005)
    assert "judgement" in rel.source


@pytest.mark.parametrize("name", ["grid_rel", "ewif_rel"])
def test_judgement_ranges_say_so(name: str) -> None:
    assert "judgement" in catalog.default(name).source
