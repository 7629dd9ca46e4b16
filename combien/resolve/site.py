"""Where a run happens and what it pays there: location, facility, grid and water intensity (or
one energy source), electricity and cloud prices, hardware prices and embodied carbon.

Stages of the one resolver (`resolver.py`), shared by training, serving and measured runs.
"""

from __future__ import annotations

from datetime import date

from combien.data import catalog
from combien.errors import DataError, InputError
from combien.fields import GRID_SCOPES, other_grid_scope
from combien.provenance import Assumption
from combien.resolve.resolver import (
    CATALOG,
    DEFAULT,
    DERIVED,
    EXECUTION,
    USER,
    WORKLOAD,
    Resolver,
    default_assumption,
    scaled_assumption,
)
from combien.resolve.spec import Spec
from combien.units import median, parse_date


def hardware(r: Resolver[Spec]) -> catalog.Hardware | None:
    got = r.field("hardware")
    if not got:
        return None
    hw = catalog.hardware().get(str(got[0]))
    r.labels["hardware"] = hw.id
    return hw


def site(r: Resolver[Spec]) -> None:
    got = r.field("location")
    if got:
        loc = catalog.locations().get(str(got[0]))
    else:
        loc = catalog.locations().get("WORLD")
        r.warn(
            "no-location",
            "no location given: the world-average grid and water "
            "intensity are used — pass --location (e.g. US-IA, FR, aws:us-east-1)",
        )
    r.labels["location"] = loc.id
    start = start_date(r)
    if start:  # the date the grid, the prices and their depreciation are taken at
        r.labels["start"] = start.isoformat()
    facility(r, loc)
    if r.option("energy"):
        energy_source(r, str(r.option("energy")))
    else:
        grid(r, loc)
        location_value(r, loc, "ewif", "ewif_l_per_kwh", "L/kWh", "ewif_rel")
    if not location_value(r, loc, "price_kwh", "price_usd_per_kwh", "USD/kWh", "price_kwh_rel"):
        fallback = catalog.default("price_usd_per_kwh_fallback")
        r.values["price_usd_per_kwh"] = scaled_assumption(
            fallback.value,
            "price_kwh_rel",
            "USD/kWh",
            f"defaults:{fallback.id} — {fallback.source}",
            DEFAULT,
        )
        r.warn(
            "default-price-kwh",
            f"no electricity price for {loc.id}: "
            f"${fallback.value}/kWh ({fallback.source}) is used — pass --price-kwh",
        )


def energy_source(r: Resolver[Spec], name: str) -> None:
    """Carbon and water intensity of one source of electricity (a scenario; the spec refuses
    --grid or --ewif with it)."""
    src = catalog.energy_sources().get(name)
    r.labels["energy"] = src.id
    where = f"energy_sources:{src.id} — {src.source}"
    r.values["grid_gco2e_per_kwh"] = Assumption(
        src.gco2e_per_kwh, "gCO2e/kWh", where, CATALOG, src.gco2e_low, src.gco2e_high
    )
    r.values["ewif_l_per_kwh"] = Assumption(
        src.ewif_l_per_kwh, "L/kWh", where, CATALOG, src.ewif_low, src.ewif_high
    )


def grid(r: Resolver[Spec], loc: catalog.Location) -> None:
    """Grid carbon intensity: the location's figure for the run's start year (the latest
    published without a date), in the scope asked for (lifecycle by default)."""
    if "grid" in r.given:
        r.put("grid_gco2e_per_kwh", float(r.spec.grid or 0), "gCO2e/kWh", USER)
        return
    scope = r.spec.grid_scope or GRID_SCOPES[0]
    start = start_date(r)
    year = start.year if start else None
    found = catalog.grid_intensity(loc, year, scope)
    if found is None:
        raise DataError(f"grid_intensity.csv has no figure for {loc.id} or its parents")
    r.labels["grid_year"] = str(found.year)
    r.labels["grid_scope"] = found.scope
    r.values["grid_gco2e_per_kwh"] = scaled_assumption(
        found.value,
        "grid_rel",
        "gCO2e/kWh",
        f"grid_intensity:{found.from_id} {found.year} {found.scope} — {found.source}",
        CATALOG,
    )
    if year is not None and found.year != year:
        r.warn(
            "grid-year",
            f"no grid intensity of {found.from_id} for {year}: that of {found.year}, the "
            "nearest year published, is used — pass --grid if known",
        )
    if found.converted:
        other = other_grid_scope(scope)
        r.warn(
            "grid-converted",
            f"no {scope} grid intensity of {found.from_id} for {found.year}: its {other} "
            f"figure is converted by a ratio of the two scopes (see its source) — pass --grid "
            "if known",
        )
    elif found.other_scope:
        r.warn(
            "grid-scope",
            f"no {scope} grid intensity for {found.from_id}: its {found.scope} figure is "
            "used — pass --grid or --grid-scope",
        )


