"""What each `ganbench` command does, one function a command (cli.py parses the arguments and calls it). A command imports what
it runs: training, scoring and the sweep runner bring Lightning, torch-fidelity and torchvision (~4 s a process),
which listing, checking and --help do without."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from ganbench.benchmark.config import RunConfig, pick_device, resolve_config
from ganbench.benchmark.data import DATASETS, DataError, data_path, get_dataset
from ganbench.benchmark.files import dumps
from ganbench.benchmark.protocols import PROTOCOLS, get_protocol
from ganbench.benchmark.schema import COMMAND_FIELDS, check_storage, check_storage_opens
from ganbench.benchmark.variants import CODE_NAME, VARIANTS, VariantError, get_variant, import_variant
from ganbench.sweeps.spaces import named_space, variant_defaults
from ganbench.sweeps.spec import SpecError, load_spec, spec_schema


class UsageError(ValueError):
    """A command's arguments that cannot work together (the CLI prints it in one line, exit 2)."""


def _check_outside_data(out: Path, datasets, field: str = "out") -> None:
    """What ganbench writes stays out of the data it reads: a run inside a folder: data set adds its samples.png to
    the next run's training images."""
    for name in datasets:
        source = data_path(name)
        if source is not None and (out.resolve() == source or out.resolve().is_relative_to(source)):
            raise UsageError(f"{field}: {out} is inside the data set {source} that it reads; choose a folder outside it")


def cmd_variants(args) -> None:
    if args.recipes:
        for name, v in VARIANTS.items():
            if v.recipe is not None:
                settings = ", ".join(f"{k} {'tied to r1_gamma' if x is None else x}" for k, x in v.recipe.settings.items())
                print(f"{name}\t{settings}; tuned: {', '.join(v.recipe.tuned)}\n\t{v.recipe.source}")
        return
    for name, v in VARIANTS.items():
        if not args.verbose:
            print(name)
            continue
        print(f"{name}\t{v.description}")
        if v.citation:
            print(f"\t{v.citation}")
        if v.recipe is not None:
            print(f"\trecipe: {', '.join(f'{k} = {x!r}' for k, x in v.recipe.settings.items())} ({v.recipe.source})")
        for f in v.own:
            print(f"\t{f.name} = {f.default!r}: {f.help}, {f.allowed()}")
        for param, default in {**v.point_defaults, **v.own_defaults(on_points=True)}.items():
            if param in v.point_defaults or default != v.params[param]:
                print(f"\ton 2-D points: {param} = {default!r}")


def cmd_datasets(args) -> None:
    if args.decoding:
        from ganbench.benchmark.data.decode import describe

        print(describe())
        return
    for name, d in DATASETS.items():
        print(f"{name}\t{'x'.join(map(str, d.shape))}\t{d.description}" if args.verbose else name)


def cmd_train(args) -> None:
    settings = {k: v for k, v in vars(args).items() if k not in ("func", "out", "quiet", "command", "library_output")}
    if settings.get("extractor"):
        settings.setdefault("eval_every", 0)
    import_variant(args.variant)  # named on this command line: the one place a module:function is imported
    config = resolve_config(**settings)
    from ganbench.benchmark.train import check_out_dir, train  # after the checks: bad input is told in ~2 s, not ~6

    _check_outside_data(Path(args.out), [config.dataset])
    check_out_dir(Path(args.out))
    metrics = train(config, args.out, progress=not args.quiet, verbose=args.library_output)
    print(dumps({k: v for k, v in metrics.items() if not isinstance(v, (list, dict))}))
    print(f"run written to {args.out}")


def _default_checkpoint(run_dir) -> str:
    return "best" if (Path(run_dir) / "best.ckpt").is_file() else "last"


def _allow_code(args) -> None:
    """Variants the user named with --allow-code: the code a run's or a study's files name, imported on request."""
    for name in getattr(args, "allow_code", None) or []:
        import_variant(name)


def _check_extractor_weights(args) -> None:
    """An extractor whose weights are not here is named in one line before the run is loaded (loading it imports
    Lightning and the metrics, seconds). A run that cannot be read is left to load_module, which says why."""
    from ganbench.benchmark.config import config_from_dict
    from ganbench.benchmark.metrics.weights import extractor_weights

    try:
        config = config_from_dict(json.loads((Path(args.run_dir) / "config.json").read_text()))
        scores_images = get_dataset(config.dataset).is_image
    except (OSError, ValueError, DataError, VariantError):  # ConfigError is a ValueError
        return
    if scores_images and not args.weights:
        extractor_weights(args.extractor or config.extractor)


