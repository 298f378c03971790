"""The documentation: generated pages agree with the declarations they come from, the site builds strictly and
offline and opens in a browser, every registered thing is in the reference, and no text speaks of the project's
development history or of paths outside the repository."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))  # the development tools: not part of the installed package
import readme  # noqa: E402
import reference  # noqa: E402


@pytest.mark.parametrize("registered", ["nothing", "a loss and a protocol"])
def test_generated_pages_are_fresh(registered, monkeypatch):
    """Fresh, and the same after this process registered a loss of its own and a protocol (as the in-process CLI of
    other tests does, or a plugin installed where the pages are built): they document ganbench as shipped."""
    if registered != "nothing":
        from ganbench.benchmark.losses import hinge
        from ganbench.benchmark.protocols import PROTOCOLS, Protocol
        from ganbench.benchmark.variants import VARIANTS, Variant

        monkeypatch.setitem(PROTOCOLS, "plain", Protocol(name="plain", summary="s", cite="c", steps_count="generator updates"))
        monkeypatch.setitem(VARIANTS, "my_loss:hinge", Variant("my_loss:hinge", "your loss my_loss:hinge", hinge,
                                                               defaults=dict(lr=2e-4, beta1=0.5, beta2=0.999, n_disc=1)))
    stale = [str(p.relative_to(ROOT)) for p, make in reference.PAGES.items() if not p.is_file() or p.read_text() != make()]
    assert not stale, f"{', '.join(stale)} stale: run python tools/reference.py"
    assert not readme.missing_blocks()
    stale = [str(p.relative_to(ROOT)) for p in readme.pages() if p.name != "results.md" and readme.render(p.read_text()) != p.read_text()]
    assert not stale and (ROOT / "docs" / "results.md").read_text() == readme.docs_gallery(), f"{stale} stale: run python tools/readme.py"


def test_every_registered_thing_is_in_the_reference():
    """Derived from the registries, so a new option, variant, data set, extractor or command cannot be left out."""
    from ganbench.benchmark.config import own_fields
    from ganbench.benchmark.data import DATASETS
    from ganbench.benchmark.metrics.extractors import EXTRACTORS
    from ganbench.benchmark.schema import ENV_FIELDS, RUN_FIELDS
    from ganbench.cli import build_parser
    from ganbench.sweeps.spec import BUDGET_FIELDS, SPEC_FIELDS

    ref = {p.stem: p.read_text() for p in (ROOT / "docs" / "reference").glob("*.md")}
    guide = "".join(p.read_text() for p in (ROOT / "docs" / "guide").glob("*.md"))
    assert all(f"`{name}`" in ref["configuration"] for name in [*RUN_FIELDS, *own_fields()])
    assert all(f"## `{v.name}`" in ref["variants"] for v in reference.builtin_variants())
    assert all(f"| `{name}` |" in ref["datasets"] for name in DATASETS)
    assert all(f"| `{name}` |" in ref["extractors"] for name in EXTRACTORS)
    assert all(f"| `{name}` |" in ref["environment"] for name in ENV_FIELDS)
    assert all(f"`{name}`" in guide for name in [*SPEC_FIELDS, *BUDGET_FIELDS])  # the spec table of the Sweeps page
    commands = build_parser()._subparsers._group_actions[0].choices
    assert all(f"## `ganbench {name}`" in ref["commands"] for name in commands)


DEVELOPMENT_HISTORY = re.compile(r"\bstop \d+\b|\bround start\b|\bthis round\b|\bthis machine\b|\.\./shared|seed 0\d\d\b", re.I)


def test_no_tracked_text_speaks_of_development_history_or_outside_paths():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    found = []
    for name in files:
        path = ROOT / name
        if name.startswith("tests/") or path.suffix not in (".md", ".py", ".yaml", ".yml", ".csv", ".json", ".toml", ".sh", "") or not path.is_file():
            continue
        text = path.read_text(errors="replace")
        found += [f"{name}: {m.group(0)!r}" for m in DEVELOPMENT_HISTORY.finditer(text)]
    assert not found, found[:10]


def test_readme_fits_on_two_screens():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 150


@pytest.mark.slow(seconds=25)
def test_the_site_builds_strictly_offline_and_opens_in_chromium(tmp_path):
    """`make docs`'s build (strict: a broken link, a missing page or an unknown reference fails it), with the network
    pointed at a closed port; then the home page and a reference page in headless Chromium: no console errors, the
    search index built locally."""
    import os

    env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "", "NO_MKDOCS_2_WARNING": "1"}
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (site / "reference" / "variants" / "index.html").is_file()
    assert "relativistic" in (site / "search" / "search_index.json").read_text()  # the search index, built with the site
    html = (site / "index.html").read_text()
    assert "fonts.googleapis" not in html and "cdn.jsdelivr" not in html
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed (Debian package chromium; make test installs it through scripts/test_deps.sh)")
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from playwright.sync_api import sync_playwright

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            """No access log in the test's output: the page's own errors are what the test checks."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))  # as a reader serves it
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    errors = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                                                     "--disable-component-update", "--disable-sync"])
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        for target in ("/", "/reference/variants/"):
            page.goto(base + target)
            page.wait_for_load_state("networkidle")
            assert "ganbench" in page.title()
        browser.close()
    server.shutdown()
    assert errors == [], errors


