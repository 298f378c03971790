"""`ganbench sweep plan SPEC`: what a spec will run and what it will cost, before it is submitted.

Counts come from the spec itself (the same Spec the executors run): trials per (variant, data set, pack), steps, FID
checkpoints. The cost of a step is measured: on the local device by timing each cell's own configuration for
about a second, or read from a `make gpu-check` file (~/.cache/ganbench/gpu_check/<device>.json), which also has the rate
with k trials sharing the device and each trial's peak memory. FLOPs a step are counted by torch's FlopCounterMode.
"""
from __future__ import annotations

import json
import math
import re
import shutil
from importlib.resources import files
from pathlib import Path

from ganbench.benchmark.config import RunConfig, pick_device, resolve_config
from ganbench.benchmark.data import get_dataset
from ganbench.benchmark.protocols import get_protocol
from ganbench.benchmark.schema import COMMAND_FIELDS, ConfigError, Field
from ganbench.benchmark.memory import check_run_fits
from ganbench.benchmark.speed import WORKLOADS, step_gflop, time_steps, workload_for

from .spec import Spec, trial_config
from .storage import CONNECTIONS_PER_WORKER, JOURNAL_WORKERS

SLURM_DEFAULT_MAX_ARRAY_SIZE = 1001  # slurm.conf(5), MaxArraySize

MEMORY_HEADROOM = 0.9  # of a device's memory that k trials may plan to use (the allocator and CUDA context need the rest)


class PlanError(ConfigError):
    """A plan that cannot run as asked (e.g. more trials on a device than its memory holds)."""


def fid_checkpoints(spec: Spec) -> int:
    """FID evaluations of one full-length trial: at every checkpoint and at the end."""
    return get_protocol(spec.protocol).fid_checkpoints(spec.steps, spec.eval_every)


def cells(spec: Spec) -> list[dict]:
    """Every (variant, data set, pack) with its trial count, steps and FID checkpoints."""
    per_trial_fids = fid_checkpoints(spec)
    rows = []
    for v, d, m in spec.cells():
        trials = spec.settings + spec.seeds
        rows.append(dict(variant=v, dataset=d, pack=m, trials=trials, steps_per_trial=spec.steps, steps=trials * spec.steps,
                         fid_checkpoints=trials * per_trial_fids))
    return rows


# What a plan reads of a `make gpu-check` record (scripts/gpu_check.py writes it), each value checked on reading
GPU_CHECK_FIELDS = [Field("device", str, help="the device measured"),
                    Field("memory_bytes", int, help="its memory", ge=1, nullable=True)]
GPU_CHECK_ROW_FIELDS = [Field("workload", str, help="what was trained", choices=tuple(WORKLOADS)),
                        Field("k", int, help="trials sharing the device", ge=1, le=1024),
                        Field("per_trial_steps_per_s", float, help="steps a second of each trial", gt=0, nullable=True),
                        Field("peak_memory_bytes_per_trial", int, help="each trial's peak memory", ge=0, nullable=True)]


def load_gpu_check(path: Path | str) -> dict:
    """A `make gpu-check` record, every value a plan reads checked (PlanError naming the file and the field)."""
    try:
        check = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise PlanError(f"gpu-check: {path} is not a file `make gpu-check` wrote ({type(e).__name__})") from None
    if not isinstance(check, dict) or not isinstance(check.get("steps"), list):
        raise PlanError(f"gpu-check: {path} is not a file `make gpu-check` wrote (no list of steps)")
    try:
        for f in GPU_CHECK_FIELDS:
            f.check(check.get(f.name), f"gpu-check: {path}: {f.name}")
        for i, row in enumerate(check["steps"]):
            if not isinstance(row, dict):
                raise ConfigError(f"gpu-check: {path}: steps[{i}]: {row!r:.40} is not allowed, must be a mapping")
            for f in GPU_CHECK_ROW_FIELDS:
                f.check(row.get(f.name), f"gpu-check: {path}: steps[{i}].{f.name}")
    except ConfigError as e:
        raise PlanError(str(e)) from None
    return check


def _measured(check: dict, workload: str, k: int) -> dict | None:
    """The gpu-check row of ``workload`` at the largest measured k not above ``k``."""
    rows = [r for r in check["steps"] if r["workload"] == workload and r["k"] <= k and r.get("per_trial_steps_per_s")]
    return max(rows, key=lambda r: r["k"]) if rows else None


