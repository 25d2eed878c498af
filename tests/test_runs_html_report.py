"""`runs report`: one self-contained HTML page of a real sweep of seeds, opened in headless
Chromium with the network cut off: it renders, holds every run, and logs no script error."""

import importlib.util
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from t5mt.runs.__main__ import main
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, run_module
from tests.test_runs_significance import copy_run, write_hypotheses

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None, reason="playwright is not installed"
    ),
]


class Page:
    """A report opened in the browser, with every console error and uncaught exception, and
    every request that would leave the file (all refused)."""

    def __init__(self, browser, path: Path) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.route(re.compile(r"^(?!file:)"), self._refuse)
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("body[data-rendered=true]")

    def _refuse(self, route) -> None:
        self.requests.append(route.request.url)
        route.abort()

    def column(self, table: str, index: int) -> list[str]:
        return self.page.eval_on_selector_all(
            f"#{table} tr.run", f"rows => rows.map(row => row.cells[{index}].textContent)"
        )


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profile")),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_FLAGS,
            viewport={"width": 1200, "height": 900},
        )
        yield context
        context.close()


def test_the_report_of_a_sweep_renders_every_run_offline(
    seed_sweep: Path, tmp_path: Path, browser
) -> None:
    sweep = tmp_path / "sweep"
    shutil.copytree(seed_sweep, sweep, ignore=shutil.ignore_patterns("tokenizer", "*.ckpt"))
    result = run_module("t5mt.runs", "report", "sweep", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = sweep / "report.html"
    assert result.stdout == f"wrote {Path('sweep/report.html')} (3 runs)\n"
    html = report.read_text()
    assert "<script src" not in html and "<link" not in html  # everything inline

    page = Page(browser, report)
    assert page.errors == [] and page.requests == []
    assert page.column("runs", 0) == ["0", "1", "2"]  # every run, in one group
    assert page.page.locator("#runs tr.group-head").count() == 1
    assert "all runs — n=3" in page.page.text_content("#runs tr.group-head")
    assert page.page.locator("#curves path.curve").count() >= 3  # train/loss of each run
    assert page.page.locator("#groups circle.group-mean").count() == 2  # val and test
    assert "nothing was swept" in page.page.text_content("#sweep")

    page.page.click("#runs th[data-key=seed]")  # sort by seed, then descending
    page.page.click("#runs th[data-key=seed]")
    assert page.column("runs", 2) == ["2", "1", "0"]
    assert page.errors == []


def test_two_runs_are_shown_sentence_by_sentence(
    seed_sweep: Path, tmp_path: Path, browser, capsys
) -> None:
    a, b = copy_run(seed_sweep / "0", tmp_path / "a"), copy_run(seed_sweep / "1", tmp_path / "b")
    write_hypotheses(a, 2)
    write_hypotheses(b, 3)
    out = tmp_path / "pair.html"
    main(["report", str(a), str(b), "--out", str(out)])
    assert capsys.readouterr().out == f"wrote {out} (2 runs)\n"

    page = Page(browser, out)
    assert page.errors == [] and page.requests == []
    hyp_a, hyp_b = ((run / "test.hyp").read_text().splitlines() for run in (a, b))
    differ = sum(x != y for x, y in zip(hyp_a, hyp_b, strict=True))
    assert f"differ in {differ} of {len(hyp_a)} test sentences" in page.page.text_content("#pair")
    assert page.page.locator("#sentences tr").count() == differ + 1  # and the header
    buckets = page.page.eval_on_selector_all(
        "#buckets tr", "rows => rows.slice(1).map(row => Number(row.cells[1].textContent))"
    )
    assert sum(buckets) == len(hyp_a)
    first = page.page.eval_on_selector(
        "#sentences tr:nth-child(2)", "row => row.cells[0].textContent"
    )
    line = int(first) - 1
    assert hyp_a[line] != hyp_b[line]
    assert page.page.locator(f"#sentences td:text-is({hyp_b[line]!r})").count() >= 1
