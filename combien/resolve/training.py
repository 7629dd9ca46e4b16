"""What a training run computes, how long it takes and what it draws: FLOP (6·N·D or given),
accelerator-hours (from FLOP, peak and MFU, or given, or chips × days), power, and the
efficiency and heat-reuse scenarios. Stages of the one resolver (`resolver.py`).
"""

from __future__ import annotations

import dataclasses

from combien.data import catalog
from combien.engine import compute as equations
from combien.errors import ConflictError, IncompleteError, InputError
from combien.provenance import Assumption, Assumptions
from combien.resolve import site
from combien.resolve.mfu import goodput_input, mfu_input, supported_precision
from combien.resolve.resolver import (
    CATALOG,
    DEFAULT,
    DERIVED,
    MEASURED,
    USER,
    Resolver,
    scaled_assumption,
)
from combien.resolve.spec import TrainingRun
from combien.units import HOURS_PER_DAY, KWH_PER_MWH, count, parse_date, plural


def resolve_training(
    run: TrainingRun, measured: dict[str, Assumption] | None = None
) -> Assumptions:
    """Fill every unknown of a training run (or of a measured one) from the catalog; record
    where each value came from."""
    r = Resolver(run, measured)
    hw = site.hardware(r)
    if hw is None:
        hw = impute_hardware(r)
    else:
        say_which_part(r, hw)
        before_release(r, hw)
    compute(r, hw)
    plausible(r)
    efficiency(r)
    power(r, hw)
    site.site(r)
    site.embodied(r, hw)
    site.money(r, hw)
    heat(r)
    return r.result()


def impute_hardware(r: Resolver[TrainingRun]) -> catalog.Hardware | None:
    """The accelerator typical of the run's organisation and date (hardware_imputation.csv),
    where neither the user nor the preset names one; None without a date to go by."""
    if r.field("it_energy_kwh") is not None:
        return None
    preset = r.run_preset
    date = str(r.option("start") or (preset.date if preset else "") or "")
    if not date:
        return None
    day = parse_date(date[:10] if len(date) >= 7 else date + "-01").isoformat()
    organization = preset.organization if preset else ""
    for rule in catalog.hardware_rules():
        named = "*" in rule.organizations or any(
            o.lower() in organization.lower() for o in rule.organizations
        )
        if named and rule.start <= day <= rule.end:
            hw = catalog.hardware().get(rule.hardware)
            r.labels["hardware"] = hw.id
            r.labels["hardware_basis"] = "imputed"
            rel = catalog.default("imputed_peak_rel")
            r.warn(
                "imputed-hardware",
                f"no hardware given: {hw.id} is assumed, the accelerator typical of "
                f"{organization or 'a run'} in {date[:7]} ({rule.source}); its peak FLOP/s "
                f"is taken ×{rel.low:g}–{rel.high:g} — pass --hardware if known",
            )
            return hw
    return None


def before_release(r: Resolver[TrainingRun], hw: catalog.Hardware) -> None:
    """A run that starts before its chip was released is warned of (a wrong --start or
    --hardware: the MFU, grid and prices of that date are read for a chip not yet sold)."""
    start = site.start_date(r)
    if start is None or not hw.release_date or start.isoformat() >= hw.release_date:
        return
    r.warn(
        "start-before-release",
        f"the training start {start.isoformat()} is before the release of {hw.id} "
        f"({hw.release_date}) — check --start and --hardware",
    )


def say_which_part(r: Resolver[TrainingRun], hw: catalog.Hardware) -> None:
    """A generic name (`a100`) read as one part of a family says which, and the others."""
    got = r.field("hardware")
    if not got or got[1] != USER:
        return
    typed = catalog.normalise(str(got[0]))
    if typed == catalog.normalise(hw.id):
        return
    others = [h.id for h in catalog.hardware() if h.id != hw.id and h.id.startswith(typed)]
    if others:
        r.warn(
            "hardware-alias",
            f"{got[0]!r} is read as {hw.id} ({hw.name}); other parts: {', '.join(others)} "
            "— pass the id to choose",
        )


