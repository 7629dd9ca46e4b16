"""Secrets kept out of the store: the values of options and variables named like secrets.

`redact(argv)` hides the value of `--*key*`, `--*token*`, `--*secret*`, `--*password*` options
(`--opt value` and `--opt=value`) and of `NAME=value` words whose name says the same, before a
command line is stored with its run.
"""

from __future__ import annotations

import re

#: option and variable names whose values are not stored
SECRET = re.compile(r"key|token|secret|password|passwd", re.IGNORECASE)
REDACTED = "***"


def redact(argv: list[str]) -> list[str]:
    """The command line with the values of `--*key*`, `--*token*`, `--*secret*`,
    `--*password*` options (`--opt value` and `--opt=value`) and `NAME=value` words redacted."""
    out: list[str] = []
    hide_next = False
    for word in argv:
        if hide_next and not word.startswith("-"):
            out.append(REDACTED)
            hide_next = False
            continue
        hide_next = False
        name, eq, _ = word.partition("=")
        if word.startswith("-") and SECRET.search(name):
            if eq:
                out.append(f"{name}={REDACTED}")
            else:
                out.append(word)
                hide_next = True
            continue
        if eq and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", name) and SECRET.search(name):
            out.append(f"{name}={REDACTED}")
            continue
        out.append(word)
    return out
