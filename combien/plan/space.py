"""The space a plan searches: hardware × chip count × site × offer, and the resolved inputs of
each part, read through the one resolver.

- A **cloud region** (`aws:us-east-1`) rents from its provider, at each commitment the catalog
  prices for that provider and chip; the operator's PUE and WUE apply.
- A **country or state** is where chips are **owned** (bought, or colocated): the cost is
  Epoch AI's ownership cost (amortised hardware + energy), under each facility preset
  (hyperscale, enterprise, air-cooled, evaporative, dlc).
- A provider whose offers name no region (lambda, runpod, ...) rents at `WORLD`: the catalog
  does not say where it runs, so the world-average grid and water intensity apply.

The inputs of a configuration split into parts that do not depend on each other: those of the
hardware and its chip count (compute, MFU, power, embodied carbon, hardware price), those of the
site (PUE, WUE, grid, EWIF, electricity price: what `resolve.site.site` sets) and the cloud price
of (hardware, provider, commitment). Each part is resolved once; a configuration's inputs are the
union of its parts', which is what the resolver gives the whole configuration (a test checks it
against `estimate`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from combien.data import catalog
from combien.errors import CombienError
from combien.fields import COMMITMENTS
from combien.plan.constraints import Restrictions
from combien.plan.names import OWNED, providers
from combien.provenance import Assumption, Caveat
from combien.resolve import site as site_stage
from combien.resolve.resolver import Resolver
from combien.resolve.spec import TrainingRun
from combien.resolve.training import resolve_training

#: where the offers of a provider without listed regions are placed
NOWHERE = "WORLD"
#: the facility preset that stands for "not known", never a choice
UNKNOWN_FACILITY = "typical"


@dataclass(frozen=True)
class Placement:
    """Where a run happens and who provides the chips: a site (location, and the facility
    preset of an owned site) and an offer (provider and commitment; `owned` has none)."""

    location: str
    facility: str | None
    provider: str
    commitment: str | None

    @property
    def owned(self) -> bool:
        return self.provider == OWNED

    def fields(self) -> dict[str, str]:
        """The spec fields of this placement (what `estimate` takes)."""
        out = {"location": self.location}
        if self.facility:
            out["facility"] = self.facility
        if not self.owned:
            out["provider"] = self.provider
            out["commitment"] = str(self.commitment)
        return out

    def describe(self) -> str:
        """'aws:us-east-1, 3-yr commitment' or 'owned in FR (dlc)'."""
        if self.owned:
            return f"owned in {self.location} ({self.facility})"
        where = self.location if self.location != NOWHERE else "location unknown"
        terms = {"on-demand": "on demand", "1y": "1-yr commitment", "3y": "3-yr commitment"}
        return f"{self.provider} ({where}), {terms.get(str(self.commitment), self.commitment)}"


def placements(allowed: Restrictions) -> list[Placement]:
    """Every site × offer the restrictions allow, in the catalog's order."""
    regional = {loc.provider for loc in catalog.locations() if loc.provider}
    everyone = providers()
    commitments = [c for c in COMMITMENTS if _allows(allowed.commitments, c)]
    facilities = [
        f.id
        for f in catalog.facilities()
        if f.id != UNKNOWN_FACILITY and _allows(allowed.facilities, f.id)
    ]
    out: list[Placement] = []
    for loc in catalog.locations():
        if not _located(loc, allowed.locations):
            continue
        if loc.kind == "cloud-region" and loc.provider:
            if _allows(allowed.providers, loc.provider):
                out += [Placement(loc.id, None, loc.provider, c) for c in commitments]
        elif loc.id == NOWHERE:
            out += [
                Placement(loc.id, None, p, c)
                for p in everyone
                if p not in regional and _allows(allowed.providers, p)
                for c in commitments
            ]
        elif _allows(allowed.providers, OWNED):
            out += [Placement(loc.id, f, OWNED, None) for f in facilities]
    return out


def _allows(allowed: Iterable[str] | None, value: str) -> bool:
    return allowed is None or value in allowed


def _located(loc: catalog.Location, allowed: Iterable[str] | None) -> bool:
    """A location is allowed when it, or a place that contains it, is (FR admits FR's cloud
    regions)."""
    if allowed is None:
        return True
    wanted = set(allowed)
    table = catalog.locations()
    row: catalog.Location | None = loc
    while row is not None:
        if row.id in wanted:
            return True
        row = table.get(row.parent) if row.parent else None
    return False


# ---------------------------------------------------------------- resolved parts


@dataclass(frozen=True)
class Part:
    """The resolved inputs of one part of a configuration (central values), or why it has
    none."""

    values: dict[str, float]
    warnings: tuple[Caveat, ...] = ()
    problem: str = ""


def site_keys() -> frozenset[str]:
    """The inputs the site stage of the resolver sets."""
    return frozenset(site_part({}, NOWHERE, None).values)


def site_part(method: Mapping[str, object], location: str, facility: str | None) -> Part:
    """PUE, WUE, grid, EWIF and electricity price of a site (the resolver's site stage)."""
    fields = {**method, "location": location}
    if facility:
        fields["facility"] = facility
    r = Resolver(TrainingRun.parse(fields))
    site_stage.site(r)
    return Part(_central(r.values), tuple(r.warnings))


def hardware_part(
    work: Mapping[str, object], hardware: str, chips: float, skip: frozenset[str]
) -> Part:
    """Every input of a run on `chips` × `hardware` but the site's and the cloud price."""
    run = TrainingRun.parse({**work, "hardware": hardware, "chips": chips, "location": NOWHERE})
    try:
        resolved = resolve_training(run)
    except CombienError as exc:
        return Part({}, problem=str(exc))
    values = {k: v for k, v in _central(resolved.values).items() if k not in skip}
    return Part(values, resolved.warnings)


def price_part(hardware: str, provider: str, commitment: str) -> tuple[float | None, str]:
    """The catalog's price per chip-hour of (hardware, provider, commitment), as the resolver
    reads it (median of the provider's offers), and why there is none."""
    run = TrainingRun.parse({"hardware": hardware, "provider": provider, "commitment": commitment})
    r = Resolver(run)
    hw = catalog.hardware().get(hardware)
    site_stage.cloud_price(r, hw)
    price = r.values.get("price_usd_per_hour")
    if price is None:
        return None, f"{provider} rents no {hardware}"
    if r.labels.get("commitment") != commitment:
        return None, f"{provider} lists no {commitment} price for {hardware}"
    return price.value, ""


def _central(values: Mapping[str, Assumption]) -> dict[str, float]:
    return {k: a.value for k, a in values.items()}
