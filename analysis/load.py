"""Study directories (or storage URLs) into one tidy table, one row per trial. Reads files and storages only."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import optuna
import pandas as pd
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock
from optuna.trial import TrialState

from ganbench.benchmark.data import file_name
from ganbench.benchmark.files import restore
from ganbench.benchmark.identity import TrialIdentity, TrialStatus, retried
from ganbench.benchmark.schema import RUN_FIELDS, ConfigError, Field, check_storage_opens

optuna.logging.set_verbosity(optuna.logging.WARNING)
HYPERPARAMETERS = ["lr", "beta1", "beta2", "n_disc", "d_batch_norm", "batch_size", "z_dim", "penalty_weight", "clip", "began_gamma", "began_lambda",
                   "r1_gamma", "r2_gamma"]
METRIC_ATTRS = ["fid_min", "fid_min_step", "fid_final", "fid", "kid", "precision", "recall", "f1", "inception_score", "extractor",
                "n_fake", "n_real", "density", "coverage", "nearest_k", "fid_infinity", "mixture_w1", "mixture_mismatch", "sliced_w1", "generators", "polygon_precision", "polygon_recall", "polygon_f1", "modes_covered", "modes_total", "high_quality_fraction", "mode_kl", "steps", "wall_time_s", "device",
                "seed", "host", "slurm_job_id", "error", "fid_history", "scored_generator",
                "l1", "psnr", "ssim", "classifier_score", "classifier_score_targets", "n_pairs"]  # image-to-image (pix2pix)

RAW_METRICS = ["fid_min", "fid", "kid", "precision", "recall", "density", "coverage", "mixture_mismatch", "modes_covered",
               "high_quality_fraction", "mode_kl", "sliced_w1"]  # also kept of the raw generator (raw_<metric>) where one was scored


def _storage(study_dir: Path, url: str | None = None):
    if url:  # a study run with --storage URL (e.g. postgresql://... for many nodes): one connection for every study read
        check_storage_opens(url, must_exist=True)
        return optuna.storages.RDBStorage(url)
    path = str(study_dir / "optuna.journal")
    if not Path(path).is_file():  # reading a study never creates its record
        raise ValueError(f"dir: {study_dir} has no optuna.journal, the record of its trials; if the study was run with "
                         "--storage URL, give the same --storage")
    return JournalStorage(JournalFileBackend(path, lock_obj=JournalFileOpenLock(path)))


KEPT_TABLE = "trials.csv"  # a study kept under results/ (analysis.results.keep): its tidy table, no journal, no runs
KEPT_COLUMNS = ("study", "protocol", "trial", "variant", "base_variant", "pack", "dataset", "phase", "setting", "budget",
                "status", "value", "score", "metric", "train_steps")


def is_kept(study_dir: Path) -> bool:
    return (study_dir / KEPT_TABLE).is_file() and (study_dir / "meta.json").is_file() and not (study_dir / "optuna.journal").exists()


def load_kept(study_dir: Path) -> pd.DataFrame:
    """A kept study's table; one that does not parse or lacks a column the tables use fails naming its path."""
    path = Path(study_dir) / KEPT_TABLE
    try:
        df = pd.read_csv(path)
    except (ValueError, OSError) as e:
        raise ValueError(f"results: {path} does not parse as a trial table ({type(e).__name__}: {str(e).splitlines()[0][:100]})") from None
    missing = [c for c in KEPT_COLUMNS if c not in df]
    if missing:
        raise ValueError(f"results: {path} lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    key = ["study_name", "trial"] if "study_name" in df else ["study", "phase", "variant", "dataset", "pack", "trial"]
    twice = df[df.duplicated(key, keep=False)]
    if len(twice):  # a row pasted twice would count its trial twice in every table
        first = twice.iloc[0]
        raise ValueError(f"results: {path} holds trial {first['trial']} of {first.get('study_name', first['study'])} "
                         f"{int(df.duplicated(key).sum()) + 1} times; a trial is one row")
    for column, allowed in (("status", tuple(TrialStatus)),):
        bad = sorted(set(df[column].dropna()) - set(allowed))
        if bad:
            raise ValueError(f"results: {path}: {column}: {bad[0]!r} is not allowed, must be one of {', '.join(allowed)}")
    for column in ("value", "score", "train_steps", "trial", "pack", "setting", "budget"):
        if not pd.api.types.is_numeric_dtype(df[column]) and df[column].notna().any():
            raise ValueError(f"results: {path}: {column}: holds text where numbers go")
    df["study_dir"] = str(study_dir)
    df["run_dir"] = None  # the runs themselves are not kept
    return df


def _read_spec(path: Path) -> dict:
    """A study's spec.json, as far as the report reads it: JSON, a mapping, its name, length and budget as declared
    (the sweeps check the rest when they resume it)."""
    try:
        spec = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ValueError(f"study: {path} does not parse ({type(e).__name__}: {str(e).splitlines()[0][:100]})") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"]:
        raise ValueError(f"study: {path} is not a spec ganbench wrote (no name); restore it with `ganbench sweep run`")
    for name, field in (("steps", RUN_FIELDS["steps"]), ("settings", Field("settings", int, None, ge=1))):
        try:
            field.check(spec.get(name), name)
        except ConfigError as e:
            raise ValueError(f"study: {path}: {e}") from None
    for name in ("arch", "sampler", "pruner", "workload"):
        if not isinstance(spec.get(name), (str, type(None))):
            raise ValueError(f"study: {path}: {name}: {spec[name]!r} is not allowed, must be a name")
    return spec


def _once(seen: dict, name: str, study_dir: Path) -> None:
    """A study is its name: two folders holding one (a copy, a kept table beside its live study) would count every
    trial twice."""
    if name in seen:
        raise ValueError(f"study: {study_dir} and {seen[name]} both hold the study '{name}' (copies of one study?); "
                         "give each study once")
    seen[name] = study_dir


def load_trials(study_dirs: list, storage_url: str | None = None) -> pd.DataFrame:
    """One row per trial of the studies in ``study_dirs`` (their spec.json and files), read from the journal in
    each directory or, for studies run with ``--storage URL``, from that storage; a study kept under results/ from
    its table."""
    rows: list[dict] = []
    kept: list = []
    seen: dict = {}
    for study_dir in map(Path, study_dirs):
        if is_kept(study_dir):
            kept.append(load_kept(study_dir))
            for name in kept[-1]["study"].dropna().unique():
                _once(seen, str(name), study_dir)
            continue
        spec_path = study_dir / "spec.json"
        if not spec_path.is_file():
            raise FileNotFoundError(f"study: {study_dir} holds no study (spec.json missing)")
        spec = _read_spec(spec_path)
        _once(seen, spec["name"], study_dir)
        storage = _storage(study_dir, storage_url)
        # names and attributes, not every trial of every study a shared database holds (get_all_study_summaries)
        for summary in storage.get_all_studies():
            if not summary.study_name.startswith(spec["name"] + "."):
                continue  # a shared storage may hold other specs' studies
            budget = summary.user_attrs.get("budget")
            if budget is not None and not summary.study_name.endswith(".seeds") and budget != spec["settings"]:
                raise ValueError(f"study: {spec_path} gives a budget of {spec['settings']} settings but {summary.study_name} "
                                 f"was run with {budget}; restore the spec the study was run with")
            study = optuna.load_study(study_name=summary.study_name, storage=storage)
            budget = study.user_attrs.get("budget")
            trials = study.get_trials(deepcopy=False)
            rerun = retried(trials)
            for t in trials:
                a = restore(t.user_attrs)  # non-finite scores, stored as null in strict JSON, as the floats they were
                if a.get("status") == TrialStatus.LOST or t.number in rerun:
                    continue  # a dead worker's or a failed attempt, run again as the same trial
                state = {TrialState.WAITING: TrialStatus.WAITING, TrialState.RUNNING: TrialStatus.RUNNING}.get(t.state, a.get("status", TrialStatus.FAILED))
                try:
                    who = TrialIdentity.of(a)
                except ConfigError as e:
                    raise ConfigError(f"{e} (study {summary.study_name}, trial {t.number})") from None
                ranked_by = a.get("objective")
                if ranked_by is not None and ranked_by != spec.get("objective", "auto"):
                    raise ValueError(f"study: {spec_path} gives objective {spec.get('objective', 'auto')} but trial {t.number} of "
                                     f"{summary.study_name} was ranked by {ranked_by}; restore the spec the study was run with")
                row = dict(study=spec["name"], protocol=who.protocol, study_dir=str(study_dir), study_name=summary.study_name, trial=t.number,
                           variant=who.label, base_variant=who.variant, pack=who.pack, dataset=who.dataset, space=who.space, phase=who.phase,
                           setting=a.get("setting"), budget=budget, status=state, value=t.value,
                           run_dir=str(study_dir / a["run_dir"]) if a.get("run_dir") else str(who.run_dir(study_dir, file_name)),
                           train_steps=spec.get("steps"), workload=spec.get("workload", "train"), arch=spec.get("arch"), sampler=spec.get("sampler", "random"), pruner=spec.get("pruner", "none"),
                           completed=t.datetime_complete.timestamp() if t.datetime_complete else None)
                ran = a.get("config") or {}  # the resolved settings the worker recorded; the drawn ones where none was
                row.update({h: ran.get(h, t.params.get(h)) for h in HYPERPARAMETERS})
                row.update({m: a.get(m) for m in METRIC_ATTRS})
                raw = a.get("raw_generator") or {}  # an EMA run's trained generator, scored beside the averaged one
                row.update({f"raw_{m}": raw.get(m) for m in RAW_METRICS})
                if isinstance(row["fid_history"], list):
                    row["fid_history"] = json.dumps(row["fid_history"])
                row["metric"] = ("fid" if a.get("fid_min") is not None or a.get("fid") is not None else
                                 "mixture_mismatch" if a.get("mixture_mismatch") is not None else "mode_kl" if a.get("mode_kl") is not None
                                 else "sliced_w1" if a.get("sliced_w1") is not None else None)
                if spec.get("objective", "auto") != "auto":  # the spec's choice ranks the trials (coverage negated)
                    row["metric"] = "-coverage" if spec["objective"] == "coverage" else spec["objective"]
                if row["status"] == TrialStatus.DIVERGED and row["metric"] is None:
                    row["metric"] = "fid" if spec.get("eval_every") is not None else "mixture_mismatch"
                row["device_hours"] = (a.get("wall_time_s") or 0) / 3600
                rows.append(row)
    df = pd.concat([pd.DataFrame(rows), *kept], ignore_index=True) if kept else pd.DataFrame(rows)
    if df.empty:
        return df
    # the score a trial is judged by: FID (min over checkpoints) for images, mode KL for mixtures; inf when diverged
    df["score"] = [math.inf if s == TrialStatus.DIVERGED else math.nan if v is None else float(v) for s, v in zip(df["status"], df["value"])]
    return df


def check_comparable(df: pd.DataFrame) -> None:
    """Runs of different protocols, and FIDs of different extractors or sample sizes, are different numbers: refuse
    to put them together; nor a load test's synthetic scores beside trained ones."""
    if "workload" in df and df["workload"].fillna("train").nunique() > 1:
        synthetic = sorted(df[df["workload"].fillna("train") != "train"]["study"].unique())
        raise ValueError(f"workload: {', '.join(synthetic)} recorded synthetic scores without training (a load test); "
                         "report them apart from trained studies")
    protocols = sorted(df["protocol"].dropna().unique()) if "protocol" in df else []
    if len(protocols) > 1:
        by = "; ".join(f"{p}: {', '.join(sorted(df[df['protocol'] == p]['study'].unique()))}" for p in protocols)
        raise ValueError(f"protocol: these studies ran under different protocols ({by}); report one protocol at a time")
    fid = df[(df["metric"] == "fid") & df["extractor"].notna()]
    for dataset, g in fid.groupby("dataset"):
        kinds = g[["extractor", "n_fake", "n_real"]].drop_duplicates()
        if len(kinds) > 1:
            listed = "; ".join(f"{r.extractor} n_fake={r.n_fake} n_real={r.n_real}" for r in kinds.itertuples())
            raise ValueError(f"extractor: FIDs on {dataset} were measured differently ({listed}); compare one kind at a time")


def read_curves(run_dir: Path | str) -> dict[str, list[tuple[int, float]]]:
    """``{metric: [(step, value), ...]}`` from a run's ``logs/metrics.csv`` (written by Lightning's CSVLogger
    during training) and, for a resumed run, the segments before it (``metrics-0.csv``, ...); for a step written
    twice the later row wins."""
    logs = Path(run_dir) / "logs"
    segments = sorted(logs.glob("metrics-*.csv"), key=lambda p: int(p.stem.split("-")[1])) + [logs / "metrics.csv"]
    curves: dict[str, dict[int, float]] = {}
    for path in (p for p in segments if p.is_file()):
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                step = int(float(row.pop("step")))
                for name, value in row.items():
                    if value not in ("", None) and math.isfinite(float(value)):
                        curves.setdefault(name, {})[step] = float(value)
    return {name: sorted(points.items()) for name, points in curves.items()}


EXTERNAL_FIELDS = {"samples": str, "against": str, "extractor": str, "resize": str, "n_samples": int, "n_reference": int, "fid": float}


def load_external(path: Path | str) -> dict:
    """A sample set scored elsewhere (`ganbench score --out FILE`), to set beside a study's arms; ValueError naming
    the file and the field where it is not one."""
    path = Path(path)
    try:
        scored = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ValueError(f"external: {path} is not a readable JSON file ({type(e).__name__}); give what `ganbench score --out` wrote") from None
    if not isinstance(scored, dict):
        raise ValueError(f"external: {path} holds a {type(scored).__name__}, not the object `ganbench score --out` writes")
    for field, kind in EXTERNAL_FIELDS.items():
        value = scored.get(field)
        allowed = (int, float) if kind is float else kind  # a float field may hold an integer; bool is no number
        if not isinstance(value, allowed) or isinstance(value, bool):
            raise ValueError(f"external: {path}: {field} is {value!r}; `ganbench score --out` writes a {kind.__name__} there")
    return {**scored, "source": str(path)}
