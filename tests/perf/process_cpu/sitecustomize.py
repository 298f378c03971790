"""Logs every Python interpreter started with this folder on PYTHONPATH: at its exit, one JSON line with its CPU
seconds, its command line, the test that started it (pytest passes PYTEST_CURRENT_TEST on to subprocesses), whether it
imported Lightning, and its SLURM job. Processes forked from a sweep's fork server exit without it (their work is
the server's children's); the interpreters are what pay the imports. Run alone on a quiet machine:

    PYTHONPATH=tests/perf/process_cpu PROCESS_CPU_OUT=runs/process_cpu bash tests/perf/suite_cpu.sh 3
    python tests/perf/process_cpu/summary.py runs/process_cpu
"""
import atexit
import json
import os
import resource
import sys

_pid = os.getpid()


def _log() -> None:
    if os.getpid() != _pid or not os.environ.get("PROCESS_CPU_OUT"):
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    record = {"argv": sys.argv[:4], "test": os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0],
              "cpu_s": usage.ru_utime + usage.ru_stime, "lightning": "pytorch_lightning" in sys.modules,
              "slurm_job": os.environ.get("SLURM_JOB_ID")}
    os.makedirs(os.environ["PROCESS_CPU_OUT"], exist_ok=True)
    with open(os.path.join(os.environ["PROCESS_CPU_OUT"], f"{_pid}.json"), "w") as f:
        f.write(json.dumps(record) + "\n")


atexit.register(_log)