def plan(spec: Spec, trials_per_device: int | None = None, check: dict | None = None, seconds: float = 1.0,
         max_array: int | None = None, flops: bool = True) -> dict:
    """The spec's cells with their cost: seconds a step and device-hours with one trial a device and with k; the
    job array, capped at ``max_array`` (default: this cluster's MaxArraySize)."""
    k = trials_per_device or spec.trials_per_device
    rows = cells(spec)
    device = pick_device("auto") if check is None else check["device"]
    for r in rows:
        info = get_dataset(r["dataset"])
        setting = spec.settings_for(r["variant"], r["dataset"], 1)[0]
        config = resolve_config(**trial_config(spec, spec.trial(r["variant"], r["dataset"], r["pack"]), dict(setting), 0))
        config = config.replace(device="cpu")
        r["gflop_per_step"] = step_gflop(config, info.shape) if flops else None  # counting runs a step: seconds a cell
        if check is None:
            t = time_steps(config, info.shape, device, seconds=seconds, warmup=1, min_steps=2)
            r["s_per_step"], r["s_per_step_shared"], r["priced_by"] = 1 / t["steps_per_s"], None, f"measured here ({device})"
        else:
            workload = workload_for(info.shape)
            one, shared = (_measured(check, workload, 1), _measured(check, workload, k)) if workload else (None, None)
            if workload is None or one is None or shared is None:
                r["s_per_step"] = r["s_per_step_shared"] = None
                r["priced_by"] = f"gpu-check has no workload of shape {tuple(info.shape)}"
                continue
            r["s_per_step"], r["priced_by"] = 1 / one["per_trial_steps_per_s"], f"gpu-check {workload}"
            r["s_per_step_shared"] = 1 / shared["per_trial_steps_per_s"]
            r["shared_k_measured"] = shared["k"]
            _check_memory(check, workload, k, one)
        r["device_hours"] = r["steps"] * r["s_per_step"] / 3600
        if r.get("s_per_step_shared"):  # k' trials at a time (the largest measured k' <= k), each at its shared rate
            r["device_hours_shared"] = r["steps"] * r["s_per_step_shared"] / r["shared_k_measured"] / 3600
    total = lambda key: sum(r.get(key) or 0 for r in rows) if all(r.get(key) is not None for r in rows) else None  # noqa: E731
    trials = sum(r["trials"] for r in rows)
    max_array = max_array or array_limit()
    tasks = min(math.ceil(trials / k), max_array)
    at_once = min(tasks, COMMAND_FIELDS["array_parallelism"].default) * k
    return {"spec": spec.name, "protocol": spec.protocol, "trials_per_device": k, "device": device, "cells": rows,
            "trials": trials, "steps": sum(r["steps"] for r in rows), "fid_checkpoints": sum(r["fid_checkpoints"] for r in rows),
            "device_hours": total("device_hours"), "device_hours_shared": total("device_hours_shared") if k > 1 else None,
            "slurm_tasks": tasks, "array_limit": max_array, "workers_at_once": at_once,
            "storage": "journal" if at_once <= JOURNAL_WORKERS else "postgresql",
            "connections": (at_once + 1) * CONNECTIONS_PER_WORKER}


def array_limit() -> int:
    """The largest job array this cluster takes (MaxArraySize, where scontrol answers), else SLURM's default."""
    if shutil.which("scontrol") is None:
        return SLURM_DEFAULT_MAX_ARRAY_SIZE
    from .slurm import max_array_size

    return max_array_size() or SLURM_DEFAULT_MAX_ARRAY_SIZE


