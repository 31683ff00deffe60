"""The one harness for every browser test: headless Chromium driven over WebDriver.

Fixtures:
- `sphere_bin`: the sphere binary under test (`SPHERE_BIN`, set by tests/browser/run).
- `browser`: a headless Chromium (Debian's `chromium` + `chromium-driver`) with the browser
  console recorded; one per test, closed afterwards.
- `console_errors(browser)`: the SEVERE console entries logged since the last call.
- `screenshot(browser, name)`: saves `target/browser/<name>.png` and returns its path.
- `free_port()`: a free TCP port on 127.0.0.1 (servers under test bind to loopback only).

Pages are opened as `file://` URLs or from a server on 127.0.0.1; never another address.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "browser"


def _find(names: list[str]) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def sphere_bin() -> Path:
    value = os.environ.get("SPHERE_BIN")
    if not value:
        pytest.fail(
            "SPHERE_BIN is not set\n  hint: run the browser tests with tests/browser/run, "
            "which builds the release binary and sets it"
        )
    path = Path(value)
    if not path.is_file():
        pytest.fail(f"SPHERE_BIN={value} is not a file\n  hint: cargo build --release -p sphere")
    return path


@pytest.fixture(scope="session")
def chromium_paths() -> tuple[str, str]:
    chrome = _find(["chromium", "chromium-browser", "google-chrome"])
    driver = _find(["chromedriver"])
    missing = [n for n, p in (("chromium", chrome), ("chromedriver", driver)) if p is None]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not found on PATH\n  hint: apt-get install chromium "
            "chromium-driver (tests/browser/run does this when it runs as root)"
        )
    return chrome, driver


@pytest.fixture
def browser(chromium_paths):
    chrome, driver_path = chromium_paths
    options = Options()
    options.binary_location = chrome
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--lang=en-US",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def console_errors():
    def read(driver) -> list[str]:
        return [
            entry["message"]
            for entry in driver.get_log("browser")
            if entry.get("level") == "SEVERE"
        ]

    return read


@pytest.fixture
def screenshot():
    def save(driver, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        if not driver.save_screenshot(str(path)):
            pytest.fail(f"could not save the screenshot {path}")
        return path

    return save


@pytest.fixture
def free_port():
    def pick() -> int:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    return pick


@pytest.fixture
def navigate():
    """Clicks an element that loads a new page and waits until the new page has replaced the old.

    WebDriver returns from a click on a submit button or a link before the browser has left the
    old page, so a lookup right after the click can find the old page's element, which then goes
    stale. Waiting for the old document's root to go stale and the new one to be complete closes
    that race.
    """

    def click(driver, element, timeout: float = 20.0) -> None:
        old = driver.find_element("tag name", "html")
        element.click()
        wait = WebDriverWait(driver, timeout)
        wait.until(expected_conditions.staleness_of(old))
        wait.until(lambda d: d.execute_script("return document.readyState") == "complete")

    return click
