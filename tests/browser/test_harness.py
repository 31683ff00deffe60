"""The harness itself: it must see console errors, or every page test's "no console errors"
would pass on a broken page."""

from pathlib import Path


def _page(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(f"<!doctype html><html lang=en><title>{name}</title><body>{body}</body></html>")
    return path.as_uri()


def test_console_errors_are_seen(browser, console_errors, tmp_path):
    browser.get(_page(tmp_path, "bad.html", "<script>console.error('sphere-harness-probe')</script>"))
    errors = console_errors(browser)
    assert len(errors) == 1
    assert "sphere-harness-probe" in errors[0]


def test_clean_page_has_no_console_errors(browser, console_errors, tmp_path):
    browser.get(_page(tmp_path, "good.html", "<h1>ok</h1><script>console.log('fine')</script>"))
    assert browser.find_element("tag name", "h1").text == "ok"
    assert console_errors(browser) == []


def test_screenshot_is_a_png(browser, screenshot, tmp_path):
    browser.get(_page(tmp_path, "shot.html", "<h1>shot</h1>"))
    path = screenshot(browser, "harness-selftest")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_free_port_is_bindable(free_port):
    import socket

    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        assert sock.getsockname()[1] == port
