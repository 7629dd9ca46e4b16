"""The article's claims (shared claims.md), each recomputed by a small function over the public
API, with its assumptions and a verdict: consistent, partly consistent, not consistent, or
checked fact (a fact to check, not to compute)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from combien.data import catalog
from combien.units import quantity

SCHEMA = "combien.claims/1"
CONSISTENT, PARTLY, NOT, FACT = "consistent", "partly consistent", "not consistent", "checked fact"


@dataclass(frozen=True)
class Claim:
    id: str
    claim: str
    value: float
    low: float
    high: float
    unit: str
    assumptions: tuple[str, ...]
    verdict: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "claim": self.claim,
            "computed": {
                "value": self.value,
                "low": self.low,
                "high": self.high,
                "unit": self.unit,
            },
            "assumptions": list(self.assumptions),
            "verdict": self.verdict,
            "reason": self.reason,
        }


def judge(claim_low: float, claim_high: float, low: float, high: float) -> str:
    """Consistent when the claimed range and the computed 90% range overlap; partly when
    they are within a factor 2 of each other; not consistent otherwise."""
    if claim_low <= high and low <= claim_high:
        return CONSISTENT
    if claim_low <= 2 * high and low <= 2 * claim_high:
        return PARTLY
    return NOT


def need(line: Any) -> Any:
    """A bill line that the claim's inputs always produce."""
    if line is None:
        from combien.errors import DataError

        raise DataError("a claim's computation produced no value — check its inputs")
    return line


def _fact(name: str) -> catalog.Fact:
    return catalog.fact(name)


def _claimed(name: str, rounding: float = 0.05) -> tuple[float, float]:
    """A claimed figure as the interval its rounding allows."""
    value = _fact(name).value
    return value * (1 - rounding), value * (1 + rounding)


def _src(*names: str) -> str:
    return "; ".join(f"{n}: {_fact(n).source}" for n in names)


CLAIMS: dict[str, Callable[[], Claim]] = {}


def claim(func: Callable[[], Claim]) -> Callable[[], Claim]:
    CLAIMS[func.__name__.replace("_", "-")] = func
    return func


@claim
def cost_growth() -> Claim:
    from combien.field.trends import trends

    g = trends(2016).cost_ownership
    epoch = _fact("epoch-cost-growth")
    e_low, e_high = epoch.low or epoch.value, epoch.high or epoch.value
    if e_low <= g.value <= e_high or g.low <= epoch.value <= g.high:
        verdict = CONSISTENT  # either central value inside the other's 90% interval
    else:
        verdict = judge(e_low, e_high, g.low, g.high)
    return Claim(
        "cost-growth",
        "frontier training costs grow 2.4× a year since 2016",
        g.value,
        g.low,
        g.high,
        "× per year",
        (
            f"{g.n} frontier runs with known hardware, ownership cost (Epoch AI method A)",
            "OLS of log10(cost) on date, bootstrap 90% interval",
            f"Epoch AI: {epoch.value}× ({e_low}–{e_high}) — {epoch.source}",
        ),
        verdict,
        f"combien's catalog gives {g.value:.2f}× a year ({g.low:.2f}–{g.high:.2f}) against "
        f"Epoch AI's {epoch.value}× ({e_low}–{e_high}); growth is faster since 2018 "
        "(methodology §11)",
    )


def _run_cost(model: str, attr: str) -> tuple[Any, Any]:
    from combien.training.estimate import estimate

    bill = estimate(model=model)
    return bill, getattr(bill, attr)


@claim
def gpt4_cost() -> Claim:
    bill, cloud = _run_cost("gpt-4", "cost_cloud_usd")
    own, upfront = bill.cost_ownership_usd, bill.cost_hardware_capex_usd
    verdict = CONSISTENT if cloud.value > 1e8 else PARTLY if cloud.high > 1e8 else NOT
    return Claim(
        "gpt4-cost",
        "GPT-4 cost more than $100M to train",
        cloud.value,
        cloud.low,
        cloud.high,
        "USD (cloud rental)",
        (
            "Epoch AI's inputs (speculative): 2.1e25 FLOP, 25,000 A100, 95 days",
            f"ownership (amortised + energy): {quantity(own.value, 'USD')}; upfront cluster: "
            f"{quantity(upfront.value, 'USD')}",
            _src("aiindex-gpt4-cloud-usd", "epoch-gpt4-amortized-usd"),
        ),
        verdict,
        f"the final run costs {quantity(cloud.value, 'USD')} at cloud prices (range "
        f"${cloud.low / 1e6:.0f}–{cloud.high / 1e6:.0f}M) and {quantity(own.value, 'USD')} "
        "to an owner: over $100M only at the upper end of rental prices, or counting "
        "the hardware bought",
    )


