"""Each claim's computation over the public API (estimate, infer, trends, sector, the catalog),
and `check_claims`, which judges them by their rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from combien.data import catalog
from combien.errors import DataError, UnknownNameError
from combien.field.claims.results import Claim, ClaimSet, Finding
from combien.field.claims.rules import ClaimRule, fact_range, judge, rules
from combien.units import KWH_PER_MWH, MICRO, count, quantity

if TYPE_CHECKING:
    from combien.field.sector import Sector
    from combien.results.bill import Line

#: display scale: USD or m³ → billions
PER_BILLION = 1e-9


def check_claims(ids: list[str] | None = None) -> ClaimSet:
    """Recompute the claims (all, or those named), in claims.csv order."""
    table = {rule.id: rule for rule in rules()}
    wanted = ids or list(table)
    for name in wanted:
        if name not in table:
            raise UnknownNameError("claim", name, [c for c in table if name in c][:3])
    return ClaimSet(tuple(_checked(table[name]) for name in wanted))


def _checked(rule: ClaimRule) -> Claim:
    compute = CHECKS.get(rule.id)
    if compute is None:
        raise DataError(f"claims.csv: no computation for the claim {rule.id!r}")
    found = compute(rule)
    if rule.checked_against == "computed":
        checked = found.range
    else:
        checked = fact_range(catalog.fact(rule.checked_against.removeprefix("facts:")))
    value, low, high = found.range
    return Claim(
        rule=rule,
        value=value,
        low=low,
        high=high,
        unit=found.unit,
        assumptions=found.assumptions,
        verdict=judge(rule, *checked),
        reason=found.reason,
        checked=checked,
    )


#: claim id → the function that computes combien's range for it
CHECKS: dict[str, Callable[[ClaimRule], Finding]] = {}


def _computes(func: Callable[[ClaimRule], Finding]) -> Callable[[ClaimRule], Finding]:
    CHECKS[func.__name__.lstrip("_").replace("_", "-")] = func
    return func


def _need(line: Line | None) -> Line:
    """A bill line that the claim's inputs always produce."""
    if line is None:
        raise DataError("a claim's computation produced no value — check its inputs")
    return line


def _src(*names: str) -> str:
    return "; ".join(f"{n}: {catalog.fact(n).source}" for n in names)


def _usd(value: float) -> str:
    return quantity(value, "USD")


def _short(amount: float) -> str:
    """A round amount as it is written: 1.5e6 → '1.5M', 1e10 → '10B'."""
    for scale, suffix in ((PER_BILLION, "B"), (MICRO, "M")):
        if abs(amount * scale) >= 1:
            return f"{amount * scale:g}{suffix}"
    return f"{amount:g}"


def _chip(model_id: str) -> str:
    """The short name of a preset's accelerator (its first alias in hardware.csv)."""
    return catalog.hardware().get(catalog.models().get(model_id).hardware or "").aliases[0]


def _preset_inputs(model_id: str) -> str:
    """A preset's run as Epoch AI estimated it: FLOP, chips, days (models.csv)."""
    m = catalog.models().get(model_id)
    return (
        f"Epoch AI's inputs (speculative): {count(m.flop)} FLOP, {count(m.chips)} "
        f"{_chip(model_id)}, {m.days or 0:.0f} days"
    )


def _sector_input(s: Sector, name: str) -> float:
    return float(s.inputs[name]["value"])


@_computes
def _cost_growth(rule: ClaimRule) -> Finding:
    from combien.field.trends import trends

    g = trends(2016).cost_ownership
    epoch = catalog.fact("epoch-cost-growth")
    _, e_low, e_high = fact_range(epoch)
    return Finding(
        (g.value, g.low, g.high),
        "× per year",
        (
            f"{g.n} frontier runs with known hardware, ownership cost (Epoch AI method A)",
            "OLS of log10(cost) on date, bootstrap 90% interval",
            f"Epoch AI: {epoch.value}× ({e_low}–{e_high}) — {epoch.source}",
        ),
        f"combien's catalog gives {g.value:.2f}× a year ({g.low:.2f}–{g.high:.2f}) against "
        f"Epoch AI's {epoch.value}× ({e_low}–{e_high}); growth is faster since 2018 "
        "(methodology §11)",
    )


