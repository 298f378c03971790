"""Generated reference pages: `python tools/reference.py` writes docs/reference/ from the declarations and registries:
every run option and the layers that may set its default, every variant with its paper, every data set, every
feature extractor with where its weights come from, every command's --help, the environment variables and the JSON
Schema of study specs. tests/test_docs.py fails when a page and the declarations disagree."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ganbench.benchmark import config, variants as variant_registry
from ganbench.benchmark.data import DATASETS
from ganbench.benchmark.protocols import PROTOCOLS
from ganbench.benchmark.schema import FALLBACKS, NO_DEFAULT, RUN_FIELDS
from ganbench.benchmark.variants import VARIANTS
from shipped import shipped

DOCS = Path(__file__).resolve().parents[1] / "docs"
REFERENCE = DOCS / "reference"
CONFIGURATION = REFERENCE / "configuration.md"


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


def builtin_variants() -> list:
    """ganbench's own variants, not a plugin an installed package registers."""
    return [v for v in VARIANTS.values() if v.name in variant_registry.BUILT_IN]


def variants() -> str:
    lines = ["# Variants", "", "Every registered variant (`ganbench variants -v`), generated from `benchmark/variants.py`: what it is, "
             "the paper (and equation or algorithm) its loss follows, its defaults of the common settings, its paper's "
             "training recipe where ganbench declares one (`ganbench variants --recipes`), and its own options. Search ranges: `ganbench spaces VARIANT`.", ""]
    for v in builtin_variants():
        lines += [f"## `{v.name}`", "", v.description + ".", "", f"*{v.citation}*" if v.citation else "", ""]
        if v.defaults:
            lines.append("Defaults: " + ", ".join(f"`{k}` = {_value(x)[1:-1] if x is not None else 'none'}" for k, x in v.defaults.items()) + ".")
        if v.point_defaults:
            lines.append("On 2-D points: " + ", ".join(f"`{k}` = {x}" for k, x in v.point_defaults.items()) + ".")
        if v.recipe is not None:  # what a study with start: recipe runs (docs/guide/sweeps.md)
            settings = ", ".join(f"`{k}` = {'tied to r1_gamma' if x is None else x}" for k, x in v.recipe.settings.items())
            lines.append(f"Its paper's recipe (`start: recipe`; searched around it: {', '.join(v.recipe.tuned)}): {settings}. "
                         f"Source: {v.recipe.source}.")
        for f in v.own:
            lines.append(f"- `{f.name}` (default {f.default!r}; {f.allowed()}): {f.help}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def datasets() -> str:
    lines = ["# Data sets", "", "Every registered data set (`ganbench datasets`), generated from `benchmark/data/`. Your own: "
             "`folder:PATH[?size=S]` (images) or `npz:PATH` (arrays `train` and `test`).", "",
             "| name | shape | modes | what | its own defaults |", "|---|---|---|---|---|"]
    for name, d in DATASETS.items():
        own = ", ".join(f"`{k}`={x}" for k, x in d.defaults.items())
        lines.append(f"| `{name}` | {'x'.join(map(str, d.shape))} | {d.modes or ''} | {d.description} | {own} |")
    from ganbench.benchmark.data.decode import describe

    lines += ["", "## How your images and arrays are read", "",
              "Every image file of a `folder:` data set, every image array of an `npz:` one and every sample that "
              "`ganbench score` reads is decoded to 0-255 by one table (`benchmark/data/decode.py`, printed by "
              "`ganbench datasets --decoding`); anything outside it is refused in one line naming the file:", "",
              *[f"- {rule}" for rule in describe().splitlines()], "",
              "A run records what it read (`data.json` in its folder: the files' fingerprint and a hash of their bytes); "
              "`ganbench eval` refuses a run whose data changed since, and a resumed run refuses changed data."]
    return "\n".join(lines) + "\n"


def extractors() -> str:
    from ganbench.benchmark.metrics.extractors import EXTRACTORS
    from ganbench.benchmark.metrics.weights import WEIGHTS

    lines = ["# Feature extractors and their weights", "", "FID, KID, precision/recall and density/coverage are computed on "
             "one extractor's features (`--extractor`). `ganbench weights` says whether each extractor's weights are here "
             "and intact; `ganbench weights fetch NAME` prepares them where the internet is reachable (see "
             "[Metrics](../guide/metrics.md)).", "", "| extractor | feature layer | weights from |", "|---|---|---|"]
    lines += [f"| `{name}` | `{spec.layer}` | {WEIGHTS[name].source} |" for name, spec in EXTRACTORS.items()]
    return "\n".join(lines) + "\n"


def commands() -> str:
    import contextlib
    import io

    from ganbench.cli import build_parser

    os.environ["COLUMNS"] = "110"  # argparse wraps to the terminal: the page must not depend on who generates it
    lines = ["# Commands", "", "Every command's `--help`, generated from the parser (`ganbench/cli.py`), whose options come "
             "from the declarations.", ""]

    def walk(parser, name):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            parser.print_help()
        lines.extend([f"## `{name}`", "", "```text", out.getvalue().rstrip(), "```", ""])
        for action in parser._actions:
            if action.__class__.__name__ == "_SubParsersAction":
                for sub, child in action.choices.items():
                    walk(child, f"{name} {sub}")

    walk(build_parser(), "ganbench")
    return "\n".join(lines).rstrip() + "\n"


def environment() -> str:
    from ganbench.benchmark.schema import ENV_FIELDS

    lines = ["# Environment variables", "", "Read when any command starts and checked like every other input "
             "(`benchmark/schema.py`, `ENV_FIELDS`).", "", "| variable | default | allowed | what |", "|---|---|---|---|"]
    for name, f in ENV_FIELDS.items():
        lines.append(f"| `{name}` | {_value(f.default)} | {f.allowed()} | {f.help} |")
    return "\n".join(lines) + "\n"


def spec_schema_page() -> str:
    import json

    from ganbench.sweeps.spec import spec_schema

    return ("# Study spec: JSON Schema\n\n`ganbench spec --schema` prints it; point an editor's YAML support at it. "
            "The fields are explained in [Sweeps](../guide/sweeps.md).\n\n```json\n" + json.dumps(spec_schema(), indent=2) + "\n```\n")


PAGES = {path: shipped(page) for path, page in {
    CONFIGURATION: configuration, REFERENCE / "variants.md": variants, REFERENCE / "datasets.md": datasets,
    REFERENCE / "extractors.md": extractors, REFERENCE / "commands.md": commands,
    REFERENCE / "environment.md": environment, REFERENCE / "spec-schema.md": spec_schema_page}.items()}


def main() -> int:
    stale = [p for p, make in PAGES.items() if not p.is_file() or p.read_text() != make()]
    if "--check" in sys.argv:
        print("\n".join(f"{p.relative_to(DOCS.parent)} is stale: run python tools/reference.py" for p in stale))
        return 1 if stale else 0
    for p in stale:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(PAGES[p]())
    return 0


if __name__ == "__main__":
    sys.exit(main())
