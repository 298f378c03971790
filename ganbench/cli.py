"""The `ganbench` command line: one sub-command per job, each a thin layer over benchmark, sweeps or analysis."""
from __future__ import annotations

import argparse
import json
import sys


class UsageError(ValueError):
    pass


def _cmd_variants(args) -> None:
    from benchmark.variants import PARAMS, VARIANTS

    for name, v in VARIANTS.items():
        if not args.verbose:
            print(name)
            continue
        print(f"{name}\t{v.description}")
        if v.citation:
            print(f"\t{v.citation}")
        for param, default in v.params.items():
            print(f"\t{param} = {default!r}: {PARAMS[param]}")
        for param, default in v.point_defaults.items():
            print(f"\ton 2-D points: {param} = {default!r}")


def _cmd_datasets(args) -> None:
    from benchmark.data import DATASETS

    for name, d in DATASETS.items():
        print(f"{name}\t{'x'.join(map(str, d.shape))}\t{d.description}" if args.verbose else name)


def _cmd_train(args) -> None:
    from benchmark.train import resolve_config, train, check_out_dir
    from pathlib import Path

    settings = {k: v for k, v in vars(args).items() if k not in ("func", "out", "quiet", "command", "library_output")}
    if settings.get("extractor"):
        settings.setdefault("eval_every", 0)
    config = resolve_config(**settings)
    check_out_dir(Path(args.out))
    metrics = train(config, args.out, progress=not args.quiet, verbose=args.library_output)
    print(json.dumps({k: v for k, v in metrics.items() if not isinstance(v, (list, dict))}, indent=2, default=float))
    print(f"run written to {args.out}")


def _default_checkpoint(run_dir) -> str:
    from pathlib import Path

    return "best" if (Path(run_dir) / "best.ckpt").is_file() else "last"


def _cmd_eval(args) -> None:
    from benchmark.metrics.fidelity import MetricError, evaluate_generator
    from benchmark.train import load_module, pick_device, update_metrics

    from pathlib import Path

    if args.weights and not Path(args.weights).is_file():
        raise UsageError(f"inception-weights: no file at {args.weights}")
    device = pick_device(args.device)
    checkpoint = args.checkpoint or _default_checkpoint(args.run_dir)
    config, module = load_module(args.run_dir, device, checkpoint)
    if args.n is not None and args.n < 2:
        raise UsageError(f"n: {args.n} is not allowed, must be an integer >= 2")
    from benchmark.data import get_dataset

    if get_dataset(config["dataset"]).is_paired:  # image-to-image: the held-out pairs, as at the end of training
        from benchmark.conditional.metrics import translation_metrics

        scores = translation_metrics(module.generator, config["dataset"], args.extractor or config["extractor"],
                                     args.n or config["n_fake"], device, config["data_root"])
        update_metrics(args.run_dir, {f"eval_{checkpoint}": scores})
        print(json.dumps({"checkpoint": checkpoint, **scores}, indent=2))
        return
    # the run's own sample sizes by default: the same latents and the same real features as during training
    n_fake, n_real = (args.n, args.n) if args.n else (config["n_fake"], config["n_real"])
    try:
        scores = evaluate_generator(module.generator, config["z_dim"], config["dataset"], args.extractor or config.get("extractor"),
                                    n_fake, n_real, args.weights, config["data_root"], device, verbose=not args.quiet, prior=module.prior)
    except MetricError as e:
        raise UsageError(str(e)) from None
    update_metrics(args.run_dir, {f"eval_{checkpoint}": scores})
    print(json.dumps({"checkpoint": checkpoint, **scores}, indent=2))


def _cmd_sample(args) -> None:
    from pathlib import Path

    from benchmark.data import get_dataset
    from benchmark.samples import export_samples
    from benchmark.train import check_out_dir, load_module, pick_device

    if args.n < 1:
        raise UsageError(f"n: {args.n} is not allowed, must be an integer >= 1")
    if args.seed < 0:
        raise UsageError(f"seed: {args.seed} is not allowed, must be an integer >= 0")
    out = Path(args.out)
    check_out_dir(out)
    checkpoint = args.checkpoint or _default_checkpoint(args.run_dir)
    config, module = load_module(args.run_dir, pick_device(args.device), checkpoint)
    files = export_samples(module, get_dataset(config["dataset"]), args.n, out, args.format, args.seed)
    print(f"{args.n} samples of {config['variant']} on {config['dataset']} ({checkpoint} checkpoint, seed {args.seed}): "
          f"{len(files)} file{'s' if len(files) != 1 else ''} in {out}")


