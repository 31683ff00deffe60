"""The weekly report and the picture of the leaks in headless Chromium: no console errors,
the numbers on the page are those of `--format json`, the leak picture is there."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.print_page_options import PrintOptions
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
WEEK = ["facts/demo_week.json", "--from", "2025-06-09", "--to", "2025-06-15"]

sys.path.insert(0, str(Path(__file__).resolve().parent))
import big_model  # noqa: E402


def run(sphere_bin: Path, *args: str) -> str:
    done = subprocess.run(
        [str(sphere_bin), *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def number(doc: dict, path: str) -> int:
    value = doc
    for part in path.split("."):
        value = value[part]
    if isinstance(value, dict):
        value = value["count"]
    if isinstance(value, list):
        value = len(value)
    return value


def test_report_in_chromium_shows_the_json_numbers_and_the_leaks(
    sphere_bin, browser, console_errors, screenshot, tmp_path
):
    for lang in ("en", "de"):
        page = tmp_path / f"report-{lang}.html"
        page.write_text(run(sphere_bin, "report", *WEEK, "--lang", lang), encoding="utf-8")
        doc = json.loads(run(sphere_bin, "report", *WEEK, "--format", "json", "--lang", lang))
        browser.get(page.as_uri())
        assert console_errors(browser) == []
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
        cells = browser.find_elements(By.CSS_SELECTOR, "[data-key]")
        shown = {c.get_attribute("data-key"): c.text for c in cells}
        for key in (
            "activities.total",
            "activities.done",
            "activities.planned",
            "activities.personal_data",
            "findings.total",
            "findings.needs_action",
            "warning_letters.total",
            "fines.art_83_5",
            "fines.art_83_4",
            "guideline_breaches",
            "leaks",
        ):
            assert shown.get(key) == str(number(doc, key)), (key, shown.get(key))
        for law, count in doc["findings"]["by_law"].items():
            assert shown[f"findings.by_law.{law}"] == str(count["count"])
        for row in doc["trend"]["rows"]:
            assert shown[f"trend.{row['key']}.current"] == str(row["current"]["count"])
        assert "decisions.journal" in shown, "the report says there is no journal"
        # The leak picture: the US transfer and the unlicensed photo reuse are leaks.
        leaks = {
            g.get_attribute("data-id"): g.get_attribute("data-leak")
            for g in browser.find_elements(By.CSS_SELECTOR, "svg.sphere-graph g[data-leak]")
        }
        assert leaks.get("flow-crm-monitoring") == "third_country_with_basis", leaks
        assert leaks.get("act-week-reuse-photo") == "breach", leaks
        assert set(leaks) == {leak["id"] for leak in doc["leaks"]}
        # A click on a finding id opens its explanation.
        first = doc["findings"]["total"]["ids"][0]
        link = browser.find_element(By.CSS_SELECTOR, f'.ids a[href="#{first}"]')
        browser.execute_script("arguments[0].scrollIntoView()", link)
        # A jump within the page (no new page: `navigate` does not apply); the page's script
        # opens the finding on the hash change, which may come after click() returns.
        link.click()
        details = browser.find_element(By.ID, first)
        WebDriverWait(browser, 10).until(lambda _: details.get_attribute("open") is not None)
        assert details.find_element(By.TAG_NAME, "pre").text.strip() != ""
        # Headings and table headers for readers who cannot see the colours.
        assert browser.find_elements(By.TAG_NAME, "h1")
        assert len(browser.find_elements(By.CSS_SELECTOR, "th[scope=row]")) > 10
        browser.execute_script("window.scrollTo(0, 0)")
        screenshot(browser, f"report-{lang}")
        assert console_errors(browser) == []


def test_graph_html_of_the_demo_week_and_of_a_thousand_systems(
    sphere_bin, browser, console_errors, screenshot, tmp_path
):
    page = tmp_path / "graph.html"
    page.write_text(run(sphere_bin, "graph", "facts/demo_week.json", "--format", "html"))
    browser.get(page.as_uri())
    assert console_errors(browser) == []
    svg = browser.find_element(By.CSS_SELECTOR, "svg.sphere-graph")
    assert svg.size["width"] > 500 and svg.size["height"] > 300
    marked = browser.find_elements(By.CSS_SELECTOR, "g.node[data-decision]")
    assert {g.get_attribute("data-id") for g in marked} >= {"sys-crm", "src-linkedin"}
    screenshot(browser, "graph-demo-week")

    model = tmp_path / "systems-1000.json"
    model.write_text(json.dumps(big_model.build(1000)))
    big = tmp_path / "graph-1000.html"
    big.write_text(run(sphere_bin, "graph", str(model), "--format", "html"))
    browser.get(big.as_uri())
    assert console_errors(browser) == []
    nodes = browser.find_elements(By.CSS_SELECTOR, "svg.sphere-graph g.node")
    assert len(nodes) > 1000
    # No two boxes of the laid-out picture overlap (checked on the page's own geometry).
    boxes = browser.execute_script(
        "return Array.from(document.querySelectorAll('svg.sphere-graph g.node')).map("
        "g => { const b = g.getBBox(); return [b.x, b.y, b.width, b.height]; });"
    )
    seen = {}
    for x, y, w, h in boxes:
        key = (round(x), round(y))
        assert key not in seen, f"two nodes at {key}"
        seen[key] = (w, h)
    unlawful = browser.find_elements(By.CSS_SELECTOR, 'g[data-leak="no_transfer_basis"]')
    assert unlawful, "the US transfers without a basis are leaks"
    screenshot(browser, "graph-1000-systems")


def test_report_prints_to_pdf_with_the_print_styles(sphere_bin, browser, console_errors, tmp_path):
    page = tmp_path / "report-print.html"
    page.write_text(run(sphere_bin, "report", *WEEK), encoding="utf-8")
    browser.get(page.as_uri())
    assert console_errors(browser) == []
    # On screen, an opened finding shows its explanation, and links are underlined.
    first = browser.find_element(By.CSS_SELECTOR, "details[id^='F-']")
    browser.execute_script("arguments[0].open = true", first)
    pre = first.find_element(By.TAG_NAME, "pre")
    link = browser.find_element(By.CSS_SELECTOR, ".sphere-report .ids a")

    def style(element, prop: str) -> str:
        return browser.execute_script(
            "return getComputedStyle(arguments[0]).getPropertyValue(arguments[1])", element, prop
        )

    assert style(pre, "display") != "none"
    assert "underline" in style(link, "text-decoration-line")
    assert style(link, "color") != style(link.find_element(By.XPATH, ".."), "color")
    # Printed (the print media of the page's CSS), the explanations and the link styling go.
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert style(pre, "display") == "none"
        assert "underline" not in style(link, "text-decoration-line")
        assert style(link, "color") == style(link.find_element(By.XPATH, ".."), "color")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    # Chromium's own "print to PDF": a PDF document of several A4 pages.
    options = PrintOptions()
    options.page_width = 21.0
    options.page_height = 29.7
    options.background = True
    pdf = base64.b64decode(browser.print_page(options))
    assert pdf.startswith(b"%PDF-"), pdf[:16]
    assert len(pdf) > 20_000, len(pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= 2, f"{pages} page(s)"
    out = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "browser"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report-en.pdf").write_bytes(pdf)
    assert console_errors(browser) == []