def location_value(
    r: Resolver[Spec], loc: catalog.Location, flag_name: str, name: str, unit: str, rel: str
) -> bool:
    if flag_name in r.given:
        r.put(name, float(getattr(r.spec, flag_name)), unit, USER)
        return True
    found = catalog.location_value(loc, name)
    if found is None:
        return False
    year = f" {found.year}" if found.year else ""
    r.values[name] = scaled_assumption(
        found.value, rel, unit, f"locations:{found.from_id}{year} — {found.source}", CATALOG
    )
    return True


def facility(r: Resolver[Spec], loc: catalog.Location) -> None:
    conv = r.convention
    fac_name = r.spec.facility
    fac = catalog.facilities().get(fac_name) if fac_name else None
    if fac:
        r.labels["facility"] = fac.id
    fleet = fleet_pue(r) if fac is None and loc.kind != "cloud-region" else None
    for name, flag_name, conv_value in (
        ("pue", "pue", conv.pue),
        ("wue_l_per_kwh", "wue", None),
    ):
        unit = "×" if name == "pue" else "L/kWh"
        operator = catalog.location_value(loc, name) if loc.kind == "cloud-region" else None
        if flag_name in r.given:
            r.put(name, float(getattr(r.spec, flag_name)), unit, USER)
        elif conv_value is not None:
            r.values[name] = Assumption(
                conv_value, unit, f"conventions:{conv.id} — {conv.source}", DEFAULT
            )
        elif fac is None and operator is not None:
            rel = "pue_operator_rel" if name == "pue" else "wue_operator_rel"
            r.values[name] = scaled_assumption(
                operator.value, rel, unit, f"locations:{loc.id} — {operator.source}", CATALOG
            )
        elif name == "pue" and fleet is not None:
            r.labels["facility"] = f"fleet:{fleet[0].organization.lower()}"
            r.values[name] = scaled_assumption(
                fleet[0].pue, "pue_operator_rel", unit, fleet[1], CATALOG
            )
        else:
            preset = fac or catalog.facilities().get("typical")
            r.labels.setdefault("facility", preset.id)
            low, high = (
                (preset.pue_low, preset.pue_high)
                if name == "pue"
                else (preset.wue_low, preset.wue_high)
            )
            value = preset.pue if name == "pue" else preset.wue_l_per_kwh
            r.values[name] = Assumption(
                value, unit, f"facilities:{preset.id} — {preset.source}", CATALOG, low, high
            )
    if fac is None:
        typical_facility(r, fleet[0] if fleet else None)


def typical_facility(r: Resolver[Spec], fleet: catalog.FleetPue | None) -> None:
    """Warn of what the typical data centre stands in for (the PUE, the WUE or both), and
    say where the other value came from."""
    labels = {"pue": "PUE", "wue_l_per_kwh": "WUE"}
    typical = [n for n in labels if r.values[n].source.startswith("facilities:typical")]
    if not typical:
        return
    if len(typical) == 2:
        used, missing = "PUE and WUE of a typical data centre are used", "--pue/--wue"
    else:
        (other,) = set(labels) - set(typical)
        got = r.values[other]
        origin = (
            "given"
            if got.origin == USER
            else "the convention's"
            if got.source.startswith("conventions:")
            else f"{fleet.organization}'s published fleet figure for {fleet.year}"
            if fleet is not None and got.source.startswith("fleet_pue:")
            else "the cloud region's"
        )
        used = f"the {labels[other]} is {origin}, the {labels[typical[0]]} that of a typical "
        used += "data centre"
        missing = "--pue" if typical == ["pue"] else "--wue"
    r.warn(
        "default-facility",
        f"facility unknown: {used} — pass --facility (hyperscale, enterprise, dlc, ...), "
        f"{missing}, or a cloud region as --location",
    )


