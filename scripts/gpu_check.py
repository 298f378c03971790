"""`make gpu-check`: check and measure a GPU node in one go (about 6 minutes on one GPU), e.g.

    srun --gpus 1 make gpu-check

1. the CUDA-only tests (pytest -m cuda);
2. steps a second of the study's nets at MNIST, CIFAR-10 and CelebA shapes and of PacGAN's 2-D nets, with k = 1, 2,
   4, 8 trials sharing the device (k processes measured at the same time), and each trial's peak device memory;
3. whether CUDA MPS is running (this script never starts or stops it: that is the node's setting);
4. lenet-mnist's feature extraction rate and, when its weights are cached, Inception's.

It prints one table and writes ~/.cache/ganbench/gpu_check/<device>.json (--out to choose), which `ganbench sweep
plan --gpu-check FILE` prices a study with, and which `sweep run --trials-per-device k` reads to check that k trials
fit this node's GPU. `python tools/keep_gpu_check.py FILE` keeps a record in the repository (results/gpu_check/). Without CUDA it runs a tiny version on the CPU (two workloads, k = 1 and 2, two seconds each) and says
that no GPU was found, so the script itself is tested everywhere.
"""
from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def measure_one(workload: str, device: str, seconds: float, barrier: Path, k: int, threads: int) -> None:
    """One of k measuring processes: warm up, wait for the other k - 1, measure, write one JSON file (or the error)."""
    import torch

    from ganbench.benchmark.speed import step_rate

    try:
        torch.set_num_threads(threads)
        step_rate(workload, device, seconds=0.0, warmup=3)  # kernels chosen, memory allocated, before the others measure
        (barrier / f"ready-{os.getpid()}").touch()
        deadline = time.time() + 120
        while len(list(barrier.glob("ready-*"))) < k and time.time() < deadline:
            time.sleep(0.05)
        (barrier / f"result-{os.getpid()}.json").write_text(json.dumps(step_rate(workload, device, seconds=seconds, warmup=1)))
    except Exception as e:  # noqa: BLE001 - reported in the table (an out-of-memory at k = 8, say), not raised
        (barrier / f"error-{os.getpid()}.txt").write_text(f"{type(e).__name__}: {e}".splitlines()[0])


