"""How a result shows itself: one small protocol (JSON, markdown, a terminal table) and the
table builders that every result uses, so that no result needs a renderer of its own elsewhere.

Each result type (Bill, InferenceBill, Lifecycle, Trends, Claims, Sector, ...) implements
`Document` next to its definition; the CLI and any web layer call the protocol and nothing else.
Every number a result shows is finite: `dumps` and `check_finite` refuse infinity and NaN with a
one-line error that names the line.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from combien.errors import InputError

if TYPE_CHECKING:
    from rich.console import RenderableType

#: a JSON value as results produce it
JSON = dict[str, object]


@runtime_checkable
class Document(Protocol):
    """What every result offers: a JSON object (with a `schema` key), markdown, a rich table."""

    def to_dict(self) -> JSON: ...

    def to_json(self, indent: int | None = 2) -> str: ...

    def to_markdown(self) -> str: ...

    def to_table(self) -> RenderableType: ...


def dumps(data: JSON, indent: int | None = 2) -> str:
    """JSON text of a result's dict: UTF-8 kept, keys in the result's order, every number
    finite (strict JSON has no Infinity or NaN)."""
    check_finite(data)
    return json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False)


def check_finite(data: object) -> None:
    """A one-line InputError naming the first number of a result that is infinite or NaN (inputs
    at the edge of their ranges whose product or ratio overflows). `data`: a result's dict, or
    its lines (mappings, sequences and dataclasses of numbers)."""
    where = _not_finite(data, ())
    if where is None:
        return
    path, value = where
    line = "".join(p if p.startswith("[") else f".{p}" for p in path).lstrip(".") or "value"
    raise InputError(
        f"the result's {line} is not a finite number ({value}) — the inputs are too large or "
        "too small together; check their exponents and units"
    )


def _not_finite(data: object, path: tuple[str, ...]) -> tuple[tuple[str, ...], float] | None:
    if isinstance(data, float):
        return None if math.isfinite(data) else (path, data)
    if isinstance(data, Mapping):
        items: Sequence[tuple[object, object]] = list(data.items())
    elif isinstance(data, list | tuple):
        items = [(f"[{i}]", item) for i, item in enumerate(data)]
    elif dataclasses.is_dataclass(data) and not isinstance(data, type):
        items = [(f.name, getattr(data, f.name)) for f in dataclasses.fields(data)]
    else:
        return None
    for key, value in items:
        found = _not_finite(value, (*path, str(key)))
        if found:
            return found
    return None


def markdown_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric_from: int = 1,
    left: Sequence[int] = (),
) -> list[str]:
    """Lines of a markdown table; columns from `numeric_from` on are right-aligned, except
    those in `left`."""
    align = ["---" if i < numeric_from or i in left else "---:" for i in range(len(header))]

    def row(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |"

    return [row(header), "| " + " | ".join(align) + " |", *(row(r) for r in rows)]


#: the narrowest a text column of a terminal table gets (its longest word, up to this)
TEXT_MIN_WIDTH = 10


def rich_table(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric_from: int = 1,
    show_lines: bool = False,
    compact: bool = False,
    left: tuple[int, ...] = (),
) -> RenderableType:
    """A rich table; columns from `numeric_from` on are right-aligned. A number is never split
    across lines: a numeric column does not wrap, the text columns wrap instead — but in a table
    of multi-line rows (`show_lines`) a numeric column wraps between words ('$2.10M' /
    '[$1.2M – $3M]'), never narrower than its longest word. A text column keeps at least its
    longest word up to `TEXT_MIN_WIDTH` characters, so that a narrow terminal wraps every column
    rather than squeezing one to nothing. `compact`: no vertical rules, for tables with many
    columns; `left`: text columns after `numeric_from`."""
    from rich import box
    from rich.table import Table

    table = Table(
        title=title,
        title_justify="left",
        show_lines=show_lines,
        box=box.SIMPLE_HEAD if compact else box.HEAVY_HEAD,
        pad_edge=not compact,
        # compact: no edge columns, one space between columns (rich crops otherwise)
        show_edge=not compact,
        collapse_padding=compact,
    )
    for i, column in enumerate(header):
        numeric = i >= numeric_from and i not in left
        words = [w for r in rows if i < len(r) for w in str(r[i]).split()] + column.split()
        longest = max((len(w) for w in words), default=1)
        table.add_column(
            column,
            justify="right" if numeric else "left",
            no_wrap=numeric and not show_lines,
            overflow="fold",
            min_width=longest if numeric else min(longest, TEXT_MIN_WIDTH),
        )
    for r in rows:
        table.add_row(*r)
    return table


#: a source this short (a formula, 'user') is printed where it is used, not as a footnote
INLINE_SOURCE_CHARS = 48


class Footnotes:
    """The sources of a document, numbered in order of first use, each printed once.

    A source is 'catalog row — citation' (or a short note such as a formula). Rows that share a
    citation (a hardware row's TDP and price) get their own number, and the later ones point to
    the first instead of repeating the text. `brief` (characters) shortens long citations at a
    clause boundary, for documents read at a glance; the JSON keeps every source in full.
    """

    def __init__(self, *, brief: int | None = None, inline: bool = True) -> None:
        self.brief, self.inline = brief, inline
        self._numbers: dict[str, int] = {}
        self._quoted: dict[str, int] = {}
        self.notes: list[tuple[int, str]] = []

    def cite(self, source: str) -> str:
        """'[3]' for a source (numbered at first use), or the source itself when it is short."""
        if self.inline and len(source) <= INLINE_SOURCE_CHARS and " — " not in source:
            return source
        number = self._numbers.get(source)
        if number is None:
            number = self._numbers[source] = len(self._numbers) + 1
            self.notes.append((number, self._text(source, number)))
        return f"[{number}]"

    def _text(self, source: str, number: int) -> str:
        row, dash, citation = source.partition(" — ")
        if not dash:
            row, citation = "", source
        first = self._quoted.setdefault(citation, number)
        if first != number:
            return f"{row} — as [{first}]"
        text = shorten(citation, self.brief) if self.brief else citation
        return f"{row} — {text}" if row else text

    def markdown(self) -> list[str]:
        """The notes as markdown lines ('[3] hardware:h100-sxm — ...')."""
        return [f"[{n}] {text}  " for n, text in self.notes]


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at the last clause or word boundary, with '…'."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    for boundary in ("; ", ", ", " "):
        at = cut.rfind(boundary)
        if at > limit // 2:
            return cut[:at].rstrip(" ,;(") + " …"
    return cut + "…"


def csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """CSV text (RFC 4180, header first) of a result's rows; None becomes an empty cell."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if c is None else c for c in row] for row in rows])
    return out.getvalue()


def records_csv(records: Sequence[Mapping[str, object]]) -> str:
    """CSV text of a result's records (one row each): nested mappings become dotted columns
    (`computed.value`), lists of scalars one cell joined by "; ", None an empty cell; the
    columns in the order they first appear."""
    flat = [_flatten(r) for r in records]
    header = list(dict.fromkeys(k for row in flat for k in row))
    return csv_text(header, [[row.get(k) for k in header] for row in flat])


def _flatten(record: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out |= _flatten(value, f"{name}.")
        elif isinstance(value, list | tuple):
            out[name] = "; ".join("" if v is None else str(v) for v in value)
        else:
            out[name] = value
    return out