def fleet_pue(r: Resolver[Spec]) -> tuple[catalog.FleetPue, str] | None:
    """The published fleet PUE of the operator that trained a preset (fleet_pue.csv), for
    its training year or the nearest year published; and the source that says which."""
    preset = r.run_preset
    if preset is None or not preset.organization:
        return None
    start = start_date(r)
    year = start.year if start else None
    row = catalog.fleet_pue_for(preset.organization, year)
    if row is None:
        return None
    when = (
        f"{row.year}, the training year"
        if row.year == year
        else f"{row.year}, the year published nearest the training year {year}"
        if year is not None
        else f"{row.year}, the latest year published"
    )
    source = (
        f"fleet_pue:{row.organization} {row.year} — {row.organization}'s fleet PUE of {when} "
        f"({preset.organization} trained {preset.id}) — {row.source}"
    )
    return row, source


def embodied(r: Resolver[Spec], hw: catalog.Hardware | None) -> None:
    if hw is None:
        return
    r.values["embodied_kgco2e"] = Assumption(
        hw.embodied_kgco2e,
        "kgCO2e",
        f"hardware:{hw.id} — {hw.source}",
        CATALOG,
        hw.embodied_kgco2e_low,
        hw.embodied_kgco2e_high,
    )
    r.values["embodied_lifetime_years"] = default_assumption("embodied_lifetime_years")
    r.values["hours_per_year"] = default_assumption("hours_per_year")


def money(r: Resolver[Spec], hw: catalog.Hardware | None) -> None:
    if "price_hour" in r.given:
        r.put("price_usd_per_hour", float(r.spec.price_hour or 0), "USD/h", USER)
    elif hw is not None:
        cloud_price(r, hw)
    if hw is None:
        return
    start = start_date(r)
    observed = catalog.prices_at(hw.id, start.isoformat()) if start else ()
    if hw.price_usd is None and not observed:
        r.warn(
            "no-hardware-price",
            f"no purchase price for {hw.id}: ownership and upfront costs are not computed",
        )
        return
    if observed:
        price, price_date, source = dated_price(r, hw, observed)
    else:
        price, words = server_price(hw, hw.price_usd or 0.0, hw.price_basis or "server")
        price_date = hw.price_date or ""
        source = f"hardware:{hw.id} ({hw.price_basis} price {price_date}{words}) — {hw.source}"
    rel = "hardware_price_rel_tpu" if hw.kind == "tpu" else "hardware_price_rel_gpu"
    r.values["server_price_usd"] = scaled_assumption(price, rel, "USD", source, CATALOG)
    r.values["price_performance_ooms_per_year"] = default_assumption(
        "price_performance_ooms_per_year"
    )
    r.values["interconnect_cost_fraction"] = default_assumption("interconnect_cost_fraction")
    r.values.setdefault("hours_per_year", default_assumption("hours_per_year"))
    if start and price_date:
        years = (start - parse_date(price_date)).days / 365.25
        if years > 0:
            r.values["years_since_price"] = Assumption(
                years,
                "yr",
                f"training start {start.isoformat()} − price date {price_date}",
                DERIVED,
            )


def server_price(hw: catalog.Hardware, price: float, basis: str) -> tuple[float, str]:
    """A price as the accelerator's share of its server: a card alone (or a TPU's equivalent
    price) × the server cost multiplier; and the words that say so."""
    if basis in ("unit", "equivalent"):
        mult = hw.server_cost_multiplier or catalog.default("server_cost_multiplier").value
        return price * mult, f" × server cost multiplier {mult:g}"
    return price, ""


def dated_price(
    r: Resolver[Spec], hw: catalog.Hardware, observed: tuple[catalog.PriceObservation, ...]
) -> tuple[float, str, str]:
    """The server price of the observations nearest the training start (their median, as
    shares of a server), their date and their sources."""
    prices = [server_price(hw, o.price_usd, o.basis)[0] for o in observed]
    when = observed[0].date
    start = start_date(r)
    if start and when > start.isoformat():
        r.warn(
            "hardware-price-after-start",
            f"no purchase price of {hw.id} observed before {start.isoformat()[:7]}: the "
            f"first observed, {when}, is used",
        )
    terms = "; ".join(
        f"{o.basis} ${o.price_usd:,.0f}{server_price(hw, o.price_usd, o.basis)[1]}"
        for o in observed
    )
    price = median(prices)
    source = (
        f"hardware_prices:{hw.id} {when}, the price observed nearest before the training start"
        f"{' (median of ' + str(len(prices)) + ')' if len(prices) > 1 else ''}: {terms} — "
        + "; ".join(dict.fromkeys(o.source for o in observed))
    )
    return price, when, source


