"""A sweep's storage: the Optuna journal (checked before anything is written), the spec its folder runs, and its
studies, one (search, seed phase) pair per (variant, data set, pack), whose slots are enqueued once, when new.

The budget is exact by construction. When a study is created, its trials are enqueued as waiting trials: the
B settings of a random search (sampled with a seeded RNG), or, for an adaptive sampler (TPE), the variant's
defaults and B - 1 empty slots whose setting the sampler picks when a worker starts them (``claims`` says how a
worker takes one)."""
from __future__ import annotations

import functools
import json
import os
import time
from typing import Any
from pathlib import Path

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ganbench.benchmark.files import dumps, write_json
from ganbench.benchmark.schema import ConfigError, check_storage_opens

from ganbench.benchmark.variants import CODE_NAME, VARIANTS, get_variant

from .spec import BUDGET_FIELDS, JournalError, Spec, SpecError, spec_from_mapping
from ganbench.benchmark.identity import Phase

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


# A database storage's connections, per process: one held while the process works, and a second only while two
# calls overlap (the heartbeat thread's beside the trial loop's, and Optuna's schema check when the storage opens),
# closed as soon as it is returned. A study of W workers holds at most 2(W + 1): the command following them is a
# process like them. check_connections refuses, before anything starts, a study the server cannot hold. (A storage
# URL string passed to each create_study would open a pool per study instead.)
CONNECTIONS_PER_WORKER = 2
# The most workers a study's journal file was measured to carry, and where that was measured (tests/perf/sweep_scale.py,
# results/sweep_scale): `sweep plan` advises PostgreSQL beyond it.
JOURNAL_WORKERS = 128
RDB_POOL = dict(pool_size=1, max_overflow=CONNECTIONS_PER_WORKER - 1, pool_timeout=120, pool_pre_ping=True)


@functools.cache
def rdb_storage(url: str) -> optuna.storages.RDBStorage:
    """The process's one storage object (and connection pool) for ``url``."""
    return optuna.storages.RDBStorage(url, engine_kwargs=dict(RDB_POOL))


def check_workers_share(url: str | None, workers: int) -> None:
    """SQLite takes no lock when a claim reads a trial (pysqlite begins a transaction at the write), so two workers
    can switch the same waiting trial to RUNNING: tests/perf/sweep_scale.py saw it at 8 workers. One worker only."""
    if url and make_url(url).get_backend_name() == "sqlite" and workers > 1:
        raise ConfigError(f"storage: SQLite lets two of {workers} workers claim the same trial (its reads take no lock); "
                          "run one worker on it, or use the study's journal file (no --storage) or PostgreSQL")


