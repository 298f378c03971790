"""A pytest plugin that says what each test costs the machine: the busy CPU time of the whole machine (/proc/stat)
over the test, so SLURM daemons and tasks, forked sweep workers and subprocesses count too. Meaningful one test at a
time, on a quiet machine:

    PYTHONPATH=tests/perf OMP_NUM_THREADS=1 .venv/bin/python -m pytest -p cpu_per_test -p no:xdist -m slow

writes one JSON line a test (test, cpu seconds, wall seconds) to $CPU_PER_TEST_OUT (default cpu_per_test.jsonl)."""
import json
import os
import time

import pytest


def machine_busy_s() -> float:
    fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    busy, started = machine_busy_s(), time.time()
    yield
    with open(os.environ.get("CPU_PER_TEST_OUT", "cpu_per_test.jsonl"), "a") as f:
        f.write(json.dumps({"test": item.nodeid, "cpu_s": round(machine_busy_s() - busy, 1), "wall_s": round(time.time() - started, 1)}) + "\n")