def _cmd_spaces(args) -> None:
    from benchmark.protocols import PROTOCOLS
    from benchmark.protocols import lucic2018
    from benchmark.variants import VARIANTS
    from sweeps.spaces import SPACES, named_space, variant_defaults

    if args.protocol not in PROTOCOLS:
        raise UsageError(f"protocol: unknown '{args.protocol}', choose one of {', '.join(PROTOCOLS)}")
    if args.space not in SPACES:
        raise UsageError(f"space: unknown '{args.space}', choose one of {', '.join(SPACES)}")
    allowed = list(lucic2018.GAN_TYPE) if args.protocol == "lucic2018" else list(VARIANTS)
    if args.variant and args.variant not in allowed:
        raise UsageError(f"variant: '{args.variant}' is not searched under protocol {args.protocol}; choose one of {', '.join(allowed)}")
    out = {v: {"space": named_space(args.space, v, args.protocol), "defaults": variant_defaults(v, args.protocol, args.space)}
           for v in ([args.variant] if args.variant else allowed)}
    if args.json:
        print(json.dumps(out, indent=2))
        return
    for v, entry in out.items():
        print(f"{v} ({args.protocol}, {args.space})")
        for name, d in entry["space"].items():
            shown = f"{d[0]} {', '.join(map(str, d[1:]))}" if isinstance(d, list) else f"= {d}"
            print(f"  {name:<15} {shown:<40} default {entry['defaults'].get(name, d)}")


def _cmd_sweep_run(args) -> None:
    from pathlib import Path

    from sweeps.runner import save_spec
    from sweeps.spec import SpecError, load_spec

    try:
        spec = load_spec(args.spec)
        study_dir = Path(args.dir or Path("results") / spec.name)
        save_spec(study_dir, spec)
    except SpecError as e:
        raise UsageError(str(e)) from None
    _run_executor(args, study_dir)


def _run_executor(args, study_dir) -> None:
    from sweeps.runner import create_studies, load_saved_spec, run_local, storage_for

    if args.executor == "slurm":
        from sweeps.slurm import submit

        create_studies(load_saved_spec(study_dir), storage_for(study_dir, args.storage))
        jobs = submit(study_dir, args.workers, args.partition, args.gpus_per_task, args.cpus_per_task, args.mem,
                      args.time, args.array_parallelism, args.storage, args.signal_delay)
        print(f"submitted job array {jobs[0].job_id.split('_')[0]} ({len(jobs)} tasks); follow with: ganbench sweep status {study_dir}")
        return
    run_local(study_dir, args.workers, args.storage)
    _print_status(study_dir, args.storage, as_json=False)


def _print_status(study_dir, storage_url, as_json) -> None:
    from sweeps.runner import load_saved_spec, storage_for, summary

    rows = summary(load_saved_spec(study_dir), storage_for(study_dir, storage_url))
    if as_json:
        print(json.dumps({"study_dir": str(study_dir), "studies": rows}, indent=2))
        return
    print(f"{'variant':<16}{'dataset':<14}{'done/budget':>12}{'diverged':>10}{'pruned':>8}{'failed':>8}{'running':>9}"
          f"{'steps used':>12}{'best':>12}{'seeds (mean ± std)':>26}")
    for r in rows:
        done = r["finished"] + r["diverged"] + r["failed"]
        best = f"{r['best']:.4g}" if r["best"] is not None else "-"
        seeds = "-"
        if r["seeds_budget"]:
            spread = f" {r['seeds_mean']:.4g} ± {r['seeds_std']:.2g}" if r["seeds_std"] is not None else ""
            seeds = f"{r['seeds_done']}/{r['seeds_budget']}{spread}"
        name = r["variant"] if r.get("pack", 1) == 1 else f"{r['variant']}+pack{r['pack']}"
        print(f"{name:<16}{r['dataset']:<14}{str(done) + '/' + str(r['budget']):>12}{r['diverged']:>10}{r['pruned']:>8}"
              f"{r['failed']:>8}{r['running']:>9}{r['steps_used'] / max(1, r['budget_steps']):>12.0%}{best:>12}{seeds:>26}")


def _cmd_sweep_status(args) -> None:
    from sweeps.runner import load_saved_spec
    from sweeps.spec import SpecError

    try:
        load_saved_spec(args.dir)
    except (FileNotFoundError, SpecError) as e:
        raise UsageError(str(e)) from None
    _print_status(args.dir, args.storage, args.json)


def _cmd_sweep_resume(args) -> None:
    from pathlib import Path

    from sweeps.runner import load_saved_spec
    from sweeps.spec import SpecError

    try:
        load_saved_spec(args.dir)
    except (FileNotFoundError, SpecError) as e:
        raise UsageError(str(e)) from None
    _run_executor(args, Path(args.dir))