@claim
def gemini_cost() -> Claim:
    bill, cloud = _run_cost("gemini-ultra", "cost_cloud_usd")
    claimed = _fact("aiindex-gemini-cloud-usd").value
    return Claim(
        "gemini-cost",
        "Gemini 1 cost Google about $191M",
        cloud.value,
        cloud.low,
        cloud.high,
        "USD (cloud rental)",
        (
            "Epoch AI's inputs (speculative): 5e25 FLOP, 57,000 TPU v4, 100 days",
            f"ownership: {quantity(bill.cost_ownership_usd.value, 'USD')}",
            _src("aiindex-gemini-cloud-usd", "epoch-gemini-amortized-usd"),
        ),
        judge(claimed * 0.9, claimed * 1.1, cloud.low, cloud.high),
        f"{quantity(cloud.value, 'USD')} at Google Cloud's committed TPU v4 price; an owner "
        f"pays {quantity(bill.cost_ownership_usd.value, 'USD')} (Epoch: $30M)",
    )


@claim
def gpu_price() -> Claim:
    from combien.training.estimate import estimate

    price = estimate(hardware="h100-sxm", chip_hours=1, samples=2000).inputs["server_price_usd"]
    low, high = _fact("h100-price-analyst-usd").low or 0, 40_000.0
    return Claim(
        "gpu-price",
        "a GPU costs about $30,000–40,000",
        price.value,
        price.low or 0,
        price.high or 0,
        "USD per H100 (server-inclusive)",
        (
            f"hardware:h100-sxm — {catalog.hardware().get('h100-sxm').source}",
            _src("h100-price-analyst-usd", "dgx-h100-price-usd"),
        ),
        judge(low, high, price.value * 0.9, price.value * 1.1),
        "an H100 sells for $25,000–30,000 alone and about $33,750 as one eighth of a DGX server",
    )


@claim
def amodei_trajectory() -> Claim:
    from combien.field.trends import trends

    crossing = trends(2016).to_dict()["crossings"]["1e10"]
    return Claim(
        "amodei-trajectory",
        "$100M now, ~$1B in training, $10–100B in 2025–2027",
        crossing["value"],
        crossing["low"],
        crossing["high"],
        "year the largest run reaches $10B",
        (
            "the largest costed run grows at the fitted ownership-cost rate",
            _src("amodei-2025-2027-usd"),
        ),
        NOT if crossing["low"] > 2027.99 else PARTLY,
        f"at the fitted rate the largest run reaches $10B around {crossing['value']:.0f}"
        " and $100B later: $10–100B by 2027 needs growth of ≥ 4.6× a year from $100M "
        "in 2024",
    )


@claim
def revenue_gap() -> Claim:
    from combien.field.sector import sector

    s = sector()
    return Claim(
        "revenue-gap",
        "$600B of yearly revenue needed; a $500B gap",
        s.revenue_needed_usd,
        s.revenue_needed_usd,
        s.revenue_needed_usd,
        "USD/yr",
        (
            _src(
                "sequoia-nvidia-dc-run-rate",
                "sequoia-gpu-share-of-dc-cost",
                "sequoia-end-user-gross-margin",
                "sequoia-named-ai-revenue",
            ),
        ),
        judge(*_claimed("sequoia-question"), s.revenue_needed_usd, s.revenue_needed_usd),
        f"$150B × 2 × 2 = ${s.revenue_needed_usd / 1e9:.0f}B; minus the named AI "
        f"revenues, a gap of ${s.revenue_gap_usd / 1e9:.0f}B (Cahn rounds to $500B)",
    )


@claim
def jest() -> Claim:
    from combien.training.estimate import estimate

    base = estimate(model="gpt-3", location="US")
    lean = estimate(model="gpt-3", location="US", efficiency=10)
    ratio = need(lean.energy_kwh).value / need(base.energy_kwh).value
    return Claim(
        "jest",
        "JEST could cut the computation needed tenfold",
        ratio,
        ratio,
        ratio,
        "energy of the run ÷ energy without the method",
        (
            "efficiency scenario on GPT-3's training run: 10× less compute, no overhead "
            "stated (--efficiency-overhead adds the scoring model's share)",
            "Evans et al. 2024, arXiv:2406.17711: 'up to 13× fewer iterations and 10× "
            "less computation' for image–text contrastive pretraining",
        ),
        PARTLY,
        "a run with 10× less compute costs 10× less energy, carbon, water and money; "
        "the paper shows it for image–text pretraining (overhead counted), not for "
        "language models",
    )


