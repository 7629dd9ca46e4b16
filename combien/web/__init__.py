"""combien's web dashboard and JSON API (`combien serve`, extra `combien[web]`).

Thin over the library: every page has a JSON twin under `/api/...` returning the same documents
as the CLI's `--format json`; the estimate and serving forms are built from the field table
(`combien.fields`); runs come from the same SQLite store as `combien runs`, which only
`combien serve --ingest` writes: runs that trackers on other machines post (`web/ingest.py`).
Nothing is loaded from the network: the page's own script and style and Plotly's bundle are
served from the installed packages.
"""

from combien.web.app import create_app

__all__ = ["create_app"]
