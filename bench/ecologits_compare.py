"""combien's energy and carbon per request beside EcoLogits', for the same models and tokens.

EcoLogits is a benchmark-only dependency: `pip install ecologits` in a separate environment,
with combien installed too, then

    python bench/ecologits_compare.py

Both are given the same site: US grid (EcoLogits' USA mix: 0.38355 kgCO2e/kWh, 3.1321 L/kWh),
PUE 1.2 and WUE 0.569 (EcoLogits' OpenAI/Azure defaults), H100 80 GB, output tokens as listed,
1,000 input tokens for combien (EcoLogits counts output tokens only). Prints each tool's energy
(Wh) and CO2e (g) per request and their ratio.
"""

from __future__ import annotations

GRID_KG_PER_KWH = 0.38355  # EcoLogits electricity_mixes: USA
EWIF = 3.1321
PUE, WUE = 1.2, 0.569
MODELS = [
    ("llama-3.1-8b", 8, 8),
    ("llama-3.1-70b", 70, 70),
    ("llama-3.1-405b", 405, 405),
    ("mixtral-8x7b", 12.9, 46.7),
    ("deepseek-v3", 37, 671),
]
TOKENS = [100, 500, 1000]


def ecologits(active_b: float, total_b: float, tokens: int) -> tuple[float, float]:
    from ecologits.impacts.llm import compute_llm_impacts

    impacts = compute_llm_impacts(
        model_active_parameter_count=active_b,
        model_total_parameter_count=total_b,
        output_token_count=tokens,
        if_electricity_mix_adpe=0.0,
        if_electricity_mix_pe=0.0,
        if_electricity_mix_gwp=GRID_KG_PER_KWH,
        if_electricity_mix_wue=EWIF,
        datacenter_pue=PUE,
        datacenter_wue=WUE,
    )

    def mean(value: object) -> float:
        return float(getattr(value, "mean", value))  # RangeValue or float

    return mean(impacts.energy.value) * 1000, mean(impacts.gwp.value) * 1000


def combien_request(model: str, tokens: int) -> tuple[float, float]:
    from combien.serving.infer import infer

    bill = infer(
        model=model,
        hardware="h100-sxm",
        tokens_out=tokens,
        tokens_in=1000,
        pue=PUE,
        wue=WUE,
        grid=GRID_KG_PER_KWH * 1000,
        ewif=EWIF,
        samples=200,
        precision="fp8" if model == "deepseek-v3" else None,
    )
    line = bill.per_request
    return line["energy_kwh"].value * 1000, line["co2e_total_kg"].value * 1000


def main() -> None:
    print(
        f"{'model':<16}{'tokens':>7}{'combien Wh':>12}{'EcoLogits Wh':>14}{'ratio':>7}"
        f"{'combien g':>11}{'EcoLogits g':>13}{'ratio':>7}"
    )
    for model, active, total in MODELS:
        for tokens in TOKENS:
            c_wh, c_g = combien_request(model, tokens)
            e_wh, e_g = ecologits(active, total, tokens)
            print(
                f"{model:<16}{tokens:>7}{c_wh:>12.3f}{e_wh:>14.3f}{c_wh / e_wh:>7.2f}"
                f"{c_g:>11.3f}{e_g:>13.3f}{c_g / e_g:>7.2f}"
            )


if __name__ == "__main__":
    main()
