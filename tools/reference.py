"""Generated reference pages: `python tools/reference.py` writes docs/configuration.md (every run option and the
layers that may set its default) from the declarations; tests/test_docs.py fails when the page and the
declarations disagree."""
from __future__ import annotations

import sys
from pathlib import Path

from ganbench.benchmark import config
from ganbench.benchmark.data import DATASETS
from ganbench.benchmark.protocols import PROTOCOLS
from ganbench.benchmark.schema import FALLBACKS, NO_DEFAULT, RUN_FIELDS
from ganbench.benchmark.variants import VARIANTS

DOCS = Path(__file__).resolve().parents[1] / "docs"
CONFIGURATION = DOCS / "configuration.md"


def _cell(items: list[str], most: int = 6) -> str:
    if not items:
        return ""
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def _value(v) -> str:
    return "none" if v is None else f"`{v}`"


def configuration() -> str:
    order = config.__doc__.split("Defaults resolve in one order", 1)[1].split("\n\nLight on purpose")[0].replace("``", "`")
    lines = ["# Run configuration", "",
             "`resolve_config(**settings)` (what `ganbench train` and every trial of a sweep call) checks what was given "
             "against its declaration, fills every default and returns a frozen, typed `RunConfig` (`TranslationConfig` "
             "for pix2pix); `config.json` in a run folder is its JSON form, read back by `config_from_dict`. Defaults "
             "resolve in one order" + order.rstrip(), "",
             "`default_layers(variant, dataset, **given)` says which layer set each value of one run. The table lists, "
             "for every option, the layers that may set its default, highest first from left to right: the first that "
             "applies to a run sets it.", "",
             "| option | on 2-D points | data sets | protocols' own tables | variants | fallback | field |",
             "|---|---|---|---|---|---|---|"]
    for name, f in RUN_FIELDS.items():
        datasets = sorted(d for d, info in DATASETS.items() if name in info.defaults)
        protocols = sorted(p.name for p in PROTOCOLS.values()
                           if any(name in (p.variant_defaults(VARIANTS[v]) or {}) for v in p.searched_variants(VARIANTS)))
        variants = sorted(v.name for v in VARIANTS.values() if name in v.defaults)
        points = sorted(v.name for v in VARIANTS.values() if name in v.point_defaults)
        derived = "derived: " + config.DERIVED_HOW[name] if name in config.DERIVED_HOW else _value(f.default)
        lines.append(f"| `{name}` | {_cell(points)} | {_cell(datasets)} | {_cell(protocols)} | {_cell(variants)} | "
                     f"{_value(FALLBACKS[name]) if name in FALLBACKS else ''} | {derived} |")
    lines += ["", "## Each variant's own options", "",
              "Options only some variants take: the variant's field gives the default (on 2-D points where it differs).", "",
              "| option | variants | default | on 2-D points |", "|---|---|---|---|"]
    for name, takers in sorted(config.own_fields().items()):
        same: dict = {}  # variants sharing a default, on one row
        for variant, f in takers:
            points = _value(f.point_default) if f.point_default is not NO_DEFAULT else ""
            same.setdefault((_value(f.default), points), []).append(variant)
        for (default, points), variants in same.items():
            lines.append(f"| `{name}` | {', '.join(variants)} | {default} | {points} |")
    return "\n".join(lines) + "\n"


PAGES = {CONFIGURATION: configuration}


def main() -> int:
    stale = [p for p, make in PAGES.items() if not p.is_file() or p.read_text() != make()]
    if "--check" in sys.argv:
        print("\n".join(f"{p.relative_to(DOCS.parent)} is stale: run python tools/reference.py" for p in stale))
        return 1 if stale else 0
    for p in stale:
        p.write_text(PAGES[p]())
    return 0


if __name__ == "__main__":
    sys.exit(main())