@claim
def jean_zay_heat() -> Claim:
    heat, homes = _fact("jean-zay-heat-mwh-per-year"), _fact("heat-use-per-new-dwelling-mwh")
    per_home = [homes.value, homes.high or homes.value]
    computed = [heat.value / h for h in per_home]
    return Claim(
        "jean-zay-heat",
        "Jean Zay's heat warms 1,000 homes on the Saclay plateau",
        computed[0],
        min(computed),
        max(computed),
        "homes (yearly heat use)",
        (
            _src("jean-zay-heat-mwh-per-year"),
            f"heat-use-per-new-dwelling-mwh: {homes.value}–{homes.high} MWh/yr — {homes.source}",
        ),
        judge(
            _fact("jean-zay-homes").value,
            1.5 * _fact("jean-zay-homes").value,
            min(computed),
            max(computed),
        ),
        f"{heat.value:,.0f} MWh/yr ÷ {homes.value}–{homes.high} MWh per new dwelling ≈ "
        f"{min(computed):,.0f}–{max(computed):,.0f} homes; about 360 average French "
        "homes (11 MWh each)",
    )


LI_SITES = ("us-average", "washington", "ireland")


def _li_site(site: str) -> tuple[str, float, float, float]:
    """(name, PUE, WUE, EWIF) of one of Li et al.'s data centres (facts.csv)."""
    pue, wue, ewif = (_fact(f"li-{site}-{k}").value for k in ("pue", "wue", "ewif"))
    return site, pue, wue, ewif


@claim
def water_per_queries() -> Claim:
    from combien.serving.infer import infer

    energy = _fact("li-gpt3-request-kwh").value
    per_bottle = {
        name: infer(
            request_energy_kwh=energy, pue=pue, wue=wue, ewif=ewif, samples=100
        ).requests_per_500ml.value
        for name, pue, wue, ewif in (_li_site(site) for site in LI_SITES)
    }
    values = list(per_bottle.values())
    return Claim(
        "water-per-queries",
        "20–50 questions to GPT-3 use a 500 ml bottle",
        per_bottle["us-average"],
        min(values),
        max(values),
        "requests per 500 mL",
        (
            f"li-gpt3-request-kwh: {energy} kWh per request — "
            f"{_fact('li-gpt3-request-kwh').source}",
            "water = E × (WUE + PUE × EWIF) at Li et al.'s U.S.-average, Washington and "
            "Ireland data centres (Table 1)",
        ),
        judge(20, 50, per_bottle["us-average"], per_bottle["us-average"]),
        f"{per_bottle['us-average']:.1f} requests per 500 mL on U.S. average, from "
        f"{min(values):.1f} to {max(values):.1f} by location (the paper now says 10–50)",
    )


@claim
def gpt3_training_water() -> Claim:
    from combien.training.estimate import estimate

    _, pue, wue, ewif = _li_site("us-average")
    energy = _fact("patterson-gpt3-energy-kwh").value
    bill = estimate(it_energy_kwh=energy, pue=pue, wue=wue, ewif=ewif)
    total = need(bill.water_total_l)
    published = _fact("li-gpt3-training-water-l").value
    return Claim(
        "gpt3-training-water",
        "(context) GPT-3's training used ~5.4 million litres",
        total.value,
        total.low,
        total.high,
        "L",
        (
            "1,287 MWh (Patterson et al. 2021), WUE 0.55, PUE 1.17, EWIF 3.142 L/kWh "
            "(Li et al. Table 1, U.S. average)",
        ),
        judge(published * 0.99, published * 1.01, total.low, total.high),
        f"on-site {quantity(need(bill.water_onsite_l).value, 'L')} + off-site "
        f"{quantity(need(bill.water_offsite_l).value, 'L')} = {quantity(total.value, 'L')}",
    )


@claim
def water_2027() -> Claim:
    from combien.field.sector import sector

    s = sector()
    w, c = s.water_withdrawal_m3, s.water_consumption_m3
    return Claim(
        "water-2027",
        "4–6.5 billion m³ of fresh water by 2027, 4–6× Denmark",
        w.value,
        w.low,
        w.high,
        "m³ of withdrawal per year",
        (
            "de Vries 2023 server shipments × power × 8,760 h, PUE 1.1",
            _src(
                "li-withdrawal-onsite-l-per-kwh",
                "li-withdrawal-offsite-l-per-kwh",
                "denmark-water-withdrawal-m3",
            ),
        ),
        PARTLY,
        f"{w.low / 1e9:.1f}–{w.high / 1e9:.1f} billion m³ withdrawn "
        f"({s.withdrawal_denmark_multiple.low:.1f}–"
        f"{s.withdrawal_denmark_multiple.high:.1f}× Denmark), but only "
        f"{c.low / 1e9:.2f}–{c.high / 1e9:.2f} billion m³ consumed: the article calls "
        "withdrawal 'consumption'",
    )