def cmd_eval(args) -> None:
    _check_options(args, EVAL_OPTIONS)
    if args.weights and not Path(args.weights).is_file():
        raise UsageError(f"inception-weights: no file at {args.weights}")
    _check_extractor_weights(args)

    from ganbench.benchmark.metrics.fidelity import MetricError, ScoringRequest
    from ganbench.benchmark.train import check_same_data, load_module, read_metrics, scores_of, update_metrics

    device = pick_device(args.device)
    _allow_code(args)
    checkpoint = args.checkpoint or _default_checkpoint(args.run_dir)
    config, module = load_module(args.run_dir, device, checkpoint)
    read_metrics(args.run_dir)  # the file the scores go into: a damaged one is refused before the scoring, not after
    check_same_data(args.run_dir)  # scored against the data it was trained on, or refused
    info = get_dataset(config.dataset)
    if not info.is_image and (args.extractor or args.weights or args.n or args.fid_infinity):
        raise UsageError(f"run-dir: {config.dataset} holds points, which have no image features; eval scores them "
                         "as training did (modes covered, high quality, mode KL or sliced W1), without --extractor, "
                         "--inception-weights or --n")
    request = None
    if info.is_image and not info.is_paired and isinstance(config, RunConfig):
        # the run's own sample sizes by default: the same latents and the same real features as during training
        n_fake, n_real = (args.n, args.n) if args.n else (config.n_fake, config.n_real)
        request = ScoringRequest.of_run(config, module.prior, device, extractor=args.extractor or config.extractor, n_fake=n_fake,
                                        n_real=n_real, weights=args.weights, verbose=not args.quiet, fid_infinity=args.fid_infinity)
    try:  # what training scores for this kind of data, as training scores it (benchmark.train.scores_of)
        scores = scores_of(module, info, config, device, images=request, pairs=(args.extractor or config.extractor, args.n or config.n_fake))
    except MetricError as e:
        raise UsageError(str(e)) from None
    update_metrics(args.run_dir, {f"eval_{checkpoint}": scores})
    print(dumps({"checkpoint": checkpoint, **scores}))


def _check_sample_size(args) -> None:
    """The export is held in memory before it is written: weighed first, from the run's data set."""
    from ganbench.benchmark.config import config_from_dict
    from ganbench.benchmark.memory import check_samples_fit

    try:
        config = config_from_dict(json.loads((Path(args.run_dir) / "config.json").read_text()))
        shape = get_dataset(config.dataset).shape
    except (OSError, ValueError, DataError, VariantError):  # ConfigError is a ValueError
        return  # no run, or a damaged one: load_module names what is wrong
    check_samples_fit(args.n, shape)


def cmd_sample(args) -> None:
    from ganbench.benchmark.samples import export_samples
    from ganbench.benchmark.train import check_out_dir, load_module

    _check_options(args, SAMPLE_OPTIONS)
    out = Path(args.out)
    _check_sample_size(args)
    if out.resolve() == Path(args.run_dir).resolve() or out.resolve().is_relative_to(Path(args.run_dir).resolve()):
        raise UsageError(f"out: {out} is inside the run {args.run_dir} it reads; choose a folder outside it")
    check_out_dir(out)
    _allow_code(args)
    checkpoint = args.checkpoint or _default_checkpoint(args.run_dir)
    config, module = load_module(args.run_dir, pick_device(args.device), checkpoint)
    _check_outside_data(out, [config.dataset])
    files = export_samples(module, get_dataset(config.dataset), args.n, out, args.format, args.seed)
    print(f"{args.n} samples of {config.variant} on {config.dataset} ({checkpoint} checkpoint, seed {args.seed}): "
          f"{len(files)} file{'s' if len(files) != 1 else ''} in {out}")


def cmd_spec(args) -> None:
    if args.schema:
        print(json.dumps(spec_schema(), indent=2))
        return
    if not args.file:
        raise UsageError("file: give a study spec to check, or --schema")
    spec = load_spec(args.file, import_code=True)
    cells = spec.cells()
    print(f"{args.file}: a valid spec: {len(cells)} stud{'y' if len(cells) == 1 else 'ies'} of {spec.settings} settings"
          f"{f' + {spec.seeds} seeds' if spec.seeds else ''}, {spec.steps} steps each, protocol {spec.protocol}")