def measure_shared(workload: str, k: int, device: str, seconds: float) -> dict:
    """k processes training ``workload`` at once on ``device``. They fork from a server that imported torch once
    (multiprocessing's forkserver, as sweep workers do), so a measurement does not wait on k interpreters' imports."""
    threads = max(1, (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1) // k)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ganbench.benchmark.speed"])
    with tempfile.TemporaryDirectory() as tmp:
        barrier = Path(tmp)
        procs = [context.Process(target=measure_one, args=(workload, device, seconds, barrier, k, threads)) for _ in range(k)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(600)
            if p.is_alive():  # hung past ten minutes: reported as an error, not left running
                p.kill()
                p.join()
        results = [json.loads(f.read_text()) for f in sorted(barrier.glob("result-*.json"))]
        errors = [f.read_text() for f in sorted(barrier.glob("error-*.txt"))]
        errors += [f"exit {p.exitcode}" for p in procs if p.exitcode != 0]
    rates = [r["steps_per_s"] for r in results]
    peaks = [r["peak_memory_bytes"] for r in results if r["peak_memory_bytes"] is not None]
    return {"workload": workload, "k": k, "processes_ok": len(results), "errors": errors,
            "per_trial_steps_per_s": sum(rates) / len(rates) if rates else None,
            "device_steps_per_s": sum(rates) if rates else None, "peak_memory_bytes_per_trial": max(peaks) if peaks else None}


def mps_status() -> str:
    if not shutil.which("nvidia-cuda-mps-control"):
        return "not installed on this node (k processes share the GPU by time-slicing)"
    running = subprocess.run(["pgrep", "-f", "nvidia-cuda-mps-control"], capture_output=True).returncode == 0
    return ("running: the k-process figures below are with MPS" if running else
            "installed, not running: the figures below are without MPS; start it with `nvidia-cuda-mps-control -d` "
            "(a node setting, so this check leaves it alone) and run gpu-check again to compare")


def cuda_tests() -> dict:
    started = time.time()
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "cuda", "-p", "no:cacheprovider", str(ROOT / "tests")],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    tail = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr.strip()[-300:]
    return {"exit_status": r.returncode, "summary": tail, "seconds": round(time.time() - started, 1)}


def device_name() -> tuple[str, dict]:
    import torch

    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        return p.name, {"memory_bytes": p.total_memory, "cuda": torch.version.cuda, "devices_visible": torch.cuda.device_count()}
    return f"cpu {platform.processor() or platform.machine()}", {"cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()}


def main() -> int:
    from ganbench.benchmark.schema import COMMAND_FIELDS, ConfigError, check_environment
    from ganbench.cli import OneLineParser
    from ganbench.sweeps.plan import GPU_CHECK_FOLDER

    p = OneLineParser(prog="make gpu-check", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, dest in (("check_out", "out"), ("check_seconds", "seconds")):  # the same declarations as ganbench's flags
        f = COMMAND_FIELDS[name]
        p.add_argument(f.cli_flag, dest=dest, type=float if f.type is float else str, help=f.help, default=f.default)
    a = p.parse_args()
    try:
        check_environment()
        if a.seconds is not None:
            COMMAND_FIELDS["check_seconds"].check(a.seconds, "seconds")
        a.out = a.out or str(GPU_CHECK_FOLDER)
        existing = next(q for q in (Path(a.out).resolve(), *Path(a.out).resolve().parents) if q.exists())
        if not existing.is_dir():
            raise ConfigError(f"out: {a.out} is not allowed: {existing} is not a folder")
    except ConfigError as e:
        print(f"make gpu-check: error: {e}", file=sys.stderr)
        return 2

    import torch

    from ganbench.benchmark.files import write_json
    from ganbench.benchmark.metrics.weights import WEIGHTS
    from ganbench.benchmark.speed import WORKLOADS, extraction_rate
    from ganbench.sweeps.plan import gpu_check_file_name

    started = time.time()
    gpu = torch.cuda.is_available()
    name, facts = device_name()
    device = "cuda" if gpu else "cpu"
    seconds = a.seconds or (5.0 if gpu else 2.0)
    if not gpu:
        print("no GPU found (torch sees no CUDA device): running the tiny CPU version of the check")
    workloads, ks = (list(WORKLOADS), (1, 2, 4, 8)) if gpu else (["pacgan_2d", "mnist"], (1, 2))
    report = {"device": name, **facts, "torch": torch.__version__, "gpu": gpu, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "commit": subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip() or None,
              "mps": mps_status() if gpu else "no GPU", "seconds_per_measurement": seconds}
    report["cuda_tests"] = cuda_tests() if gpu else {"summary": "skipped: no GPU"}
    print(f"CUDA tests: {report['cuda_tests']['summary']}")
    rows = []
    for w in workloads:
        for k in ks:
            rows.append(measure_shared(w, k, device, seconds))
            base = next(r for r in rows if r["workload"] == w and r["k"] == 1)["device_steps_per_s"]
            rows[-1]["speedup_vs_one_trial"] = rows[-1]["device_steps_per_s"] / base if base and rows[-1]["device_steps_per_s"] else None
    report["steps"] = rows
    report["extraction"] = [extraction_rate("lenet-mnist", device, seconds=min(seconds, 3.0))]
    if not gpu:  # the tiny CPU version: building Inception and one batch cost more than the rest of the check
        report["extraction"].append({"extractor": "inception-v3-compat", "images_per_s": None, "note": "measured on a GPU only"})
    elif WEIGHTS["inception-v3-compat"].present():
        report["extraction"].append(extraction_rate("inception-v3-compat", device, seconds=min(seconds, 3.0), batch=64))
    else:
        report["extraction"].append({"extractor": "inception-v3-compat", "images_per_s": None,
                                     "note": "weights not prepared: ganbench weights fetch inception-v3-compat"})
    report["wall_s"] = round(time.time() - started, 1)

    print(f"\n{name} ({'GPU' if gpu else 'no GPU: CPU'}), MPS: {report['mps']}")
    print(f"{'workload':10s} {'k':>2s} {'steps/s a trial':>16s} {'steps/s device':>15s} {'vs k=1':>7s} {'peak MiB a trial':>17s}")
    for r in rows:
        mib = f"{r['peak_memory_bytes_per_trial'] / 2**20:.0f}" if r["peak_memory_bytes_per_trial"] else "-"
        per = f"{r['per_trial_steps_per_s']:.1f}" if r["per_trial_steps_per_s"] else "failed"
        dev = f"{r['device_steps_per_s']:.1f}" if r["device_steps_per_s"] else "-"
        up = f"{r['speedup_vs_one_trial']:.2f}x" if r.get("speedup_vs_one_trial") else "-"
        print(f"{r['workload']:10s} {r['k']:2d} {per:>16s} {dev:>15s} {up:>7s} {mib:>17s}" + (f"  errors: {r['errors'][0]}" if r["errors"] else ""))
    for e in report["extraction"]:
        print(f"{e['extractor']}: " + (f"{e['images_per_s']:.0f} images/s" if e["images_per_s"] else e["note"]))
    out = Path(a.out) / gpu_check_file_name(name)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, report)
    print(f"written: {out} ({report['wall_s']:.0f} s)")
    failed = report["cuda_tests"].get("exit_status", 0) not in (0, 5) or any(r["errors"] for r in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
