"""Where a run happens and what it pays there: the site, price and embodied assumptions.

The first half of resolving a run (`resolve.py` adds compute and power): grid and water
intensity of the location (or of one energy source), the facility's PUE and WUE, electricity and
cloud prices, hardware prices and embodied carbon — each with its origin and source.
"""

from __future__ import annotations

import statistics
from datetime import date

from combien.data import catalog
from combien.errors import InputError
from combien.provenance import Assumption, Assumptions, Caveat
from combien.resolve.spec import TrainingRun

USER = "user"
_WORKLOAD = {"params", "active_params", "tokens", "flop"}
_EXECUTION = {"chips", "days", "chip_hours", "hardware", "mfu", "precision"}


def default_assumption(
    name: str, unit: str | None = None, *, upper: float | None = None
) -> Assumption:
    row = catalog.default(name)
    return Assumption(
        row.value,
        unit or row.unit,
        f"defaults:{row.id} — {row.source}",
        "default",
        row.low,
        row.high,
        upper,
    )


def scaled_assumption(value: float, rel: str, unit: str, source: str, origin: str) -> Assumption:
    """A value with the relative 90% range of defaults row `rel`."""
    row = catalog.default(rel)
    low = value * row.low if row.low is not None else None
    high = value * row.high if row.high is not None else None
    return Assumption(value, unit, source, origin, low, high)


def parse_date(text: str) -> date:
    return date.fromisoformat(text if len(text) > 7 else text + "-01")