@_computes
def _gpt4_cost(rule: ClaimRule) -> Finding:
    from combien.training.estimate import estimate

    bill = estimate(model="gpt-4")
    cloud, own = _need(bill.cost_cloud_usd), _need(bill.cost_ownership_usd)
    upfront = _need(bill.cost_hardware_capex_usd)
    return Finding(
        (cloud.value, cloud.low, cloud.high),
        "USD (cloud rental)",
        (
            _preset_inputs("gpt-4"),
            f"ownership (amortised + energy): {_usd(own.value)}; upfront cluster: "
            f"{_usd(upfront.value)}",
            _src("aiindex-gpt4-cloud-usd", "epoch-gpt4-amortized-usd"),
        ),
        f"the final run costs {_usd(cloud.value)} at cloud prices (range "
        f"${cloud.low * MICRO:.0f}–{cloud.high * MICRO:.0f}M) and {_usd(own.value)} to an owner: "
        f"over ${_short(rule.stated_low)} only at the upper end of rental prices, or counting the "
        "hardware bought",
    )


@_computes
def _gemini_cost(rule: ClaimRule) -> Finding:
    from combien.training.estimate import estimate

    bill = estimate(model="gemini-ultra")
    cloud, own = _need(bill.cost_cloud_usd), _need(bill.cost_ownership_usd)
    chip = _chip("gemini-ultra")
    return Finding(
        (cloud.value, cloud.low, cloud.high),
        "USD (cloud rental)",
        (
            _preset_inputs("gemini-ultra"),
            f"ownership: {_usd(own.value)}",
            _src("aiindex-gemini-cloud-usd", "epoch-gemini-amortized-usd"),
        ),
        f"{_usd(cloud.value)} at Google Cloud's committed {chip} price; an owner pays "
        f"{_usd(own.value)} (Epoch: ${_short(catalog.fact('epoch-gemini-amortized-usd').value)})",
    )


@_computes
def _gpu_price(rule: ClaimRule) -> Finding:
    from combien.training.estimate import estimate

    price = estimate(hardware="h100-sxm", chip_hours=1, samples=2000).inputs["server_price_usd"]
    analyst = catalog.fact("h100-price-analyst-usd")
    dgx, gpus = catalog.fact("dgx-h100-price-usd"), catalog.fact("dgx-h100-gpus")
    _, alone_low, alone_high = fact_range(analyst)
    return Finding(
        (price.value, price.low or 0, price.high or 0),
        "USD per H100 (server-inclusive)",
        (
            f"hardware:h100-sxm — {catalog.hardware().get('h100-sxm').source}",
            _src("h100-price-analyst-usd", "dgx-h100-price-usd", "dgx-h100-gpus"),
        ),
        f"an H100 sells for ${alone_low:,.0f}–{alone_high:,.0f} alone and about "
        f"${dgx.value / gpus.value:,.0f} as one of the {gpus.value:.0f} GPUs of a DGX server",
    )


@_computes
def _amodei_trajectory(rule: ClaimRule) -> Finding:
    from combien.field.trends import trends

    quote, now = catalog.fact("amodei-2025-2027-usd"), catalog.fact("amodei-now-usd")
    _, first, last = fact_range(quote)
    crossings = {float(k): v for k, v in trends(2016).crossings().items()}
    if first not in crossings:
        raise DataError(f"trends computes no crossing of ${_short(first)}")
    crossing = crossings[first]
    now_year = int(now.as_of[:4])
    needed = (first / now.value) ** (1 / (rule.stated_high - now_year))
    return Finding(
        (crossing["value"], crossing["low"], crossing["high"]),
        f"year the largest run reaches ${_short(first)}",
        ("the largest costed run grows at the fitted ownership-cost rate", _src(quote.id)),
        f"at the fitted rate the largest run reaches ${_short(first)} around "
        f"{crossing['value']:.0f} and ${_short(last)} later: ${first * PER_BILLION:.0f}–"
        f"{last * PER_BILLION:.0f}B by {rule.stated_high:.0f} needs growth of ≥ {needed:.1f}× "
        f"a year from ${_short(now.value)} in {now_year}",
    )


