# ruff: noqa: I001 — the commands are imported in the order `combien --help` lists them
"""Command line: a thin shell over the library. Each command parses, calls one function, renders.

Errors are one line on stderr with exit code 2 — never a traceback. The commands live in the
modules of this package, by domain; `_app` holds the application and the shared options.
"""

from __future__ import annotations

import sys

import typer

from combien.cli._app import app
from combien.errors import CombienError

# the commands register in this order, which is the order of `combien --help`
from combien.cli import training
from combien.cli import serving
from combien.cli import tracking
from combien.cli import field
from combien.cli import data

__all__ = ["app", "data", "field", "main", "serving", "tracking", "training"]


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the app, turns every known error into one line and exit code 2."""
    try:
        result = app(args=argv, prog_name="combien", standalone_mode=False)
    except CombienError as exc:
        sys.stderr.write(f"combien: error: {exc}\n")
        return 2
    except typer.Abort:
        sys.stderr.write("combien: aborted\n")
        return 130
    except typer.exceptions.TyperException as exc:  # usage errors from the parser
        message = " ".join(exc.format_message().split())
        sys.stderr.write(f"combien: error: {message} (see combien --help)\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # a file that cannot be read or written
        where = f": {exc.filename}" if exc.filename else ""
        sys.stderr.write(f"combien: error: {exc.strerror or exc}{where}\n")
        return 2
    except Exception as exc:  # a store that cannot be opened, or a bug: still one line
        import sqlite3

        if isinstance(exc, sqlite3.Error):
            sys.stderr.write(
                f"combien: error: the run store cannot be used ({exc}) — check --db or COMBIEN_DB\n"
            )
            return 2
        sys.stderr.write(
            f"combien: internal error: {type(exc).__name__}: {exc} — please report it\n"
        )
        return 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