def cmd_protocols(args) -> None:
    out = {name: dict(summary=p.summary, cite=p.cite, steps=p.steps_count, step=p.step.summary,
                      variants=list(p.variants) if p.variants is not None else "every registered variant",
                      datasets=list(p.datasets) if p.datasets is not None else "every registered data set",
                      variant_kinds=sorted(p.step.trains) if p.step.trains is not None else "every kind",
                      differences=list(p.differences))
           for name, p in PROTOCOLS.items()}
    if args.json:
        print(json.dumps(out, indent=2))
        return
    for name, p in out.items():
        print(f"{name}: {p['summary']}\n  cite: {p['cite']}\n  a step: {p['step']} ({p['steps']})")
        for key in ("variants", "datasets"):
            print(f"  {key}: {', '.join(p[key]) if isinstance(p[key], list) else p[key]}")
        for d in p["differences"]:
            print(f"  differs from the paper: {d}")


def cmd_spaces(args) -> None:
    _check_options(args, SPACES_OPTIONS)
    allowed = get_protocol(args.protocol).searched_variants(VARIANTS)
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


def cmd_sweep_run(args) -> None:
    from ganbench.sweeps.storage import save_spec

    _check_options(args, EXECUTOR_OPTIONS)
    try:
        spec = load_spec(args.spec, import_code=True)  # the spec named on this command line may name your loss
        study_dir = Path(args.dir or Path("runs") / spec.name)
        args.dir = str(study_dir)  # what an interruption names
        _check_outside_data(study_dir, spec.datasets, "dir")
        if args.storage:  # the database answers before the study folder is made
            check_storage_opens(args.storage)
        _check_capacity(args, spec)
        _check_device_fit(args, spec)
        _check_weights(spec)
        save_spec(study_dir, spec)
    except SpecError as e:
        raise UsageError(str(e)) from None
    _run_executor(args, study_dir)


def _check_weights(spec) -> None:
    """Every extractor the spec's trials score with is prepared here, before a study is created."""
    import numpy as np

    from ganbench.benchmark.metrics.weights import extractor_weights
    from ganbench.sweeps.spaces import sample
    from ganbench.sweeps.spec import trial_config

    for variant, dataset, pack in spec.cells():
        info = get_dataset(dataset)
        if info.is_image and (info.is_paired or spec.eval_every is not None):  # the extractor as a trial resolves it
            setting = sample(spec.space_for(variant, dataset), np.random.default_rng(0))
            extractor = resolve_config(**trial_config(spec, spec.trial(variant, dataset, pack), setting, seed=0)).extractor
            assert extractor is not None  # resolved for every image data set
            extractor_weights(extractor)


def _check_capacity(args, spec) -> None:
    """The workers the executor starts at once fit the database's connections and, on SLURM, the cluster's largest
    job array: refused in one line before anything is submitted."""
    from ganbench.sweeps.storage import check_connections, check_workers_share

    k = args.trials_per_device or spec.trials_per_device
    tasks = args.workers or 1
    if args.executor == "slurm":
        from ganbench.sweeps.slurm import check_array

        check_array(tasks)
        at_once = min(tasks, args.array_parallelism) * k
    elif args.storage:
        from ganbench.sweeps.executors import visible_gpus

        at_once = (args.workers or max(1, len(visible_gpus()))) * k
    else:
        return
    check_workers_share(args.storage, at_once)
    check_connections(args.storage, at_once)


def _check_device_fit(args, spec) -> None:
    """Locally on a GPU with a kept `make gpu-check` file: k trials of the spec must fit in its memory."""
    if args.executor == "local":
        from ganbench.sweeps.plan import check_fits_device, gpu_check_here

        k = args.trials_per_device or spec.trials_per_device
        check_fits_device(spec, k, gpu_check_here(), copies=k * (args.workers or 1))


