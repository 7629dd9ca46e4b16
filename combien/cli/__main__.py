"""`python -m combien.cli`."""

from combien.cli import entry

entry()
