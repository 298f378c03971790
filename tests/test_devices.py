"""Ready for the cluster's GPUs: `make gpu-check` (its CPU version here), several trials sharing one device,
`ganbench sweep plan`, and progress that reads well in a log file."""
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from ganbench.sweeps.storage import load_saved_spec, storage_for

ROOT = Path(__file__).resolve().parent.parent


def trials_of(study_dir):
    spec, out = load_saved_spec(study_dir), []
    for v, d, m in spec.cells():
        for name in [spec.study_name(v, d, m)] + ([spec.seed_study_name(v, d, m)] if spec.seeds else []):
            out += optuna.load_study(study_name=name, storage=storage_for(study_dir)).get_trials()
    return out


@pytest.mark.slow(seconds=35)
def test_gpu_check_on_cpu_says_no_gpu_and_writes_its_json_to_the_users_folder(tmp_path):
    kept_before = sorted((ROOT / "results").rglob("*.json"))
    r = subprocess.run([sys.executable, "scripts/gpu_check.py", "--seconds", "0.5"], capture_output=True, text=True,
                       cwd=ROOT, timeout=300, env={**os.environ, "HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr[-2000:]
    assert "no GPU found" in r.stdout and "written:" in r.stdout
    (path,) = (tmp_path / ".cache" / "ganbench" / "gpu_check").glob("*.json")
    assert sorted((ROOT / "results").rglob("*.json")) == kept_before  # never into the package's data
    check = json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))
    assert check["gpu"] is False and check["cuda_tests"]["summary"].startswith("skipped")
    rows = {(s["workload"], s["k"]): s for s in check["steps"]}
    assert set(rows) == {("pacgan_2d", 1), ("pacgan_2d", 2), ("mnist", 1), ("mnist", 2)}
    assert all(s["processes_ok"] == s["k"] and s["per_trial_steps_per_s"] > 0 for s in rows.values())
    assert check["extraction"][0]["extractor"] == "lenet-mnist" and check["extraction"][0]["images_per_s"] > 0
    assert check["extraction"][1] == {"extractor": "inception-v3-compat", "images_per_s": None, "note": "measured on a GPU only"}


def _spec(tmp_path, settings=6, steps=300):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\nvariants: [ns_gan]\ndatasets: [ring8]\narch: mlp_small\nspace: narrow\n"
                    f"budget: {{settings: {settings}}}\nsteps: {steps}\n")
    return path


@pytest.mark.slow
def test_two_trials_per_device_run_exactly_the_budget_each_recording_its_device(tmp_path, ganbench):
    """--trials-per-device 2 on one local slot: two worker processes, every setting once, each trial recording its
    slot and device (on CPU: the same slot and the CPU)."""
    r = ganbench("sweep", "run", _spec(tmp_path), "--dir", tmp_path / "study", "--trials-per-device", "2")
    assert r.returncode == 0, r.stderr[-2000:]
    done = [t for t in trials_of(tmp_path / "study") if t.state == TrialState.COMPLETE]
    assert sorted(t.user_attrs["setting"] for t in done) == list(range(6))  # the budget, no setting twice
    assert {t.user_attrs["device_slot"] for t in done} == {"0"} and all(t.user_attrs["device"].startswith("cpu") for t in done)
    assert len({t.user_attrs["pid"] for t in done}) == 2  # both workers of the slot trained


@pytest.mark.slow  # over 10 s: make test's tier
def test_plan_counts_what_run_creates(tmp_path, ganbench):
    """`sweep plan --json` on a spec: the trials, steps and FID checkpoints that `sweep run` then creates."""
    spec = tmp_path / "p.yaml"
    spec.write_text("name: p\nvariants: [ns_gan, lsgan]\ndatasets: [mnist5k]\narch: conv_small\nspace: narrow\n"
                    "budget: {settings: 2, seeds: 1}\nsteps: 12\neval_every: 5\nextractor: lenet-mnist\nn_fake: 200\nn_real: 200\n")
    r = ganbench("sweep", "plan", spec, "--json")
    assert r.returncode == 0, r.stderr
    p = json.loads(r.stdout)
    assert (p["trials"], p["steps"], p["fid_checkpoints"]) == (6, 72, 18)  # FID after 5, 10 and 12 steps
    assert all(c["s_per_step"] > 0 and c["gflop_per_step"] > 0 for c in p["cells"])
    assert ganbench("sweep", "run", spec, "--dir", tmp_path / "study").returncode == 0
    done = [t for t in trials_of(tmp_path / "study") if t.state == TrialState.COMPLETE]
    assert len(done) == p["trials"] and sum(t.user_attrs["steps"] for t in done) == p["steps"]
    assert sum(len(t.user_attrs["fid_history"]) for t in done) == p["fid_checkpoints"]