def _check_memory(check: dict, workload: str, k: int, one: dict) -> None:
    peak, memory = one.get("peak_memory_bytes_per_trial"), check.get("memory_bytes")
    if peak and memory and k * peak > MEMORY_HEADROOM * memory:
        fits = max(1, int(MEMORY_HEADROOM * memory // peak))
        raise PlanError(f"trials_per_device: {k} trials of {peak / 2**30:.2f} GiB each ({workload}, measured by gpu-check) do not fit "
                        f"in {check['device']}'s {memory / 2**30:.0f} GiB; at most {fits}")


def _hours(h: float | None) -> str:
    return "-" if h is None else f"{h:.1f}" if h >= 10 else f"{h:.3g}"


def _gflop(r: dict) -> str:
    return f"{r['gflop_per_step']:.2f}" if r.get("gflop_per_step") is not None else "-"


# where `make gpu-check` writes its record: the user's, never the package's (results/gpu_check installs as package
# data, so a record written there would ship in a wheel); tools/keep_gpu_check.py copies one in to be kept
GPU_CHECK_FOLDER = Path.home() / ".cache" / "ganbench" / "gpu_check"


def gpu_check_file_name(device: str) -> str:
    return f"{re.sub(r'[^A-Za-z0-9._-]+', '-', device).strip('-')}.json"


def gpu_check_here() -> dict | None:
    """The local GPU's `make gpu-check` record: the one measured on this node (GPU_CHECK_FOLDER), else one kept under
    results/gpu_check/."""
    import torch

    if not torch.cuda.is_available():
        return None
    name = gpu_check_file_name(torch.cuda.get_device_name(0))
    for path in (GPU_CHECK_FOLDER / name, files("ganbench.results") / "gpu_check" / name):
        if path.is_file():
            return load_gpu_check(Path(str(path)))
    return None


def check_fits_device(spec: Spec, k: int, check: dict | None, copies: int | None = None) -> None:
    """k trials of each of the spec's data sets fit in the device's memory, by the gpu-check's measured peaks; on the
    CPU, ``copies`` trials at once (every local worker) within the machine's memory, by benchmark.memory's estimate."""
    if copies is not None and check is None:
        for v, d, m in spec.cells():
            config = resolve_config(**trial_config(spec, spec.trial(v, d, m), {}, 0))
            if isinstance(config, RunConfig):  # pix2pix runs are not weighed (benchmark/memory.py)
                check_run_fits(config, get_dataset(d).shape, copies=copies)
    for d in spec.datasets:
        workload = workload_for(get_dataset(d).shape)
        one = _measured(check, workload, 1) if check and workload else None
        if check and workload and one:
            _check_memory(check, workload, k, one)


def format_plan(p: dict) -> str:
    k = p["trials_per_device"]
    lines = [f"{p['spec']} (protocol {p['protocol']}): {p['trials']} trials, {p['steps']:,} steps, {p['fid_checkpoints']:,} FID "
             f"checkpoints; priced on {p['device']}", ""]
    head = f"{'variant':<14}{'dataset':<15}{'pack':>4}{'trials':>7}{'steps':>13}{'FIDs':>7}{'GFLOP/step':>11}{'s/step':>9}{'dev-h (k=1)':>12}"
    head += f"{f'dev-h (k={k})':>13}" if k > 1 else ""
    lines.append(head)
    for r in p["cells"]:
        s = f"{r['s_per_step']:.4f}" if r.get("s_per_step") else "-"
        h = _hours(r.get("device_hours"))
        line = f"{r['variant']:<14}{r['dataset']:<15}{r['pack']:>4}{r['trials']:>7}{r['steps']:>13,}{r['fid_checkpoints']:>7}{_gflop(r):>11}{s:>9}{h:>12}"
        if k > 1:
            line += f"{_hours(r.get('device_hours_shared')):>13}"
        lines.append(line)
    lines.append("")
    if p["device_hours"] is not None:
        lines.append(f"training: {p['device_hours']:,.1f} device-hours with one trial a device"
                     + (f", {p['device_hours_shared']:,.1f} with {k} trials sharing each" if p.get("device_hours_shared") is not None else ""))
    measured = {r.get("shared_k_measured") for r in p["cells"]} - {None}
    if k > 1 and measured and max(measured) < k:
        lines.append(f"gpu-check measured up to {max(measured)} trials a device: the k={k} column assumes no gain beyond that")
    if k > 1 and p.get("device_hours_shared") is None:
        lines.append(f"with {k} trials a device: measure it with `make gpu-check` on the node and pass --gpu-check ~/.cache/ganbench/gpu_check/<device>.json")
    lines.append("FID checkpoints are not priced: generating and extracting n_fake images each (make gpu-check measures the extractors)")
    tasks = p["slurm_tasks"]
    every = f"one a trial{'s' if k > 1 else ''}" if tasks * k >= p["trials"] else "the cluster's MaxArraySize"
    lines.append(f"SLURM: a job array of {tasks:,} tasks, {every} ({k} trial{'s' if k > 1 else ''} at a time a task, each "
                 f"task running trials until the budget is spent): "
                 f"ganbench sweep run SPEC --executor slurm --workers {tasks} --gpus-per-task 1 --trials-per-device {k}")
    lines.append(storage_line(p))
    return "\n".join(lines)


def storage_line(p: dict) -> str:
    """Which storage carries the workers the plan runs at once, from the measured limits (sweeps/storage.py)."""
    at_once = p["workers_at_once"]
    head = f"storage: {at_once:,} workers at once (--array-parallelism {COMMAND_FIELDS['array_parallelism'].default} tasks"
    head += f" x {p['trials_per_device']})" if p["trials_per_device"] > 1 else ")"
    if p["storage"] == "journal":
        return f"{head}: the study's journal file (the default) carries them (measured up to {JOURNAL_WORKERS} workers)"
    return (f"{head}: more than a journal file carries (measured up to {JOURNAL_WORKERS}); use PostgreSQL, --storage "
            f"postgresql://USER@HOST/DB, with {p['connections']:,} connections free ({CONNECTIONS_PER_WORKER} a worker and "
            "as many for the command; `sweep run` checks max_connections before it submits)")


def format_plans(plans: list[dict]) -> str:
    """Several specs' plans (a study run as several specs, e.g. one per data set and space) and their total."""
    if len(plans) == 1:
        return format_plan(plans[0])
    hours = [p["device_hours"] for p in plans]
    lines = [format_plan(p) + "\n" for p in plans]
    lines.append(f"all {len(plans)} specs: {sum(p['trials'] for p in plans):,} trials, {sum(p['steps'] for p in plans):,} steps, "
                 f"{sum(p['fid_checkpoints'] for p in plans):,} FID checkpoints"
                 + (f", {sum(hours):,.1f} device-hours with one trial a device" if None not in hours else "")
                 + f"; {sum(p['slurm_tasks'] for p in plans):,} array tasks in {len(plans)} job arrays")
    at_once = sum(p["workers_at_once"] for p in plans)
    lines.append(f"submitted together: {at_once:,} workers at once; each study's own storage as above, or one PostgreSQL "
                 f"database for all with {(at_once + len(plans)) * CONNECTIONS_PER_WORKER:,} connections free")
    return "\n".join(lines)
