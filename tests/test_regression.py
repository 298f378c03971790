"""Same seed, same numbers, on any machine: the fixed runs of tests/regression/same_seed.py (every kind of training
step, a sweep) in float64 give the numbers kept in same_seed.json, each within a tolerance set from its spread across
kernel instruction sets (same_seed.py says how). The check runs natively and under an emulated second machine (the
kernels held to SSE), so a number that would move on another CPU fails here first; and it still catches a change to
a loss or to an optimiser setting. A change that is meant to move results rewrites the reference (``--spread``)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "regression"
sys.path.insert(0, str(HERE))
import same_seed  # noqa: E402


def _run(tmp_path, setting: str, code: str | None = None, runs: list[str] | None = None) -> dict:
    env = {**same_seed.kernel_env(setting), "GANBENCH_CACHE": str(tmp_path / "cache")}
    cmd = [sys.executable, "-c", code] if code else [sys.executable, str(HERE / "same_seed.py")]
    cmd += ["--runs", ",".join(runs)] if runs else []
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=HERE)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)


@pytest.mark.slow(seconds=60)
@pytest.mark.parametrize("setting", ["native", same_seed.EMULATED])
def test_same_seed_numbers_are_kept(tmp_path, setting):
    """In a fresh interpreter with an empty feature cache: the reference was kept with a warm one, so this also
    proves that scoring during training (which builds the cache) leaves the training's random streams alone."""
    got, kept = _run(tmp_path, setting), json.loads((HERE / "same_seed.json").read_text())
    assert set(got) == set(kept["runs"])
    assert same_seed.check(got, kept) == []


def test_the_reference_is_strict_json_with_its_machine_and_spreads():
    kept = json.loads((HERE / "same_seed.json").read_text(), parse_constant=lambda c: pytest.fail(f"non-strict JSON: {c}"))
    assert {"cpu", "arch", "torch", "numpy", "aten_cpu_capability"} <= set(kept["machine"])
    assert set(kept["settings"]) == set(same_seed.SETTINGS)
    for run, numbers in kept["runs"].items():
        for metric, n in numbers.items():
            assert {"value", "spread", "tolerance"} == set(n), (run, metric)
    # the runs whose dynamics amplify rounding say so, and BEGAN (k_t and an L1 autoencoder at a margin) is one
    assert "ganbench_began_ring8" in kept["amplifies_rounding"]


# One-line changes a refactor could make by mistake, applied to a run of its own before it trains. The check must
# see each; the same runs unchanged must pass it (the control: the failures are the changes', not the machine's).
CHANGES = {
    "loss: ns_gan's generator loss 0.1% larger": """
import dataclasses
from ganbench.benchmark import variants
v = variants.VARIANTS["ns_gan"]
variants.VARIANTS["ns_gan"] = dataclasses.replace(v, loss=lambda r, f: (v.loss(r, f)[0], 1.001 * v.loss(r, f)[1]))""",
    "optimiser: Adam's beta1 0.5 -> 0.51": """
same_seed.RUNS["ganbench_ns_gan_ring8"]["beta1"] = 0.51""",
    "optimiser: Adam's epsilon 1e-8 -> 1e-7": """
import torch
torch.optim.Adam.__init__.__defaults__ = tuple(1e-7 if d == 1e-8 else d for d in torch.optim.Adam.__init__.__defaults__)""",
}
MAIN = """
import json, sys
sys.path.insert(0, ".")
import same_seed
{change}
runs = sys.argv[sys.argv.index("--runs") + 1].split(",")
print(json.dumps(same_seed.measure(runs), allow_nan=True))"""


CHANGED_RUN = ["ganbench_ns_gan_ring8"]


@pytest.fixture(scope="module")
def kept():
    return json.loads((HERE / "same_seed.json").read_text())


@pytest.mark.slow(seconds=8)
def test_the_changes_run_passes_the_check_unchanged(tmp_path, kept):
    """The control: the run the changes below are applied to passes as it is, so their failures are theirs."""
    assert same_seed.check(_run(tmp_path, "native", MAIN.format(change=""), CHANGED_RUN), kept) == []


@pytest.mark.slow(seconds=8)
@pytest.mark.parametrize("change", CHANGES)
def test_a_changed_loss_or_optimiser_fails_the_check(tmp_path, kept, change):
    misses = same_seed.check(_run(tmp_path, "native", MAIN.format(change=CHANGES[change]), CHANGED_RUN), kept)
    assert any(m.startswith("ganbench_ns_gan_ring8.weights_sum") for m in misses), misses