def plausible(r: Resolver[TrainingRun]) -> None:
    """Warn where the inputs give a wall-clock or a cluster no published run has had."""
    v = r.values
    chips = v["chips"].value if "chips" in v else None
    largest = catalog.default("largest_cluster_chips").value
    if chips and chips > largest:
        r.warn(
            "implausible-chips",
            f"{chips:,.0f} accelerators: more than any known cluster ({largest:,.0f}) — "
            "check --chips",
        )
    if "chip_hours" in v:
        chip_hours = v["chip_hours"].value
    elif all(k in v for k in ("flop", "peak_flops", "mfu", "goodput")):
        chip_hours = equations.chip_hours_from_flop(
            v["flop"].value, v["peak_flops"].value, v["mfu"].value, v["goodput"].value
        )
    else:
        return
    if not chips:
        return
    years = equations.wall_hours(chip_hours, chips) / catalog.default("hours_per_year").value
    limit = catalog.default("wall_clock_plausible_max_years").value
    if years > limit:
        r.warn(
            "implausible-time",
            f"a wall-clock of {years:,.0f} years on {plural(chips, 'chip')}: longer than "
            f"{limit:g} years, the inputs look wrong — check --chips, --params and --tokens",
        )


def efficiency(r: Resolver[TrainingRun]) -> None:
    """Scenario: a method that needs `efficiency` × less compute, plus its own overhead
    (a share of the original compute, e.g. JEST's scoring by a reference model)."""
    if r.spec.efficiency is None:
        return
    overhead = r.spec.efficiency_overhead or 0.0
    factor = 1 / r.spec.efficiency + overhead
    r.values["compute_factor"] = Assumption(
        factor, "×", f"user: 1/{r.spec.efficiency:g} + overhead {overhead:g}", DERIVED
    )
    for name in ("chip_hours", "flop"):
        if name in r.values:
            a = r.values[name]
            r.values[name] = dataclasses.replace(
                a,
                value=a.value * factor,
                origin=DERIVED,
                source=f"{a.source} × {factor:.3g} (efficiency scenario)",
            )
    r.labels["scenario"] = f"efficiency ×{r.spec.efficiency:g}"


def heat(r: Resolver[TrainingRun]) -> None:
    """Scenario: the share of IT energy recovered as heat, in homes' yearly heat use."""
    if r.spec.heat_reuse is None:
        return
    r.put("heat_reuse_fraction", r.spec.heat_reuse, "fraction", USER)
    home = catalog.fact("heat-use-per-new-dwelling-mwh")
    r.values["heat_use_per_home_kwh"] = Assumption(
        home.value * KWH_PER_MWH,
        "kWh/yr",
        f"facts:{home.id} — {home.source}",
        CATALOG,
        home.low * KWH_PER_MWH if home.low else None,
        home.high * KWH_PER_MWH if home.high else None,
    )


def compute(r: Resolver[TrainingRun], hw: catalog.Hardware | None) -> None:
    has_it_energy = r.field("it_energy_kwh") is not None
    flop = workload_flop(r)
    chip_hours = chip_hours_input(r)
    chips = r.number("chips")
    days = r.number("days")
    if chips:
        r.put("chips", chips[0], "count", chips[1])
    elif days:  # with the chip-hours, the days give the chips; without, the chips follow
        r.put("wall_hours", days[0] * HOURS_PER_DAY, "h", days[1])
    elif "wall_hours" in r.measured:  # a tracked run's own duration
        r.put("wall_hours", r.measured["wall_hours"].value, "h", MEASURED)
    if chip_hours is None and flop is None:
        if has_it_energy:
            return
        raise IncompleteError(no_compute_message(r))
    if hw is None:
        if has_it_energy:
            return
        raise IncompleteError(
            "no hardware — pass --hardware ID (e.g. h100-sxm); `combien data hardware` lists "
            "them (or --start YYYY-MM to assume the frontier part of that date)"
        )
    peak = peak_flops(r, hw)
    if chip_hours is not None and flop is not None and peak is not None:
        chip_hours = check_mfu(r, flop, chip_hours, peak)
    if chip_hours is not None:
        if "goodput" in r.given:
            r.warn(
                "goodput-unused",
                "--goodput not used: the chip-hours are given, and a published duration "
                "already includes the time lost to restarts and evaluation",
            )
        return
    assert flop is not None
    if peak is None:
        raise IncompleteError(
            f"{hw.id} has no dense peak at {r.labels['precision']} — pass --precision "
            "with another format, or --chip-hours"
        )
    if r.labels.get("hardware_basis") == "imputed":
        peak = scaled_assumption(peak.value, "imputed_peak_rel", "FLOP/s", peak.source, CATALOG)
    r.values["peak_flops"] = peak
    r.values["mfu"] = mfu_input(r, hw)
    r.values["goodput"] = goodput_input(r)


