import logging
import os
import subprocess
import time
from pathlib import Path

import pytest
import torch

if os.environ.get("PYTEST_XDIST_WORKER"):  # a worker a core (or one more): one thread each, or their pools spin against each other
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(1)  # numpy's BLAS too: it read its thread count when pytest imported it, before this line
    os.environ["OMP_NUM_THREADS"] = "1"  # and the processes a test starts (sweep workers, the CLI, the demo) too
logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
os.environ.setdefault("GANBENCH_CACHE", "")


CLUSTER_FIXTURES = {"slurm", "postgres"}


def expected_seconds(item) -> float:
    """What a test costs alone on one core: ``slow(seconds=N)`` on the longest (the largest N, so that one case of
    a parametrized test can say more than the test), 30 for another slow test, else 0."""
    return max((float(m.kwargs.get("seconds", 30)) for m in item.iter_markers("slow")), default=0.0)


def module_fixture_group(item) -> tuple:
    """Tests of one module that share a module-scoped fixture (a trained study, say) form a group: on two workers,
    the fixture is built twice."""
    shared = sorted(name for name, defs in getattr(item, "_fixtureinfo").name2fixturedefs.items() if defs[-1].scope == "module")
    return (item.module.__name__, *shared) if shared else (item.nodeid,)


def worksteal_order(items: list, workers: int) -> list:
    """xdist's worksteal gives worker i the i-th contiguous share of the collection (shares sized as its
    check_schedule sizes them) and lets an idle worker take from the tail of another's. So the tests are dealt into
    the shares costliest first, each to the share with the least expected seconds and room left, and each share runs
    costliest first: every worker starts on one of the longest tests, instead of the first worker holding them all
    and running them one after another. Tests that share a module-scoped fixture are dealt as one, into one share
    (a steal may still split them; the fixture is then built twice, as it would be anyway)."""
    sizes, left = [], len(items)
    for i in range(workers):
        sizes.append(left // (workers - i))
        left -= sizes[-1]
    groups: dict[tuple, list] = {}
    for item in items:
        groups.setdefault(module_fixture_group(item), []).append(item)
    shares, load = [[] for _ in sizes], [0.0] * workers
    for group in sorted(groups.values(), key=lambda g: (sum(map(expected_seconds, g)), len(g)), reverse=True):
        fits = [k for k in range(workers) if len(shares[k]) + len(group) <= sizes[k]]
        whole = min(fits, key=lambda k: load[k]) if fits else None
        for item in sorted(group, key=expected_seconds, reverse=True):
            k = whole if whole is not None else min((k for k in range(workers) if len(shares[k]) < sizes[k]), key=lambda k: load[k])
            shares[k].append(item)
            load[k] += expected_seconds(item)
    return [item for share in shares for item in share]


def pytest_collection_modifyitems(config, items):
    """Tests that use the test cluster or the PostgreSQL server are slow; the costliest tests start first, spread
    over the xdist workers (worksteal_order). Several workers may start such tests at once: scripts/slurm_up.sh and
    postgres_up.sh start one cluster and one server a machine (a lock; a running one is reused, never restarted under
    another worker's jobs). xdist's loadgroup would keep them on one worker, but it does not group under pytest 9 here."""
    for item in items:
        if CLUSTER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.cluster)
            if item.get_closest_marker("slow") is None:
                item.add_marker(pytest.mark.slow)
    items[:] = worksteal_order(items, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))


@pytest.fixture(autouse=True)
def registries_as_shipped():
    """Each test starts from the registries a fresh process has: the in-process CLI registers the losses a command
    names (package.module:function), and a test may register a protocol."""
    from ganbench.benchmark.protocols import PROTOCOLS
    from ganbench.benchmark.variants import VARIANTS

    saved = [(registry, dict(registry)) for registry in (VARIANTS, PROTOCOLS)]
    yield
    for registry, entries in saved:
        registry.clear()
        registry.update(entries)


@pytest.fixture
def run(tmp_path):
    """Train from keyword settings into a fresh directory; returns (metrics, run_dir)."""
    from ganbench.benchmark.config import resolve_config
    from ganbench.benchmark.train import train

    counter = iter(range(1000))

    def _run(**settings):
        out = tmp_path / f"run{next(counter)}"
        return train(resolve_config(**settings), out, progress=False), out

    return _run


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr

    def __iter__(self):  # code, out, err = ganbench(...)
        return iter((self.returncode, self.stdout, self.stderr))


@pytest.fixture
def ganbench(capsys):
    """Runs the CLI in this process (importing torch once keeps the suite fast); the console script is run
    as a subprocess in test_cli.py's test_train_end_to_end."""
    from ganbench.cli import main

    def _run(*args):
        try:
            code = main([str(a) for a in args])
        except SystemExit as e:
            code = e.code
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return _run


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def slurm():
    r = subprocess.run(["bash", str(ROOT / "scripts" / "slurm_up.sh")], capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        message = f"SLURM could not be started: {r.stderr[-2000:]}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    os.environ["SLURM_CONF"] = r.stdout.strip().splitlines()[-1]
    return os.environ["SLURM_CONF"]


@pytest.fixture(scope="session")
def postgres():
    r = subprocess.run(["bash", str(ROOT / "scripts" / "postgres_up.sh")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1]


def wait_all(jobs, timeout=600):
    deadline = time.time() + timeout
    while time.time() < deadline:
        out = subprocess.run(["squeue", "-h", "-j", jobs[0].job_id.split("_")[0]], capture_output=True, text=True).stdout
        if not out.strip():
            return
        time.sleep(2)
    raise TimeoutError("SLURM jobs did not finish")


def pytest_collection_finish(session):
    """Importing a test module changes none of torch's defaults: every test then runs with what a user's process has
    (a module that set float64 at import once made a whole worker train in float64)."""
    if torch.get_default_dtype() != torch.float32:
        raise pytest.UsageError(f"a test module set torch's default dtype to {torch.get_default_dtype()} at import")