@_computes
def _revenue_gap(rule: ClaimRule) -> Finding:
    from combien.field.sector import sector

    s = sector()
    capex = _sector_input(s, "dc_capex_usd")
    gpu_share, margin = _sector_input(s, "gpu_share"), _sector_input(s, "gross_margin")
    cahn_gap = catalog.fact("sequoia-revenue-gap-usd").value
    return Finding(
        (s.revenue_needed_usd, s.revenue_needed_usd, s.revenue_needed_usd),
        "USD/yr",
        (
            _src(
                "sequoia-nvidia-dc-run-rate",
                "sequoia-gpu-share-of-dc-cost",
                "sequoia-end-user-gross-margin",
                "sequoia-named-ai-revenue",
                "sequoia-revenue-gap-usd",
            ),
        ),
        f"${capex * PER_BILLION:.0f}B × {1 / gpu_share:g} × {1 / (1 - margin):g} = "
        f"${s.revenue_needed_usd * PER_BILLION:.0f}B; minus the named AI revenues, a gap of "
        f"${s.revenue_gap_usd * PER_BILLION:.0f}B (Cahn rounds to "
        f"${cahn_gap * PER_BILLION:.0f}B)",
    )


@_computes
def _jest(rule: ClaimRule) -> Finding:
    from combien.training.estimate import estimate

    factor = catalog.fact("jest-compute-reduction")
    base = estimate(model="gpt-3", location="US")
    lean = estimate(model="gpt-3", location="US", efficiency=factor.value)
    ratio = _need(lean.energy_kwh).value / _need(base.energy_kwh).value
    return Finding(
        (ratio, ratio, ratio),
        "energy of the run ÷ energy without the method",
        (
            f"efficiency scenario on GPT-3's training run: {factor.value:g}× less compute, no "
            "overhead stated (--efficiency-overhead adds the scoring model's share)",
            f"{factor.id}: {factor.claim.rstrip('.')} ({rule.checked_basis}) — {factor.source}",
        ),
        f"a run with {factor.value:g}× less compute costs {1 / ratio:.0f}× less energy, carbon, "
        f"water and money; the paper shows it for {rule.checked_basis} (overhead counted), not "
        f"for {rule.basis}",
    )


@_computes
def _jean_zay_heat(rule: ClaimRule) -> Finding:
    heat = catalog.fact("jean-zay-heat-mwh-per-year")
    new, average = (
        catalog.fact("heat-use-per-new-dwelling-mwh"),
        catalog.fact("heat-use-per-dwelling-fr-mwh"),
    )
    new_high = fact_range(new)[2]
    homes = [heat.value / new.value, heat.value / new_high]
    average_homes = float(f"{heat.value / average.value:.2g}")  # "about": two figures
    return Finding(
        (homes[0], min(homes), max(homes)),
        "homes (yearly heat use)",
        (
            _src(heat.id),
            f"{new.id}: {new.value}–{new_high} MWh/yr — {new.source}",
        ),
        f"{heat.value:,.0f} MWh/yr ÷ {new.value}–{new_high} MWh per new dwelling ≈ "
        f"{min(homes):,.0f}–{max(homes):,.0f} homes; about {average_homes:,.0f} average French "
        f"homes ({average.value:.0f} MWh each)",
    )


LI_SITES = ("us-average", "washington", "ireland")


def _li_site(site: str) -> tuple[str, float, float, float]:
    """(name, PUE, WUE, EWIF) of one of Li et al.'s data centres (facts.csv)."""
    pue, wue, ewif = (catalog.fact(f"li-{site}-{k}").value for k in ("pue", "wue", "ewif"))
    return site, pue, wue, ewif


