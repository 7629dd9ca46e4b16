"""The Hugging Face model card: the `co2_eq_emissions` metadata block and a short section.

The Hub reads `co2_eq_emissions` from the card's YAML header: `emissions` in grams of CO2e,
`source`, `training_type` (pre-training or fine-tuning), `geographical_location` and
`hardware_used` (huggingface.co/docs/hub/model-cards-co2). `huggingface_hub`'s `ModelCard` parses
what this module writes.
"""

from __future__ import annotations

from combien.errors import InputError
from combien.fields import OUTPUTS
from combien.report import figures
from combien.results.bill import Bill
from combien.units import G_PER_KG, quantity, span

TRAINING_TYPES = ("pre-training", "fine-tuning")
_LINES = ("energy_kwh", "co2e_operational_kg", "co2e_embodied_kg", "co2e_total_kg", "water_total_l")


def metadata(bill: Bill, training_type: str = "pre-training") -> dict[str, object]:
    """The `co2_eq_emissions` block: the bill's total CO2e in grams and how it was obtained."""
    total = bill.line("co2e_total_kg")
    if total is None:
        raise InputError("hf-model-card: the bill has no CO2e total — give the compute or a run")
    return {
        "emissions": total.value * G_PER_KG,
        "source": _source(bill, total.low, total.high),
        "training_type": training_type,
        "geographical_location": figures.location(bill),
        "hardware_used": figures.hardware(bill),
    }


def _source(bill: Bill, low: float, high: float) -> str:
    """How the emissions were obtained: a tracked run's devices measured or estimated, or an
    estimate from the compute."""
    band = f"5th–95th percentile {span(low, high, 'kg')}"
    how = figures.tracked(bill)
    if how is None:
        return f"estimated with combien (compute → energy → carbon, {band})"
    if how.method == "measured":
        return f"measured with combien ({how.describe()})"
    tool = "combien's tracker" if how.method == "estimated" else "combien"
    return f"{how.method} with {tool} ({how.describe()}; {band})"


def render(bill: Bill, training_type: str = "pre-training") -> str:
    """A model card (README.md) holding the metadata block and an 'Environmental impact'
    section; paste both into an existing card."""
    import yaml

    header = yaml.safe_dump(
        {"co2_eq_emissions": metadata(bill, training_type)}, sort_keys=False, allow_unicode=True
    )
    out = ["---", header.rstrip(), "---", "", "## Environmental impact", ""]
    out += [
        "| quantity | value | 90% range |",
        "| --- | ---: | ---: |",
    ]
    for key in _LINES:
        line = bill.line(key)
        if line is not None:
            unit = OUTPUTS[key].unit
            out.append(
                f"| {OUTPUTS[key].label} | {quantity(line.value, unit)} | "
                f"{span(line.low, line.high, unit)} |"
            )
    out += [
        "",
        f"- **Hardware:** {figures.hardware(bill)}",
        f"- **Location:** {figures.location(bill)}",
        f"- **Training type:** {training_type}",
        f"- **Method:** {metadata(bill, training_type)['source']}; "
        f"{bill.samples:,} Monte Carlo samples (seed {bill.seed}).",
    ]
    return "\n".join(out) + "\n"