def test_plan_of_the_lucic_spec_counts_the_study_and_prices_k_from_a_gpu_check(tmp_path, ganbench):
    check = {"device": "Test GPU", "memory_bytes": 8 * 2**30, "gpu": True,
             "steps": [{"workload": "mnist", "k": 1, "per_trial_steps_per_s": 100.0, "peak_memory_bytes_per_trial": 2**30},
                       {"workload": "mnist", "k": 4, "per_trial_steps_per_s": 50.0, "peak_memory_bytes_per_trial": 2**30}]}
    path = tmp_path / "gpu.json"
    path.write_text(json.dumps(check))
    r = ganbench("sweep", "plan", "sweeps/studies/lucic_mnist_wide.yaml", "--gpu-check", path, "--trials-per-device", "4", "--json")
    assert r.returncode == 0, r.stderr
    p = json.loads(r.stdout)
    assert p["trials"] == 8 * 150 and p["steps"] == 8 * 150 * 15_625 and p["fid_checkpoints"] == 8 * 150 * 4
    assert p["device_hours"] == pytest.approx(p["steps"] / 100 / 3600)
    assert p["device_hours_shared"] == pytest.approx(p["steps"] / (4 * 50) / 3600)  # twice the throughput
    assert p["slurm_tasks"] == 300
    r = ganbench("sweep", "plan", "sweeps/studies/lucic_mnist_wide.yaml", "--gpu-check", path, "--trials-per-device", "8")
    assert r.returncode == 2 and "trials_per_device: 8 trials of 1.00 GiB" in r.stderr and "at most 7" in r.stderr


@pytest.mark.parametrize("args, field", [(["--trials-per-device", "0"], "trials-per-device"), (["--workers", "0"], "workers"),
                                         (["--gpu-check", "nonexistent.json"], "gpu-check")])
def test_bad_device_options_exit_2_naming_the_field(tmp_path, ganbench, args, field):
    r = ganbench("sweep", "plan", _spec(tmp_path), *args) if field != "workers" else ganbench(
        "sweep", "run", _spec(tmp_path), "--dir", tmp_path / "d", *args)
    assert r.returncode == 2 and f"error: {field}:" in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "d").exists()


def test_progress_in_a_file_is_plain_lines():
    """A log file gets a line every 5% (or 30 s), no carriage-return redraws."""
    from ganbench.benchmark.logs import PlainProgress

    out = io.StringIO()
    with PlainProgress(total=100, desc="trials", stream=out) as bar:
        for _ in range(100):
            bar.update(1)
            bar.set_postfix(best=0.5)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue() and len(lines) == 20
    assert lines[0].startswith("trials: 5/100 (5%)") and lines[-1].startswith("trials: 100/100 (100%), best=0.5")


def test_a_gpu_check_is_kept_by_the_tool_and_a_cpu_one_refused(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("keep_gpu_check", ROOT / "tools" / "keep_gpu_check.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    cpu = ROOT / "tests" / "gpu_check_cpu.json"
    with pytest.raises(tool.PlanError, match="measured without CUDA"):
        tool.keep(cpu, tmp_path / "kept")
    gpu = tmp_path / "h100.json"
    gpu.write_text(json.dumps({**json.loads(cpu.read_text()), "gpu": True, "device": "NVIDIA H100 80GB HBM3"}))
    assert tool.keep(gpu, tmp_path / "kept") == tmp_path / "kept" / "NVIDIA-H100-80GB-HBM3.json"
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert tool.main([str(broken)]) == 2
