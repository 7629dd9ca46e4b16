"""Input models: parse and validate untrusted input (flags, YAML, API JSON) into a run spec.

Each attribute is read by its field in `combien.fields` (unit, bounds, parse rule): numbers accept
"70B", "1.5e12", "15T", "3.2M"; durations "90d", "2160h". Any problem becomes a one-line
:class:`~combien.errors.InputError` that names the flag or key.

A YAML spec file is untrusted too: only a regular file of at most SPEC_MAX_BYTES, in UTF-8, is
read; aliases, repeated keys and nesting deeper than SPEC_MAX_DEPTH are refused, and an error
repeats at most a few dozen characters of it.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from combien.data.record import Record
from combien.errors import ConflictError, InputError
from combien.fields import INPUTS, Field, samples, seed
from combien.units import ECHO_CHARS, echo

if TYPE_CHECKING:
    import yaml

#: the largest spec file read: a spec is a few dozen keys, under 2 kB; 64 KiB leaves room for
#: comments, and YAML's pure-Python parser, at ~0.1 MB/s on dense input, reads it in under 1 s
SPEC_MAX_BYTES = 65_536
#: the deepest nesting of a spec: its keys hold numbers, names and lists of names
SPEC_MAX_DEPTH = 20
#: what a top-level key of a spec looks like (any other is refused without being repeated)
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


class Spec(Record):
    """What every run spec shares: the model's size, the hardware, the site, the prices, the
    Monte Carlo settings — and how a mapping is parsed (each key by its field).

    A frozen Record (a frozen dataclass to type checkers, without a dataclass's cost at import):
    each attribute is parsed by its field of `combien.fields` when the spec is made
    (`TrainingRun(params="70B")` holds 7e10), so a spec is always valid.
    """

    #: attributes read by a field of another name (InferenceRun.precision: weight precision)
    renamed: ClassVar[dict[str, str]] = {}

    model: str | None = None
    params: float | None = None
    active_params: float | None = None
    hardware: str | None = None
    location: str | None = None
    facility: str | None = None
    pue: float | None = None
    wue: float | None = None
    grid: float | None = None
    grid_scope: str | None = None
    ewif: float | None = None
    price_hour: float | None = None
    price_kwh: float | None = None
    provider: str | None = None
    commitment: str | None = None
    samples: int = 10_000
    seed: int = 0

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        for attr in self.attributes():
            value = getattr(self, attr)
            field = self.field_of(attr)
            if value is None or field is None:
                continue
            parsed = field.parse(value)
            if field.kind == "whole" and isinstance(parsed, float):
                parsed = int(parsed)
            object.__setattr__(self, attr, parsed)
        object.__setattr__(self, "samples", samples(self.samples))
        object.__setattr__(self, "seed", seed(self.seed))
        self._check()

    def _check(self) -> None:
        """Rules across fields (a subclass adds its own)."""
        if self.params and self.active_params and self.active_params > self.params:
            raise InputError(
                f"--active-params ({self.active_params:.3g}) cannot exceed --params "
                f"({self.params:.3g})",
                field="active_params",
            )

    @classmethod
    def attributes(cls) -> tuple[str, ...]:
        """The spec's attributes, in order (input fields, then samples and seed)."""
        return cls._fields

    @classmethod
    def field_of(cls, name: str) -> Field | None:
        """The input field that reads attribute `name` (None for samples and seed)."""
        return INPUTS.get(cls.renamed.get(name, name))

    @classmethod
    def inputs(cls) -> tuple[str, ...]:
        """The names of the input fields this spec takes."""
        return tuple(f.name for attr in cls.attributes() if (f := cls.field_of(attr)))

    @classmethod
    def parse(cls, data: Mapping[str, object]) -> Self:
        """Validate a mapping (keys as in YAML: `chip_hours` or `chip-hours`)."""
        if not isinstance(data, Mapping):
            raise InputError("a run spec must be a mapping of keys to values")
        clean = {str(k).replace("-", "_"): v for k, v in data.items()}
        if len(clean) < len(data):
            twice = sorted({str(k) for k in data} - set(clean))[0]
            raise InputError(
                f"the key {echo(twice)} is given twice (once with _ and once with -) — keep one",
                field=twice.replace("-", "_"),
            )
        known = set(cls.attributes())
        unknown = sorted(k for k in clean if k not in known)
        if unknown:
            valid = ", ".join(sorted(known))
            raise InputError(f"unknown key {echo(unknown[0])} — valid keys: {valid}",
                             field=unknown[0])  # fmt: skip
        for key in ("samples", "seed"):
            if key in clean and clean[key] is None:
                del clean[key]
        return cls(**clean)

    @classmethod
    def from_yaml(cls, path: str | Path) -> Self:
        """Read a YAML spec file (top-level mapping, keys as the model's attributes)."""
        return cls.parse(read_yaml(path))

    def values(self) -> dict[str, object]:
        """The attributes set to something other than their default (what was given)."""
        return {
            name: getattr(self, name)
            for name in self._fields
            if getattr(self, name) != self._defaults.get(name)
        }

    def merged(self, **overrides: object) -> Self:
        """A copy with some fields replaced (validated again)."""
        data = self.values()
        data.update({k: v for k, v in overrides.items() if v is not None})
        return self.parse(data)

    def given(self) -> set[str]:
        """Names of the fields the user set (not the Monte Carlo settings)."""
        return set(self.values()) - {"samples", "seed"}


class TrainingRun(Spec):
    """What is known of a training run. Every field is optional; the catalog fills the rest."""

    tokens: float | None = None
    flop: float | None = None
    chip_hours: float | None = None
    chips: float | None = None
    days: float | None = None
    mfu: float | None = None
    goodput: float | None = None
    precision: str | None = None
    power_fraction: float | None = None
    chip_power_w: float | None = None
    server_overhead: float | None = None
    it_energy_kwh: float | None = None
    convention: str | None = None
    energy: str | None = None
    efficiency: float | None = None
    efficiency_overhead: float | None = None
    heat_reuse: float | None = None
    start: str | None = None
    prefer: tuple[str, ...] = ()

    def _check(self) -> None:
        super()._check()
        for flag_name, what in (("grid", "carbon"), ("ewif", "water")):
            if self.energy is not None and getattr(self, flag_name) is not None:
                raise ConflictError(
                    f"--energy {self.energy} and --{flag_name} both give the {what} intensity of "
                    f"the electricity — pass --energy for a source's carbon and water, or "
                    f"--grid and --ewif for figures of your own, not both",
                    fields=("energy", flag_name),
                )


class InferenceRun(Spec):
    """What is known of a deployed model and its traffic. The catalog fills the rest."""

    renamed: ClassVar[dict[str, str]] = {"precision": "weight_precision"}

    tokens_in: float | None = None
    tokens_out: float | None = None
    cached_share: float | None = None
    chip_power_w: float | None = None
    requests_per_day: float | None = None
    rps: float | None = None
    gpus: int | None = None
    batch: float | None = None
    precision: str | None = None
    kv_precision: str | None = None
    engine_time_us: float | None = None
    utilisation: float | None = None
    tpot_ms: float | None = None
    ttft_ms: float | None = None
    peak_to_mean: float | None = None
    request_energy_kwh: float | None = None

    def _check(self) -> None:
        super()._check()
        if self.rps is not None and self.requests_per_day is not None:
            raise ConflictError(
                "give --rps or --requests-per-day, not both", fields=("rps", "requests_per_day")
            )


def read_yaml(path: str | Path) -> dict[str, object]:
    """A YAML spec file's top-level mapping; one-line InputError when it cannot be read."""
    import yaml

    name = _shown(path)
    text = _read_text(path, name)
    try:
        data = yaml.load(text, Loader=_spec_loader())  # a SafeLoader
    except _Refused as exc:
        raise InputError(f"--spec: {name} line {exc.line}: {exc}", field="spec") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise InputError(f"--spec: {name}{where} is not valid YAML", field="spec") from None
    except RecursionError:
        raise InputError(f"--spec: {name} is nested too deeply", field="spec") from None
    except ValueError:  # a date out of range, a number thousands of digits long
        message = f"--spec: {name} holds a value YAML cannot read (a date? a very long number?)"
        raise InputError(message, field="spec") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"--spec: {name} must hold a mapping of keys to values", field="spec")
    return data


