"""The web dashboard and JSON API: the CLI's documents, one error shape, pages built from the
field table, runs live in a real Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")

from fastapi.testclient import TestClient

import combien
from combien.fields import INPUTS
from combien.resolve.spec import TrainingRun
from combien.store import Store
from combien.testing import FakeSensor, ManualClock
from combien.web import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = (
    Path(os.environ.get("COMBIEN_SCREENSHOTS", ""))
    if os.environ.get("COMBIEN_SCREENSHOTS")
    else None
)


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "runs.db")


@pytest.fixture
def client(db: str) -> TestClient:
    return TestClient(create_app(db))


@pytest.mark.parametrize(
    ("path", "args"),
    [
        ("/api/estimate", ["estimate", "--model", "gpt-3"]),
        ("/api/estimate", ["estimate", "--params", "70B", "--tokens", "15T", "--hardware",
                           "h100-sxm", "--chips", "16384", "--location", "US-IA"]),
        ("/api/infer", ["infer", "--model", "llama-3.1-70b", "--rps", "100", "--location",
                        "US-VA"]),
    ],
)  # fmt: skip
def test_api_json_equals_cli_json(client: TestClient, cli: Any, path: str, args: list[str]) -> None:
    flags = args[1:]
    params = {flags[i].lstrip("-").replace("-", "_"): flags[i + 1] for i in range(0, len(flags), 2)}
    answer = client.get(path, params=params)
    assert answer.status_code == 200
    assert answer.json() == cli(*args, "--format", "json").json()


PLAN = ["--params", "7B", "--tokens", "1T", "--deadline", "30d", "--hardware",
        "h100-sxm,a100-80gb", "--locations", "FR,US", "--samples", "200"]  # fmt: skip


def _params(flags: list[str]) -> dict[str, str]:
    return {flags[i].lstrip("-").replace("-", "_"): flags[i + 1] for i in range(0, len(flags), 2)}


def test_compare_and_plan_json_equal_the_cli(client: TestClient, cli: Any) -> None:
    compare = ["--model", "llama-3.1-405b", "--location", "FR,US-VA", "--samples", "500"]
    answer = client.get("/api/compare", params=_params(compare))
    assert answer.status_code == 200
    assert answer.json() == cli("compare", *compare, "--format", "json").json()
    # the common draws, in every draw: Virginia's grid (eGRID2023 244.758 g × the US lifecycle
    # ratio of 2023, 392.848 / 349.667) against France's (Ember 2024, 44.1791 g)
    difference = answer.json()["differences"][0]["lines"]["co2e_operational_kg"]
    ratio = 244.758 * 392.848 / 349.6671 / 44.1791
    assert difference["ratio"] == pytest.approx(ratio) and difference["p_higher"] == 1.0
    plan = client.get("/api/plan", params=_params(PLAN))
    assert plan.status_code == 200
    assert plan.json() == cli("plan", *PLAN, "--format", "json").json()


def test_bad_input_is_422_with_the_cli_message(client: TestClient, cli: Any) -> None:
    answer = client.get("/api/estimate", params={"params": "70X", "tokens": "15T"})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["field"] == "params" and error["type"] == "InputError"
    printed = cli("estimate", "--params", "70X", "--tokens", "15T").err
    assert printed == f"combien: error: {error['message']}\n"
    unknown = client.get("/api/estimate", params={"bogus": "1"})
    assert unknown.status_code == 422 and "bogus" in unknown.json()["error"]["message"]


def test_unknown_run_is_404_in_json_and_in_a_page(client: TestClient) -> None:
    answer = client.get("/api/runs/nope")
    assert answer.status_code == 404
    assert answer.json()["error"]["message"].startswith("no run 'nope'")
    page = client.get("/runs/nope")
    assert page.status_code == 404 and "no run &#39;nope&#39;" in page.text
    assert "Traceback" not in page.text


def test_serve_refuses_an_address_it_cannot_take_before_serving(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host that is no address, an address of another machine (TEST-NET-1, RFC 5737) or a
    port in use: one line, exit 2, and never 'serving on'; the server is never started."""
    import uvicorn

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the server was started")

    monkeypatch.setattr(uvicorn, "run", never)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        cases = {
            ("--host", "999.1.1.1"): "--host: '999.1.1.1' is not an IPv4 address — use an",
            ("--host", "192.0.2.1"): "--host: cannot serve on 192.0.2.1 (",
            ("--port", port): f"--port: {port} is in use on 127.0.0.1 — pass another --port",
        }
        for args, message in cases.items():
            out = cli("serve", *args)
            assert (out.code, out.out) == (2, "") and out.err.count("\n") == 1, out.err
            assert out.err.startswith(f"combien: error: {message}")