def no_compute_message(r: Resolver[TrainingRun]) -> str:
    """Why compute cannot be derived, and what to pass. For a preset that publishes its size
    but neither its training tokens nor its compute, say so and name the flags that complete it."""
    preset = r.run_preset
    if preset is None:
        return (
            "not enough to derive compute — give --params and --tokens, --flop, "
            "--chip-hours, or --chips with --days (or --model PRESET)"
        )
    params, active = r.number("params"), r.number("active_params")
    used = active or params  # 6·N·D counts the parameters each token uses
    if used is None:
        return (
            f"not enough to derive compute — {preset.id} publishes neither its size nor its "
            "training tokens or compute: pass --params and --tokens, --flop, --chip-hours, "
            "or --chips with --days"
        )
    size = f"{count(used[0])} parameters"
    if params and active and active[0] != params[0]:
        size = f"{count(active[0])} active of {count(params[0])} parameters"
    k = catalog.default("training_flop_per_param_token").value
    return (
        f"not enough to derive compute — {preset.id} publishes its size ({size}) but not its "
        f"training tokens or compute: pass --tokens N (FLOP = {k:g} × {count(used[0])} × N), "
        "--flop, --chip-hours, or --chips with --days"
    )


def workload_flop(r: Resolver[TrainingRun]) -> float | None:
    params, active, tokens = (r.number(n) for n in ("params", "active_params", "tokens"))
    if params and active and active[0] > params[0]:  # one may come from a preset
        raise InputError(
            f"--active-params ({active[0]:.3g}) cannot exceed the parameters ({params[0]:.3g})",
            field="active_params",
        )
    for name, got in (("params", params), ("active_params", active), ("tokens", tokens)):
        if got:
            unit = "tokens" if name == "tokens" else "parameters"
            r.put(name, got[0], unit, got[1])
    flop = r.number("flop")
    n_active = active or params
    if not (n_active and tokens):
        if flop:
            r.put("flop", flop[0], "FLOP", flop[1])
        return flop[0] if flop else None
    k = catalog.default("training_flop_per_param_token")
    six_nd = equations.training_flop(n_active[0], tokens[0], k.value)
    if flop:
        gap = abs(flop[0] - six_nd) / six_nd
        user_both = flop[1] == USER and USER in (n_active[1], tokens[1])
        if gap > r.tolerance and user_both and not r.prefers("flop", "params"):
            raise ConflictError(
                f"--flop {flop[0]:.3g} and 6·N·D = {six_nd:.3g} (from --params/--tokens) "
                f"differ by {gap:.0%} — drop one, or pass --prefer flop or --prefer params",
                fields=("flop", "params"),
            )
        if r.prefers("params") != "params":
            r.put("flop", flop[0], "FLOP", flop[1])
            return flop[0]
    name = "active parameters" if active else "parameters"
    r.put("flop", six_nd, "FLOP", DERIVED, f"{k.value:g} × {name} × tokens ({k.source})")
    return six_nd


def chip_hours_input(r: Resolver[TrainingRun]) -> float | None:
    given = r.number("chip_hours")
    chips, days = r.number("chips"), r.number("days")
    from_days = equations.chip_hours_from_days(chips[0], days[0]) if chips and days else None
    if given and from_days:
        gap = abs(given[0] - from_days) / given[0]
        if gap > r.tolerance and USER in (given[1], chips[1], days[1]):  # type: ignore[index]
            pick = r.prefers("chip-hours", "days")
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
        r.put("chip_hours", given[0], "h", given[1])
        return given[0]
    if from_days:
        origin = USER if USER in (chips[1], days[1]) else "preset"  # type: ignore[index]
        r.put(
            "chip_hours",
            from_days,
            "h",
            DERIVED,
            f"chips × days × 24 ({r.source_of(origin)})",
        )
        return from_days
    return None


