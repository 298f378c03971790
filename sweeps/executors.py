"""Where workers run: processes on this host, each pinned to a device slot (a GPU, or the CPU), forked from a
server that imported the training code once. The SLURM executor (``slurm.py``) starts the same workers in array
tasks."""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ganbench.benchmark.interrupts import Interrupted, interruptible
from ganbench.benchmark.logs import progress_bar

from .claims import DEVICE_SLOT
from .runner import summary, trials_done, work
from .storage import create_studies, load_saved_spec, storage_for
from ganbench.benchmark.schema import ConfigError, env


def usable_cpus() -> int:
    """The CPUs this process may use (a SLURM or cgroup allotment, taskset), not the machine's: more threads than
    cores makes torch's thread pools spin against each other (measured: 50x slower with 4 workers x 2 threads on 2)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# what a worker imports to train, and a database storage's driver; preloaded last: sweeps/preloaded.py says why
WORKER_PRELOAD = [__name__, "ganbench.benchmark.train", "ganbench.sweeps.stop", "ot", "optuna.storages._rdb.storage",
                  "ganbench.sweeps.preloaded"]


def start_workers(study_dir: Path | str, storage_url: str | None, allow_code, slots: list[tuple[str, str | None]],
                  per_slot: int) -> list[multiprocessing.process.BaseProcess]:
    """``per_slot`` worker processes on each (slot name, GPU index or None) slot; each process sees only its slot's
    GPU, and the slots' processes share this process's CPUs (at most OMP_NUM_THREADS threads each where it is set).

    Workers fork from multiprocessing's forkserver, which imports WORKER_PRELOAD once: a worker then
    starts in a fraction of a second instead of spending ~7 s of CPU on imports (tests/perf/sweep_overhead.py). The
    server imports no CUDA state (tests/test_sweeps.py checks), so each worker still picks its own GPU; it gets this
    process's environment, directory and thread limit as a new process would."""
    threads = max(1, usable_cpus() // (len(slots) * per_slot))
    if env("OMP_NUM_THREADS"):
        threads = min(threads, env("OMP_NUM_THREADS"))
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_PRELOAD)
    procs: list[multiprocessing.process.BaseProcess] = []
    for slot, gpu in slots:
        worker_env = {**os.environ, "OMP_NUM_THREADS": str(threads), DEVICE_SLOT: slot}
        if gpu is not None:
            worker_env["CUDA_VISIBLE_DEVICES"] = gpu
        for _ in range(per_slot):
            procs.append(context.Process(target=_worker_process, args=(str(study_dir), storage_url, list(allow_code), worker_env,
                                                                       os.getcwd(), threads)))
            procs[-1].start()
    return procs


def _worker_process(study_dir: str, storage_url: str | None, allow_code: list, env: dict, cwd: str, threads: int) -> None:
    """A forked worker: the starting process's environment, directory and thread limit, then ``work``."""
    import logging

    import torch
    from threadpoolctl import threadpool_limits

    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.path[:0] = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p not in sys.path]
    torch.set_num_threads(threads)
    threadpool_limits(threads)  # numpy's BLAS (FID's covariances) too: it counted the server's CPUs when it loaded
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    try:
        with interruptible():
            work(study_dir, storage_url, allow_code)
    except Interrupted as e:  # the running trial stays RUNNING: the next worker resumes it from its checkpoint
        sys.exit(e.exit_status)
    except ConfigError as e:  # a storage it cannot open: one line, as the command that started it would say it
        print(f"ganbench worker {os.getpid()}: {e}", file=sys.stderr, flush=True)
        sys.exit(2)


def visible_gpus() -> list[str]:
    """The GPUs this process may use, as CUDA_VISIBLE_DEVICES names them (none without CUDA)."""
    import torch

    if not torch.cuda.is_available():
        return []
    named = [g for g in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if g.strip()]
    return named[: torch.cuda.device_count()] if named else [str(i) for i in range(torch.cuda.device_count())]


def run_local(study_dir: Path, workers: int | None = None, storage_url: str | None = None, progress: bool = True,
              allow_code: list | tuple = (), trials_per_device: int | None = None) -> list[dict]:
    """Worker processes on the local machine: ``workers`` device slots (default: one per visible GPU, else one), each
    pinned to a GPU (round robin) and running ``trials_per_device`` workers (default: the spec's); a progress bar of
    trials done against the budget."""
    spec = load_saved_spec(study_dir)
    storage = storage_for(study_dir, storage_url)
    create_studies(spec, storage)
    gpus = visible_gpus()
    workers = workers or max(1, len(gpus))
    slots = [(str(i), gpus[i % len(gpus)] if gpus else None) for i in range(workers)]
    procs = start_workers(study_dir, storage_url, allow_code, slots, trials_per_device or spec.trials_per_device)
    try:
        return follow(study_dir, storage_url, lambda: any(p.is_alive() for p in procs), progress)
    except Interrupted as e:
        stop_workers(procs, e.signum)
        raise


def follow(study_dir: Path, storage_url: str | None, working: Callable[[], bool], progress: bool = True,
           every_s: float = 1.0) -> list[dict]:
    """A progress bar of trials done against the budget (training steps, with a pruner), with the best score so far,
    while ``working()`` says the workers go on (local processes alive, a SLURM job array not ended); the summary."""
    spec = load_saved_spec(study_dir)
    storage = storage_for(study_dir, storage_url)
    by_steps = spec.pruner != "none"  # with pruning the number of trials is not known in advance: count steps
    total = len(spec.cells()) * (spec.budget_steps if by_steps else spec.settings + spec.seeds)
    with progress_bar(total, "training steps" if by_steps else "trials", enabled=progress) as bar:
        while working():
            rows = summary(spec, storage)
            best = [r["best"] for r in rows if r["best"] is not None]
            bar.n = sum(r["steps_used"] if by_steps else trials_done(r) for r in rows)
            bar.set_postfix(best=f"{min(best):.4g}" if best else "-")
            bar.refresh()
            time.sleep(every_s)
    return summary(spec, storage)


def stop_workers(procs: list, signum: int, wait_s: float = 60.0) -> None:
    """Pass the signal on (a terminal's Ctrl-C reaches them already; a SIGTERM to this process does not) and wait for
    each worker to leave its trial, killing any that does not within ``wait_s``."""
    for p in procs:
        if p.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(p.pid, signum)
    deadline = time.monotonic() + wait_s
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            p.join()
