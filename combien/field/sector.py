"""The sector view: AI's electricity from accelerator-server shipments (de Vries 2023), the water
it implies (withdrawal and consumption kept apart, as Li et al. 2023), the carbon at a grid mix,
and the revenue needed to pay for the capex (Cahn 2024: ×2 ×2).

Every input is an option with a sourced default (facts.csv, facilities.csv, locations.csv). The
ends of each range are two scenarios — every server at the low power (DGX A100), every server at
the high power (DGX H100) — not percentiles: they are `Span`s, each scenario computed with the
engine's equations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from combien.data import catalog
from combien.engine.carbon import operational_co2e_kg
from combien.engine.energy import facility_energy_kwh
from combien.engine.water import offsite_water_l, onsite_water_l
from combien.errors import InputError
from combien.fields import INPUTS
from combien.results.bill import Span
from combien.results.document import JSON, dumps, markdown_table, records_csv, rich_table
from combien.units import KWH_PER_TWH, M3_PER_L, t_from_kg

if TYPE_CHECKING:
    from rich.console import RenderableType

SCHEMA = "combien.sector/1"
#: display scales: m³ → billion m³, t → Mt, USD → $B
_PER_BILLION = 1e-9
_PER_MILLION = 1e-6
#: the input field that bounds each number of SectorInputs (the water intensities are bounded
#: as the on-site WUE and the off-site EWIF)
_FIELDS = {
    "servers": "servers",
    "server_kw_low": "server_kw_low",
    "server_kw_high": "server_kw_high",
    "utilisation": "utilisation",
    "pue": "pue",
    "onsite_withdrawal_l_per_kwh": "wue",
    "offsite_withdrawal_l_per_kwh": "ewif",
    "onsite_consumption_l_per_kwh": "wue",
    "offsite_consumption_l_per_kwh": "ewif",
    "dc_capex_usd": "dc_capex",
    "ai_revenue_usd": "ai_revenue",
}


@dataclass(frozen=True)
class SectorInputs:
    """The sector's inputs; None means the sourced default."""

    servers: float | None = None
    server_kw_low: float | None = None
    server_kw_high: float | None = None
    utilisation: float = 1.0
    pue: float | None = None
    onsite_withdrawal_l_per_kwh: float | None = None
    offsite_withdrawal_l_per_kwh: float | None = None
    onsite_consumption_l_per_kwh: float | None = None
    offsite_consumption_l_per_kwh: float | None = None
    location: str = "WORLD"
    dc_capex_usd: float | None = None
    ai_revenue_usd: float | None = None


@dataclass(frozen=True)
class Sector:
    """AI's yearly electricity, water, carbon and revenue question, with the inputs behind it."""

    inputs: dict[str, dict[str, float | str]]
    energy_twh: Span
    facility_energy_twh: Span
    water_withdrawal_m3: Span
    water_consumption_m3: Span
    co2e_t: Span
    revenue_needed_usd: float
    revenue_gap_usd: float
    withdrawal_denmark_multiple: Span

    def to_dict(self) -> JSON:
        """The `combien.sector/1` JSON object."""
        return {
            "schema": SCHEMA,
            "inputs": self.inputs,
            "energy_twh": self.energy_twh.to_dict(),
            "facility_energy_twh": self.facility_energy_twh.to_dict(),
            "water_withdrawal_m3": self.water_withdrawal_m3.to_dict(),
            "water_consumption_m3": self.water_consumption_m3.to_dict(),
            "withdrawal_denmark_multiple": self.withdrawal_denmark_multiple.to_dict(),
            "co2e_t": self.co2e_t.to_dict(),
            "revenue_needed_usd": self.revenue_needed_usd,
            "revenue_gap_usd": self.revenue_gap_usd,
        }

    def to_csv(self) -> str:
        """One row per quantity: value and 90% range (a single value for the revenue lines)."""
        rows: list[dict[str, object]] = []
        for key, item in self.to_dict().items():
            if isinstance(item, dict) and "value" in item:
                rows.append(
                    {
                        "quantity": key,
                        "value": item["value"],
                        "low": item.get("low"),
                        "high": item.get("high"),
                    }
                )
            elif isinstance(item, int | float):
                rows.append({"quantity": key, "value": item})
        return records_csv(rows)

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent)

    def rows(self) -> list[tuple[str, str]]:
        """(quantity, value with its scenario range) for the table and markdown views."""

        def span(line: Span, unit: str, scale: float = 1.0) -> str:
            value, low, high = (x * scale for x in (line.value, line.low, line.high))
            return f"{value:,.3g} [{low:,.3g}–{high:,.3g}] {unit}"

        def billions(usd: float) -> str:
            return f"${usd * _PER_BILLION:,.0f}B/yr"

        return [
            ("AI servers' electricity (IT)", span(self.energy_twh, "TWh/yr")),
            ("with facility overhead (PUE)", span(self.facility_energy_twh, "TWh/yr")),
            ("water withdrawn", span(self.water_withdrawal_m3, "billion m³/yr", _PER_BILLION)),
            ("  × Denmark's withdrawal", span(self.withdrawal_denmark_multiple, "×")),
            ("water consumed", span(self.water_consumption_m3, "billion m³/yr", _PER_BILLION)),
            ("carbon at the grid mix", span(self.co2e_t, "Mt CO2e/yr", _PER_MILLION)),
            ("revenue needed to pay for the GPUs", billions(self.revenue_needed_usd)),
            ("gap with today's AI revenue", billions(self.revenue_gap_usd)),
        ]

    def to_markdown(self) -> str:
        lines = markdown_table(("quantity", "value"), self.rows())
        return "\n".join(["## combien — the sector view", "", *lines]) + "\n"

    def to_table(self) -> RenderableType:
        return rich_table(
            "combien — the sector view (de Vries 2023, Li et al. 2023, Cahn 2024)",
            ("quantity", "value"),
            self.rows(),
        )


