"""Settings for a shared deployment: no traceback reaches a browser or a terminal, the bind
address is explicit, XSRF protection stays on."""

from __future__ import annotations

import tomllib

from streamlit.testing.v1 import AppTest

from tests.pages_support import ROOT, TIMEOUT
from tests.test_plan_files import _cli


def test_streamlit_settings_for_a_shared_deployment():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["enableXsrfProtection"] is True


def test_an_unexpected_error_shows_a_french_message_with_a_reference_not_a_traceback(
        app_db_url, tmp_path, monkeypatch):
    monkeypatch.delenv("PST_DEBUG")
    monkeypatch.setenv("PST_DATABASE_URL", app_db_url)
    script = tmp_path / "broken_page.py"
    script.write_text(
        "from ui.frame import page_frame\n"
        "ctx = page_frame('Essai')\n"
        "raise RuntimeError(\"SELECT password FROM users WHERE login = 'admin'\")\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(ROOT))
    at = AppTest.from_file(str(script), default_timeout=TIMEOUT).run()
    assert not at.exception
    message = at.error[0].value
    assert message.startswith("Une erreur inattendue a interrompu cette page.")
    assert "référence" in message and "SELECT" not in message
    everything = " ".join(str(e.value) for e in [*at.error, *at.markdown, *at.caption])
    assert "password" not in everything and "Traceback" not in everything


def test_the_cli_shows_no_traceback(tmp_path):
    # A database URL that cannot work: the command fails in French, without a traceback.
    out = _cli("seed", url=f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'db.sqlite3'}")
    assert out.returncode in (1, 2)
    assert "Traceback" not in out.stderr and out.stderr.strip()


def test_the_server_leaves_the_page_modules_out_of_every_garbage_collection():
    """Streamlit collects all garbage after every script run, the live refresh's every 2 s
    included: the server freezes what it imported at start (pandas, plotly, the app's modules),
    so that collection scans only what the runs make (it scanned ~200 000 objects, ~170 ms)."""
    import subprocess
    import sys

    probe = "import gc, ui.server; print(gc.get_freeze_count(), len(gc.get_objects()))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    frozen, scanned = map(int, done.stdout.split()[-2:])
    assert frozen > 100_000 and scanned < frozen / 10, (frozen, scanned)
