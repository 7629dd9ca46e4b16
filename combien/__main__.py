"""`python -m combien`: the command line."""

from combien.cli import entry

entry()