def _pick(
    value: float | None,
    fact_id: str,
    inputs: dict[str, dict[str, float | str]],
    name: str,
    unit: str,
) -> float:
    if value is not None:
        inputs[name] = {"value": value, "unit": unit, "source": "user"}
        return value
    row = catalog.fact(fact_id)
    inputs[name] = {"value": row.value, "unit": unit, "source": f"facts:{row.id} — {row.source}"}
    return row.value


def _span(values: Iterable[float]) -> Span:
    """The (central, low, high) scenarios as a Span."""
    central, low, high = values
    return Span(central, low, high)


def sector(options: SectorInputs | None = None) -> Sector:
    """AI's yearly electricity, water, carbon and revenue question, from server shipments."""
    o = _checked(options or SectorInputs())
    inputs: dict[str, dict[str, float | str]] = {}
    it_kwh, pue = _it_energy(o, inputs)
    facility_kwh = [facility_energy_kwh(it, pue) for it in it_kwh]
    withdrawal_m3 = _water_m3(it_kwh, facility_kwh, *_withdrawal(o, inputs))
    c_on, c_off, grid_g = _site(o, inputs)
    consumption_m3 = _water_m3(it_kwh, facility_kwh, c_on, c_off)
    needed, gap = _revenue(o, inputs)
    denmark = catalog.fact("denmark-water-withdrawal-m3").value
    return Sector(
        inputs=inputs,
        energy_twh=_span(it * (1 / KWH_PER_TWH) for it in it_kwh),
        facility_energy_twh=_span(facility * (1 / KWH_PER_TWH) for facility in facility_kwh),
        water_withdrawal_m3=withdrawal_m3,
        water_consumption_m3=consumption_m3,
        co2e_t=_span(t_from_kg(operational_co2e_kg(facility, grid_g)) for facility in facility_kwh),
        revenue_needed_usd=needed,
        revenue_gap_usd=gap,
        withdrawal_denmark_multiple=withdrawal_m3.scaled(1 / denmark),
    )


def _checked(o: SectorInputs) -> SectorInputs:
    """The inputs, each number read by its field (bounds and all): a one-line InputError
    naming the first out of range."""
    numbers: dict[str, float] = {}
    for attr, name in _FIELDS.items():
        value = getattr(o, attr)
        if value is not None:
            parsed = dataclasses.replace(INPUTS[name], name=attr, key="").parse(value)
            assert isinstance(parsed, float)
            numbers[attr] = parsed
    low, high = o.server_kw_low, o.server_kw_high
    if low is not None and high is not None and low > high:
        raise InputError(
            f"--server-kw-low ({low:g}) cannot exceed --server-kw-high ({high:g}) — swap them",
            field="server_kw_low",
        )
    return SectorInputs(**{**vars(o), **numbers})


