"""The quick path of the commands run most (`estimate`, `infer`).

Their options are the input fields of `combien.fields` plus four of their own, so they can be
read without building the typer application, which costs more than the estimate itself. What
this reader does not know for certain — `--help`, an unknown flag, a repeated option, a value
typer would refuse — goes to the typer application, which gives the usual help and errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from combien.cli._output import Format, emit, output_format
from combien.fields import INPUTS, Field, samples, seed

if TYPE_CHECKING:
    from combien.results.bill import Bill
    from combien.results.document import Document

#: the options of these commands that are not input fields, and how each is read (as typer
#: reads them: a value refused here is left to typer, which gives the same one-line error)
OWN: dict[str, Callable[[str], object]] = {
    "--spec": str,
    "--format": output_format,
    "--samples": samples,
    "--seed": seed,
}


def estimate_result(options: dict[str, Any]) -> Bill:
    """The bill of `combien estimate` (options by attribute; `spec` a YAML file)."""
    from combien.resolve.spec import TrainingRun
    from combien.training.estimate import estimate

    spec = options.pop("spec", None)
    run = TrainingRun.from_yaml(spec).merged(**options) if spec else TrainingRun.parse(options)
    return estimate(run)


def infer_result(options: dict[str, Any]) -> Document:
    """The serving bill of `combien infer` (options by attribute; `spec` a YAML file)."""
    from combien.resolve.spec import InferenceRun, read_yaml
    from combien.serving.infer import infer

    spec = options.pop("spec", None)
    data = read_yaml(spec) if spec else {}
    return infer(InferenceRun.parse({**data, **options}))


COMMANDS: dict[str, Callable[[dict[str, Any]], Document]] = {
    "estimate": estimate_result,
    "infer": infer_result,
}


def fields_of(command: str) -> dict[str, Field]:
    """The input fields a quick command takes, by flag."""
    from combien.resolve.spec import InferenceRun, TrainingRun

    spec = TrainingRun if command == "estimate" else InferenceRun
    return {INPUTS[name].flag: INPUTS[name] for name in spec.inputs()}


def read(command: str, args: list[str]) -> dict[str, Any] | None:
    """The options in `args` by attribute, or None when the typer application should read
    them (anything this reader is not sure to read as typer would)."""
    fields, out = fields_of(command), dict[str, Any]()
    position = 0
    while position < len(args):
        name, equals, value = args[position].partition("=")
        if not equals:
            if position + 1 >= len(args):
                return None
            value = args[position + 1]
            position += 1
        position += 1
        if value.startswith("--") or not name.startswith("--"):
            return None
        field = fields.get(name)
        key = field.attr if field else name[2:]
        if field is not None and field.kind == "choices":
            out.setdefault(key, []).append(value)
            continue
        if key in out or (field is None and name not in OWN):
            return None
        try:
            out[key] = OWN[name](value) if field is None else value
        except ValueError:
            return None
    return out


def run(args: list[str]) -> bool:
    """Run `args` if they are a quick command this reader can read; False otherwise."""
    if not args or args[0] not in COMMANDS:
        return False
    options = read(args[0], args[1:])
    if options is None:
        return False
    output_format = options.pop("format", Format.table)
    emit(COMMANDS[args[0]](options), output_format)
    return True