def start_date(r: Resolver[Spec]) -> date | None:
    start = r.option("start")
    if isinstance(start, str):
        return parse_date(start)
    preset = r.run_preset
    if preset and preset.date and not (r.given & (WORKLOAD | EXECUTION)):
        lag = catalog.default("acquisition_lag_days").value
        days = (preset.days or 0) + lag
        published = parse_date(preset.date)
        return date.fromordinal(published.toordinal() - round(days))
    return None


def prices_of_period(
    rows: list[catalog.CloudPrice], start: str | None
) -> tuple[list[catalog.CloudPrice], str | None]:
    """The price of each offer (provider and offer) at the training start: its observation
    latest on or before `start` (an ISO date); offers first observed after it are left out.
    Without a start, each offer's latest observation. If no offer was observed before the
    start, each offer's first observation, and the start (to warn of); else None."""
    offers: dict[tuple[str, str], list[catalog.CloudPrice]] = {}
    for p in sorted(rows, key=lambda p: p.as_of):
        offers.setdefault((p.provider, p.offer), []).append(p)
    if start is None:
        return [seen[-1] for seen in offers.values()], None
    before = [[p for p in seen if p.as_of <= start] for seen in offers.values()]
    if any(before):
        return [seen[-1] for seen in before if seen], None
    return [seen[0] for seen in offers.values()], start[:7]


def cloud_price(r: Resolver[Spec], hw: catalog.Hardware) -> None:
    provider = r.spec.provider
    loc_id = r.labels.get("location")
    if provider is None and loc_id:
        provider = catalog.locations().get(loc_id).provider
    rows = [p for p in catalog.cloud_prices() if p.hardware == hw.id]
    if provider:
        if not any(p.provider == provider for p in catalog.cloud_prices()):
            known = sorted({p.provider for p in catalog.cloud_prices()})
            raise InputError(
                f"--provider: unknown {provider!r} — use one of {', '.join(known)}",
                field="provider",
            )
        rows = [p for p in rows if p.provider == provider]
    if not rows:
        where = f" at {provider}" if provider else ""
        r.warn(
            "no-cloud-price",
            f"no cloud price for {hw.id}{where}: the cloud cost is "
            "not computed — pass --price-hour",
        )
        return
    start = start_date(r)
    rows, after = prices_of_period(rows, start.isoformat() if start else None)
    if after:
        r.warn(
            "cloud-price-after-start",
            f"no cloud price of {hw.id} observed before {after}: the first observed "
            "prices are used",
        )
    if start is None:
        period = "latest observed"
    elif after:
        period = "first observed, after the start"
    else:
        period = f"observed latest before the start {start.isoformat()[:7]}"
    commitment = r.spec.commitment or "3y"
    chosen = [(p, v) for p in rows if (v := p.price(commitment)) is not None]
    if not chosen:
        r.warn(
            "on-demand-price",
            f"no {commitment} commitment price for {hw.id}: on-demand prices are used",
        )
        commitment = "on-demand"
        chosen = [(p, v) for p in rows if (v := p.price(commitment)) is not None]
    every = [
        v
        for p in rows
        for v in (p.on_demand_usd_per_hour, p.commit_1y_usd_per_hour, p.commit_3y_usd_per_hour)
        if v is not None
    ]
    central = median(v for _, v in chosen)
    offers = ", ".join(f"{p.provider} {p.offer} {p.as_of}" for p, _ in chosen)
    r.labels["commitment"] = commitment
    if provider:
        r.labels["provider"] = provider
    source = (
        f"cloud_prices:{hw.id} {commitment} — median of {len(chosen)} offers, {period} "
        f"({offers}); range over all their listed prices; "
        + "; ".join(sorted({p.source for p, _ in chosen}))
    )
    if min(every) < max(every):
        r.values["price_usd_per_hour"] = Assumption(
            central, "USD/h", source, CATALOG, min(every), max(every)
        )
    else:
        r.values["price_usd_per_hour"] = scaled_assumption(
            central, "cloud_price_rel", "USD/h", source, CATALOG
        )
