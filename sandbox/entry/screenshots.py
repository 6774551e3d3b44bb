"""Take the README's screenshots from a running sandbox with demo data (dev tool, needs Playwright
and Debian's /usr/bin/chromium): ``python -m sandbox.entry.screenshots http://127.0.0.1:8080 docs/images``.

Plays a drill from /slack-local until it pauses, then shoots /slack-local (the pause with its
buttons) and the pause email in /outbox."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sandbox.entry.subprocess_sandbox import CHROMIUM, CHROMIUM_ARGS

if TYPE_CHECKING:  # Playwright is a dev tool, imported only when the screenshots are taken
    from playwright.sync_api import FloatRect, Locator


def main(base: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            viewport={"width": 1200, "height": 820},
        )
        page = browser.new_page()
        page.goto(f"{base}/slack-local")
        page.fill("#command", "/dr run Payments failover")
        page.press("#command", "Enter")
        buttons = ".msg[data-kind=message] button[data-action-id=approval_resume]"
        page.wait_for_selector(buttons, timeout=40_000)
        page.wait_for_timeout(1500)
        page.locator("#messages").evaluate("node => node.scrollTop = node.scrollHeight")
        page.screenshot(path=str(out / "slack-local.png"))
        page.goto(f"{base}/outbox")
        mail = page.locator(".mail", has_text="Approval needed").first
        page.set_viewport_size({"width": 1000, "height": 820})
        mail.scroll_into_view_if_needed()
        page.screenshot(path=str(out / "outbox.png"), clip=_around(mail))
        browser.close()


def _around(mail: Locator) -> FloatRect:
    box = mail.bounding_box()
    if box is None:
        raise RuntimeError("the approval email is not visible in /outbox")
    top = max(0.0, box["y"] - 240)
    return {"x": 0, "y": top, "width": 1000, "height": min(820.0, box["y"] + box["height"] + 20 - top)}


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), Path(sys.argv[2] if len(sys.argv) > 2 else "docs/images"))