def _add_executor_args(s) -> None:
    s.add_argument("--executor", choices=["local", "slurm"], default="local", help="local worker processes or a SLURM job array")
    s.add_argument("--workers", type=int, default=1, help="local worker processes, or SLURM array tasks (default 1)")
    s.add_argument("--storage", help="an Optuna storage URL (default: a JournalStorage file in the study directory)")
    s.add_argument("--partition", help="SLURM partition")
    s.add_argument("--gpus-per-task", dest="gpus_per_task", type=int, default=0, help="GPUs per SLURM task")
    s.add_argument("--cpus-per-task", dest="cpus_per_task", type=int, default=1, help="CPUs per SLURM task")
    s.add_argument("--mem", type=float, help="memory per SLURM task in GB")
    s.add_argument("--time", type=int, default=60, help="time limit per SLURM task in minutes; tasks are requeued at it")
    s.add_argument("--signal-delay", dest="signal_delay", type=int, default=90,
                   help="seconds before the time limit at which SLURM warns a task, which then requeues itself (default 90)")
    s.add_argument("--array-parallelism", dest="array_parallelism", type=int, default=64, help="SLURM tasks running at once")


def _add_sweep_commands(sub) -> None:
    sweep = sub.add_parser("sweep", help="hyperparameter studies under a fixed budget (run, status, resume)")
    ss = sweep.add_subparsers(dest="sweep_command", required=True, metavar="SWEEP_COMMAND")
    s = ss.add_parser("run", help="create the studies of a spec and run them",
                      description="Run a study spec (YAML, see sweeps/studies/). Each (variant, data set) gets exactly "
                                  "budget.settings trials.")
    s.add_argument("spec", help="a study spec, e.g. sweeps/studies/tiny.yaml")
    s.add_argument("--dir", help="study directory (default results/<spec name>)")
    _add_executor_args(s)
    s.set_defaults(func=_cmd_sweep_run)
    s = ss.add_parser("status", help="trials done against the budget, and the best value, per variant and data set")
    s.add_argument("dir")
    s.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    s.add_argument("--storage", help="an Optuna storage URL, if not the default file")
    s.set_defaults(func=_cmd_sweep_status)
    s = ss.add_parser("resume", help="re-run lost trials and finish the budget; does nothing for a finished study")
    s.add_argument("dir")
    _add_executor_args(s)
    s.set_defaults(func=_cmd_sweep_resume)


def _cmd_report(args) -> None:
    from analysis.report import write_report

    if args.budget is not None and args.budget < 1:
        raise UsageError(f"budget: {args.budget} is not allowed, must be an integer >= 1")
    try:
        index = write_report(args.dirs, args.out, args.budget, args.storage)
    except ValueError as e:
        raise UsageError(str(e)) from None
    except FileNotFoundError as e:
        if e.filename is not None:  # an output place that cannot be made: main() names it
            raise
        raise UsageError(str(e)) from None
    print(f"report written: {index}")


def _add_report_command(sub) -> None:
    s = sub.add_parser("report", help="tables, figures and a self-contained HTML report from study directories",
                       description="Writes REPORT/index.html (one offline file, figures embedded), REPORT/report.md, "
                                   "REPORT/figures/ (PNG and SVG), REPORT/trials.csv and trials.parquet. Works on running studies.")
    s.add_argument("dirs", nargs="+", metavar="DIR", help="study directories")
    s.add_argument("--out", required=True, help="report directory")
    s.add_argument("--storage", help="the Optuna storage URL the studies were run with (default: the journal in each DIR)")
    s.add_argument("--budget", type=int, help="settings per variant at which pairs of variants are tested for a significant "
                                              "difference (default: the fewest any variant finished)")
    s.set_defaults(func=_cmd_report)