def _run_executor(args, study_dir) -> None:
    from ganbench.sweeps.executors import run_local
    from ganbench.sweeps.storage import create_studies, load_saved_spec, storage_for

    allowed = [v for v in load_saved_spec(study_dir).variants if CODE_NAME.fullmatch(v)]  # imported already, on request
    if args.executor == "slurm":
        from ganbench.sweeps.slurm import submit  # submitit: only for SLURM

        create_studies(load_saved_spec(study_dir), storage_for(study_dir, args.storage))
        k = args.trials_per_device or load_saved_spec(study_dir).trials_per_device
        jobs = submit(study_dir, args.workers or 1, args.partition, args.gpus_per_task, args.cpus_per_task, args.mem,
                      args.time, args.array_parallelism, args.storage, args.signal_delay, allowed, trials_per_device=k)
        print(f"submitted job array {jobs[0].job_id.split('_')[0]} ({len(jobs)} tasks, {k} trial{'s' if k > 1 else ''} a task); "
              + ("waiting for it to end" if args.wait else f"follow with: ganbench sweep status {study_dir}"))
        if args.wait:
            from ganbench.sweeps.executors import follow

            follow(study_dir, args.storage, lambda: not all(job.done() for job in jobs), every_s=5.0)
            _print_status(study_dir, args.storage, as_json=False)
        return
    run_local(study_dir, args.workers, args.storage, allow_code=allowed, trials_per_device=args.trials_per_device)
    _print_status(study_dir, args.storage, as_json=False)


def cmd_sweep_plan(args) -> None:
    from ganbench.sweeps.plan import format_plans, load_gpu_check, plan

    _check_options(args, ["trials_per_device"])
    try:
        specs = [load_spec(path, import_code=True) for path in args.spec]
    except SpecError as e:
        raise UsageError(str(e)) from None
    check = load_gpu_check(args.gpu_check) if args.gpu_check else None
    plans = [plan(spec, args.trials_per_device, check) for spec in specs]
    print(dumps(plans[0] if len(plans) == 1 else plans) if args.json else format_plans(plans))


def _print_status(study_dir, storage_url, as_json) -> None:
    from ganbench.sweeps.runner import summary
    from ganbench.sweeps.spec import SPEC_WORKLOADS
    from ganbench.sweeps.storage import check_spec_against_studies, load_saved_spec, storage_for

    spec, storage = load_saved_spec(study_dir), storage_for(study_dir, storage_url, create=False)
    check_spec_against_studies(spec, storage, study_dir)
    rows = summary(spec, storage)
    if as_json:
        print(dumps({"study_dir": str(study_dir), "workload": spec.workload, "studies": rows}))
        return
    if spec.workload != "train":
        print(f"workload {spec.workload}: {SPEC_WORKLOADS[spec.workload]}")
    print(f"{'variant':<16}{'dataset':<14}{'done/budget':>12}{'diverged':>10}{'pruned':>8}{'failed':>8}{'running':>9}"
          f"{'steps used':>12}{'best':>12}{'seeds (mean ± std)':>26}")
    for r in rows:
        done = r["finished"] + r["diverged"] + r["pruned"]  # a failed trial is no result: resume runs it again
        best = f"{r['best']:.4g}" if r["best"] is not None else "-"
        seeds = "-"
        if r["seeds_budget"]:
            spread = f" {r['seeds_mean']:.4g} ± {r['seeds_std']:.2g}" if r["seeds_std"] is not None else ""
            seeds = f"{r['seeds_done']}/{r['seeds_budget']}{spread}"
        name = r["variant"] if r.get("pack", 1) == 1 else f"{r['variant']}+pack{r['pack']}"
        print(f"{name:<16}{r['dataset']:<14}{str(done) + '/' + str(r['budget']):>12}{r['diverged']:>10}{r['pruned']:>8}"
              f"{r['failed']:>8}{r['running']:>9}{r['steps_used'] / max(1, r['budget_steps']):>12.0%}{best:>12}{seeds:>26}")
    if any(r["failed"] for r in rows):
        print(f"failed trials do not complete a budget: `ganbench sweep resume {study_dir}` runs them again")


def _saved_study(args, runs_code: bool) -> None:
    """The study folder's spec; a command that trains (``runs_code``) needs its variants known here, a loss it
    names imported only with --allow-code. Reading a study's record needs no variant's code."""
    from ganbench.sweeps.storage import load_saved_spec

    try:
        spec = load_saved_spec(args.dir)
    except (FileNotFoundError, SpecError) as e:
        raise UsageError(str(e)) from None
    _allow_code(args)
    for v in spec.variants if runs_code else []:
        get_variant(v)


def cmd_sweep_status(args) -> None:
    _check_options(args, ["storage"])
    _saved_study(args, runs_code=False)
    _print_status(args.dir, args.storage, args.json)