def _prose_after_generated_blocks():
    """(page, block name, the generated block's text, the prose that reads it: up to the next heading or block)."""
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = page.read_text()
        for m in re.finditer(r"<!-- generated: (\S+) -->(.*?)<!-- end: \1 -->\n(.*?)(?=\n#|<!-- generated|\Z)", text, re.S):
            yield page.relative_to(ROOT), m.group(1), m.group(2), re.sub(r"```.*?```", "", m.group(3), flags=re.S)


def _curve_means() -> list[float]:
    """Mean over runs, at each epoch, of each kept PacGAN study's per-epoch curves (high quality in percent): what
    the mode-collapse page reads off its curves figure."""
    import pandas as pd

    out = []
    for path in (ROOT / "results").glob("*/pacgan_epochs.csv"):
        e = pd.read_csv(path).assign(high_quality_percent=lambda d: 100 * d["high_quality_fraction"])
        out += e.groupby(["dataset", "pack", "epoch"])[["high_quality_percent", "modes_covered"]].mean().to_numpy().ravel().tolist()
    return out


def _supported(number: str, sources: list[float]) -> bool:
    """The number is one of the sources, rounded to as many decimals as it is written with."""
    digits = len(number.split(".")[1]) if "." in number else 0
    return any(abs(round(s, digits) - float(number)) < 10 ** -(digits + 3) for s in sources)


# the generated blocks that hold a kept study's results (the others hold declarations: settings, fields, timings)
RESULT_BLOCKS = ("measured-pacgan", "measured-pix2pix", "measured-objectives", "measured-objectives-today", "objectives-claims",
                 "demo-summary", "metrics-agreement", "metrics-agreement-reading", "ring-caption", "sweep-scale", "sweep-scale-reading")


def test_numbers_in_the_prose_beside_a_generated_table_are_the_tables():
    """A sentence reading a generated table quotes it: each decimal number and percentage in the prose after a block
    of results is a number of that block (or, on the mode-collapse page, of the kept per-epoch curves), at the precision
    the prose writes it; a re-run that changes the table fails the sentence until it is written again. Optimiser
    settings quoted as what ran (Adam (0.5, 0.999), beta1 0.8) are settings, not results."""
    curves = _curve_means()
    wrong = []
    for page, name, block, prose in _prose_after_generated_blocks():
        if name not in RESULT_BLOCKS:
            continue
        sources = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", block.replace(",", ""))] + (curves if name == "measured-pacgan" else [])
        prose = re.sub(r"Adam \([\d.]+, [\d.]+\)|beta[12] [\d.]+", "", prose)
        for number in re.findall(r"(?<![\w.\-])(\d+\.\d+|\d+(?=%))(?![\w.]|x\d)", prose):
            if not _supported(number, sources):
                wrong.append(f"{page} after {name}: {number}")
    assert not wrong, wrong


def test_numbers_in_a_paragraph_that_names_a_kept_study_are_its_numbers():
    """Prose outside the generated blocks that names a kept study (`results/NAME`) quotes it: each decimal number and
    percentage is one of that study's tables' numbers at the precision written (a confidence level is wording)."""
    wrong = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = re.sub(r"<!-- generated: (\S+) -->.*?<!-- end: \1 -->", "", page.read_text(), flags=re.S)
        for paragraph in re.split(r"\n\s*\n", re.sub(r"```.*?```", "", text, flags=re.S)):
            kept = {n for n in re.findall(r"results/([a-z0-9_]+)", paragraph) if (ROOT / "results" / n).is_dir()}
            sources = [float(x) for n in kept for f in (ROOT / "results" / n).glob("*.csv")
                       for x in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", f.read_text())]
            prose = re.sub(r"Adam \([\d.]+, [\d.]+\)|beta[12] [\d.]+|\d+% (?:confidence )?interval", "", paragraph)
            wrong += [f"{page.relative_to(ROOT)}: {x} (names {', '.join(sorted(kept))})" for x in
                      re.findall(r"(?<![\w.\-])(\d+\.\d+|\d+(?=%))(?![\w.]|x\d)", prose) if kept and not _supported(x, sources)]
    assert not wrong, wrong
