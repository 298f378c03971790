"""Studies in an Optuna storage, and the worker loop that runs their trials.

The budget is exact by construction. When a study is created, its trials are enqueued as waiting trials: the
B settings of a random search (sampled with a seeded RNG), or, for an adaptive sampler (TPE), the variant's
defaults and B - 1 empty slots whose setting the sampler picks when a worker starts them. A worker claims a
waiting trial by switching it to RUNNING through the storage (which lets exactly one worker win), never through
``study.ask()``, which would create a fresh trial once none is waiting.

The budget is counted in training steps, B x steps: a running trial reserves its full length, a finished one
counts the steps it ran. Without a pruner this is exactly B trials. With Hyperband, pruned trials free steps, so
more slots are enqueued and a worker starts the lowest waiting one only if the steps reserved by every trial
before it leave room for a full trial: never over budget, with less than one trial's steps left over at the end.

A worker that dies leaves a RUNNING trial behind. Each trial records its owner (host, pid, SLURM job) and a
heartbeat its worker refreshes (sweeps/liveness.py); a trial whose heartbeat is stale, whose SLURM job is gone or
unknown, or whose local process is dead is marked lost (FAIL) and its setting enqueued again, to resume from its
checkpoint in the same directory. Retries go before new slots and keep their reservation. A frozen worker that
wakes to find its trial re-run stops without telling the study.

Seed phase (``budget.seeds`` = K): once every search trial of a (variant, data set) is done, the best setting is
trained again with K seeds, in a second study named ``<study>.seeds`` with K slots.
"""
from __future__ import annotations

import datetime
import json
import math
import multiprocessing
import os
import socket
import subprocess
import sys
import time
import traceback
from importlib import metadata
from pathlib import Path

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock
from optuna.trial import TrialState

from ganbench.benchmark.config import resolve_config
from ganbench.benchmark.data import file_name
from ganbench.benchmark.files import dumps, restore, strict, write_json
from ganbench.benchmark.identity import TrialIdentity, retried
from ganbench.benchmark.logs import progress_bar
from ganbench.benchmark.train import train
from ganbench.benchmark.variants import import_variant

from . import optuna_internals
from .liveness import Heartbeat, StopIfAbandoned, TrialAbandoned, heartbeat_stale
from .spaces import constant, is_distribution, suggest
from .spec import JournalError, Spec, SpecError, trial_config

optuna.logging.set_verbosity(optuna.logging.WARNING)


def check_journal(path: Path) -> None:
    """Every record of an Optuna journal must be one JSON line. Optuna tolerates a bad last line (a write in
    progress) but appends after it, which joins it to the next record and leaves every later read failing; so a
    cut-off or garbage-appended journal is refused here, before anything is written, with the byte to cut it back to.
    ganbench does not edit the file itself: it is the only record of the study."""
    if not path.is_file():
        return
    good = 0
    with open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                if not line.endswith(b"\n"):
                    raise ValueError("no line end")
                json.loads(line)
            except ValueError:
                raise JournalError(
                    f"dir: {path} has an unreadable record at line {number} (a cut-off write, or something appended); the "
                    f"{number - 1} records before it are intact: keep them with `truncate -s {good} {path}` (a copy first), "
                    "then resume") from None
            good += len(line)


def storage_for(study_dir: Path, url: str | None = None, create: bool = True):
    """The study's Optuna storage: ``url``, or the journal file in its folder. ``create=False`` (status, report):
    a missing journal is an error, not a new empty file in someone's folder."""
    if url:
        return url
    path = Path(study_dir) / "optuna.journal"
    if not create and not path.is_file():
        raise JournalError(f"dir: {study_dir} has no optuna.journal, the record of its trials; if the study was run with "
                           "--storage URL, give the same --storage, else restore the journal (ganbench does not make a new one here)")
    check_journal(path)
    return JournalStorage(JournalFileBackend(str(path), lock_obj=JournalFileOpenLock(str(path))))


def save_spec(study_dir: Path, spec: Spec) -> None:
    """Write the spec a study directory runs; a directory that already runs another spec is refused (SpecError):
    its trials would be counted against a budget they were not drawn for."""
    path = Path(study_dir) / "spec.json"
    text = dumps(spec.__dict__)
    how_run = ("trials_per_device",)  # how the executors run it, not what it runs
    if path.is_file() and _without(json.loads(path.read_text()), how_run) != _without(json.loads(text), how_run):
        raise SpecError(f"dir: {study_dir} already runs another spec ({json.loads(path.read_text()).get('name')}); "
                        "continue it with `ganbench sweep resume`, or choose a new --dir")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, spec.__dict__)


def _without(d: dict, keys) -> dict:
    return {k: v for k, v in d.items() if k not in keys}


def load_saved_spec(study_dir: Path) -> Spec:
    path = Path(study_dir) / "spec.json"
    if not path.is_file():
        raise FileNotFoundError(f"dir: {study_dir} holds no study (spec.json missing)")
    try:
        return Spec(**json.loads(path.read_text()))
    except (ValueError, TypeError) as e:  # hand-edited or cut off
        raise SpecError(f"dir: {path} is not a spec ganbench wrote ({type(e).__name__}); restore it from the spec YAML with `ganbench sweep run`") from None


SEED_OFFSET = 100_000  # seed-phase seeds never coincide with a search trial's seed (spec.seed * 1000 + setting)


def tpe_startup_trials(settings: int) -> int:
    """Random settings before TPE models the rest: a third of the budget, 3 to 10 (Optuna's default, 10, would make
    TPE a random search at the study's small budgets)."""
    return min(10, max(3, settings // 3))


def _sampler(spec: Spec, seed: int | None = None):
    # a random search never asks its sampler: every setting is enqueued; TPE picks the empty slots' settings.
    # constant_liar: a running trial counts as a poor result, so parallel workers do not all pick the same setting
    seed = spec.seed if seed is None else seed
    if spec.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed, constant_liar=True, n_startup_trials=tpe_startup_trials(spec.settings))
    return optuna.samplers.RandomSampler(seed=seed)


def _pruner(spec: Spec):
    if spec.pruner == "hyperband":  # rungs at multiples of the FID schedule, up to the full training length
        return optuna.pruners.HyperbandPruner(min_resource=spec.eval_every, max_resource=spec.steps, reduction_factor=3)
    return optuna.pruners.NopPruner()


def slots(spec: Spec) -> int:
    """Trials enqueued for the search: B, or with a pruner as many as the step budget could hold if every trial
    stopped at the first rung."""
    return spec.settings if spec.pruner == "none" else spec.budget_steps // spec.eval_every


def open_study(spec: Spec, storage, name: str, prune: bool = True) -> optuna.Study:
    """``prune=False`` for the seed phase: re-trainings of the best setting always run to the end."""
    return optuna.create_study(study_name=name, storage=storage, direction="minimize", load_if_exists=True,
                               sampler=_sampler(spec), pruner=_pruner(spec) if prune else optuna.pruners.NopPruner())


def create_studies(spec: Spec, storage) -> list[tuple[optuna.Study, optuna.Study | None]]:
    """One (search study, seed-phase study or None) per (variant, data set); the slots enqueued once, when new.
    Called once by the command that starts a sweep, before any worker."""
    studies = []
    for v, d, m in spec.cells():
        study = open_study(spec, storage, spec.study_name(v, d, m))
        if "budget" not in study.user_attrs:
            n = slots(spec)
            settings = spec.settings_for(v, d, n)
            for i in range(n):
                study.enqueue_trial(settings[i] if i < len(settings) else {}, user_attrs=spec.trial(v, d, m, setting=i).attrs(),
                                    skip_if_exists=False)
            study.set_user_attr("budget", spec.settings)
            study.set_user_attr("budget_steps", spec.budget_steps)
        seeds = None
        if spec.seeds:
            seeds = open_study(spec, storage, spec.seed_study_name(v, d, m), prune=False)
            if "budget" not in seeds.user_attrs:
                for i in range(spec.seeds):
                    seeds.enqueue_trial({}, user_attrs=spec.trial(v, d, m, "seed", None, i).attrs(), skip_if_exists=False)
                seeds.set_user_attr("budget", spec.seeds)
                seeds.set_user_attr("budget_steps", spec.seeds * spec.steps)
        studies.append((study, seeds))
    return studies


def worker_identity() -> dict:
    """Who runs a trial, recorded on it: the process, its SLURM task and incarnation, and its device slot (the
    executors' k workers a device share a slot; CUDA_VISIBLE_DEVICES says which GPU the slot holds)."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
            "slurm_array_task_id": os.environ.get("SLURM_ARRAY_TASK_ID"), "slurm_restart": os.environ.get("SLURM_RESTART_COUNT", "0"),
            "device_slot": os.environ.get(DEVICE_SLOT), "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES")}


DEVICE_SLOT = "GANBENCH_DEVICE_SLOT"  # set by the executors for each worker process they start


CLAIM_GRACE_S = 60  # a live worker records itself within milliseconds of claiming a trial


def _owner_gone(attrs: dict, me: dict, started=None) -> bool:
    """A stale heartbeat settles it on any executor and storage; SLURM and the local process table answer faster."""
    if attrs.get("host") is None:  # claimed, then killed before it could record itself
        return started is not None and (datetime.datetime.now() - started).total_seconds() > CLAIM_GRACE_S
    if heartbeat_stale(attrs):
        return True
    if attrs.get("slurm_job_id"):
        if attrs["slurm_job_id"] == me["slurm_job_id"]:
            if attrs.get("slurm_restart") != me["slurm_restart"] or attrs.get("host") != me["host"]:
                return True  # this very job, requeued: its earlier incarnation is gone
            return _process_gone(attrs["pid"], me["pid"])  # a sibling worker of this task (trials_per_device > 1)
        try:
            out = subprocess.run(["squeue", "-h", "-j", attrs["slurm_job_id"], "-o", "%T"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return False  # no answer: the heartbeat decides, later
        if out.returncode != 0:  # "Invalid job id specified": slurmctld has forgotten a finished job (MinJobAge)
            return "invalid job id" in out.stderr.lower()
        return not any(s in out.stdout for s in ("RUNNING", "PENDING", "REQUEUE", "CONFIGURING", "COMPLETING", "SUSPENDED"))
    if attrs.get("host") != me["host"] or attrs.get("pid") is None:
        return False  # another host's process: only its own host (or SLURM) can tell
    return _process_gone(attrs["pid"], me["pid"])


def _process_gone(pid: int | None, mine: int) -> bool:
    """Whether a process of this host has ended (never this one)."""
    if pid is None or pid == mine:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover_lost_trials(study: optuna.Study) -> int:
    """Fail RUNNING trials whose worker is gone and enqueue their settings again. Returns how many."""
    me, n = worker_identity(), 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if _owner_gone(t.user_attrs, me, t.datetime_start):
            if optuna_internals.fail_lost(study, t):
                enqueue_retry(study, t)
                n += 1
    return n


def enqueue_retry(study: optuna.Study, t: optuna.trial.FrozenTrial) -> None:
    """The trial ``t`` again, exactly as it was: its identity and its setting (a lost seed-phase trial keeps the
    setting it had taken from the best search trial)."""
    identity = TrialIdentity.of(t.user_attrs)
    study.enqueue_trial(t.params, user_attrs={**identity.attrs(), "retry_of": t.number}, skip_if_exists=False)


def retry_failed(spec: Spec, storage) -> int:
    """`sweep resume`: every failed trial (an error in training, not a verdict on its setting) that no trial re-runs
    yet is enqueued again as exactly the trial it was; the failed attempt then counts once. Returns how many."""
    n = 0
    for name in [spec.study_name(*cell) for cell in spec.cells()] + [spec.seed_study_name(*cell) for cell in spec.cells() if spec.seeds]:
        try:
            study = optuna.load_study(study_name=name, storage=storage)
        except KeyError:
            continue
        trials = study.get_trials(deepcopy=False)
        done = retried(trials)
        for t in trials:
            if t.state == TrialState.FAIL and t.user_attrs.get("status") == "failed" and t.number not in done:
                enqueue_retry(study, t)
                n += 1
    return n


def _budget_steps(study: optuna.Study, steps: int) -> int:
    attrs = study.user_attrs  # studies created before step budgets hold only the number of settings
    return attrs.get("budget_steps", attrs["budget"] * steps)


def steps_reserved(trials, steps: int) -> int:
    """Training steps spent or promised: running trials and waiting retries their full length, done trials what
    they ran; lost attempts nothing (their retry holds the reservation)."""
    total = 0
    for t in trials:
        if t.state == TrialState.RUNNING or (t.state == TrialState.WAITING and "retry_of" in t.user_attrs):
            total += steps
        elif t.state in (TrialState.COMPLETE, TrialState.PRUNED):
            total += int(t.user_attrs.get("steps", steps))
    return total


def claim(study: optuna.Study, steps: int) -> optuna.Trial | None:
    """Switch one waiting trial to RUNNING: a retry first, else the lowest slot if the step budget has room."""
    budget = _budget_steps(study, steps)
    while True:
        trials = study.get_trials(deepcopy=False)
        waiting = [t for t in trials if t.state == TrialState.WAITING]
        retries = [t for t in waiting if "retry_of" in t.user_attrs]
        fresh = sorted((t for t in waiting if "retry_of" not in t.user_attrs), key=lambda t: t.number)
        if retries:
            candidate = retries[0]
        elif fresh and steps_reserved(trials, steps) + steps <= budget:
            candidate = fresh[0]  # only the lowest: everything below it is counted in the check above
        else:
            return None
        trial = optuna_internals.claim(study, candidate, worker_identity())  # the owner, at once: see _owner_gone
        if trial is not None:
            return trial  # else another worker switched it first: look again


def search_done(study: optuna.Study, steps: int) -> bool:
    """No search trial is running and none can start: every slot is used or the step budget is spent."""
    trials = study.get_trials(deepcopy=False)
    if any(t.state == TrialState.RUNNING or (t.state == TrialState.WAITING and "retry_of" in t.user_attrs) for t in trials):
        return False
    waiting = any(t.state == TrialState.WAITING for t in trials)
    return not waiting or steps_reserved(trials, steps) + steps > _budget_steps(study, steps)


def best_search_trial(study: optuna.Study):
    done = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if t.value is not None and math.isfinite(t.value) and t.user_attrs.get("status") == "finished"]
    return min(done, key=lambda t: (t.value, t.number)) if done else None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent, timeout=5)
        return out.stdout.strip() or None
    except OSError:
        return None


def _params(trial: optuna.Trial, space: dict, fixed: dict) -> dict:
    """The trial's whole setting, every value recorded as an Optuna param: an enqueued value as it is (under the
    space's distribution where it has one, so the sampler and the dashboard see one distribution), the rest from
    the study's sampler."""
    out = {}
    for name in {**space, **fixed}:
        d = space.get(name)
        out[name] = suggest(trial, name, d) if is_distribution(d) else constant(trial, name, fixed.get(name, d))
    return out


def run_trial(study: optuna.Study, trial: optuna.Trial, spec: Spec, study_dir: Path, best: optuna.trial.FrozenTrial | None = None) -> None:
    """Train one trial into ``DIR/trials/<variant>/<dataset>/<setting or seed-i>/`` and tell the study its result.
    ``best`` is the search trial whose setting a seed-phase trial re-trains."""
    attrs, fixed = optuna_internals.frozen(study, trial).user_attrs, optuna_internals.fixed_params(study, trial)
    identity = TrialIdentity.of(attrs)
    if identity.phase == "seed":
        seed = SEED_OFFSET + spec.seed * 1000 + identity.seed_index
        space, fixed = {}, fixed or dict(best.params)
        trial.set_user_attr("setting", attrs.get("setting", best.user_attrs["setting"]))
    else:
        seed = spec.seed * 1000 + identity.setting
        space = spec.space_for(identity.variant, identity.dataset)
        fixed = {**{k: x for k, x in space.items() if not is_distribution(x)}, **fixed}
        # a sampler seeded per slot: workers started together must not draw the same settings from one seed
        study.sampler = _sampler(spec, seed)
    # Optuna returns a fixed parameter's value from suggest_*: fix the constants too, so no sampler draws them
    trial = optuna_internals.fix_params(study, trial, fixed)
    params = _params(trial, space, fixed)
    out = identity.run_dir(study_dir, file_name)
    for k, val in {"ganbench_version": metadata.version("ganbench"), "git_commit": _git_commit(),
                   "seed": seed, "run_dir": str(out.relative_to(study_dir))}.items():
        trial.set_user_attr(k, val)

    def prune(step: int, fid: float) -> bool:  # Hyperband's verdict at each FID checkpoint
        trial.report(fid if math.isfinite(fid) else 1e30, step)
        return trial.should_prune()

    heartbeat = Heartbeat(study, trial)
    try:
        _train_and_tell(study, trial, spec, identity, out, params, seed, prune, heartbeat)
    finally:
        heartbeat.stop()


def _train_and_tell(study, trial, spec, identity, out, params, seed, prune, heartbeat) -> None:
    try:
        config = resolve_config(**trial_config(spec, identity, params, seed))
        if (out / "metrics.json").exists():  # trained, but its worker died before telling the study
            metrics = json.loads((out / "metrics.json").read_text())
        else:
            started = time.perf_counter()
            metrics = train(config, out, progress=False, callbacks=[StopIfAbandoned(heartbeat)],
                            should_stop=prune if spec.pruner != "none" and identity.phase != "seed" else None)
            trial.set_user_attr("train_s", time.perf_counter() - started)  # the rest of a trial is harness overhead
        heartbeat.check()
    except TrialAbandoned as e:  # another worker re-runs it: tell nothing, touch nothing
        print(f"ganbench worker {os.getpid()}: {e}", flush=True)
        return
    except Exception as e:  # noqa: BLE001 - a failed trial is recorded, counted and shown, never lost
        if heartbeat.lost:  # it failed because its files were taken over (the retry renamed them): not its failure
            print(f"ganbench worker {os.getpid()}: trial {trial.number} was re-run by another worker; dropping this attempt", flush=True)
            return
        trial.set_user_attr("status", "failed")
        trial.set_user_attr("error", "".join(traceback.format_exception_only(type(e), e)).strip()[-2000:])
        study.tell(trial, state=TrialState.FAIL)
        return
    found: dict = {}
    for k, val in strict(metrics, "", found).items():  # attributes in strict JSON: a non-finite score is null, named
        trial.set_user_attr(k, val)
    if found:
        trial.set_user_attr("non_finite", found)
    if metrics.get("status") == "pruned":
        study.tell(trial, state=TrialState.PRUNED)  # its value: the last FID it reported
        return
    value = objective(metrics)
    study.tell(trial, value if math.isfinite(value) else float("inf"))


def objective(metrics: dict) -> float:
    """The study's verdict: min-over-checkpoints FID; on 2-D mixtures the truncated transport distance to the
    mixture (which a noise cloud cannot win, unlike the mode KL: benchmark.metrics.modes); inf when diverged."""
    if metrics.get("status") == "diverged":
        return math.inf
    metrics = restore(metrics)  # a metrics.json read back: its nulls for non-finite scores are those floats again
    for key in ("fid_min", "fid", "mixture_mismatch", "mode_kl", "sliced_w1"):
        if key in metrics:
            return float(metrics[key]) if metrics[key] is not None else math.inf
    return math.inf


def work(study_dir: Path | str, storage_url: str | None = None, allow_code: list | tuple = ()) -> int:
    """A worker: run waiting trials of every study in the directory until none can start. Returns trials run.
    ``allow_code``: the spec's losses (module:function) that the user named when starting or resuming the sweep."""
    for name in allow_code:
        import_variant(name)
    study_dir = Path(study_dir)
    spec = load_saved_spec(study_dir)
    storage = storage_for(study_dir, storage_url)
    done = 0
    for study, seeds in create_studies(spec, storage):
        recover_lost_trials(study)
        while (trial := claim(study, spec.steps)) is not None:
            run_trial(study, trial, spec, study_dir)
            done += 1
        # the worker that ends the search (the last to finish a trial) goes on to the seed phase
        if seeds is not None and search_done(study, spec.steps) and (best := best_search_trial(study)) is not None:
            recover_lost_trials(seeds)
            while (trial := claim(seeds, spec.steps)) is not None:
                run_trial(seeds, trial, spec, study_dir, best)
                done += 1
    return done


def _load(name: str, storage) -> optuna.Study | None:
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        return None


def summary(spec: Spec, storage) -> list[dict]:
    """Per (variant, data set): trials by outcome against the budget, steps spent, the best value, and the seed
    phase's mean and standard deviation."""
    rows = []
    for v, d, m in spec.cells():
        row = dict(variant=v, dataset=d, pack=m, budget=spec.settings, finished=0, diverged=0, pruned=0, failed=0, lost=0,
                   running=0, waiting=0, steps_used=0, budget_steps=spec.budget_steps, best=None, best_setting=None,
                   seeds_budget=spec.seeds, seeds_done=0, seeds_finite=0, seeds_mean=None, seeds_std=None)
        study = _load(spec.study_name(v, d, m), storage)
        if study is not None:
            trials = study.get_trials(deepcopy=False)
            rerun = retried(trials)
            status = [t.user_attrs.get("status") for t in trials if t.number not in rerun]
            done = search_done(study, spec.steps)
            best = best_search_trial(study)
            row.update(finished=status.count("finished"), diverged=status.count("diverged"), pruned=status.count("pruned"),
                       failed=status.count("failed"), lost=status.count("lost"),
                       running=sum(t.state == TrialState.RUNNING for t in trials),
                       waiting=0 if done else sum(t.state == TrialState.WAITING for t in trials),
                       steps_used=sum(int(t.user_attrs.get("steps", 0)) for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)),
                       best=best.value if best else None, best_setting=best.user_attrs["setting"] if best else None)
        seeds = _load(spec.seed_study_name(v, d, m), storage) if spec.seeds else None
        if seeds is not None:
            values = [t.value for t in seeds.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
            finite = [x for x in values if x is not None and math.isfinite(x)]
            row.update(seeds_done=len(values), seeds_finite=len(finite), seeds_mean=sum(finite) / len(finite) if finite else None,
                       seeds_std=_std(finite))
        rows.append(row)
    return rows


def _std(xs: list) -> float | None:
    if len(xs) < 2:
        return None
    m = sum(xs) / len(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def trials_done(row: dict) -> int:
    return row["finished"] + row["diverged"] + row["pruned"] + row["failed"] + row["seeds_done"]


def usable_cpus() -> int:
    """The CPUs this process may use (a SLURM or cgroup allotment, taskset), not the machine's: more threads than
    cores makes torch's thread pools spin against each other (measured: 50x slower with 4 workers x 2 threads on 2)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# What the fork server imports once for all its workers: this module (torch, Lightning) and POT, which a trial on 2-D
# data imports to score it (~1.2 s a process; benchmark/metrics/modes.py defers it for processes that never do)
WORKER_PRELOAD = [__name__, "ot"]


def start_workers(study_dir: Path | str, storage_url: str | None, allow_code, slots: list[tuple[str, str | None]],
                  per_slot: int) -> list[multiprocessing.Process]:
    """``per_slot`` worker processes on each (slot name, GPU index or None) slot; each process sees only its slot's
    GPU, and the slots' processes share this process's CPUs (at most OMP_NUM_THREADS threads each where it is set).

    Workers fork from multiprocessing's forkserver, which imports WORKER_PRELOAD once: a worker then
    starts in a fraction of a second instead of spending ~7 s of CPU on imports (tests/perf/sweep_overhead.py). The
    server imports no CUDA state (tests/test_sweeps.py checks), so each worker still picks its own GPU; it gets this
    process's environment, directory and thread limit as a new process would."""
    threads = max(1, usable_cpus() // (len(slots) * per_slot))
    if os.environ.get("OMP_NUM_THREADS", "").isdigit() and int(os.environ["OMP_NUM_THREADS"]) > 0:
        threads = min(threads, int(os.environ["OMP_NUM_THREADS"]))
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_PRELOAD)
    procs = []
    for slot, gpu in slots:
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), DEVICE_SLOT: slot}
        if gpu is not None:
            env["CUDA_VISIBLE_DEVICES"] = gpu
        for _ in range(per_slot):
            procs.append(context.Process(target=_worker_process, args=(str(study_dir), storage_url, list(allow_code), env, os.getcwd(), threads)))
            procs[-1].start()
    return procs


def _worker_process(study_dir: str, storage_url: str | None, allow_code: list, env: dict, cwd: str, threads: int) -> None:
    """A forked worker: the starting process's environment, directory and thread limit, then ``work``."""
    import logging

    import torch

    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.path[:0] = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p not in sys.path]
    torch.set_num_threads(threads)
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    work(study_dir, storage_url, allow_code)


def visible_gpus() -> list[str]:
    """The GPUs this process may use, as CUDA_VISIBLE_DEVICES names them (none without CUDA)."""
    import torch

    if not torch.cuda.is_available():
        return []
    named = [g for g in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if g.strip()]
    return named[: torch.cuda.device_count()] if named else [str(i) for i in range(torch.cuda.device_count())]


def run_local(study_dir: Path, workers: int | None = None, storage_url: str | None = None, progress: bool = True,
              allow_code: list | tuple = (), trials_per_device: int | None = None) -> list[dict]:
    """Worker processes on this machine: ``workers`` device slots (default: one per visible GPU, else one), each
    pinned to a GPU (round robin) and running ``trials_per_device`` workers (default: the spec's); a progress bar of
    trials done against the budget."""
    spec = load_saved_spec(study_dir)
    storage = storage_for(study_dir, storage_url)
    create_studies(spec, storage)
    gpus = visible_gpus()
    workers = workers or max(1, len(gpus))
    slots = [(str(i), gpus[i % len(gpus)] if gpus else None) for i in range(workers)]
    procs = start_workers(study_dir, storage_url, allow_code, slots, trials_per_device or spec.trials_per_device)
    pairs = len(spec.cells())
    by_steps = spec.pruner != "none"  # with pruning the number of trials is not known in advance: count steps
    total = pairs * (spec.budget_steps if by_steps else spec.settings + spec.seeds)
    with progress_bar(total, "training steps" if by_steps else "trials", enabled=progress) as bar:
        while any(p.is_alive() for p in procs):
            rows = summary(spec, storage)
            n = sum(r["steps_used"] if by_steps else trials_done(r) for r in rows)
            best = [r["best"] for r in rows if r["best"] is not None]
            bar.n = n
            bar.set_postfix(best=f"{min(best):.4g}" if best else "-")
            bar.refresh()
            time.sleep(1.0)
    return summary(spec, storage)