def cmd_sweep_dashboard(args) -> None:
    """optuna-dashboard, as its documentation runs it (run_server on a storage), on the study's own storage."""
    from ganbench.sweeps.storage import storage_for

    _check_options(args, ["storage"])
    _saved_study(args, runs_code=False)
    if not 1 <= args.port <= 65535:
        raise UsageError(f"port: {args.port} is not allowed, must be an integer in [1, 65535]")
    try:
        from optuna_dashboard import run_server
    except ImportError:
        raise UsageError("dashboard: optuna-dashboard is not installed: pip install 'ganbench[dashboard]'") from None
    storage = storage_for(args.dir, args.storage, create=False)
    print(f"dashboard of {args.dir}: http://{args.host}:{args.port}/dashboard (Ctrl-C stops it)", flush=True)
    try:
        run_server(storage, host=args.host, port=args.port)
    except OSError as e:  # the port is taken, or the host has no such address
        raise UsageError(f"port: cannot serve on {args.host}:{args.port} ({e.strerror or e})") from None


def cmd_sweep_resume(args) -> None:
    from ganbench.sweeps.retries import retry_failed
    from ganbench.sweeps.runner import budget_spent
    from ganbench.sweeps.storage import check_spec_against_studies, load_saved_spec, storage_for

    _check_options(args, EXECUTOR_OPTIONS)
    _saved_study(args, runs_code=True)
    spec, storage = load_saved_spec(args.dir), storage_for(args.dir, args.storage, create=False)
    check_spec_against_studies(spec, storage, args.dir)  # before anything is enqueued
    _check_capacity(args, spec)
    _check_device_fit(args, spec)
    retried = retry_failed(spec, storage)
    if retried:
        print(f"{retried} failed trial{'s' if retried != 1 else ''} enqueued again with {'their' if retried != 1 else 'its'} setting")
    elif args.executor == "slurm" and budget_spent(spec, storage):  # no job array for a finished study
        print(f"nothing to resume: every trial of {args.dir} has finished")
        _print_status(args.dir, args.storage, as_json=False)
        return
    _run_executor(args, Path(args.dir))


EXECUTOR_OPTIONS = ("executor", "workers", "trials_per_device", "storage", "partition", "gpus_per_task", "cpus_per_task", "mem", "time",
                    "signal_delay", "array_parallelism", "wait")


def _check_options(args, names) -> None:
    """The options' values against their fields, before any work: one line naming the flag."""
    for name in names:
        f, dest = COMMAND_FIELDS[name], DESTS.get(name, name)
        value = getattr(args, dest, None)
        if value is not None:
            f.check(value, f.cli_flag[2:])
    if "storage" in names:
        check_storage(getattr(args, "storage", None))
    if getattr(args, "executor", None) == "slurm" and shutil.which("sbatch") is None:
        raise UsageError("executor: slurm needs SLURM's sbatch on PATH (none is installed here); run on a cluster login node, "
                         "or use --executor local")


DESTS = {"eval_n": "n", "sample_n": "n", "sample_seed": "seed", "eval_extractor": "extractor", "inception_weights": "weights",
          "sample_format": "format"}


EVAL_OPTIONS = ("checkpoint", "eval_extractor", "eval_n", "inception_weights", "fid_infinity", "device")


SAMPLE_OPTIONS = ("checkpoint", "sample_n", "sample_format", "sample_seed", "device")


SPACES_OPTIONS = ("space", "protocol")


def cmd_report(args) -> None:
    from ganbench.analysis.report import write_report  # matplotlib and seaborn: 1-2 s that no other command needs

    _check_options(args, ["storage", "budget"])
    _allow_code(args)
    _check_live_specs(args.dirs)
    try:
        index = write_report(args.dirs, args.out, args.budget, args.storage, args.external)
    except ValueError as e:
        raise UsageError(str(e)) from None
    except FileNotFoundError as e:
        if e.filename is not None:  # an output place that cannot be made: main() names it
            raise
        raise UsageError(str(e)) from None
    print(f"report written: {index}")


def _check_live_specs(dirs) -> None:
    """A live study's spec.json checked as `sweep status` checks it, before the report reads it (a kept study's
    tables are checked by analysis.load)."""
    from ganbench.analysis.load import is_kept
    from ganbench.sweeps.storage import load_saved_spec

    for d in map(Path, dirs):
        if (d / "spec.json").is_file() and not is_kept(d):
            try:
                load_saved_spec(d)
            except SpecError as e:  # named as the report names what it reads: the study
                raise UsageError("study" + str(e).removeprefix("dir")) from None