def _shown(path: str | Path) -> str:
    """A file name as an error message repeats it: one line, its end kept when it is long."""
    text = echo(str(path), limit=len(str(path)) * 4 + 2, quotes=False)
    return text if len(text) <= ECHO_CHARS else "…" + text[1 - ECHO_CHARS :]


def _read_text(path: str | Path, name: str) -> str:
    """The text of a regular file of at most SPEC_MAX_BYTES, in UTF-8 (a BOM is allowed).

    Opened without blocking and checked before reading, so that a FIFO or a device is refused
    rather than waited on or read forever."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not a file name"
        raise InputError(f"--spec: cannot read {name}: {reason}", field="spec") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise InputError(f"--spec: {name} is {kind} — give a YAML file", field="spec")
    with os.fdopen(fd, "rb") as file:
        try:
            data = file.read(SPEC_MAX_BYTES + 1)
        except OSError as exc:
            raise InputError(f"--spec: cannot read {name}: {exc.strerror}", field="spec") from None
    if len(data) > SPEC_MAX_BYTES:
        raise InputError(
            f"--spec: {name} is larger than {SPEC_MAX_BYTES:,} bytes — a spec is a few keys",
            field="spec",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"--spec: {name} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}) — save it as UTF-8",
            field="spec",
        ) from None


class _Refused(ValueError):
    """Something a spec file may not hold, at a line."""

    def __init__(self, problem: str, mark: yaml.Mark) -> None:
        super().__init__(problem)
        self.line = mark.line + 1


@functools.cache
def _spec_loader() -> type[yaml.SafeLoader]:
    """YAML's safe loader, less what a spec never needs: aliases (a few lines of them expand
    to gigabytes), repeated keys (which one wins?), deep nesting, keys that are not names."""
    import yaml

    class SpecLoader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark
                raise _Refused("aliases (*name) are not allowed — write the value out", mark)
            if self.depth >= SPEC_MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _Refused(f"nested more than {SPEC_MAX_DEPTH} levels deep", mark)
            self.depth += 1
            try:
                node = super().compose_node(parent, index)
            finally:
                self.depth -= 1
            if parent is None and isinstance(node, yaml.MappingNode):
                _check_keys(node)
            return node

        def construct_mapping(
            self, node: yaml.MappingNode, deep: bool = False
        ) -> dict[Hashable, Any]:
            seen: set[object] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                try:
                    repeated = key in seen
                    seen.add(key)
                except TypeError:  # unhashable: the safe loader refuses it next
                    continue
                if repeated:
                    raise _Refused(f"the key {echo(key)} is given twice", key_node.start_mark)
            return super().construct_mapping(node, deep=deep)

    def _check_keys(node: yaml.MappingNode) -> None:
        for key_node, _ in node.value:
            text = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(text, str) or not _KEY.fullmatch(text):
                problem = "a key is not a name like chip_hours (it is not repeated here)"
                raise _Refused(problem, key_node.start_mark)

    return SpecLoader
