"""The sector view: AI's electricity from accelerator-server shipments (de Vries 2023), the water
it implies (withdrawal and consumption kept apart, as Li et al. 2023), the carbon at a grid mix,
and the revenue needed to pay for the capex (Cahn 2024: ×2 ×2).

Every input is an option with a sourced default (facts.csv, locations.csv).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from combien.data import catalog
from combien.errors import InputError
from combien.results.bill import Line
from combien.units import KWH_PER_TWH, M3_PER_L, kg_from_g, t_from_kg

SCHEMA = "combien.sector/1"
HOURS_PER_YEAR_FULL = 8760.0  # de Vries counts 365 days of 24 h


def _fact(name: str) -> catalog.Fact:
    return catalog.fact(name)


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
    sources: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sector:
    inputs: dict[str, dict[str, Any]]
    energy_twh: Line
    facility_energy_twh: Line
    water_withdrawal_m3: Line
    water_consumption_m3: Line
    co2e_t: Line
    revenue_needed_usd: float
    revenue_gap_usd: float
    withdrawal_denmark_multiple: Line

    def to_dict(self) -> dict[str, Any]:
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

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def _pick(
    value: float | None, fact_id: str, inputs: dict[str, dict[str, Any]], name: str, unit: str
) -> float:
    if value is not None:
        inputs[name] = {"value": value, "unit": unit, "source": "user"}
        return value
    row = _fact(fact_id)
    inputs[name] = {"value": row.value, "unit": unit, "source": f"facts:{row.id} — {row.source}"}
    return row.value


def sector(options: SectorInputs | None = None) -> Sector:
    """AI's yearly electricity, water, carbon and revenue question, from server shipments."""
    o = options or SectorInputs()
    if not 0 < o.utilisation <= 1:
        raise InputError(f"--utilisation must be in (0, 1] (got {o.utilisation})")
    inputs: dict[str, dict[str, Any]] = {}
    servers = _pick(o.servers, "devries-servers-2027", inputs, "servers", "servers")
    kw_low = _pick(o.server_kw_low, "devries-dgx-a100-kw", inputs, "server_kw_low", "kW")
    kw_high = _pick(o.server_kw_high, "devries-dgx-h100-kw", inputs, "server_kw_high", "kW")
    pue = _pick(o.pue, "li-pue-sector", inputs, "pue", "×")
    if min(servers, kw_low, kw_high) <= 0 or pue < 1 or kw_low > kw_high:
        raise InputError("servers and server power must be positive (low ≤ high), PUE ≥ 1")
    it_kwh = Line(servers * (kw_low + kw_high) / 2, servers * kw_low, servers * kw_high).scaled(
        HOURS_PER_YEAR_FULL * o.utilisation
    )
    inputs["hours"] = {
        "value": HOURS_PER_YEAR_FULL * o.utilisation,
        "unit": "h/yr",
        "source": "de Vries 2023: full power all year × utilisation",
    }
    facility = it_kwh.scaled(pue)
    w_on = _pick(
        o.onsite_withdrawal_l_per_kwh,
        "li-withdrawal-onsite-l-per-kwh",
        inputs,
        "onsite_withdrawal_l_per_kwh",
        "L/kWh",
    )
    w_off = _pick(
        o.offsite_withdrawal_l_per_kwh,
        "li-withdrawal-offsite-l-per-kwh",
        inputs,
        "offsite_withdrawal_l_per_kwh",
        "L/kWh",
    )
    loc = catalog.locations().get(o.location)
    c_on = o.onsite_consumption_l_per_kwh
    if c_on is None:
        c_on = catalog.facilities().get("typical").wue_l_per_kwh
        inputs["onsite_consumption_l_per_kwh"] = {
            "value": c_on,
            "unit": "L/kWh",
            "source": "facilities:typical (on-site WUE)",
        }
    c_off = o.offsite_consumption_l_per_kwh
    if c_off is None:
        found = catalog.location_value(loc, "ewif_l_per_kwh")
        c_off = found.value if found else 0.0
        inputs["offsite_consumption_l_per_kwh"] = {
            "value": c_off,
            "unit": "L/kWh",
            "source": f"locations:{loc.id} EWIF",
        }
    grid = catalog.location_value(loc, "grid_gco2e_per_kwh")
    grid_g = grid.value if grid else 0.0
    inputs["grid_gco2e_per_kwh"] = {
        "value": grid_g,
        "unit": "gCO2e/kWh",
        "source": f"locations:{loc.id}",
    }
    withdrawal = Line(
        *(it * w_on + it * pue * w_off for it in (it_kwh.value, it_kwh.low, it_kwh.high))
    ).scaled(M3_PER_L)
    consumption = Line(
        *(it * c_on + it * pue * c_off for it in (it_kwh.value, it_kwh.low, it_kwh.high))
    ).scaled(M3_PER_L)
    denmark = _fact("denmark-water-withdrawal-m3").value
    capex = _pick(o.dc_capex_usd, "sequoia-nvidia-dc-run-rate", inputs, "dc_capex_usd", "USD")
    gpu_share = _pick(None, "sequoia-gpu-share-of-dc-cost", inputs, "gpu_share", "fraction")
    margin = _pick(None, "sequoia-end-user-gross-margin", inputs, "gross_margin", "fraction")
    revenue = _pick(o.ai_revenue_usd, "sequoia-named-ai-revenue", inputs, "ai_revenue_usd", "USD")
    needed = capex / gpu_share / (1 - margin)
    return Sector(
        inputs=inputs,
        energy_twh=it_kwh.scaled(1 / KWH_PER_TWH),
        facility_energy_twh=facility.scaled(1 / KWH_PER_TWH),
        water_withdrawal_m3=withdrawal,
        water_consumption_m3=consumption,
        co2e_t=facility.scaled(t_from_kg(kg_from_g(grid_g))),
        revenue_needed_usd=needed,
        revenue_gap_usd=needed - revenue,
        withdrawal_denmark_multiple=withdrawal.scaled(1 / denmark),
    )
