"""Bad input, as a new user gives it, across every command: exit status 2, one line that names the field, no
traceback, and nothing half-written (no output directory, no changed file)."""
import hashlib
import shutil
from pathlib import Path

import pytest

TINY = "name: s\nvariants: [ns_gan]\ndatasets: [ring8]\narch: mlp_small\nspace: narrow\nbudget: {settings: 1}\nsteps: 4\n"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """One finished run (image data, with best.ckpt) and one finished study, made once; each case gets a copy."""
    from ganbench.cli import main

    root = tmp_path_factory.mktemp("made")
    assert main(["train", "--variant", "ns_gan", "--dataset", "mnist5k", "--arch", "conv_small", "--steps", "4", "--eval-every", "2",
                 "--n-fake", "50", "--n-real", "50", "--out", str(root / "run"), "--quiet"]) == 0
    (root / "s.yaml").write_text(TINY)
    assert main(["sweep", "run", str(root / "s.yaml"), "--dir", str(root / "study")]) == 0
    return root


def _spec(tmp, text):
    (tmp / "bad.yaml").write_text(text)
    return str(tmp / "bad.yaml")


def _damage(path: Path, how: str):
    if how == "truncate":
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    else:
        path.write_text(how)


T = ["train", "--variant", "ns_gan", "--dataset", "ring8", "--steps", "2"]
CASES = [  # (name, argv from (tmp, made copy), field the one line names, set-up)
    ("unknown variant", lambda t, m: ["train", "--variant", "nogan", "--dataset", "ring8", "--steps", "2", "--out", f"{t}/o"], "variant", None),
    ("unknown data set", lambda t, m: ["train", "--variant", "ns_gan", "--dataset", "imagenet", "--steps", "2", "--out", f"{t}/o"], "dataset", None),
    ("zero steps", lambda t, m: [*T[:-1], "0", "--out", f"{t}/o"], "steps", None),
    ("steps not a number", lambda t, m: [*T[:-1], "abc", "--out", f"{t}/o"], "argument --steps", None),
    ("negative batch", lambda t, m: [*T, "--batch-size", "-1", "--out", f"{t}/o"], "batch_size", None),
    ("zero lr", lambda t, m: [*T, "--lr", "0", "--out", f"{t}/o"], "lr", None),
    ("unknown device", lambda t, m: [*T, "--device", "tpu", "--out", f"{t}/o"], "device", None),
    ("unknown protocol", lambda t, m: [*T, "--protocol", "nope", "--out", f"{t}/o"], "protocol", None),
    ("unknown prior", lambda t, m: [*T, "--prior", "cauchy", "--out", f"{t}/o"], "prior", None),
    ("pack 0", lambda t, m: [*T, "--pack", "0", "--out", f"{t}/o"], "pack", None),
    ("unknown extractor", lambda t, m: ["train", "--variant", "ns_gan", "--dataset", "mnist5k", "--steps", "2", "--extractor", "vgg",
                                        "--out", f"{t}/o"], "extractor", None),
    ("out in /proc", lambda t, m: [*T, "--out", "/proc/ganbench-x"], "out", None),
    ("out holds another run", lambda t, m: [*T, "--out", f"{m}/run"], "out", None),
    ("missing folder", lambda t, m: ["train", "--variant", "ns_gan", "--dataset", f"folder:{t}/nothing", "--steps", "2", "--out", f"{t}/o"], "dataset", None),
    ("loss that does not import", lambda t, m: ["train", "--variant", "nowhere.losses:hinge", "--dataset", "ring8", "--steps", "2",
                                                "--out", f"{t}/o"], "variant", None),
    ("eval: not a run", lambda t, m: ["eval", str(t)], "run-dir", None),
    ("eval: corrupt config.json", lambda t, m: ["eval", f"{m}/run"], "run-dir", lambda m: _damage(m / "run" / "config.json", "{not json")),
    ("eval: truncated last.ckpt", lambda t, m: ["eval", f"{m}/run", "--checkpoint", "last"], "run-dir", lambda m: _damage(m / "run" / "last.ckpt", "truncate")),
    ("eval: truncated best.ckpt", lambda t, m: ["eval", f"{m}/run"], "run-dir", lambda m: _damage(m / "run" / "best.ckpt", "truncate")),
    ("eval: n 1", lambda t, m: ["eval", f"{m}/run", "--n", "1"], "n", None),
    ("eval: missing weights file", lambda t, m: ["eval", f"{m}/run", "--extractor", "inception-v3-compat", "--inception-weights", f"{t}/none.pth"],
     "inception-weights", None),
    ("sample: n 0", lambda t, m: ["sample", f"{m}/run", "--n", "0", "--out", f"{t}/o"], "n", None),
    ("sample: negative seed", lambda t, m: ["sample", f"{m}/run", "--seed", "-1", "--out", f"{t}/o"], "seed", None),
    ("sample: out holds something", lambda t, m: ["sample", f"{m}/run", "--out", f"{m}/run"], "out", None),
    ("sample: unknown format", lambda t, m: ["sample", f"{m}/run", "--format", "gif", "--out", f"{t}/o"], "argument --format", None),
    ("spec: not YAML", lambda t, m: ["sweep", "run", _spec(t, "name: a\nvariants: [ns_gan\n"), "--dir", f"{t}/o"], "spec", None),
    ("spec: python tag", lambda t, m: ["sweep", "run", _spec(t, '!!python/object/apply:os.system ["ls"]\n'), "--dir", f"{t}/o"], "spec", None),
    ("spec: name with ..", lambda t, m: ["sweep", "run", _spec(t, TINY.replace("name: s", "name: ../../etc")), "--dir", f"{t}/o"], "name", None),
    ("spec: unknown field", lambda t, m: ["sweep", "run", _spec(t, TINY + "epochs: 3\n"), "--dir", f"{t}/o"], "epochs", None),
    ("spec: zero settings", lambda t, m: ["sweep", "run", _spec(t, TINY.replace("settings: 1", "settings: 0")), "--dir", f"{t}/o"], "budget.settings", None),
    ("spec: unknown data set", lambda t, m: ["sweep", "run", _spec(t, TINY.replace("[ring8]", "[ring9]")), "--dir", f"{t}/o"], "datasets", None),
    ("sweep run: dir in /proc", lambda t, m: ["sweep", "run", _spec(t, TINY), "--dir", "/proc/ganbench-y"], "dir", None),
    ("sweep run: dir runs another spec", lambda t, m: ["sweep", "run", _spec(t, TINY.replace("steps: 4", "steps: 5")), "--dir", f"{m}/study"], "dir", None),
    ("sweep status: no study", lambda t, m: ["sweep", "status", str(t)], "dir", None),
    ("sweep status: damaged journal", lambda t, m: ["sweep", "status", f"{m}/study"], "dir",
     lambda m: (m / "study" / "optuna.journal").write_bytes((m / "study" / "optuna.journal").read_bytes() + b"garbage\n")),
    ("sweep resume: no study", lambda t, m: ["sweep", "resume", f"{t}/nothing"], "dir", None),
    ("sweep resume: corrupt spec.json", lambda t, m: ["sweep", "resume", f"{m}/study"], "dir", lambda m: _damage(m / "study" / "spec.json", "[1, 2")),
    ("report: no study", lambda t, m: ["report", str(t), "--out", f"{t}/o"], "study", None),
    ("report: zero budget", lambda t, m: ["report", f"{m}/study", "--out", f"{t}/o", "--budget", "0"], "budget", None),
    ("report: out in /proc", lambda t, m: ["report", f"{m}/study", "--out", "/proc/ganbench-z"], "out", None),
]


def _digest(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name,argv,field,setup", CASES, ids=[c[0] for c in CASES])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(ganbench, made, tmp_path, name, argv, field, setup):
    m = tmp_path / "made"
    shutil.copytree(made, m)
    work = tmp_path / "work"
    work.mkdir()
    if setup:
        setup(m)
    before = _digest(m)
    r = ganbench(*argv(work, m))
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert f"error: {field}" in lines[0], lines[0]
    assert not (work / "o").exists() and not list(work.glob("*.partial")), "something was written"
    assert _digest(m) == before, "an existing file changed"


def test_the_table_has_at_least_30_cases():
    assert len(CASES) >= 30 and len({c[0] for c in CASES}) == len(CASES)