@_computes
def _water_per_queries(rule: ClaimRule) -> Finding:
    from combien.serving.infer import infer

    request = catalog.fact("li-gpt3-request-kwh")
    per_bottle = {
        name: _need(
            infer(
                request_energy_kwh=request.value, pue=pue, wue=wue, ewif=ewif, samples=100
            ).requests_per_500ml
        ).value
        for name, pue, wue, ewif in (_li_site(site) for site in LI_SITES)
    }
    values = list(per_bottle.values())
    _, now_low, now_high = fact_range(catalog.fact("li-responses-per-500ml"))
    return Finding(
        (per_bottle["us-average"], min(values), max(values)),
        "requests per 500 mL",
        (
            f"{request.id}: {request.value} kWh per request — {request.source}",
            "water = E × (WUE + PUE × EWIF) at Li et al.'s U.S.-average, Washington and "
            "Ireland data centres (Table 1)",
            _today("gpt-4o"),
        ),
        f"{per_bottle['us-average']:.1f} requests per 500 mL on U.S. average, from "
        f"{min(values):.1f} to {max(values):.1f} by location (the paper now says "
        f"{now_low:.0f}–{now_high:.0f})",
    )


def _today(model: str) -> str:
    """A served model of today, on combien's serving model, for comparison."""
    from combien.serving.infer import infer

    bill = infer(model=model, location="US", samples=2000)
    bottle, water = _need(bill.requests_per_500ml), bill.per_request
    onsite, offsite = water["water_onsite_l"].value, water["water_offsite_l"].value
    return (
        f"today, {bill.labels['model']} at its estimated size on {bill.labels['hardware']} "
        f"in the U.S. (combien infer, {bill.samples:,} samples): {bottle.value:.0f} requests "
        f"per 500 mL [{bottle.low:.0f}–{bottle.high:.0f}]; per request "
        f"{quantity(onsite, 'L')} on-site + {quantity(offsite, 'L')} off-site"
    )


@_computes
def _gpt3_training_water(rule: ClaimRule) -> Finding:
    from combien.training.estimate import estimate

    _, pue, wue, ewif = _li_site("us-average")
    energy = catalog.fact("patterson-gpt3-energy-kwh").value
    bill = estimate(it_energy_kwh=energy, pue=pue, wue=wue, ewif=ewif)
    total = _need(bill.water_total_l)
    return Finding(
        (total.value, total.low, total.high),
        "L",
        (
            f"{energy / KWH_PER_MWH:,.0f} MWh (Patterson et al. 2021), WUE {wue}, PUE {pue}, "
            f"EWIF {ewif} L/kWh (Li et al. Table 1, U.S. average)",
        ),
        f"on-site {quantity(_need(bill.water_onsite_l).value, 'L')} + off-site "
        f"{quantity(_need(bill.water_offsite_l).value, 'L')} = {quantity(total.value, 'L')}",
    )


@_computes
def _water_2027(rule: ClaimRule) -> Finding:
    from combien.field.sector import sector

    s = sector()
    w, c, denmark = s.water_withdrawal_m3, s.water_consumption_m3, s.withdrawal_denmark_multiple
    return Finding(
        (w.value, w.low, w.high),
        "m³ of withdrawal per year",
        (
            f"de Vries 2023 server shipments × power × {_sector_input(s, 'hours'):,.0f} h, "
            f"PUE {_sector_input(s, 'pue')}",
            _src(
                "li-withdrawal-onsite-l-per-kwh",
                "li-withdrawal-offsite-l-per-kwh",
                "denmark-water-withdrawal-m3",
            ),
        ),
        f"{w.low * PER_BILLION:.1f}–{w.high * PER_BILLION:.1f} billion m³ withdrawn "
        f"({denmark.low:.1f}–{denmark.high:.1f}× Denmark), but only "
        f"{c.low * PER_BILLION:.2f}–{c.high * PER_BILLION:.2f} billion m³ consumed: the "
        f"article calls {rule.checked_basis} '{rule.basis}'",
    )