def peak_flops(r: Resolver[TrainingRun], hw: catalog.Hardware) -> Assumption | None:
    got = r.field("precision")
    precision = str(got[0]) if got else "bf16"
    precision = supported_precision(r, hw, precision, given=got is not None)
    peak = hw.peak_flops(precision)
    if peak is None and not got:
        # Epoch AI's order when the precision is unknown: tensor BF16/FP16, TF32, FP32
        for fallback in ("tf32", "fp32"):
            peak = hw.peak_flops(fallback)
            if peak is not None:
                r.warn(
                    "precision-fallback",
                    f"{hw.id} has no bf16 tensor peak: its "
                    f"{fallback} peak is used — pass --precision to choose",
                )
                precision = fallback
                break
    r.labels["precision"] = precision
    if peak is None:
        return None
    return Assumption(
        peak, "FLOP/s", f"hardware:{hw.id} ({precision} dense) — {hw.source}", CATALOG
    )


def check_mfu(
    r: Resolver[TrainingRun], flop: float, chip_hours: float, peak: Assumption
) -> float | None:
    implied = equations.implied_mfu(flop, chip_hours, peak.value)
    mfu = r.number("mfu")
    if mfu and mfu[1] == USER and abs(mfu[0] - implied) / implied > r.tolerance:
        pick = r.prefers("mfu", "chip-hours", "days")
        if pick is None:
            raise ConflictError(
                f"--mfu {mfu[0]:g} disagrees with the {implied:.2f} implied by the compute "
                f"and the chip-hours — drop one, or pass --prefer mfu or --prefer chip-hours",
                fields=("mfu", "chip_hours"),
            )
        if pick == "mfu":
            del r.values["chip_hours"]
            return None
    if implied > 1:
        raise ConflictError(
            f"{flop:.3g} FLOP in {plural(chip_hours, 'chip-hour')} at {peak.value:.3g} FLOP/s "
            f"implies an MFU of {implied:.2f} > 1 — check --flop, --chip-hours and "
            "--hardware/--precision",
            fields=("flop", "chip_hours"),
        )
    if implied > catalog.default("mfu_plausible_max").value:
        r.warn(
            "high-mfu",
            f"the inputs imply an MFU of {implied:.0%}, above what large "
            "runs achieve — check the compute and the chip-hours",
        )
    r.values["implied_mfu"] = Assumption(
        implied, "fraction", "flop / (chip-hours × 3600 × peak FLOP/s)", DERIVED
    )
    return chip_hours


def power(r: Resolver[TrainingRun], hw: catalog.Hardware | None) -> None:
    got = r.number("it_energy_kwh")
    if got:
        r.put("it_energy_kwh", got[0], "kWh", got[1])
        if got[1] == USER:
            r.warn(
                "it-energy-given",
                "IT energy given: chip power, power fraction and server overhead are not used",
            )
        return
    if hw is None:
        return
    conv = r.convention
    conv_src = f"conventions:{conv.id} — {conv.source}"
    hw_src = f"hardware:{hw.id} — {hw.source}"
    if "chip_power_w" in r.given:
        r.put("chip_power_w", float(r.spec.chip_power_w or 0), "W", USER)
    elif hw.tdp_w is None:
        r.warn(
            "no-tdp",
            f"no TDP for {hw.id}: energy is not computed — pass "
            "--chip-power-w (measured average power per chip)",
        )
        return
    else:
        r.values["tdp_w"] = Assumption(hw.tdp_w, "W", hw_src, CATALOG)
        if "power_fraction" in r.given:
            r.put("power_fraction", float(r.spec.power_fraction or 0), "fraction", USER)
        elif conv.power_fraction is not None:
            r.values["power_fraction"] = Assumption(
                conv.power_fraction, "fraction", conv_src, DEFAULT
            )
        else:
            r.values["power_fraction"] = Assumption(
                hw.power_fraction,
                "fraction",
                hw_src,
                CATALOG,
                hw.power_fraction_low,
                hw.power_fraction_high,
                1.0,
            )
    if "server_overhead" in r.given:
        r.put("server_overhead", float(r.spec.server_overhead or 0), "×", USER)
    elif conv.server_overhead is not None:
        r.values["server_overhead"] = Assumption(conv.server_overhead, "×", conv_src, DEFAULT)
    else:
        r.values["server_overhead"] = scaled_assumption(
            hw.server_power_multiplier, "server_power_multiplier_rel", "×", hw_src, CATALOG
        )