class SiteResolver:
    """Resolution state and helpers, and the site, price and embodied stages."""

    def __init__(self, run: TrainingRun) -> None:
        self.run = run
        self.given = run.given() - {"samples", "seed"}
        self.values: dict[str, Assumption] = {}
        self.labels: dict[str, str] = {}
        self.warnings: list[Caveat] = []
        self.preset = catalog.models().get(run.model) if run.model else None
        self.convention = catalog.conventions().get(run.convention or "full")
        self.labels["convention"] = self.convention.id
        if self.preset:
            self.labels["model"] = self.preset.id

    # ------------------------------------------------------------ helpers

    def warn(self, code: str, message: str) -> None:
        self.warnings.append(Caveat(code, message))

    def field(self, name: str) -> tuple[object, str] | None:
        """A user value, else the preset's (unless made stale by the user's other inputs)."""
        if name in self.given:
            return getattr(self.run, name), USER
        if self.preset is None:
            return None
        stale = set()
        if self.given & _WORKLOAD:
            stale |= {"flop", "chip_hours", "days"}
        if self.given & _EXECUTION:
            stale |= {"chip_hours", "days"}
        value = getattr(self.preset, name, None)
        if value is None or value == "" or name in stale:
            return None
        return value, "preset"

    def number(self, name: str) -> tuple[float, str] | None:
        got = self.field(name)
        return (float(got[0]), got[1]) if got else None  # type: ignore[arg-type]

    def source_of(self, origin: str) -> str:
        if origin == USER:
            return USER
        assert self.preset is not None
        return f"models:{self.preset.id} — {self.preset.source}"

    def put(
        self,
        name: str,
        value: float,
        unit: str,
        origin: str,
        source: str | None = None,
    ) -> None:
        self.values[name] = Assumption(value, unit, source or self.source_of(origin), origin)

    def prefers(self, *names: str) -> str | None:
        return next((p for p in self.run.prefer if p in names), None)

    # ------------------------------------------------------------ stages
    def build_site(self) -> Assumptions:
        """Only what the site and the hardware give: PUE, WUE, grid, water, prices, embodied."""
        hw = self.hardware()
        self.site()
        self.embodied(hw)
        self.money(hw)
        return Assumptions(self.values, self.labels, tuple(self.warnings))

    def hardware(self) -> catalog.Hardware | None:
        got = self.field("hardware")
        if not got:
            return None
        hw = catalog.hardware().get(str(got[0]))
        self.labels["hardware"] = hw.id
        return hw

    def site(self) -> None:
        got = self.field("location")
        if got:
            loc = catalog.locations().get(str(got[0]))
        else:
            loc = catalog.locations().get("WORLD")
            self.warn(
                "no-location",
                "no location given: the world-average grid and water "
                "intensity are used — pass --location (e.g. US-IA, FR, aws:us-east-1)",
            )
        self.labels["location"] = loc.id
        self.facility(loc)
        if self.run.energy:
            self.energy_source(self.run.energy)
        else:
            self.location_value(loc, "grid", "grid_gco2e_per_kwh", "gCO2e/kWh", "grid_rel")
            self.location_value(loc, "ewif", "ewif_l_per_kwh", "L/kWh", "ewif_rel")
        if not self.location_value(
            loc, "price_kwh", "price_usd_per_kwh", "USD/kWh", "price_kwh_rel"
        ):
            fallback = catalog.default("price_usd_per_kwh_fallback")
            self.values["price_usd_per_kwh"] = scaled_assumption(
                fallback.value,
                "price_kwh_rel",
                "USD/kWh",
                f"defaults:{fallback.id} — {fallback.source}",
                "default",
            )
            self.warn(
                "default-price-kwh",
                f"no electricity price for {loc.id}: "
                f"${fallback.value}/kWh ({fallback.source}) is used — pass --price-kwh",
            )

    def energy_source(self, name: str) -> None:
        """Carbon and water intensity of one source of electricity (a scenario)."""
        src = catalog.energy_sources().get(name)
        self.labels["energy"] = src.id
        where = f"energy_sources:{src.id} — {src.source}"
        for flag_name, key, unit, value, low, high in (
            (
                "grid",
                "grid_gco2e_per_kwh",
                "gCO2e/kWh",
                src.gco2e_per_kwh,
                src.gco2e_low,
                src.gco2e_high,
            ),
            ("ewif", "ewif_l_per_kwh", "L/kWh", src.ewif_l_per_kwh, src.ewif_low, src.ewif_high),
        ):
            if flag_name in self.given:
                self.put(key, float(getattr(self.run, flag_name)), unit, USER)
            else:
                self.values[key] = Assumption(value, unit, where, "catalog", low, high)

    def location_value(
        self, loc: catalog.Location, flag_name: str, name: str, unit: str, rel: str
    ) -> bool:
        if flag_name in self.given:
            self.put(name, float(getattr(self.run, flag_name)), unit, USER)
            return True
        found = catalog.location_value(loc, name)
        if found is None:
            return False
        year = f" {found.year}" if found.year else ""
        self.values[name] = scaled_assumption(
            found.value, rel, unit, f"locations:{found.from_id}{year} — {found.source}", "catalog"
        )
        return True

    def facility(self, loc: catalog.Location) -> None:
        conv = self.convention
        fac_name = self.run.facility
        fac = catalog.facilities().get(fac_name) if fac_name else None
        if fac:
            self.labels["facility"] = fac.id
        for name, flag_name, conv_value in (
            ("pue", "pue", conv.pue),
            ("wue_l_per_kwh", "wue", None),
        ):
            unit = "×" if name == "pue" else "L/kWh"
            operator = catalog.location_value(loc, name) if loc.kind == "cloud-region" else None
            if flag_name in self.given:
                self.put(name, float(getattr(self.run, flag_name)), unit, USER)
            elif conv_value is not None:
                self.values[name] = Assumption(
                    conv_value, unit, f"conventions:{conv.id} — {conv.source}", "default"
                )
            elif fac is None and operator is not None:
                rel = "pue_operator_rel" if name == "pue" else "wue_operator_rel"
                self.values[name] = scaled_assumption(
                    operator.value, rel, unit, f"locations:{loc.id} — {operator.source}", "catalog"
                )
            else:
                preset = fac or catalog.facilities().get("typical")
                self.labels.setdefault("facility", preset.id)
                low, high = (
                    (preset.pue_low, preset.pue_high)
                    if name == "pue"
                    else (preset.wue_low, preset.wue_high)
                )
                value = preset.pue if name == "pue" else preset.wue_l_per_kwh
                self.values[name] = Assumption(
                    value, unit, f"facilities:{preset.id} — {preset.source}", "catalog", low, high
                )
        if self.labels.get("facility") == "typical":
            self.warn(
                "default-facility",
                "facility unknown: PUE and WUE of a typical data "
                "centre are used — pass --facility (hyperscale, enterprise, dlc, ...), "
                "--pue/--wue, or a cloud region as --location",
            )

    def embodied(self, hw: catalog.Hardware | None) -> None:
        if hw is None:
            return
        self.values["embodied_kgco2e"] = Assumption(
            hw.embodied_kgco2e,
            "kgCO2e",
            f"hardware:{hw.id} — {hw.source}",
            "catalog",
            hw.embodied_kgco2e_low,
            hw.embodied_kgco2e_high,
        )
        self.values["embodied_lifetime_years"] = default_assumption("embodied_lifetime_years")
        self.values["hours_per_year"] = default_assumption("hours_per_year")

    def money(self, hw: catalog.Hardware | None) -> None:
        if "price_hour" in self.given:
            self.put("price_usd_per_hour", float(self.run.price_hour or 0), "USD/h", USER)
        elif hw is not None:
            self.cloud_price(hw)
        if hw is None:
            return
        if hw.price_usd is None:
            self.warn(
                "no-hardware-price",
                f"no purchase price for {hw.id}: ownership and upfront costs are not computed",
            )
            return
        price = hw.price_usd
        basis = f"{hw.price_basis} price {hw.price_date}"
        if hw.price_basis in ("unit", "equivalent"):
            mult = hw.server_cost_multiplier or catalog.default("server_cost_multiplier").value
            price *= mult
            basis += f" × server cost multiplier {mult:g}"
        rel = "hardware_price_rel_tpu" if hw.kind == "tpu" else "hardware_price_rel_gpu"
        self.values["server_price_usd"] = scaled_assumption(
            price, rel, "USD", f"hardware:{hw.id} ({basis}) — {hw.source}", "catalog"
        )
        self.values["price_performance_ooms_per_year"] = default_assumption(
            "price_performance_ooms_per_year"
        )
        self.values["interconnect_cost_fraction"] = default_assumption("interconnect_cost_fraction")
        self.values.setdefault("hours_per_year", default_assumption("hours_per_year"))
        start = self.start_date()
        if start and hw.price_date:
            years = (start - parse_date(hw.price_date)).days / 365.25
            if years > 0:
                self.values["years_since_price"] = Assumption(
                    years,
                    "yr",
                    f"training start {start.isoformat()} − price date {hw.price_date}",
                    "derived",
                )

    def start_date(self) -> date | None:
        if self.run.start:
            return parse_date(self.run.start)
        if self.preset and self.preset.date and not (self.given & (_WORKLOAD | _EXECUTION)):
            lag = catalog.default("acquisition_lag_days").value
            days = (self.preset.days or 0) + lag
            published = parse_date(self.preset.date)
            return date.fromordinal(published.toordinal() - round(days))
        return None

    def cloud_price(self, hw: catalog.Hardware) -> None:
        provider = self.run.provider
        loc_id = self.labels.get("location")
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
            self.warn(
                "no-cloud-price",
                f"no cloud price for {hw.id}{where}: the cloud cost is "
                "not computed — pass --price-hour",
            )
            return
        commitment = self.run.commitment or "3y"
        chosen = [(p, v) for p in rows if (v := p.price(commitment)) is not None]
        if not chosen:
            self.warn(
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
        central = statistics.median(v for _, v in chosen)
        offers = ", ".join(f"{p.provider} {p.offer} {p.as_of}" for p, _ in chosen)
        self.labels["commitment"] = commitment
        if provider:
            self.labels["provider"] = provider
        source = (
            f"cloud_prices: median {commitment} price of {len(chosen)} offers ({offers}); "
            "range over all listed prices — " + "; ".join(sorted({p.source for p, _ in chosen}))
        )
        if min(every) < max(every):
            self.values["price_usd_per_hour"] = Assumption(
                central, "USD/h", source, "catalog", min(every), max(every)
            )
        else:
            self.values["price_usd_per_hour"] = scaled_assumption(
                central, "cloud_price_rel", "USD/h", source, "catalog"
            )


def resolve_site(run: TrainingRun) -> Assumptions:
    """The site, price and embodied assumptions of a run's hardware and location, alone."""
    return SiteResolver(run).build_site()
