"""Resolve: a TrainingRun → Assumptions, filling every unknown from the catalog and saying so.

Precedence, for each input: the user's value > the convention's > the --model preset's > the
location's / facility's > the hardware row's > the method default. Every value records its origin
and source. Contradictory user inputs raise ConflictError unless `prefer` says which wins.
"""

from __future__ import annotations

import dataclasses
import statistics
from datetime import date

from combien import catalog
from combien.assumptions import Assumption, Assumptions, Warning
from combien.engine import compute
from combien.errors import ConflictError, IncompleteError, InputError
from combien.spec import TrainingRun, flag
from combien.units import HOURS_PER_DAY

USER = "user"
_WORKLOAD = {"params", "active_params", "tokens", "flop"}
_EXECUTION = {"chips", "days", "chip_hours", "hardware", "mfu", "precision"}


def _default(name: str, unit: str | None = None, *, upper: float | None = None) -> Assumption:
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


def _scaled(value: float, rel: str, unit: str, source: str, origin: str) -> Assumption:
    """A value with the relative 90% range of defaults row `rel`."""
    row = catalog.default(rel)
    low = value * row.low if row.low is not None else None
    high = value * row.high if row.high is not None else None
    return Assumption(value, unit, source, origin, low, high)


class _Resolver:
    def __init__(self, run: TrainingRun) -> None:
        self.run = run
        self.given = run.given() - {"samples", "seed"}
        self.values: dict[str, Assumption] = {}
        self.labels: dict[str, str] = {}
        self.warnings: list[Warning] = []
        self.preset = catalog.models().get(run.model) if run.model else None
        self.convention = catalog.conventions().get(run.convention or "full")
        self.labels["convention"] = self.convention.id
        if self.preset:
            self.labels["model"] = self.preset.id

    # ------------------------------------------------------------ helpers

    def warn(self, code: str, message: str) -> None:
        self.warnings.append(Warning(code, message))

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

    def build(self) -> Assumptions:
        hw = self.hardware()
        self.compute(hw)
        self.efficiency()
        self.power(hw)
        self.site()
        self.embodied(hw)
        self.money(hw)
        self.heat()
        return Assumptions(self.values, self.labels, tuple(self.warnings))

    def efficiency(self) -> None:
        """Scenario: a method that needs `efficiency` × less compute, plus its own overhead
        (a share of the original compute, e.g. JEST's scoring by a reference model)."""
        if self.run.efficiency is None:
            return
        overhead = self.run.efficiency_overhead or 0.0
        factor = 1 / self.run.efficiency + overhead
        self.values["compute_factor"] = Assumption(
            factor, "×", f"user: 1/{self.run.efficiency:g} + overhead {overhead:g}", "derived"
        )
        for name in ("chip_hours", "flop"):
            if name in self.values:
                a = self.values[name]
                self.values[name] = dataclasses.replace(
                    a,
                    value=a.value * factor,
                    origin="derived",
                    source=f"{a.source} × {factor:.3g} (efficiency scenario)",
                )
        self.labels["scenario"] = f"efficiency ×{self.run.efficiency:g}"

    def heat(self) -> None:
        """Scenario: the share of IT energy recovered as heat, in homes' yearly heat use."""
        if self.run.heat_reuse is None:
            return
        self.put("heat_reuse_fraction", self.run.heat_reuse, "fraction", USER)
        home = catalog.fact("heat-use-per-new-dwelling-mwh")
        self.values["heat_use_per_home_kwh"] = Assumption(
            home.value * 1000,
            "kWh/yr",
            f"facts:{home.id} — {home.source}",
            "catalog",
            home.low * 1000 if home.low else None,
            home.high * 1000 if home.high else None,
        )

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

    def compute(self, hw: catalog.Hardware | None) -> None:
        flop = self.workload_flop()
        chip_hours = self.chip_hours()
        chips = self.number("chips")
        days = self.number("days")
        if chips:
            self.put("chips", chips[0], "count", chips[1])
        elif days and chip_hours is None:
            self.put("wall_hours", days[0] * HOURS_PER_DAY, "h", days[1])
        if chip_hours is None and flop is None:
            if "it_energy_kwh" in self.given:
                return
            raise IncompleteError(
                "not enough to derive compute — give --params and --tokens, --flop, "
                "--chip-hours, or --chips with --days (or --model PRESET)"
            )
        if hw is None:
            if "it_energy_kwh" in self.given:
                return
            raise IncompleteError(
                "no hardware — pass --hardware ID (e.g. h100-sxm); "
                "`combien data hardware` lists them"
            )
        peak = self.peak(hw)
        if chip_hours is not None and flop is not None and peak is not None:
            chip_hours = self.check_mfu(flop, chip_hours, peak)
        if chip_hours is not None:
            return
        assert flop is not None
        if peak is None:
            raise IncompleteError(
                f"{hw.id} has no dense peak at {self.labels['precision']} — pass --precision "
                "with another format, or --chip-hours"
            )
        self.values["peak_flops"] = peak
        self.values["mfu"] = self.mfu(hw)

    def workload_flop(self) -> float | None:
        params, active, tokens = (self.number(n) for n in ("params", "active_params", "tokens"))
        for name, got in (("params", params), ("active_params", active), ("tokens", tokens)):
            if got:
                unit = "tokens" if name == "tokens" else "parameters"
                self.put(name, got[0], unit, got[1])
        flop = self.number("flop")
        n_active = active or params
        if not (n_active and tokens):
            if flop:
                self.put("flop", flop[0], "FLOP", flop[1])
            return flop[0] if flop else None
        k = catalog.default("training_flop_per_param_token")
        six_nd = compute.training_flop(n_active[0], tokens[0], k.value)
        if flop:
            gap = abs(flop[0] - six_nd) / six_nd
            user_both = flop[1] == USER and USER in (n_active[1], tokens[1])
            if gap > self.tolerance and user_both and not self.prefers("flop", "params"):
                raise ConflictError(
                    f"--flop {flop[0]:.3g} and 6·N·D = {six_nd:.3g} (from --params/--tokens) "
                    f"differ by {gap:.0%} — drop one, or pass --prefer flop or --prefer params",
                    fields=("flop", "params"),
                )
            if self.prefers("params") != "params":
                self.put("flop", flop[0], "FLOP", flop[1])
                return flop[0]
        name = "active parameters" if active else "parameters"
        self.put("flop", six_nd, "FLOP", "derived", f"{k.value:g} × {name} × tokens ({k.source})")
        return six_nd

    @property
    def tolerance(self) -> float:
        return catalog.default("consistency_tolerance").value

    def chip_hours(self) -> float | None:
        given = self.number("chip_hours")
        chips, days = self.number("chips"), self.number("days")
        from_days = compute.chip_hours_from_days(chips[0], days[0]) if chips and days else None
        if given and from_days:
            gap = abs(given[0] - from_days) / given[0]
            if gap > self.tolerance and USER in (given[1], chips[1], days[1]):  # type: ignore[index]
                pick = self.prefers("chip-hours", "days")
                if pick is None:
                    raise ConflictError(
                        f"--chip-hours {given[0]:,.0f} and --chips × --days × 24 = "
                        f"{from_days:,.0f} differ by {gap:.0%} — drop one, or pass "
                        "--prefer chip-hours or --prefer days",
                        fields=("chip_hours", "days"),
                    )
                if pick == "days":
                    given = None
        if given:
            self.put("chip_hours", given[0], "h", given[1])
            return given[0]
        if from_days:
            origin = USER if USER in (chips[1], days[1]) else "preset"  # type: ignore[index]
            self.put(
                "chip_hours",
                from_days,
                "h",
                "derived",
                f"chips × days × 24 ({self.source_of(origin)})",
            )
            return from_days
        return None

    def peak(self, hw: catalog.Hardware) -> Assumption | None:
        got = self.field("precision")
        precision = str(got[0]) if got else "bf16"
        self.labels["precision"] = precision
        peak = hw.peak_flops(precision)
        if peak is None:
            return None
        return Assumption(
            peak, "FLOP/s", f"hardware:{hw.id} ({precision} dense) — {hw.source}", "catalog"
        )

    def mfu(self, hw: catalog.Hardware) -> Assumption:
        got = self.number("mfu")
        if got:
            return Assumption(got[0], "fraction", self.source_of(got[1]), got[1])
        if self.convention.mfu is not None:
            return Assumption(
                self.convention.mfu,
                "fraction",
                f"conventions:{self.convention.id} — {self.convention.source}",
                "default",
            )
        self.warn(
            "default-mfu",
            f"MFU not given: {hw.mfu:.0%} ({hw.mfu_low:.0%}–"
            f"{hw.mfu_high:.0%}) typical of {hw.id} is used; pass --mfu if you know it",
        )
        return Assumption(
            hw.mfu,
            "fraction",
            f"hardware:{hw.id} — {hw.source}",
            "catalog",
            hw.mfu_low,
            hw.mfu_high,
            1.0,
        )

    def check_mfu(self, flop: float, chip_hours: float, peak: Assumption) -> float | None:
        implied = compute.implied_mfu(flop, chip_hours, peak.value)
        mfu = self.number("mfu")
        if mfu and mfu[1] == USER and abs(mfu[0] - implied) / implied > self.tolerance:
            pick = self.prefers("mfu", "chip-hours", "days")
            if pick is None:
                raise ConflictError(
                    f"--mfu {mfu[0]:g} disagrees with the {implied:.2f} implied by the compute "
                    f"and the chip-hours — drop one, or pass --prefer mfu or --prefer chip-hours",
                    fields=("mfu", "chip_hours"),
                )
            if pick == "mfu":
                del self.values["chip_hours"]
                return None
        if implied > 1:
            raise ConflictError(
                f"{flop:.3g} FLOP in {chip_hours:,.0f} chip-hours at {peak.value:.3g} FLOP/s "
                f"implies an MFU of {implied:.2f} > 1 — check --flop, --chip-hours and "
                "--hardware/--precision",
                fields=("flop", "chip_hours"),
            )
        if implied > catalog.default("mfu_plausible_max").value:
            self.warn(
                "high-mfu",
                f"the inputs imply an MFU of {implied:.0%}, above what large "
                "runs achieve — check the compute and the chip-hours",
            )
        self.values["implied_mfu"] = Assumption(
            implied, "fraction", "flop / (chip-hours × 3600 × peak FLOP/s)", "derived"
        )
        return chip_hours

    def power(self, hw: catalog.Hardware | None) -> None:
        if "it_energy_kwh" in self.given:
            self.put("it_energy_kwh", float(self.run.it_energy_kwh or 0), "kWh", USER)
            self.warn(
                "it-energy-given",
                "IT energy given: chip power, power fraction and server overhead are not used",
            )
            return
        if hw is None:
            return
        conv = self.convention
        conv_src = f"conventions:{conv.id} — {conv.source}"
        hw_src = f"hardware:{hw.id} — {hw.source}"
        if "chip_power_w" in self.given:
            self.put("chip_power_w", float(self.run.chip_power_w or 0), "W", USER)
        elif hw.tdp_w is None:
            self.warn(
                "no-tdp",
                f"no TDP for {hw.id}: energy is not computed — pass "
                "--chip-power-w (measured average power per chip)",
            )
            return
        else:
            self.values["tdp_w"] = Assumption(hw.tdp_w, "W", hw_src, "catalog")
            if "power_fraction" in self.given:
                self.put("power_fraction", float(self.run.power_fraction or 0), "fraction", USER)
            elif conv.power_fraction is not None:
                self.values["power_fraction"] = Assumption(
                    conv.power_fraction, "fraction", conv_src, "default"
                )
            else:
                self.values["power_fraction"] = Assumption(
                    hw.power_fraction,
                    "fraction",
                    hw_src,
                    "catalog",
                    hw.power_fraction_low,
                    hw.power_fraction_high,
                    1.0,
                )
        if "server_overhead" in self.given:
            self.put("server_overhead", float(self.run.server_overhead or 0), "×", USER)
        elif conv.server_overhead is not None:
            self.values["server_overhead"] = Assumption(
                conv.server_overhead, "×", conv_src, "default"
            )
        else:
            self.values["server_overhead"] = _scaled(
                hw.server_power_multiplier, "server_power_multiplier_rel", "×", hw_src, "catalog"
            )

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
            self.values["price_usd_per_kwh"] = _scaled(
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
        self.values[name] = _scaled(
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
                self.values[name] = _scaled(
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
        self.values["embodied_lifetime_years"] = _default("embodied_lifetime_years")
        self.values["hours_per_year"] = _default("hours_per_year")

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
        self.values["server_price_usd"] = _scaled(
            price, rel, "USD", f"hardware:{hw.id} ({basis}) — {hw.source}", "catalog"
        )
        self.values["price_performance_ooms_per_year"] = _default("price_performance_ooms_per_year")
        self.values["interconnect_cost_fraction"] = _default("interconnect_cost_fraction")
        self.values.setdefault("hours_per_year", _default("hours_per_year"))
        start = self.start_date()
        if start and hw.price_date:
            years = (start - _parse_date(hw.price_date)).days / 365.25
            if years > 0:
                self.values["years_since_price"] = Assumption(
                    years,
                    "yr",
                    f"training start {start.isoformat()} − price date {hw.price_date}",
                    "derived",
                )

    def start_date(self) -> date | None:
        if self.run.start:
            return _parse_date(self.run.start)
        if self.preset and self.preset.date and not (self.given & (_WORKLOAD | _EXECUTION)):
            lag = catalog.default("acquisition_lag_days").value
            days = (self.preset.days or 0) + lag
            published = _parse_date(self.preset.date)
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
            self.values["price_usd_per_hour"] = _scaled(
                central, "cloud_price_rel", "USD/h", source, "catalog"
            )


def _parse_date(text: str) -> date:
    return date.fromisoformat(text if len(text) > 7 else text + "-01")


def resolve_site(run: TrainingRun) -> Assumptions:
    """The site, price and embodied assumptions of a run's hardware and location, alone."""
    return _Resolver(run).build_site()


def resolve(run: TrainingRun) -> Assumptions:
    """Fill every unknown of a run from the catalog; record where each value came from."""
    return _Resolver(run).build()


__all__ = ["flag", "resolve"]
