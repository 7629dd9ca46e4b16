"""Errors raised by combien.

Every error is a :class:`CombienError`; each subclass also inherits the builtin it refines, so
callers may catch either. Messages are one line and say how to fix the problem.

    CombienError
     ├── InputError(ValueError)          a value that cannot be used as given
     │    ├── ConflictError              two inputs that disagree (names both)
     │    └── IncompleteError            not enough to derive what was asked
     ├── UnknownNameError(LookupError)   an id not in the catalog (carries suggestions)
     │    └── AmbiguousNameError         a name several rows answer to (lists them)
     └── DataError(RuntimeError)         a reference data file that is malformed

Soft problems (a default used, a line that cannot be computed) are not errors: they are coded
warnings on the result.
"""

from __future__ import annotations

from collections.abc import Sequence


class CombienError(Exception):
    """Base class of every error raised by combien."""


class InputError(CombienError, ValueError):
    """An input value that cannot be used: unparseable, out of range, wrong type."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ConflictError(InputError):
    """Two inputs disagree; the message names both and how to say which wins."""

    def __init__(self, message: str, *, fields: Sequence[str] = ()) -> None:
        super().__init__(message, field=fields[0] if fields else None)
        self.fields = tuple(fields)


class IncompleteError(InputError):
    """Not enough inputs to derive a required quantity."""


class UnknownNameError(CombienError, LookupError):
    """A name that is not in a catalog table; carries close matches."""

    def __init__(self, kind: str, name: str, suggestions: Sequence[str] = ()) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = tuple(suggestions)
        hint = (
            f" — did you mean: {', '.join(self.suggestions)}?"
            if self.suggestions
            else f" — see `{LISTED_BY.get(kind, f'combien data {kind_to_table(kind)}')}`"
        )
        super().__init__(f"unknown {kind} {name!r}{hint}")

    def __str__(self) -> str:  # LookupError would quote the message
        return str(self.args[0])


class AmbiguousNameError(UnknownNameError):
    """A name that several catalog rows answer to ("Georgia"); carries their ids."""

    def __init__(self, kind: str, name: str, matches: Sequence[str]) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = tuple(matches)
        CombienError.__init__(
            self, f"{kind} {name!r} names several: {', '.join(matches)} — pass one of these ids"
        )


class DataError(CombienError, RuntimeError):
    """A reference data file is malformed (a bug in combien's data, not in the input)."""


#: kinds of names listed by a command of their own rather than by `combien data`
LISTED_BY = {"claim": "combien claims --format json", "served model": "combien data models"}


def kind_to_table(kind: str) -> str:
    """Name of the `combien data` table listing ids of this kind."""
    return {
        "hardware": "hardware",
        "location": "locations",
        "model": "models",
        "facility": "facilities",
        "convention": "conventions",
        "provider": "prices",
        "energy source": "energy",
    }.get(kind, kind)
