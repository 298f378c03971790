"""Ctrl-C and SIGTERM, as a terminal and a scheduler send them: one line saying what was kept and how to go on,
exit status 128 + the signal, no traceback; a sweep resumed afterwards ends with its budget exact."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SPEC = "name: s\nvariants: [ns_gan]\ndatasets: [ring8]\narch: mlp_small\nspace: narrow\nbudget: {settings: 2}\nsteps: 500\n"


def start(*args, cwd: Path) -> subprocess.Popen:
    # a session of its own: the signal goes to the command and every process it started, as a terminal's Ctrl-C does
    return subprocess.Popen([sys.executable, "-m", "ganbench.cli", *map(str, args)], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def interrupt(p: subprocess.Popen, signum: int) -> tuple[int, str]:
    os.killpg(p.pid, signum)
    _, err = p.communicate(timeout=120)
    return p.returncode, err


@pytest.mark.slow(seconds=25)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_says_what_it_kept_in_one_line(tmp_path, signum):
    out = tmp_path / "run"
    p = start("train", "--variant", "ns_gan", "--dataset", "ring8", "--arch", "mlp_small", "--steps", "200000",
              "--checkpoint-every", "20", "--out", out, "--quiet", cwd=tmp_path)
    wait_for(lambda: (tmp_path / "run.partial" / "last.ckpt").is_file())
    code, err = interrupt(p, signum)
    assert code == 128 + signum, err[-2000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-2000:]
    (line,) = err.strip().splitlines()
    assert line.startswith(f"ganbench train: interrupted ({signal.Signals(signum).name}); the unfinished run is in")
    assert (tmp_path / "run.partial" / "last.ckpt").is_file() and not out.exists()


@pytest.mark.slow(seconds=80)
def test_an_interrupted_sweep_resumes_to_its_exact_budget(tmp_path):
    (tmp_path / "s.yaml").write_text(SPEC)
    study = tmp_path / "study"
    p = start("sweep", "run", tmp_path / "s.yaml", "--dir", study, "--workers", "1", cwd=tmp_path)
    wait_for(lambda: any((study / "trials").rglob("*.partial")) if (study / "trials").is_dir() else False)
    code, err = interrupt(p, signal.SIGINT)
    assert code == 130, err[-2000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-2000:]
    assert err.strip().splitlines()[-1].startswith(f"ganbench sweep: interrupted (SIGINT); every finished trial is kept in {study}")

    resumed = subprocess.run([sys.executable, "-m", "ganbench.cli", "sweep", "resume", str(study), "--workers", "1"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    status = subprocess.run([sys.executable, "-m", "ganbench.cli", "sweep", "status", str(study), "--json"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    (row,) = json.loads(status.stdout)["studies"]
    assert row["finished"] == 2 and row["running"] == 0 and row["steps_used"] == 2 * 500, row