@claim
def ai_energy_2027() -> Claim:
    from combien.field.sector import sector

    e = sector().energy_twh
    published = _fact("devries-twh-2027")
    return Claim(
        "ai-energy-2027",
        "(basis) AI servers could use 85–134 TWh a year by 2027",
        e.value,
        e.low,
        e.high,
        "TWh per year",
        (_src("devries-servers-2027", "devries-dgx-a100-kw", "devries-dgx-h100-kw"),),
        judge(published.low or 0, published.high or 0, e.low, e.high),
        f"1.5M servers × 6.5–10.2 kW × 8,760 h = {e.low:.1f}–{e.high:.1f} TWh, at full "
        "power all year (an upper bound)",
    )


@claim
def dlc_savings() -> Claim:
    facilities = catalog.facilities()
    dlc, air, hyper = (facilities.get(f) for f in ("dlc", "air-cooled", "hyperscale"))
    saving = 1 - dlc.pue / air.pue
    low, high = 1 - dlc.pue_high / air.pue_low, 1 - dlc.pue_low / air.pue_high
    vs_hyper = 1 - dlc.pue / hyper.pue
    claimed = _fact("dlc-energy-saving-claim")
    return Claim(
        "dlc-savings",
        "direct liquid cooling could cut energy costs 20–30%",
        saving,
        low,
        high,
        "share of facility energy saved",
        (
            f"facilities:dlc PUE {dlc.pue} ({dlc.pue_low}–{dlc.pue_high}) vs air-cooled "
            f"{air.pue} ({air.pue_low}–{air.pue_high}) — {dlc.source}",
            f"dlc-energy-saving-claim: {claimed.source}",
        ),
        PARTLY,
        f"{saving:.0%} less facility energy than an air-cooled site, but "
        f"{vs_hyper:.0%} against a hyperscale one (PUE {hyper.pue}): it holds only "
        "against inefficient air cooling",
    )


@claim
def microsoft_emissions() -> Claim:
    total = _fact("microsoft-emissions-change-vs-2020")
    return Claim(
        "microsoft-emissions",
        "Microsoft's CO2 emissions rose 29% (2022→2023)",
        total.value,
        total.value,
        total.value,
        "change in total emissions",
        (
            _src(
                "microsoft-emissions-change-vs-2020",
                "microsoft-scope12-change",
                "microsoft-scope3-change",
            ),
        ),
        FACT,
        "+29.1% in FY2023 against the 2020 baseline, not 2022→2023; scope 1+2 fell "
        "6.3%, scope 3 rose 30.9%",
    )


@claim
def tmi_nuclear() -> Claim:
    from combien.training.estimate import estimate

    grid = need(estimate(model="gpt-3", location="US").co2e_operational_kg)
    nuclear = need(estimate(model="gpt-3", location="US", energy="nuclear").co2e_operational_kg)
    return Claim(
        "tmi-nuclear",
        "Three Mile Island restarted for Microsoft by 2028",
        _fact("tmi-unit1-mw").value,
        _fact("tmi-unit1-mw").value,
        _fact("tmi-unit1-mw").value,
        "MW (Unit 1)",
        (
            _src("tmi-unit1-mw", "tmi-online-year"),
            f"scenario: GPT-3's training on nuclear power emits "
            f"{quantity(nuclear.value, 'kg')} instead of {quantity(grid.value, 'kg')} on the "
            "U.S. grid",
        ),
        FACT,
        "a 20-year power purchase agreement for the 835 MW Unit 1 (Crane Clean Energy "
        "Center), online 2028; nuclear cuts a run's operational carbon about "
        f"{grid.value / nuclear.value:.0f}-fold but not its water",
    )


def check_claims(ids: list[str] | None = None) -> list[Claim]:
    """Recompute the claims (all, or those named), in claims.md order."""
    from combien.errors import UnknownNameError

    wanted = ids or list(CLAIMS)
    for name in wanted:
        if name not in CLAIMS:
            raise UnknownNameError("claim", name, [c for c in CLAIMS if name in c][:3])
    return [CLAIMS[name]() for name in wanted]


def to_json(claims: list[Claim]) -> str:
    import json

    return json.dumps(
        {"schema": SCHEMA, "claims": [c.to_dict() for c in claims]}, indent=2, ensure_ascii=False
    )