def test_openapi_parameters_are_the_field_table(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    names = {p["name"] for p in spec["paths"]["/api/estimate"]["get"]["parameters"]}
    expected = {INPUTS[name].attr for name in TrainingRun.inputs()} | {"samples", "seed"}
    assert names == expected
    assert {"/api/infer", "/api/runs", "/api/runs/{run_id}", "/api/trends"} <= set(spec["paths"])


def test_estimate_form_is_built_from_the_fields(client: TestClient) -> None:
    page = client.get("/estimate").text
    for name in TrainingRun.inputs():
        assert f'name="{INPUTS[name].attr}"' in page, name


def test_a_given_zero_stays_in_the_form(client: TestClient) -> None:
    # no engine time is a value: the page keeps it, so that sending the form again does not
    # fall back to the default 59 µs
    page = client.get("/infer?model=llama-3.1-8b&engine_time_us=0&cached_share=0").text
    for name in ("engine_time_us", "cached_share"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
        assert field is not None and 'value="0' in field.group(0), name


def test_the_store_is_read_only_and_html_escaped(client: TestClient, db: str) -> None:
    hostile = "<script>alert(1)</script>"
    with combien.Tracker(db=db, sensors=[FakeSensor(100.0)], project=hostile, flush_s=0.1):
        pass
    before = Path(db).stat().st_mtime_ns
    page = client.get("/runs").text
    assert hostile not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert client.get("/api/runs").json()[0]["project"] == hostile
    assert Path(db).stat().st_mtime_ns == before


def test_run_power_from_its_samples(client: TestClient, db: str) -> None:
    clock = ManualClock()
    each_second = {"interval_s": 1.0, "flush_s": 1.0, "counter_interval_s": 1.0}
    with combien.Tracker(db=db, sensors=[FakeSensor(300.0)], clock=clock, **each_second) as t:
        clock.advance(5.0)
    doc = client.get(f"/api/runs/{t.id}/power").json()
    powers = [w for points in doc["power_w"].values() for _, w in points]
    assert doc["status"] == "finished" and powers
    assert all(w == pytest.approx(300.0, rel=1e-6) for w in powers)  # a constant 300 W device
    assert client.get(f"/api/runs/{t.id}").json()["schema"] == "combien.bill/1"


# ------------------------------------------------------------------ a real browser


@pytest.fixture
def server(db: str) -> Iterator[str]:
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="error")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is needed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        tab = browser.new_page(viewport={"width": 1280, "height": 1000})
        yield tab
        browser.close()


def _shot(tab: Any, name: str, tmp_path: Path) -> Path:
    folder = SCREENSHOTS or tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path


def test_browser_fills_the_estimate_form(page: Any, server: str, tmp_path: Path) -> None:
    page.goto(f"{server}/estimate")
    for name, value in (("params", "70B"), ("tokens", "15T"), ("hardware", "h100-sxm"),
                        ("chips", "16384"), ("location", "US-IA")):  # fmt: skip
        page.fill(f"input[name={name}]", value)
    page.click("button[type=submit]")
    page.wait_for_selector("#bill")
    row = page.locator('tr[data-line="Energy (facility)"] td.value').inner_text()
    expected = combien.estimate(
        params="70B", tokens="15T", hardware="h100-sxm", chips=16384, location="US-IA"
    )
    assert row == expected.rows()[2][1]  # the same figure as the CLI's table
    assert "params=70B" in page.url  # the address holds the inputs: shareable
    assert _shot(page, "estimate", tmp_path).stat().st_size > 10_000


def test_browser_follows_a_running_run(page: Any, server: str, db: str, tmp_path: Path) -> None:
    tracker = combien.Tracker(
        db=db, sensors=[FakeSensor(250.0)], interval_s=0.1, flush_s=0.2, project="live"
    )
    tracker.start()
    try:
        deadline = time.monotonic() + 20
        while not Store(db, read_only=True).samples(tracker.id) and time.monotonic() < deadline:
            time.sleep(0.05)
        page.goto(f"{server}/runs/{tracker.id}")
        chart = page.locator("#power-chart")
        first = int(chart.get_attribute("data-samples") or 0)
        page.wait_for_function(
            "() => Number(document.getElementById('power-chart').dataset.updates) >= 2",
            timeout=30_000,
        )
        assert int(chart.get_attribute("data-samples") or 0) > first  # it is reading the GPU
        assert page.locator("#status").inner_text() == "running"
        _shot(page, "run-live", tmp_path)
    finally:
        tracker.stop()
    page.wait_for_function(
        "() => document.getElementById('status').textContent === 'finished'", timeout=30_000
    )


def test_browser_field_page_draws_its_charts(page: Any, server: str, tmp_path: Path) -> None:
    page.goto(f"{server}/field")
    page.wait_for_selector("#trend-cost .main-svg")
    points = page.evaluate("() => document.getElementById('trend-compute').data[0].x.length")
    assert points == len(json.loads(TestClient(create_app()).get("/api/trends").text)["models"])
    _shot(page, "field", tmp_path)


def test_browser_plan_draws_its_front(page: Any, server: str, tmp_path: Path) -> None:
    query = "&".join(f"{k}={v}" for k, v in _params(PLAN).items())
    page.goto(f"{server}/plan?{query}")
    page.wait_for_selector("#front .main-svg")
    shown = page.evaluate(
        "() => document.getElementById('front').data.reduce((n, t) => n + t.x.length, 0)"
    )
    options = TestClient(create_app()).get("/api/plan", params=_params(PLAN)).json()["options"]
    assert shown == len(options)  # every option is drawn, the front apart
    front = page.evaluate("() => document.getElementById('front').data[0].x.length")
    assert front == sum(o["pareto"] for o in options)
    _shot(page, "plan", tmp_path)


def test_browser_compare_shows_the_difference_and_its_probability(
    page: Any, server: str, tmp_path: Path
) -> None:
    page.goto(f"{server}/compare?model=llama-3.1-405b&location=FR,US-VA&samples=500")
    page.wait_for_selector("#differences")
    text = page.locator("#differences").inner_text()
    assert "higher in 100% of draws" in text
    _shot(page, "compare", tmp_path)


def test_browser_shows_the_html_report_and_the_trend_charts(
    page: Any, cli: Any, tmp_path: Path
) -> None:
    """The two standalone pages, opened from disk in Chromium: every byte they load is their
    own (no network), every range is drawn, and the trend points say their value on hover."""
    report = tmp_path / "report.html"
    trends_page = tmp_path / "trends.html"
    assert cli("report", "--model", "llama-3.1-405b", "--as", "html", "-o", str(report)).code == 0
    assert cli("trends", "--html", str(trends_page)).code == 0
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    page.goto(report.as_uri())
    bill = combien.estimate(model="llama-3.1-405b")
    drawn = [key for key, line in bill.lines.items() if line is not None]
    # one drawn range per computed line but the compute itself (FLOP has no range to draw)
    assert page.locator("svg").count() == len(drawn) - 1
    assert all(box and box["width"] > 0 for box in
               (page.locator("svg").nth(i).bounding_box() for i in range(3)))  # fmt: skip
    assert "Energy (facility)" in page.inner_text("body")
    _shot(page, "report-html", tmp_path)

    page.goto(trends_page.as_uri())
    assert page.locator("svg").count() == 3
    point = page.locator("circle").first
    tip = point.locator("title").text_content()
    assert tip and any(ch.isdigit() for ch in tip)  # the value, said on hover
    point.hover()
    _shot(page, "trends-html", tmp_path)
    assert requests and all(url.startswith("file://") for url in requests), requests