def cmd_score(args) -> None:
    """Samples from anywhere scored against a data set or other samples; a run directory as eval scores it."""
    from ganbench.benchmark.data import DataError, sample_images
    from ganbench.benchmark.files import write_json
    from ganbench.benchmark.metrics.fidelity import MetricError
    from ganbench.benchmark.metrics.score import score_images

    if args.n is not None and args.n < 2:
        raise UsageError(f"n: {args.n} is not allowed, must be an integer >= 2")
    if not 1 <= args.nearest_k <= 100:
        raise UsageError(f"nearest-k: {args.nearest_k} is not allowed, must be an integer in [1, 100]")
    try:
        if (Path(args.samples) / "config.json").is_file():
            result = _score_run(args)
        else:
            result = {"samples": args.samples, **score_images(sample_images(args.samples), args.against, args.extractor,
                                                             args.resize, args.n, args.nearest_k)}
    except (DataError, MetricError) as e:
        raise UsageError(str(e)) from None
    if args.out:
        write_json(Path(args.out), result)
    print(dumps(result))


def _score_run(args) -> dict:
    """A run's generator as `ganbench eval` scores it (the same fixed latents and cached real features)."""
    from ganbench.benchmark.metrics.fidelity import ScoringRequest, evaluate_generator
    from ganbench.benchmark.metrics.resize import DEFAULT_RESIZE
    from ganbench.benchmark.metrics.score import check_extractor
    from ganbench.benchmark.train import load_module

    config, module = load_module(args.samples, "cpu", _default_checkpoint(args.samples))
    if args.against not in DATASETS:
        raise UsageError(f"against: a run is scored against a data set's test split, as eval scores it; '{args.against}' is not one "
                         "(export its samples with `ganbench sample --format npz` to score them against other images)")
    if args.resize != DEFAULT_RESIZE:
        raise UsageError(f"resize: a run is scored as eval scores it ({DEFAULT_RESIZE}); export its samples with "
                         "`ganbench sample --format npz` to score them under another mode")
    extractor = args.extractor or config.extractor
    check_extractor(extractor, args.resize)
    n_fake, n_real = (args.n, args.n) if args.n else (config.n_fake, config.n_real)
    request = ScoringRequest.of_run(config, module.prior, "cpu", dataset=args.against, extractor=extractor, n_fake=n_fake,
                                    n_real=n_real, nearest_k=args.nearest_k)
    scores = evaluate_generator(module.scored_generator, request)
    return {"samples": args.samples, "against": args.against, "extractor": extractor, "resize": args.resize,
            "n_samples": n_fake, "n_reference": n_real, **scores}


def cmd_paper(args) -> None:
    import shlex
    import sys

    from ganbench.analysis.paper import write_paper  # matplotlib: only this command and report need it

    _check_options(args, ["budget"])
    command = "ganbench " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["paper"] else (
        "ganbench paper " + " ".join(map(shlex.quote, [*args.dirs, "--out", args.out, *(["--only", args.only] if args.only else [])])))
    try:
        written = write_paper(args.dirs, args.out, command, only=args.only, budget=args.budget)
    except ValueError as e:
        raise UsageError(str(e)) from None
    for path in written:
        print(path)


def cmd_weights(args) -> None:
    """List each extractor's weights (where from, present, verified, the folder to copy), or fetch them."""
    from ganbench.benchmark.metrics.weights import WEIGHTS

    fetch = args.words[:1] == ["fetch"]
    given = args.words[1:] if fetch else args.words
    if fetch and not given:
        raise UsageError("fetch: name the extractors to prepare, or all")
    names = list(WEIGHTS) if not given or given == ["all"] else given
    for name in names:
        if name not in WEIGHTS:
            raise UsageError(f"extractor: unknown '{name}', choose one of {', '.join(WEIGHTS)}{' or all' if fetch else ''}")
    if fetch:
        for name in names:
            for path in WEIGHTS[name].fetch(verbose=not args.quiet):
                print(path)
        return
    rows = {name: dict(source=w.source, present=w.present(), verified=w.verified(), folder=str(w.folder()))
            for name, w in WEIGHTS.items() if name in names}
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for name, r in rows.items():
        state = ("absent" if not r["present"] else "verified" if r["verified"] else "present (no published hash)"
                 if r["verified"] is None else "DAMAGED: does not match its hash; fetch it again")
        print(f"{name}: {state}\n  from: {r['source']}\n  folder: {r['folder']}"
              + ("" if r["present"] else f"\n  prepare: ganbench weights fetch {name}"))
