"""Lists of catalog ids as a user gives them: each id checked (every unknown one named, with
suggestions, in one message), repeats found by the row they name (`h100` and `h100-sxm` are one
chip), the catalog's own id kept."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from combien.data import catalog
from combien.errors import InputError, UnknownNameError
from combien.fields import COMMITMENTS, flag
from combien.provenance import Caveat

#: input fields whose values are catalog ids, and the table that holds them
TABLES: dict[str, Callable[[], catalog.Table[Any]]] = {
    "hardware": catalog.hardware,
    "location": catalog.locations,
    "facility": catalog.facilities,
    "model": catalog.models,
    "convention": catalog.conventions,
    "energy": catalog.energy_sources,
}
#: who owns the chips when no cloud provider rents them (plan)
OWNED = "owned"
#: the energy "source" that is the location's own grid: no scenario
GRID = "grid"
_YEARS = re.compile(r"^([13])\s*-?\s*y(?:ea)?r?s?$")


def providers() -> tuple[str, ...]:
    """Every provider of cloud_prices.csv, in the order of the file."""
    return tuple(dict.fromkeys(p.provider for p in catalog.cloud_prices()))


def canonical(field: str, value: str) -> str:
    """The catalog id a value names (UnknownNameError with suggestions when none)."""
    if field == "energy" and value.strip().lower() == GRID:
        return GRID
    if field == "commitment":
        return commitment(value)
    if field in TABLES:
        return str(TABLES[field]().get(value).id)
    if field == "provider":
        known = (*providers(), OWNED)
        if value.lower() in known:
            return value.lower()
        raise UnknownNameError("provider", value, [p for p in known if value.lower() in p][:3])
    return value


def commitment(value: str) -> str:
    """'on-demand', '1y' or '3y' as the catalog names them ('3yr', '3 years', 'on demand')."""
    text = value.strip().lower()
    years = _YEARS.match(text)
    if years:
        return f"{years[1]}y"
    if text.replace(" ", "-").replace("_", "-") in ("on-demand", "ondemand"):
        return "on-demand"
    raise UnknownNameError("commitment", value, COMMITMENTS)


def id_list(
    field: str, values: Iterable[str], option: str | None = None
) -> tuple[list[str], list[Caveat]]:
    """The catalog ids of a list (in the given order, each once) and a warning per repeat;
    every unknown id of the list in one InputError."""
    name = option or flag(field)
    ids: list[str] = []
    warnings: list[Caveat] = []
    unknown: list[str] = []
    for value in values:
        try:
            row = canonical(field, value)
        except UnknownNameError as exc:
            unknown.append(str(exc))
            continue
        if row in ids:
            warnings.append(
                Caveat("repeated", f"{name} names {row} more than once: it is counted once")
            )
            continue
        ids.append(row)
    if unknown:
        raise InputError(f"{name}: " + "; ".join(unknown), field=field)
    return ids, warnings


def split(values: str | Sequence[str]) -> list[str]:
    """'FR,US-VA' or ['FR', 'US-VA'] → ['FR', 'US-VA'] (blank items dropped)."""
    items = [values] if isinstance(values, str) else list(values)
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


def listed(flags: Mapping[str, object]) -> dict[str, object]:
    """Flags as `compare` takes them: 'FR,US-VA' becomes a list of variants, a single value stays
    a value, and a field whose values are a list already (`prefer`) is left whole."""
    from combien.fields import INPUTS

    out: dict[str, object] = {}
    for key, value in flags.items():
        field = INPUTS.get(key)
        if field is None or field.kind == "choices" or not isinstance(value, str | list | tuple):
            out[key] = value
            continue
        items = split(value)
        out[key] = items if len(items) > 1 else items[0] if items else value
    return out
