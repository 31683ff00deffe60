"""`sphere serve` in a real browser: the DPO logs in with a token, opens a blocked finding,
reads its explanation, approves, and sees the gate open; the marketing manager is shown no
approve form, and a forged one is refused. The server runs on a free loopback port."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "facts" / "s12_what_if_consent.json"
CALL = "act-s4-call"
DPO = "staff-markus-richter"
MARKETING = "staff-jonas-weber"
TOKENS = {
    "dpo": ("browser-dpo-token-4c1d", DPO, ["dpo"]),
    "crm": ("browser-crm-token-9e27", "crm", ["crm"]),
    "marketing": ("browser-mm-token-2b88", MARKETING, ["viewer"]),
}


def hash_token(sphere_bin: Path, token: str) -> str:
    out = subprocess.run(
        [str(sphere_bin), "serve", "--hash-token"],
        input=token,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


@pytest.fixture
def server(sphere_bin, free_port, tmp_path):
    config = {
        "format": "sphere-server/1",
        "tokens": [
            {"staff": staff, "roles": roles, "sha256": hash_token(sphere_bin, token)}
            for token, staff, roles in TOKENS.values()
        ],
    }
    (tmp_path / "server.json").write_text(json.dumps(config))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen(
        [
            str(sphere_bin), "serve", str(MODEL),
            "--config", str(tmp_path / "server.json"),
            "--journal", str(tmp_path / "journal.db"),
            "--listen", f"127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{(tmp_path / 'server.log').read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def api_gate(base: str, activity: str) -> dict:
    req = urllib.request.Request(
        f"{base}/v1/gate",
        data=json.dumps({"activity": activity}).encode(),
        headers={"Authorization": f"Bearer {TOKENS['crm'][0]}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def login(browser, navigate, base: str, who: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{base}/ui/login")
    browser.find_element(By.ID, "token").send_keys(TOKENS[who][0])
    navigate(browser, browser.find_element(By.ID, "login"))
    assert browser.current_url.endswith("/ui/findings"), browser.current_url


def test_the_dpo_approves_a_blocked_finding_and_the_gate_opens(server, browser, navigate, console_errors, screenshot):
    # The CRM asks first: the planned call is blocked and now waits for the DPO.
    first = api_gate(server, CALL)
    assert first["verdict"] == "blocked"
    blocking = sorted(b["id"] for b in first["blocking"])

    login(browser, navigate, server, "dpo")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.findings tr.block a.finding")
    assert sorted(r.text for r in rows) == blocking
    screenshot(browser, "server-findings")

    for i, finding in enumerate(blocking):
        navigate(browser, browser.find_element(By.LINK_TEXT, "Findings"))
        navigate(browser, browser.find_element(By.LINK_TEXT, finding))
        assert browser.find_element(By.ID, "decision").text == "block"
        assert browser.find_element(By.ID, "message").text.strip() != ""
        tree = browser.find_element(By.ID, "tree")
        # The explanation: the rule nodes with the norms they cite, the facts from the model
        # and what is absent.
        assert tree.find_elements(By.CSS_SELECTOR, "li.rule .cite")
        assert any("act-s4-call" in e.text for e in tree.find_elements(By.CSS_SELECTOR, "li.input"))
        assert tree.find_elements(By.CSS_SELECTOR, "li.absent")
        sources = browser.find_elements(By.CSS_SELECTOR, "ul.norms a")
        assert sources and all(
            a.get_attribute("href").startswith(("https://eur-lex.europa.eu", "https://www.gesetze-im-internet.de", "https://"))
            for a in sources
        )
        assert "waits for the DPO" in browser.find_element(By.ID, "approval").text
        if i == 0:
            screenshot(browser, "server-finding")
        browser.find_element(By.ID, "approve-reason").send_keys("consent on paper, filed as K-17")
        navigate(browser, browser.find_element(By.ID, "approve"))
        approval = browser.find_element(By.ID, "approval")
        assert "approved" in approval.get_attribute("class"), approval.text
        assert DPO in approval.text

    browser.get(f"{server}/ui/activities/{CALL}")
    assert browser.find_element(By.ID, "gate").text == "allowed"
    screenshot(browser, "server-gate-open")
    assert api_gate(server, CALL)["verdict"] == "allowed"

    browser.get(f"{server}/ui/pending")
    assert browser.find_elements(By.ID, "nothing")
    navigate(browser, browser.find_element(By.LINK_TEXT, "Weekly report"))
    assert browser.find_element(By.ID, "report").text.strip() != ""
    screenshot(browser, "server-report")
    assert console_errors(browser) == []


def test_the_marketing_manager_cannot_approve(server, browser, navigate, console_errors, screenshot):
    finding = api_gate(server, CALL)["blocking"][0]["id"]
    login(browser, navigate, server, "marketing")
    browser.get(f"{server}/ui/findings/{finding}")
    assert browser.find_elements(By.ID, "only-dpo")
    assert not browser.find_elements(By.ID, "approve-form")
    assert console_errors(browser) == []
    # A forged approve form, with this session's own CSRF token: refused.
    old_page = browser.find_element(By.TAG_NAME, "html")
    browser.execute_script(
        """
        const f = document.createElement('form');
        f.method = 'post';
        f.action = '/ui/findings/' + arguments[0] + '/approve';
        for (const [k, v] of [['csrf', document.querySelector('input[name=csrf]').value], ['reason', 'forged']]) {
            const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i);
        }
        document.body.appendChild(f);
        f.submit();
        """,
        finding,
    )
    wait = WebDriverWait(browser, 20)
    wait.until(expected_conditions.staleness_of(old_page))
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Refused"
    assert "needs the role `dpo`" in browser.find_element(By.CSS_SELECTOR, "p.error").text
    screenshot(browser, "server-refused")
    # The only console entry is the refused request itself.
    errors = console_errors(browser)
    assert all("403" in e for e in errors), errors
    # The gate is still closed.
    assert api_gate(server, CALL)["verdict"] == "blocked"
