"""The README's generated sections: `python -m ganbench.readme` rewrites each block between
``<!-- generated: NAME -->`` and ``<!-- end: NAME -->`` from its source; tests/test_schema.py fails when the README
and the sources disagree. Sources: the schema (each variant's own parameters, the spec's fields)."""
from __future__ import annotations

import re
import sys
from pathlib import Path

from ganbench.benchmark.schema import RUN_FIELDS
from ganbench.benchmark.variants import VARIANTS
from ganbench.sweeps.spec import BUDGET_FIELDS, SPEC_FIELDS

README = Path(__file__).resolve().parents[1] / "README.md"


def _range(r) -> str:
    if r is None:
        return "-"
    if isinstance(r, list):
        return f"{r[0]} {', '.join(map(str, r[1:]))}"
    return f"= {r}"


def variant_parameters() -> str:
    rows = ["| variant | parameter | default | on 2-D points | allowed | wide | narrow | what |", "|---|---|---|---|---|---|---|---|"]
    for v in VARIANTS.values():
        if v.kind == "pix2pix" and v.name != "pix2pix":
            continue  # the ablations are pix2pix with other defaults: their names say which
        on_points = v.own_defaults(on_points=True)
        for f in v.own:
            point = on_points[f.name] if on_points[f.name] != f.default else ""
            rows.append(f"| `{v.name}` | `{f.name}` | {f.default} | {point} | {f.allowed()} | {_range(f.wide)} | {_range(f.narrow)} | {f.help} |")
    return "\n".join(rows)


def spec_fields() -> str:
    rows = ["| field | default | allowed | what |", "|---|---|---|---|",
            "| `variants` | required | a list of distinct names (`ganbench variants`, or package.module:function) | the variants compared |",
            "| `datasets` | required | a list of distinct names (`ganbench datasets`, folder:PATH, npz:PATH) | the data sets |",
            "| `space` | required | wide, narrow, or per variant a name or a written-out space | what each search draws from |",
            "| `budget` | required | a mapping: `settings`, `seeds` | the budget of each (variant, data set) |",
            f"| `pack` | 1 | {RUN_FIELDS['pack'].allowed()}, or a list of distinct ones | PacGAN packing; a list runs one study per degree |"]
    for name, f in {**SPEC_FIELDS, **{f"budget.{k}": f for k, f in BUDGET_FIELDS.items()}}.items():
        default = "required" if name in ("steps", "budget.settings") else ("the file's name" if name == "name" else f.default)
        default = "-" if default is None else default
        allowed = f.allowed() if f.type is not str or f.choices else "a name"
        rows.append(f"| `{name.split('.')[-1]}`{' (in budget)' if name.startswith('budget.') else ''} | {default} | {allowed} | {f.help} |")
    return "\n".join(rows)


SECTIONS = {"variant-parameters": variant_parameters, "spec-fields": spec_fields}


def render(text: str) -> str:
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- generated: {name} -->\n)(?:.*?\n)?(<!-- end: {name} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md: no block <!-- generated: {name} --> ... <!-- end: {name} -->")
        text = pattern.sub(lambda m: m.group(1) + make() + "\n" + m.group(2), text)
    return text


if __name__ == "__main__":
    new = render(README.read_text())
    if "--check" in sys.argv[1:]:
        sys.exit(0 if new == README.read_text() else "README.md is stale: run python -m ganbench.readme")
    README.write_text(new)
