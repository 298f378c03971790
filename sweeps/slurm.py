"""The SLURM executor: a job array through submitit whose tasks are workers pulling settings until the budget
is met. A task hitting its time limit or preempted is requeued by submitit (checkpoint()); on restart the
worker finds its own earlier trial, marks it lost and resumes the setting from its checkpoint."""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

# SLURM's time-limit warning (USR2) can arrive while submitit is still unpickling this module: it installs its own
# handler only after loading the job (submitit/core/submission.py, process_job), and USR2's default action would kill
# the task without a requeue. Inside a submitit SLURM task, hold such a signal until submitit listens (Worker).
_held_signals: list[int] = []
if os.environ.get("SUBMITIT_EXECUTOR") == "slurm":
    signal.signal(signal.SIGUSR2, lambda signum, frame: _held_signals.append(signum))

import logging
import re
import subprocess

import submitit  # noqa: E402

from ganbench.benchmark.schema import ConfigError  # noqa: E402

from .executors import start_workers  # noqa: E402
from .runner import work  # noqa: E402


class Worker(submitit.helpers.Checkpointable):
    def __init__(self, allow_code: list | tuple = (), trials_per_device: int = 1):
        self.allow_code = list(allow_code)  # the spec's losses the user named when submitting
        self.trials_per_device = trials_per_device

    def __call__(self, study_dir: str, storage_url: str | None = None) -> int:
        if _held_signals:  # submitit's handler is in place now: it checkpoints and requeues
            os.kill(os.getpid(), signal.SIGUSR2)

        logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
        k = getattr(self, "trials_per_device", 1)
        if k == 1:
            try:
                return work(study_dir, storage_url, getattr(self, "allow_code", []))
            except ConfigError as e:  # a storage it cannot open: one line in the task's log, no traceback
                print(f"ganbench worker {os.getpid()}: {e}", file=sys.stderr, flush=True)
                sys.exit(2)
        # k worker processes on this task's device(s); a requeue ends them with the task, and the next incarnation
        # takes over their trials (claims.owner_gone: another SLURM_RESTART_COUNT)
        slot = os.environ.get("SLURM_ARRAY_TASK_ID", "0")
        procs = start_workers(study_dir, storage_url, self.allow_code, [(slot, None)], k)
        for p in procs:
            p.join()
        return max(p.exitcode or 0 for p in procs)
    # submitit.helpers.Checkpointable.checkpoint resubmits the same call: the worker picks up where it was.


def max_array_size() -> int | None:
    """The cluster's MaxArraySize (`scontrol show config`): array indices run from 0 to one below it. None when
    scontrol does not answer (sbatch then judges)."""
    try:
        out = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"^MaxArraySize\s*=\s*(\d+)", out, re.MULTILINE)
    return int(found.group(1)) if found else None


def check_array(tasks: int) -> None:
    """A job array of ``tasks`` workers fits the cluster's MaxArraySize, or is refused in one line before submission.
    Not split: a task is a worker that runs trials until the budget is spent, so fewer tasks run the same study."""
    most = max_array_size()
    if most is not None and tasks > most:
        raise ConfigError(f"workers: {tasks:,} array tasks exceed this cluster's MaxArraySize of {most:,} (scontrol show "
                          f"config); ask for at most {most:,}: each task is a worker that runs trials until the budget is "
                          "spent, so fewer tasks run the same study")


def submit(study_dir: Path, tasks: int, partition: str | None = None, gpus_per_task: int = 0, cpus_per_task: int = 1,
           mem_gb: float | None = None, time_min: int = 60, array_parallelism: int = 64, storage_url: str | None = None,
           signal_delay_s: int = 90, allow_code: list | tuple = (), max_requeues: int = 100, trials_per_device: int = 1):
    """Submit ``tasks`` workers as one job array. SLURM signals a task ``signal_delay_s`` before its time limit;
    submitit then requeues it, and the requeued worker resumes its trial from the last checkpoint. Every requeue
    makes progress (checkpoints), so the cap is high: submitit's default of 3 would strand long trials.
    ``trials_per_device`` k: each task runs k workers sharing its GPU (SLURM's CUDA_VISIBLE_DEVICES)."""
    executor = submitit.AutoExecutor(folder=str(Path(study_dir) / "slurm" / "%j"), cluster="slurm",
                                     slurm_max_num_timeout=max_requeues)
    params = dict(timeout_min=time_min, cpus_per_task=cpus_per_task, slurm_array_parallelism=array_parallelism,
                  slurm_signal_delay_s=signal_delay_s, name=f"ganbench-{Path(study_dir).name}")
    if partition:
        params["slurm_partition"] = partition
    if gpus_per_task:
        params["gpus_per_node"] = gpus_per_task
    if mem_gb:
        params["mem_gb"] = mem_gb
    executor.update_parameters(**params)
    return executor.map_array(Worker(allow_code, trials_per_device), [str(study_dir)] * tasks, [storage_url] * tasks)