def _it_energy(
    o: SectorInputs, inputs: dict[str, dict[str, float | str]]
) -> tuple[list[float], float]:
    """IT energy (kWh/yr) of the three scenarios — mean server power, every server at the low
    power, every server at the high power — and the PUE."""
    servers = _pick(o.servers, "devries-servers-2027", inputs, "servers", "servers")
    kw_low = _pick(o.server_kw_low, "devries-dgx-a100-kw", inputs, "server_kw_low", "kW")
    kw_high = _pick(o.server_kw_high, "devries-dgx-h100-kw", inputs, "server_kw_high", "kW")
    pue = _pick(o.pue, "li-pue-sector", inputs, "pue", "×")
    if min(servers, kw_low, kw_high) <= 0 or pue < 1 or kw_low > kw_high:
        raise InputError("servers and server power must be positive (low ≤ high), PUE ≥ 1")
    full_year = catalog.fact("devries-hours-per-year")
    hours = full_year.value * o.utilisation
    inputs["hours"] = {
        "value": hours,
        "unit": "h/yr",
        "source": f"facts:{full_year.id} — {full_year.source}; × utilisation",
    }
    server_kw = (servers * (kw_low + kw_high) / 2, servers * kw_low, servers * kw_high)
    return [kw * hours for kw in server_kw], pue


def _withdrawal(o: SectorInputs, inputs: dict[str, dict[str, float | str]]) -> tuple[float, float]:
    """On-site and off-site water withdrawal per kWh (L/kWh, Li et al.)."""
    onsite = _pick(
        o.onsite_withdrawal_l_per_kwh,
        "li-withdrawal-onsite-l-per-kwh",
        inputs,
        "onsite_withdrawal_l_per_kwh",
        "L/kWh",
    )
    offsite = _pick(
        o.offsite_withdrawal_l_per_kwh,
        "li-withdrawal-offsite-l-per-kwh",
        inputs,
        "offsite_withdrawal_l_per_kwh",
        "L/kWh",
    )
    return onsite, offsite


def _water_m3(
    it_kwh: list[float], facility_kwh: list[float], onsite: float, offsite: float
) -> Span:
    """On-site water on IT energy plus off-site water on facility energy, in m³."""
    return _span(
        (onsite_water_l(it, onsite) + offsite_water_l(facility, offsite)) * M3_PER_L
        for it, facility in zip(it_kwh, facility_kwh, strict=True)
    )


def _revenue(o: SectorInputs, inputs: dict[str, dict[str, float | str]]) -> tuple[float, float]:
    """Cahn's revenue needed (GPU spend ÷ GPU share of cost ÷ (1 − margin)) and the gap."""
    capex = _pick(o.dc_capex_usd, "sequoia-nvidia-dc-run-rate", inputs, "dc_capex_usd", "USD")
    gpu_share = _pick(None, "sequoia-gpu-share-of-dc-cost", inputs, "gpu_share", "fraction")
    margin = _pick(None, "sequoia-end-user-gross-margin", inputs, "gross_margin", "fraction")
    revenue = _pick(o.ai_revenue_usd, "sequoia-named-ai-revenue", inputs, "ai_revenue_usd", "USD")
    needed = capex / gpu_share / (1 - margin)
    return needed, needed - revenue


def _site(o: SectorInputs, inputs: dict[str, dict[str, float | str]]) -> tuple[float, float, float]:
    """On-site and off-site water consumption (L/kWh) and grid intensity (gCO2e/kWh)."""
    loc = catalog.locations().get(o.location)
    c_on, on_source = o.onsite_consumption_l_per_kwh, "user"
    if c_on is None:
        c_on = catalog.facilities().get("typical").wue_l_per_kwh
        on_source = "facilities:typical (on-site WUE)"
    inputs["onsite_consumption_l_per_kwh"] = {"value": c_on, "unit": "L/kWh", "source": on_source}
    c_off, off_source = o.offsite_consumption_l_per_kwh, "user"
    if c_off is None:
        found = catalog.location_value(loc, "ewif_l_per_kwh")
        c_off = found.value if found else 0.0
        off_source = f"locations:{loc.id} EWIF"
    inputs["offsite_consumption_l_per_kwh"] = {
        "value": c_off,
        "unit": "L/kWh",
        "source": off_source,
    }
    grid = catalog.grid_intensity(loc, None, "lifecycle")
    grid_g = grid.value if grid else 0.0
    inputs["grid_gco2e_per_kwh"] = {
        "value": grid_g,
        "unit": "gCO2e/kWh",
        "source": f"grid_intensity:{grid.from_id} {grid.year} {grid.scope}" if grid else "none",
    }
    return c_on, c_off, grid_g
