"""Generated documentation agrees with the declarations it is generated from."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))  # the development tools: not part of the installed package
import reference  # noqa: E402


def test_generated_pages_are_fresh():
    stale = [str(p.relative_to(ROOT)) for p, make in reference.PAGES.items() if not p.is_file() or p.read_text() != make()]
    assert not stale, f"{', '.join(stale)} stale: run python tools/reference.py"