class OneLineParser(argparse.ArgumentParser):
    """argparse's errors as ganbench's others: one line naming the argument, exit 2 (the usage is in --help)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="ganbench", description="Benchmark GAN variants: train, score, sweep, report.")
    from ganbench import __version__

    p.add_argument("--version", action="version", version=f"ganbench {__version__}")
    p.add_argument("--verbose", dest="library_output", action="store_true", help="let the libraries' tips and warnings through (quiet by default)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("variants", help="list the GAN variants, one name a line")
    s.add_argument("-v", "--verbose", action="store_true", help="also print a description")
    s.set_defaults(func=_cmd_variants)
    s = sub.add_parser("datasets", help="list the data sets, one name a line")
    s.add_argument("-v", "--verbose", action="store_true", help="also print shape and description")
    s.set_defaults(func=_cmd_datasets)

    s = sub.add_parser("train", help="train one variant on one data set into a run directory",
                       description="Train one variant on one data set. Writes config.json, metrics.json, samples.png and "
                                   "last.ckpt into --out. Unset hyperparameters take the variant's defaults.")
    s.add_argument("--variant", required=True, help="a name from `ganbench variants` (-v: citations and own hyperparameters)")
    s.add_argument("--dataset", required=True, help="a name from `ganbench datasets`")
    s.add_argument("--steps", type=int, required=True,
                   help="training steps as the protocol counts them: generator updates (ganbench), discriminator updates (lucic2018)")
    s.add_argument("--protocol", help="ganbench (default) or lucic2018: the study's code exactly (see docs/protocol.md)")
    s.add_argument("--out", required=True, help="run directory (new or empty)")
    s.add_argument("--arch", help="infogan (default for images), dcgan (32x32, 64x64) or mlp (PacGAN's 2-D nets, default for 2-D data)")
    s.add_argument("--lr", type=float, help="Adam learning rate of both players")
    s.add_argument("--beta1", type=float, help="Adam beta1")
    s.add_argument("--beta2", type=float, help="Adam beta2")
    s.add_argument("--n-disc", dest="n_disc", type=int, help="discriminator updates per generator update")
    s.add_argument("--batch-size", dest="batch_size", type=int, help="batch size (default 64)")
    s.add_argument("--z-dim", dest="z_dim", type=int, help="latent dimension (default 64)")
    s.add_argument("--penalty-weight", dest="penalty_weight", type=float, help="lambda of WGAN-GP and DRAGAN (default 10)")
    s.add_argument("--clip", type=float, help="WGAN weight clipping bound (default 0.01)")
    s.add_argument("--d-batch-norm", dest="d_batch_norm", action=argparse.BooleanOptionalAction, default=None,
                   help="batch norm in the discriminator (default: the variant's under the protocol)")
    s.add_argument("--fgan-generator-loss", dest="fgan_generator_loss",
                   help="f-GAN variants: paper (default; G maximises E[g_f(V)], Nowozin et al. 3.2) or saddle (G minimises the bound)")
    s.add_argument("--began-gamma", dest="began_gamma", type=float, help="BEGAN diversity ratio gamma")
    s.add_argument("--began-lambda", dest="began_lambda", type=float, help="BEGAN learning rate of k_t")
    s.add_argument("--spectral-norm", dest="spectral_norm", action=argparse.BooleanOptionalAction, default=None,
                   help="spectral normalisation of every discriminator layer (Miyato et al. 2018); classifier and critic variants only")
    s.add_argument("--margin", type=float, help="ebgan: margin m on the per-dimension reconstruction energy (default 1)")
    s.add_argument("--pt-weight", dest="pt_weight", type=float, help="ebgan: weight of the pulling-away term (default 0.1, the paper's)")
    s.add_argument("--pretrain-steps", dest="pretrain_steps", type=int, help="magan: steps of autoencoder pretraining on real data (default 100)")
    s.add_argument("--mmd-bandwidth", dest="mmd_bandwidth", type=float,
                   help="gmmn, mmd_gan: scale of the Gaussian kernel mixture (defaults 2 and 1: the papers' kernels)")
    s.add_argument("--ae-weight", dest="ae_weight", type=float, help="mmd_gan: weight of the critic's autoencoder term (default 8, the paper's code)")
    s.add_argument("--rank-weight", dest="rank_weight", type=float,
                   help="mmd_gan: weight of the one-sided rank term (lambda_rg: 16 as in the paper's code; 0 on 2-D points)")
    s.add_argument("--rho", type=float, help="fisher_gan: rho of the augmented Lagrangian (default 1e-6, the paper's)")
    s.add_argument("--moments", help="mcgan: mean, covariance or mean_covariance (default)")
    s.add_argument("--features", type=int, help="mcgan, cramer_gan: critic feature dimension; mmd_gan: code size")
    s.add_argument("--loss", help="pix2pix: l1, gan, cgan, l1_gan or l1_cgan (default, the paper's)")
    s.add_argument("--generator", help="pix2pix: unet (default) or encoder_decoder (no skip connections)")
    s.add_argument("--patch", help="pix2pix: the discriminator's patch on a 256x256 image, scaled to the image: 1, 16, 70 (default) or image")
    s.add_argument("--l1-weight", dest="l1_weight", type=float, help="pix2pix: lambda, the weight of the L1 term (default 100, the paper's)")
    s.add_argument("--ngf", type=int, help="pix2pix: width of the first generator and discriminator layers (default 64, the paper's)")
    s.add_argument("--pack", type=int, help="PacGAN packing: the discriminator judges m samples at once (default 1: none)")
    s.add_argument("--generators", type=int,
                   help="a uniform mixture of K generators against one discriminator, each sample from one picked at random (default 1)")
    s.add_argument("--prior", help="latent prior: uniform (U(-1, 1), the study's) or normal (N(0, I), PacGAN's 2-D default)")
    s.add_argument("--seed", type=int, help="random seed (default 0); the same seed gives the same numbers on CPU")
    s.add_argument("--device", help="cpu, cuda or auto (default)")
    s.add_argument("--data-root", dest="data_root", help="where torchvision data sets live (default ~/.cache/ganbench/data or $GANBENCH_DATA)")
    s.add_argument("--checkpoint-every", dest="checkpoint_every", type=int, help="save a resumable checkpoint every N steps")
    s.add_argument("--eval-every", dest="eval_every", type=int,
                   help="score FID every N steps and at the end (0: at the end only); the run keeps the minimum")
    s.add_argument("--extractor", help="inception-v3-compat or lenet-mnist (default: lenet-mnist for mnist5k, else Inception)")
    s.add_argument("--n-fake", dest="n_fake", type=int, help="generated samples per FID (default 10000)")
    s.add_argument("--n-real", dest="n_real", type=int, help="real test samples per FID (default 10000, or the whole test split)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=_cmd_train)

    s = sub.add_parser("eval", help="score a finished run: FID, KID, precision/recall, IS (into its metrics.json)",
                       description="Score a run's generator against its data set's test split through torch-fidelity. "
                                   "Real statistics are cached under ~/.cache/ganbench/stats (or $GANBENCH_CACHE).")
    s.add_argument("run_dir", help="a run directory written by `ganbench train`")
    s.add_argument("--checkpoint", choices=["best", "last"],
                   help="best: the weights of the minimum FID (best.ckpt, the default where it exists); last: the end of training")
    s.add_argument("--extractor", help="inception-v3-compat or lenet-mnist (default: the run's)")
    s.add_argument("--n", type=int, help="generated and real samples (default: the run's n_fake and n_real, so the "
                                          "recorded FID is reproduced exactly)")
    s.add_argument("--inception-weights", dest="weights", help="a local file of Inception weights (offline use)")
    s.add_argument("--device", default="auto", help="cpu, cuda or auto")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=_cmd_eval)

    s = sub.add_parser("sample", help="generate samples from a finished run: PNG files or an .npz array",
                       description="Write N samples of a run's generator into a new directory OUT: grid.png and one PNG "
                                   "per image (2-D data: a scatter plot), or samples.npz (array 'samples', float32, "
                                   "images (N, C, H, W) in [0, 1]).")
    s.add_argument("run_dir", help="a run directory written by `ganbench train`")
    s.add_argument("--checkpoint", choices=["best", "last"], help="best (the minimum FID; the default where it exists) or last")
    s.add_argument("--n", type=int, default=64, help="how many samples (default 64)")
    s.add_argument("--out", required=True, help="a new or empty directory")
    s.add_argument("--format", choices=["png", "npz"], default="png", help="png (default) or npz")
    s.add_argument("--seed", type=int, default=0, help="seed of the latents (default 0): the same seed gives the same samples")
    s.add_argument("--device", default="auto", help="cpu, cuda or auto")
    s.set_defaults(func=_cmd_sample)

    s = sub.add_parser("spaces", help="print the search space and defaults of each variant",
                       description="What a study will search, before it spends a cluster: each parameter's distribution "
                                   "(uniform/log lo hi, choice a b ..., or a constant) and the variant's default setting, "
                                   "the first of every search.")
    s.add_argument("variant", nargs="?", help="one variant (default: all of the protocol's)")
    s.add_argument("--space", default="wide", help="wide (default) or narrow")
    s.add_argument("--protocol", default="ganbench", help="ganbench (default) or lucic2018 (the study's params.py)")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=_cmd_spaces)
    _add_later_commands(sub)
    return p


def _add_later_commands(sub) -> None:
    """Commands of metrics, sweeps and reports register here."""
    for register in _REGISTRARS:
        register(sub)


_REGISTRARS: list = [_add_sweep_commands, _add_report_command]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from benchmark.data import DataError
    from benchmark.train import ConfigError

    from sweeps.spec import JournalError

    try:
        args.func(args)
    except (ConfigError, DataError, UsageError, JournalError) as e:
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
