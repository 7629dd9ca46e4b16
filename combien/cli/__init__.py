# ruff: noqa: I001 — the commands are imported in the order `combien --help` lists them
"""Command line: a thin shell over the library. Each command parses, calls one function, renders.

Errors are one line on stderr with exit code 2 — never a traceback. The commands live in the
modules of this package, by domain; `_app` holds the typer application and the shared options.
`estimate` and `infer` take a quick path that reads their options without building the typer
application (`_quick`); anything else, `--help` included, goes through typer, which loads the
module of the command run (`COMMANDS`), or all of them for `combien --help`.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from typing import TYPE_CHECKING, Any, NoReturn

from combien.errors import CombienError

if TYPE_CHECKING:
    import typer

__all__ = ["app", "main"]


#: the module that registers each command and group, in the order of `combien --help`: a
#: command run by name loads its own module only (a test checks this table against the app)
COMMANDS = {
    "estimate": "training",
    "lifecycle": "training",
    "compare": "planning",
    "plan": "planning",
    "infer": "serving",
    "track": "tracking",
    "report": "report",
    "trends": "field",
    "claims": "field",
    "sector": "field",
    "validate": "validation",
    "serve": "web",
    "data": "data",
    "runs": "tracking",
}


def application(command: str | None = None) -> typer.Typer:
    """The typer application with every command registered, in the order of `combien --help`;
    with `command`, only the module that registers it (what running that command needs)."""
    import importlib

    from combien.cli._app import app

    if command in COMMANDS:
        importlib.import_module(f"combien.cli.{COMMANDS[command]}")
        return app
    # the commands register as they are imported: this is the order of `combien --help`
    from combien.cli import training  # noqa: F401
    from combien.cli import planning  # noqa: F401
    from combien.cli import serving  # noqa: F401
    from combien.cli import tracking  # noqa: F401
    from combien.cli import report  # noqa: F401
    from combien.cli import field  # noqa: F401
    from combien.cli import validation  # noqa: F401
    from combien.cli import web  # noqa: F401
    from combien.cli import data  # noqa: F401

    # a command run alone earlier in this process registered first: restore the order
    order = list(COMMANDS)
    app.registered_commands.sort(key=lambda c: order.index(_name(c)) if _name(c) in order else 0)
    return app


def _name(info: Any) -> str:
    """A registered command's name, as typer derives it from the function's."""
    return str(info.name or info.callback.__name__.replace("_", "-"))


def __getattr__(name: str) -> Any:
    if name == "app":
        return application()
    raise AttributeError(f"module 'combien.cli' has no attribute {name!r}")


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the app, turns every known error into one line and exit code 2."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        with warnings.catch_warnings():
            # numpy's overflow warnings never reach the user: a result they spoil is refused by
            # the finite check of every output, with one line that names the line
            warnings.filterwarnings(
                "ignore", r"(overflow|invalid value|divide by zero) encountered", RuntimeWarning
            )
            return _run(args)
    except CombienError as exc:
        sys.stderr.write(f"combien: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # a file that cannot be read or written
        where = f": {exc.filename}" if exc.filename else ""
        sys.stderr.write(f"combien: error: {exc.strerror or exc}{where}\n")
        return 2
    except Exception as exc:  # the parser's, a store that cannot be opened, or a bug: one line
        return _other_error(exc)


def entry() -> NoReturn:
    """The `combien` program: `main`, then exit. After a quick command (`estimate`, `infer`)
    whose output is written and flushed, the process ends without the interpreter's teardown
    of every loaded module (a tenth of such a command's time); other commands exit normally,
    running their clean-up."""
    code = main()
    if _QUICK_DONE:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # the reader of a pipe has gone: nothing more can be said
            code = code or 1
        os._exit(code)
    sys.exit(code)


#: set when `_run` answered with the quick path (nothing of it needs clean-up at exit)
_QUICK_DONE = False


def _run(args: list[str]) -> int:
    global _QUICK_DONE
    from combien.cli import _quick

    if _quick.run(args):
        _QUICK_DONE = True
        return 0
    if args == ["--version"]:
        from combien import __version__

        sys.stdout.write(f"combien {__version__}\n")
        return 0
    command = args[0] if args and not args[0].startswith("-") else None
    result = application(command)(args=args, prog_name="combien", standalone_mode=False)
    return result if isinstance(result, int) else 0


def _other_error(exc: Exception) -> int:
    import sqlite3

    import typer

    if isinstance(exc, typer.Abort):
        sys.stderr.write("combien: aborted\n")
        return 130
    if isinstance(exc, typer.exceptions.TyperException):  # usage errors from the parser
        own = _parsed_error(exc)
        if own is not None:  # an option's own parser refused its value: its one line
            sys.stderr.write(f"combien: error: {own}\n")
            return 2
        message = " ".join(exc.format_message().split())
        if not message:  # a group run without its command: its help is printed, name the choice
            return _missing_command(exc)
        message = re.sub(r"\S{61,}", lambda m: m[0][:59] + "…", message)  # no long echo
        sys.stderr.write(f"combien: error: {message} (see combien --help)\n")
        return 2
    if isinstance(exc, sqlite3.Error):
        sys.stderr.write(
            f"combien: error: the run store cannot be used ({exc}) — check --db or COMBIEN_DB\n"
        )
        return 2
    sys.stderr.write(f"combien: internal error: {type(exc).__name__}: {exc} — please report it\n")
    return 1


def _missing_command(exc: Exception) -> int:
    """`combien` or `combien runs` without a command: one line that names the commands."""
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", "") or "combien"
    group = getattr(ctx, "command", None)
    listing = getattr(group, "list_commands", None)
    names = listing(ctx) if callable(listing) else []
    choices = f": one of {', '.join(names)}" if names else ""
    sys.stderr.write(f"combien: error: {path} needs a command{choices} (see {path} --help)\n")
    return 2


def _parsed_error(exc: Exception) -> CombienError | None:
    """The combien error an option's parser raised, which typer reports wrapped in pydantic's
    validation error (as `Value error, ...`)."""
    errors = getattr(exc.__cause__, "errors", None)
    for error in errors() if callable(errors) else ():
        raised = (error.get("ctx") or {}).get("error")
        if isinstance(raised, CombienError):
            return raised
    return None


if __name__ == "__main__":
    sys.exit(main())
