"""`ganbench sweep dashboard`: optuna-dashboard served on a study's own journal, showing its trials with ganbench's
attributes, and the page opened in the real browser the report test uses."""
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


@pytest.mark.slow(seconds=40)
def test_the_dashboard_shows_a_studys_trials_in_chromium(tmp_path):
    cli = [sys.executable, "-m", "ganbench.cli"]
    (tmp_path / "d.yaml").write_text("name: d\nvariants: [ns_gan]\ndatasets: [ring8]\narch: mlp_small\nspace: narrow\nbudget: {settings: 2}\nsteps: 5\n")
    run = subprocess.run([*cli, "sweep", "run", tmp_path / "d.yaml", "--dir", tmp_path / "d", "--workers", "1"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    port = _free_port()
    server = subprocess.Popen([*cli, "sweep", "dashboard", tmp_path / "d", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                studies = _get(f"{base}/api/studies")["study_summaries"]
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()[-2000:]
                time.sleep(0.5)
        assert len(studies) == 1 and studies[0]["study_name"] == "d.ns_gan.ring8.narrow"
        study = _get(f"{base}/api/studies/{studies[0]['study_id']}?after=0")
        trials = study["trials"]
        assert len(trials) == 2 and all(t["state"] == "Complete" for t in trials)
        attrs = {a["key"] for a in trials[0]["user_attrs"]}
        assert {"variant", "dataset", "setting", "run_dir"} <= attrs, attrs
        chromium = shutil.which("chromium")
        if chromium is None:
            pytest.fail("chromium is not installed (Debian package chromium; make test installs it through scripts/test_deps.sh)")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                                                         "--disable-component-update", "--disable-sync"])
            page = browser.new_page()
            page.goto(f"{base}/dashboard/studies/{studies[0]['study_id']}/trials")
            page.wait_for_selector(f"text={studies[0]['study_name']}", timeout=30_000)
            text = page.inner_text("body")
            browser.close()
        assert "Trial 0" in text or "#0" in text, text[:2000]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_dashboard_of_a_folder_with_no_study_is_refused_in_one_line(tmp_path):
    r = subprocess.run([sys.executable, "-m", "ganbench.cli", "sweep", "dashboard", tmp_path], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr
