"""Running trials: a worker's loop over the studies of a sweep, one trial trained and told, and the sweep's summary.
``storage`` holds the studies, ``claims`` takes a trial within the budget, ``retries`` re-runs lost and failed
ones, ``executors`` starts the workers.

Seed phase (``budget.seeds`` = K): once every search trial of a (variant, data set) is done, the best setting is
trained again with K seeds, in a second study named ``<study>.seeds`` with K slots."""
from __future__ import annotations

import math
import os
import subprocess
import time
import traceback
from importlib import metadata
from pathlib import Path

import optuna
from optuna.trial import TrialState

from ganbench.benchmark.config import resolve_config
from ganbench.benchmark.data import file_name, get_dataset
from ganbench.benchmark.files import restore, strict
from ganbench.benchmark.identity import Phase, TrialIdentity, TrialStatus, retried
from ganbench.benchmark.variants import import_variant

from . import optuna_internals
from .claims import best_search_trial, claim, search_done
from .liveness import Heartbeat, TrialAbandoned
from .retries import recover_lost_trials
from .spaces import constant, is_distribution, suggest
from .spec import OBJECTIVES, Spec, synthetic_score, trial_config
from .storage import check_spec_against_studies, create_studies, load_existing, load_saved_spec, sampler_for, worker_storage




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
    if identity.phase == Phase.SEED:
        assert identity.seed_index is not None and best is not None, "a seed-phase trial re-trains the best search trial"
        seed = spec.trial_seed(Phase.SEED, identity.seed_index)
        space, fixed = {}, fixed or dict(best.params)
        trial.set_user_attr("setting", attrs.get("setting", best.user_attrs["setting"]))
    else:
        assert identity.setting is not None  # a search trial has its slot (TrialIdentity checks it)
        seed = spec.trial_seed(Phase.SEARCH, identity.setting)
        space = spec.space_for(identity.variant, identity.dataset)
        fixed = {**{k: x for k, x in space.items() if not is_distribution(x)}, **fixed}
        # a sampler seeded per slot: workers started together must not draw the same settings from one seed
        study.sampler = sampler_for(spec, seed)
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
    from ganbench.benchmark.train import read_metrics, train  # here, not above: reading a sweep's record needs neither
    from .stop import StopIfAbandoned

    try:
        config = resolve_config(**trial_config(spec, identity, params, seed))
        trial.set_user_attr("config", config.to_dict())  # what ran, every setting resolved: the row's effective settings
        if spec.workload == "synthetic":  # a load test: the harness's whole path, no training, no files
            metrics = synthetic_metrics(spec, identity.dataset, seed)
        elif (out / "metrics.json").exists():  # trained, but its worker died before telling the study
            metrics = read_metrics(out)
        else:
            started = time.perf_counter()
            metrics = train(config, out, progress=False, callbacks=[StopIfAbandoned(heartbeat)],
                            should_stop=prune if spec.pruner != "none" and identity.phase != Phase.SEED else None)
            trial.set_user_attr("train_s", time.perf_counter() - started)  # the rest of a trial is harness overhead
        heartbeat.check()
    except TrialAbandoned as e:  # another worker re-runs it: tell nothing, touch nothing
        print(f"ganbench worker {os.getpid()}: {e}", flush=True)
        return
    except Exception as e:  # noqa: BLE001 - a failed trial is recorded, counted and shown, never lost
        if heartbeat.lost:  # it failed because its files were taken over (the retry renamed them): not its failure
            print(f"ganbench worker {os.getpid()}: trial {trial.number} was re-run by another worker; dropping this attempt", flush=True)
            return
        trial.set_user_attr("status", TrialStatus.FAILED)
        trial.set_user_attr("error", "".join(traceback.format_exception_only(type(e), e)).strip()[-2000:])
        study.tell(trial, state=TrialState.FAIL)
        return
    found: dict = {}
    for k, val in strict(metrics, "", found).items():  # attributes in strict JSON: a non-finite score is null, named
        trial.set_user_attr(k, val)
    if found:
        trial.set_user_attr("non_finite", found)
    if metrics.get("status") == TrialStatus.PRUNED:
        study.tell(trial, state=TrialState.PRUNED)  # its value: the last FID it reported
        return
    value = objective(metrics, spec.objective)
    trial.set_user_attr("objective", spec.objective)  # what ranked it: the report checks spec.json against it
    study.tell(trial, value if math.isfinite(value) else float("inf"))


def synthetic_metrics(spec: Spec, dataset: str, seed: int) -> dict:
    """What a synthetic trial records: synthetic_score(seed) under the key its objective reads, and that it is synthetic."""
    info = get_dataset(dataset)
    key = (OBJECTIVES[spec.objective].key if spec.objective != "auto" else "fid_min" if info.is_image
           else "mixture_mismatch" if info.mode_centres is not None else "mode_kl" if info.modes else "sliced_w1")
    return {"status": TrialStatus.FINISHED, "steps": spec.steps, key: synthetic_score(seed), "workload": "synthetic"}


def objective(metrics: dict, name: str = "auto") -> float:
    """The study's verdict, minimised: the spec's objective (spec.OBJECTIVES; coverage negated), or by default the
    min-over-checkpoints FID, on 2-D mixtures the truncated transport distance to the mixture (which a noise cloud
    cannot win, unlike the mode KL: benchmark.metrics.modes); inf when diverged or not scored."""
    if metrics.get("status") == TrialStatus.DIVERGED:
        return math.inf
    metrics = restore(metrics)  # a metrics.json read back: its nulls for non-finite scores are those floats again
    if name != "auto":
        key, sign = OBJECTIVES[name]
        value = metrics.get(key)
        return sign * float(value) if value is not None and math.isfinite(value) else math.inf
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
    storage = worker_storage(study_dir, storage_url)
    check_spec_against_studies(spec, storage, study_dir)
    done = 0
    for study, seeds in create_studies(spec, storage):
        recover_lost_trials(study)
        # in any order where the settings were all drawn up front and all run; in slot order where the sampler draws
        # from the trials before (TPE: one worker's study is then reproducible) or a pruner decides how many run
        any_order = spec.pruner == "none" and spec.sampler == "random"
        while (trial := claim(study, spec.steps, every_slot_runs=any_order)) is not None:
            run_trial(study, trial, spec, study_dir)
            done += 1
        # the worker that ends the search (the last to finish a trial) goes on to the seed phase
        if seeds is not None and search_done(study, spec.steps) and (best := best_search_trial(study)) is not None:
            recover_lost_trials(seeds)
            while (trial := claim(seeds, spec.steps, every_slot_runs=True)) is not None:
                run_trial(seeds, trial, spec, study_dir, best)
                done += 1
    return done


def summary(spec: Spec, storage) -> list[dict]:
    """Per (variant, data set): trials by outcome against the budget, steps spent, the best value, and the seed
    phase's mean and standard deviation."""
    rows = []
    for v, d, m in spec.cells():
        row = dict(variant=v, dataset=d, pack=m, budget=spec.settings, finished=0, diverged=0, pruned=0, failed=0, lost=0,
                   running=0, waiting=0, steps_used=0, budget_steps=spec.budget_steps, best=None, best_setting=None,
                   seeds_budget=spec.seeds, seeds_done=0, seeds_finite=0, seeds_mean=None, seeds_std=None)
        study = load_existing(spec.study_name(v, d, m), storage)
        if study is not None:
            trials = study.get_trials(deepcopy=False)
            rerun = retried(trials)
            status = [t.user_attrs.get("status") for t in trials if t.number not in rerun]
            done = search_done(study, spec.steps)
            best = best_search_trial(study)
            row.update(finished=status.count(TrialStatus.FINISHED), diverged=status.count(TrialStatus.DIVERGED), pruned=status.count(TrialStatus.PRUNED),
                       failed=status.count(TrialStatus.FAILED), lost=status.count(TrialStatus.LOST),
                       running=sum(t.state == TrialState.RUNNING for t in trials),
                       waiting=0 if done else sum(t.state == TrialState.WAITING for t in trials),
                       steps_used=sum(int(t.user_attrs.get("steps", 0)) for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)),
                       best=best.value if best else None, best_setting=best.user_attrs["setting"] if best else None)
        seeds = load_existing(spec.seed_study_name(v, d, m), storage) if spec.seeds else None
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


def budget_spent(spec: Spec, storage) -> bool:
    """Every study of the spec exists, and none has a trial running or one that a worker could start: the search's
    slots are used (or its step budget spent) and the seed phase, if any, has all its seeds. A worker started now would
    find nothing to run."""
    for v, d, m in spec.cells():
        study = load_existing(spec.study_name(v, d, m), storage)
        if study is None or not search_done(study, spec.steps):
            return False
        if spec.seeds and best_search_trial(study) is not None:  # no finished setting: no seed phase to run
            seeds = load_existing(spec.seed_study_name(v, d, m), storage)
            if seeds is None or any(t.state in (TrialState.RUNNING, TrialState.WAITING) for t in seeds.get_trials(deepcopy=False)):
                return False
    return True
