"""Record: the frozen row type of the reference tables, cheap to define.

A frozen dataclass generates and compiles its methods when its module is imported (about 0.6 ms
a class); the catalog defines some twenty row types, and every command imports it. A Record
reads its fields from its annotations once and shares one generic `__init__`, `__eq__`,
`__hash__` and `__repr__`, so defining one costs a few microseconds. Type checkers treat it as a
frozen dataclass (PEP 681).
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import FrozenInstanceError
from typing import Any, ClassVar, Self


@typing.dataclass_transform(kw_only_default=True, frozen_default=True)
class Record:
    """A frozen row: fields are the class's annotations, in order; a class value is a default."""

    __slots__ = ()
    #: field names, in order
    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = tuple(
            name
            for name, hint in inspect.get_annotations(cls).items()
            if not str(hint).startswith("ClassVar")
        )
        cls._fields = tuple(dict.fromkeys((*cls._fields, *own)))
        cls._defaults = {
            **cls._defaults,
            **{name: cls.__dict__[name] for name in own if name in cls.__dict__},
        }

    def __init__(self, **values: Any) -> None:
        if len(values) != len(self._fields) or values.keys() != set(self._fields):
            unknown = values.keys() - set(self._fields)
            if unknown:
                raise TypeError(f"{type(self).__name__}: unknown field {sorted(unknown)[0]!r}")
            missing = [name for name in self._fields if name not in values]
            if any(name not in self._defaults for name in missing):
                name = next(name for name in missing if name not in self._defaults)
                raise TypeError(f"{type(self).__name__}: missing field {name!r}")
            values = {name: values.get(name, self._defaults.get(name)) for name in self._fields}
        vars(self).update(values)

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        inside = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({inside})"

    def as_dict(self) -> dict[str, Any]:
        """The fields by name (lists and tuples as they are)."""
        return {name: getattr(self, name) for name in self._fields}

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed."""
        return type(self)(**(self.as_dict() | changes))