@_computes
def _ai_energy_2027(rule: ClaimRule) -> Finding:
    from combien.field.sector import sector

    s = sector()
    e = s.energy_twh
    kw_low, kw_high = _sector_input(s, "server_kw_low"), _sector_input(s, "server_kw_high")
    return Finding(
        (e.value, e.low, e.high),
        "TWh per year",
        (_src("devries-servers-2027", "devries-dgx-a100-kw", "devries-dgx-h100-kw"),),
        f"{_short(_sector_input(s, 'servers'))} servers × {kw_low}–{kw_high} kW × "
        f"{_sector_input(s, 'hours'):,.0f} h = {e.low:.1f}–{e.high:.1f} TWh, at full power all "
        "year (an upper bound)",
    )


@_computes
def _dlc_savings(rule: ClaimRule) -> Finding:
    facilities = catalog.facilities()
    dlc, air, hyper = (facilities.get(f) for f in ("dlc", "air-cooled", "hyperscale"))
    saving = 1 - dlc.pue / air.pue
    low, high = 1 - dlc.pue_high / air.pue_low, 1 - dlc.pue_low / air.pue_high
    vs_hyper = 1 - dlc.pue / hyper.pue
    return Finding(
        (saving, low, high),
        "share of facility energy saved",
        (
            f"facilities:dlc PUE {dlc.pue} ({dlc.pue_low}–{dlc.pue_high}) vs air-cooled "
            f"{air.pue} ({air.pue_low}–{air.pue_high}) — {dlc.source}",
            f"dlc-energy-saving-claim: {catalog.fact('dlc-energy-saving-claim').source}",
        ),
        f"{saving:.0%} less facility energy than an air-cooled site, but {vs_hyper:.0%} against "
        f"a hyperscale one (PUE {hyper.pue}): it holds only against inefficient air cooling",
    )


def _change(fraction: float) -> str:
    return f"{'rose' if fraction > 0 else 'fell'} {abs(fraction):.1%}"


@_computes
def _microsoft_emissions(rule: ClaimRule) -> Finding:
    total = catalog.fact("microsoft-emissions-change-vs-2020")
    scope12, scope3 = (
        catalog.fact("microsoft-scope12-change"),
        catalog.fact("microsoft-scope3-change"),
    )
    return Finding(
        (total.value, total.value, total.value),
        "change in total emissions",
        (_src(total.id, scope12.id, scope3.id),),
        f"{total.value:+.1%} in {rule.checked_basis}, not {rule.basis}; scope 1+2 "
        f"{_change(scope12.value)}, scope 3 {_change(scope3.value)}",
    )


@_computes
def _tmi_nuclear(rule: ClaimRule) -> Finding:
    from combien.training.estimate import estimate

    grid = _need(estimate(model="gpt-3", location="US").co2e_operational_kg)
    nuclear = _need(estimate(model="gpt-3", location="US", energy="nuclear").co2e_operational_kg)
    unit1, online = catalog.fact("tmi-unit1-mw"), catalog.fact("tmi-online-year")
    ppa = catalog.fact("tmi-ppa-years")
    return Finding(
        (unit1.value, unit1.value, unit1.value),
        "MW (Unit 1)",
        (
            _src(unit1.id, online.id, ppa.id),
            f"scenario: GPT-3's training on nuclear power emits "
            f"{quantity(nuclear.value, 'kg')} instead of {quantity(grid.value, 'kg')} on the "
            "U.S. grid",
        ),
        f"a {ppa.value:.0f}-year power purchase agreement for the {unit1.value:.0f} MW Unit 1 "
        f"(Crane Clean Energy Center), online {online.value:.0f}; nuclear cuts a run's "
        f"operational carbon about {grid.value / nuclear.value:.0f}-fold but not its water",
    )