def check_connections(url: str | None, workers: int) -> None:
    """A PostgreSQL server must hold ``workers`` workers' connections and this command's beside those already
    open: its max_connections less the superusers' reserve, and the role's and the database's own limits. Refused
    in one line that says what to change, before a job array of tasks meets `too many clients` one by one."""
    if not url or make_url(url).get_backend_name() != "postgresql":
        return
    from sqlalchemy import create_engine, text

    need = (workers + 1) * CONNECTIONS_PER_WORKER  # and this command's own, which follows them
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as c:
            def q(sql: str) -> Any:
                return c.execute(text(sql)).scalar()

            server = int(q("SHOW max_connections"))
            reserved = int(q("SHOW superuser_reserved_connections"))
            reserved += int(q("SELECT coalesce(current_setting('reserved_connections', true), '0')"))  # PostgreSQL 16+
            in_use = int(q("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")) - 1  # less this one
            role_limit = int(q("SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user"))
            role_in_use = int(q("SELECT count(*) FROM pg_stat_activity WHERE usename = current_user")) - 1
            db_limit = int(q("SELECT datconnlimit FROM pg_database WHERE datname = current_database()"))
            db_in_use = int(q("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")) - 1
    finally:
        engine.dispose()
    shown = make_url(url).render_as_string(hide_password=True)
    limits = [(server - reserved - in_use, f"its max_connections is {server} ({reserved} reserved for superusers, {in_use} in use)",
               f"raise max_connections to at least {in_use + reserved + need} (postgresql.conf; a restart)")]
    if role_limit >= 0:
        limits.append((role_limit - role_in_use, f"its role's connection limit is {role_limit} ({role_in_use} in use)",
                       f"ALTER ROLE ... CONNECTION LIMIT {role_in_use + need}"))
    if db_limit >= 0:
        limits.append((db_limit - db_in_use, f"its database's connection limit is {db_limit} ({db_in_use} in use)",
                       f"ALTER DATABASE ... CONNECTION LIMIT {db_in_use + need}"))
    free, why, change = min(limits, key=lambda x: x[0])
    if need > free:
        most = max(0, free // CONNECTIONS_PER_WORKER - 1)
        raise ConfigError(f"storage: {workers} workers at once need {need} connections to {shown} ({CONNECTIONS_PER_WORKER} each, and this "
                          f"command's), but {why}: {max(free, 0)} free; run at most {most} at once (--workers, or on "
                          f"SLURM --array-parallelism), or {change}")


FULL_SERVER = ("too many clients", "too many connections", "connection slots are reserved")  # PostgreSQL's words
WORKER_WAIT_S = 600  # how long a starting worker waits for a database with no connection free


def worker_storage(study_dir: Path, url: str | None = None, wait_s: float = WORKER_WAIT_S):
    """A worker's storage. A database that has no connection free when the worker starts (other users took what
    `sweep run` counted free) is waited for, up to ``wait_s``, with one line the first time, rather than the task
    failing with a driver's traceback; after that the worker stops with the ConfigError's one line."""
    waited, pause = 0.0, 5.0
    while True:
        try:
            return storage_for(study_dir, url)
        except ConfigError as e:
            if not any(words in str(e).lower() for words in FULL_SERVER) or waited >= wait_s:
                raise
            if not waited:
                print(f"ganbench worker {os.getpid()}: {e}; waiting up to {wait_s:.0f} s for a free connection", flush=True)
            time.sleep(pause)
            waited, pause = waited + pause, min(2 * pause, 60.0)


def storage_for(study_dir: Path, url: str | None = None, create: bool = True):
    """The study's Optuna storage: ``url``, or the journal file in its folder. ``create=False`` (status, report):
    a missing journal is an error, not a new empty file in someone's folder."""
    if url:
        check_storage_opens(url, must_exist=not create)
        return rdb_storage(url)
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
    """The spec a study directory runs, checked as the YAML was (``spec_from_mapping``): a hand-edited or cut-off
    spec.json is named in a SpecError, never met later as a traceback. Code it names (module:function) is not
    imported here; a command that runs it imports what the user allowed first."""
    path = Path(study_dir) / "spec.json"
    if not path.is_file():
        raise FileNotFoundError(f"dir: {study_dir} holds no study (spec.json missing)")
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise SpecError(f"dir: {path} is not a spec ganbench wrote ({type(e).__name__}); restore it from the spec YAML with `ganbench sweep run`") from None
    if not isinstance(saved, dict):
        raise SpecError(f"dir: {path} is not a spec ganbench wrote (not a mapping); restore it from the spec YAML with `ganbench sweep run`")
    if "settings" not in saved:
        raise SpecError(f"dir: {path}: settings: required (the budget: settings per variant and data set)")
    raw = {k: v for k, v in saved.items() if k not in BUDGET_FIELDS}
    raw["budget"] = {k: saved[k] for k in BUDGET_FIELDS if k in saved}
    try:
        return spec_from_mapping(raw, _saved_variant)
    except SpecError as e:
        raise SpecError(f"dir: {path}: {e}") from None


def _saved_variant(name):
    """A variant a saved spec names: registered, or code (module:function) by its form alone; it was imported and
    checked when the study was run, and a reading command does not import it."""
    if isinstance(name, str) and name not in VARIANTS and CODE_NAME.fullmatch(name):
        return None
    return get_variant(name)


def tpe_startup_trials(settings: int) -> int:
    """Random settings before TPE models the rest: a third of the budget, 3 to 10 (Optuna's default, 10, would make
    TPE a random search at the study's small budgets)."""
    return min(10, max(3, settings // 3))


def sampler_for(spec: Spec, seed: int | None = None):
    # a random search never asks its sampler: every setting is enqueued; TPE picks the empty slots' settings.
    # constant_liar: a running trial counts as a poor result, so parallel workers do not all pick the same setting
    seed = spec.seed if seed is None else seed
    if spec.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed, constant_liar=True, n_startup_trials=tpe_startup_trials(spec.settings))
    return optuna.samplers.RandomSampler(seed=seed)


def pruner_for(spec: Spec):
    if spec.pruner == "hyperband":  # rungs at multiples of the FID schedule, up to the full training length
        assert spec.eval_every, "a pruned spec scores during training (the spec's check)"
        return optuna.pruners.HyperbandPruner(min_resource=spec.eval_every, max_resource=spec.steps, reduction_factor=3)
    return optuna.pruners.NopPruner()


def slots(spec: Spec) -> int:
    """Trials enqueued for the search: B, or with a pruner as many as the step budget could hold if every trial
    stopped at the first rung."""
    if spec.pruner == "none":
        return spec.settings
    assert spec.eval_every, "a pruned spec scores during training (the spec's check)"
    return spec.budget_steps // spec.eval_every


def open_study(spec: Spec, storage, name: str, prune: bool = True) -> optuna.Study:
    """``prune=False`` for the seed phase: re-trainings of the best setting always run to the end."""
    return optuna.create_study(study_name=name, storage=storage, direction="minimize", load_if_exists=True,
                               sampler=sampler_for(spec), pruner=pruner_for(spec) if prune else optuna.pruners.NopPruner())


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
                    seeds.enqueue_trial({}, user_attrs=spec.trial(v, d, m, Phase.SEED, None, i).attrs(), skip_if_exists=False)
                seeds.set_user_attr("budget", spec.seeds)
                seeds.set_user_attr("budget_steps", spec.seeds * spec.steps)
        studies.append((study, seeds))
    return studies


def load_existing(name: str, storage) -> optuna.Study | None:
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        return None


def study_records(storage) -> list:
    """Every study's name and attributes, not its trials: optuna.get_all_study_summaries reads every trial of every
    study, seconds at each worker's start on a database that many specs share."""
    backend = storage if isinstance(storage, optuna.storages.BaseStorage) else rdb_storage(storage)
    return backend.get_all_studies()


def check_spec_against_studies(spec: Spec, storage, study_dir: Path) -> None:
    """spec.json must describe the trials its storage holds: each study of the spec's name is one of its cells, with
    the budget it was created with (a hand-edited spec.json would count its trials against another budget)."""
    search = {spec.study_name(*c): (spec.settings, spec.budget_steps) for c in spec.cells()}
    seeds = {spec.seed_study_name(*c): (spec.seeds, spec.seeds * spec.steps) for c in spec.cells()} if spec.seeds else {}
    expected = {**search, **seeds}
    for summary in study_records(storage):
        if not summary.study_name.startswith(spec.name + "."):
            continue
        where = f"dir: {Path(study_dir) / 'spec.json'}"
        if summary.study_name not in expected:
            raise SpecError(f"{where} does not describe the study {summary.study_name} its storage holds (edited by hand?); "
                            "restore the spec the study was run with")
        attrs, (budget, steps) = summary.user_attrs, expected[summary.study_name]
        if "budget" in attrs and (attrs["budget"] != budget or attrs.get("budget_steps", attrs["budget"] * spec.steps) != steps):
            raise SpecError(f"{where} gives {summary.study_name} a budget of {budget} trials ({steps:,} steps) but it was run with "
                            f"{attrs['budget']} ({attrs.get('budget_steps', 0):,}); restore the spec the study was run with")
