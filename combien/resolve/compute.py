"""Resolve: a TrainingRun → Assumptions, filling every unknown from the catalog and saying so.

Precedence, for each input: the user's value > the convention's > the --model preset's > the
location's / facility's > the hardware row's > the method default. Every value records its origin
and source. Contradictory user inputs raise ConflictError unless `prefer` says which wins.
"""

from __future__ import annotations

import dataclasses

from combien.data import catalog
from combien.engine import compute
from combien.errors import ConflictError, IncompleteError, InputError
from combien.provenance import Assumption, Assumptions
from combien.resolve.site import USER, SiteResolver, resolve_site, scaled_assumption
from combien.resolve.spec import TrainingRun
from combien.units import HOURS_PER_DAY, KWH_PER_MWH


class _Resolver(SiteResolver):
    """Adds the compute, time and power stages to the site's."""

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
            home.value * KWH_PER_MWH,
            "kWh/yr",
            f"facts:{home.id} — {home.source}",
            "catalog",
            home.low * KWH_PER_MWH if home.low else None,
            home.high * KWH_PER_MWH if home.high else None,
        )

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
        if params and active and active[0] > params[0]:  # one may come from a preset
            raise InputError(
                f"--active-params ({active[0]:.3g}) cannot exceed the parameters ({params[0]:.3g})",
                field="active_params",
            )
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
        peak = hw.peak_flops(precision)
        if peak is None and not got:
            # Epoch AI's order when the precision is unknown: tensor BF16/FP16, TF32, FP32
            for fallback in ("tf32", "fp32"):
                peak = hw.peak_flops(fallback)
                if peak is not None:
                    self.warn(
                        "precision-fallback",
                        f"{hw.id} has no bf16 tensor peak: its "
                        f"{fallback} peak is used — pass --precision to choose",
                    )
                    precision = fallback
                    break
        self.labels["precision"] = precision
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
            self.values["server_overhead"] = scaled_assumption(
                hw.server_power_multiplier, "server_power_multiplier_rel", "×", hw_src, "catalog"
            )


def resolve(run: TrainingRun) -> Assumptions:
    """Fill every unknown of a run from the catalog; record where each value came from."""
    return _Resolver(run).build()


__all__ = ["resolve", "resolve_site"]
