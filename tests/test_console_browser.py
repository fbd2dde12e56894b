"""The console in a real browser: Debian's chromium driven by Playwright.

Sign in, filter, search, open an appeal, change its status with a note, and see the
notification reach the fake Bot API in the appeal's language.  Also refreshes the
screenshots in docs/screenshots/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from appeals.db import make_engine, migrate
from appeals.seed import seed
from console.app import create_app
from tests.support.console import FakeTelegram, add_account, add_appeal

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def console(tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium missing: run `make browser-deps`")
    url = "sqlite:///" + str(tmp_path / "browser.db")
    migrate(url)
    engine = make_engine(url)
    seed(engine, 400)
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "browser-test-secret-key-0123"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_sign_in_filter_search_open_change_status_and_notify(console):
    from playwright.sync_api import sync_playwright

    url, base = console
    ref = add_appeal(url, 777, language="ky", region="naryn", full_name="Чолпон Уметалиева")
    add_account(url, "aidana", "operator", language="ky")
    shots = ROOT / "docs" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with FakeTelegram() as fake, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.goto(base + "/appeals")
        assert "/login" in page.url
        page.fill("#username", "aidana")
        page.fill("#password", "correct horse battery")
        page.click("#signin")
        page.wait_for_url("**/appeals")
        assert "Табылды:" in page.inner_text("#total")
        page.screenshot(path=str(shots / "list.png"), full_page=False)
        # filter by region, then search by name
        page.select_option("#f-region", "naryn")
        page.click("#apply")
        page.wait_for_load_state()
        assert "region=naryn" in page.url and ref in page.content()
        page.fill("#q", "Уметалиева")
        page.click("#apply")
        page.wait_for_load_state()
        assert page.inner_text("#total").endswith("1")
        page.click("text=" + ref)
        page.wait_for_url("**/appeals/" + ref)
        assert "Чолпон Уметалиева" in page.content()
        page.select_option("#new-status", "forwarded")
        page.fill("#note", "Кайрылууңуз прокуратурага жөнөтүлдү.")
        page.click("#save")
        page.wait_for_load_state()
        assert "тиешелүү органга жөнөтүлдү" in page.inner_text("#status")
        assert "Кайрылууңуз прокуратурага жөнөтүлдү." in page.inner_text("#history")
        env = dict(
            os.environ,
            DATABASE_URL=url,
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_API_BASE_URL=fake.base_url,
            NOTIFIER_LOG_LEVEL="WARNING",
        )
        subprocess.run(
            [sys.executable, "-m", "notifier", "--once"], cwd=ROOT, env=env, timeout=60, check=True
        )
        sent = fake.sent()
        assert len(sent) == 1 and str(sent[0]["chat_id"]) == "500777"
        assert sent[0]["text"].splitlines()[0] == f"Кайрылуу {ref}: тиешелүү органга жөнөтүлдү."
        assert "Кайрылууңуз прокуратурага жөнөтүлдү." in sent[0]["text"]
        page.reload()
        assert "жөнөтүлдү:" in page.inner_text("#history")  # delivery shown as sent
        page.screenshot(path=str(shots / "appeal.png"), full_page=True)
        page.goto(base + "/figures")
        page.screenshot(path=str(shots / "figures.png"), full_page=True)
        page.click("#signout")
        page.wait_for_url("**/login**")
        browser.close()
