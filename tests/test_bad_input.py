"""Bad input, as a new user gives it, across every command: exit status 2, one line that names the field, no
traceback, and nothing half-written (no output directory, no changed file)."""
import hashlib
import json
import os
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


def _edit_json(path: Path, **changes):
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def _users_partial(m: Path):
    (m / "mydata.partial" / "notes").mkdir(parents=True)
    (m / "mydata.partial" / "notes" / "thesis.txt").write_text("a user's own work\n")
    (m / "empty").mkdir(exist_ok=True)


def _pngs(m: Path, damage: str):
    import struct
    import zlib

    import numpy as np
    from PIL import Image

    (m / "pngs").mkdir()
    for i in range(3):
        Image.fromarray((np.random.default_rng(i).random((16, 16)) * 255).astype("uint8")).save(m / "pngs" / f"{i}.png")
    if damage == "truncated":
        data = (m / "pngs" / "0.png").read_bytes()
        (m / "pngs" / "bad.png").write_bytes(data[: len(data) // 2])
    elif damage == "bomb":
        def chunk(kind, body):
            return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        header = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
        (m / "pngs" / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def _points(m: Path, bad):
    import numpy as np

    if bad is None:
        np.savez(m / "p.npz", train=np.zeros((8, 0)), test=np.zeros((4, 0)))
    else:
        train = np.random.default_rng(0).normal(size=(8, 2))
        train[3, 1] = bad
        np.savez(m / "p.npz", train=train, test=np.zeros((4, 2)))


T = ["train", "--variant", "ns_gan", "--dataset", "ring8", "--steps", "2"]


def _unfinished_run(m: Path):
    """A run's working folder, as an interrupted `train` leaves it: its files, and ganbench's marker."""
    from ganbench.benchmark.files import MARKER

    shutil.copytree(m / "run", m / "half.partial")
    (m / "half.partial" / MARKER).write_text("made by ganbench\n")
def _damaged_resume(how: str):
    """An interrupted run's working folder whose checkpoint was cut off while written, or lost an entry."""
    def damage(m: Path):
        import torch

        _unfinished_run(m)
        path = m / "half.partial" / "last.ckpt"
        if how == "truncate":
            _damage(path, "truncate")
        else:
            checkpoint = torch.load(path, weights_only=True)
            checkpoint.pop(how)
            torch.save(checkpoint, path)
    return damage


def _memory_limit(m: Path) -> None:
    os.environ["GANBENCH_MEMORY_GB"] = "0.05"  # removed after each case (test_bad_input_exits_2_...)


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
    ("sample: unknown format", lambda t, m: ["sample", f"{m}/run", "--format", "gif", "--out", f"{t}/o"], "format", None),
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
    # found by trying inputs nobody listed (issue 22): each is a class the schema or a probe now covers
    ("seed beyond 2**64", lambda t, m: [*T, "--seed", str(2**64), "--out", f"{t}/o"], "seed", None),
    ("non-finite lr", lambda t, m: [*T, "--lr", "nan", "--out", f"{t}/o"], "lr", None),
    ("eval: unknown device", lambda t, m: ["eval", f"{m}/run", "--device", "tpu"], "device", None),
    ("eval: n 2 is allowed, n -5 is not", lambda t, m: ["eval", f"{m}/run", "--n", "-5"], "n", None),
    ("eval: unknown extractor", lambda t, m: ["eval", f"{m}/run", "--extractor", "vgg"], "extractor", None),
    ("sweep run: zero workers", lambda t, m: ["sweep", "run", _spec(t, TINY), "--dir", f"{t}/o", "--workers", "0"], "workers", None),
    ("sweep run: storage not a URL", lambda t, m: ["sweep", "run", _spec(t, TINY), "--dir", f"{t}/o", "--storage", "nonsense"], "storage", None),
    ("sweep status: storage not a URL", lambda t, m: ["sweep", "status", f"{m}/study", "--storage", "nonsense"], "storage", None),
    ("sweep status: journal missing", lambda t, m: ["sweep", "status", f"{m}/study"], "dir", lambda m: (m / "study" / "optuna.journal").unlink()),
    ("report: journal missing", lambda t, m: ["report", f"{m}/study", "--out", f"{t}/o"], "dir", lambda m: (m / "study" / "optuna.journal").unlink()),
    ("report: out inside the study it reads", lambda t, m: ["report", f"{m}/study", "--out", f"{m}/study/rep"], "out", None),
    ("report: out is the study", lambda t, m: ["report", f"{m}/study", "--out", f"{m}/study"], "out", None),
    ("sample: out inside the run it reads", lambda t, m: ["sample", f"{m}/run", "--out", f"{m}/run/samples"], "out", None),
    *[(f"eval: metrics.json {what}", lambda t, m: ["eval", f"{m}/run"], field, lambda m, d=damage: d(m / "run" / "metrics.json"))
      for what, field, damage in [
          ("cut off", "run-dir", lambda p: _damage(p, "truncate")), ("missing", "run-dir", lambda p: p.unlink()),
          ("not a mapping", "run-dir", lambda p: p.write_text("[1, 2]")),
          ("with text for its steps", "metrics.json: steps", lambda p: _edit_json(p, steps="many")),
          ("without its status", "run-dir", lambda p: p.write_text(json.dumps({k: v for k, v in json.loads(p.read_text()).items() if k != "status"}))),
          ("with a status never written", "metrics.json: status", lambda p: _edit_json(p, status="great")),
          ("with a boolean score", "metrics.json: d_loss", lambda p: _edit_json(p, d_loss=True))]],
    ("eval: a checkpoint that is not one", lambda t, m: ["eval", f"{m}/run"], "run-dir",
     lambda m: [(m / "run" / f).write_bytes(bytes(range(256)) * 8) for f in ("last.ckpt", "best.ckpt")]),
    *[(f"sweep {cmd}: spec.json edited after its trials ran ({what})", lambda t, m, c=cmd: ["sweep", c, f"{m}/study"], "dir",
       lambda m, e=edit: _edit_json(m / "study" / "spec.json", **e))
      for cmd in ("status", "resume") for what, edit in [("a larger budget", dict(settings=5)), ("longer trials", dict(steps=8)),
                                                         ("another variant", dict(variants=["wgan"])),
                                                         ("text for its steps", dict(steps="many")), ("a negative budget", dict(settings=-1)),
                                                         ("no variants", dict(variants=[]))]],
    # sizes weighed against memory (a lowered limit keeps the cases cheap): each declared size, alone, too large
    *[(f"train: {field} beyond memory", lambda t, m, a=argv: ["train", "--variant", "ns_gan", "--dataset", "mnist5k", "--steps", "2",
                                                            *a, "--out", f"{t}/o"], field, _memory_limit)
      for field, argv in [("batch_size", ["--batch-size", "100000"]), ("z_dim", ["--z-dim", "60000"]),
                          ("pack", ["--pack", "512"]), ("generators", ["--generators", "512", "--batch-size", "1024"])]],
    ("train: more generators than a batch can feed", lambda t, m: ["train", "--variant", "ns_gan", "--dataset", "ring8", "--steps", "2",
                                                                   "--generators", "60", "--out", f"{t}/o"], "generators", None),
    ("sample: more samples than memory", lambda t, m: ["sample", f"{m}/run", "--n", "5000000", "--out", f"{t}/o"], "n", _memory_limit),
    *[(f"report: spec.json edited after its trials ran ({what})", lambda t, m: ["report", f"{m}/study", "--out", f"{t}/o"], "study",
       lambda m, e=edit: _edit_json(m / "study" / "spec.json", **e))
      for what, edit in [("a larger budget", dict(settings=5)), ("text for its steps", dict(steps="many")),
                         ("a number for its name", dict(name=5)), ("a list for its arch", dict(arch=[1]))]],
    # a study's spec.json is checked field by field as its YAML was, by every command that reads it
    *[(f"sweep status: spec.json edited ({what})", lambda t, m: ["sweep", "status", f"{m}/study"], "dir",
       lambda m, e=edit: _edit_json(m / "study" / "spec.json", **e))
      for what, edit in [("a null name", dict(name=None)), ("a number for its space", dict(space=1)), ("a null pack", dict(pack=None)),
                         ("steps beyond any integer", dict(steps=2**70))]],
    ("report: spec.json's steps beyond any integer", lambda t, m: ["report", f"{m}/study", "--out", f"{t}/o"], "study",
     lambda m: _edit_json(m / "study" / "spec.json", steps=2**70)),
    ("eval: metrics.json's non_finite not a mapping of what was non-finite", lambda t, m: ["eval", f"{m}/run"], "metrics.json: non_finite",
     lambda m: _edit_json(m / "run" / "metrics.json", non_finite=[1])),
    *[(f"eval: config.json's {name} null where resolution fills it", lambda t, m, n=name: ["eval", f"{m}/run"], "run-dir",
       lambda m, n=name: _edit_json(m / "run" / "config.json", **{n: None})) for name in ("extractor", "nearest_k", "lr")],
    *[(f"train: resuming from a checkpoint {what}", lambda t, m: ["train", "--variant", "ns_gan", "--dataset", "mnist5k", "--arch", "conv_small",
       "--steps", "4", "--eval-every", "2", "--n-fake", "50", "--n-real", "50", "--out", f"{m}/half", "--quiet"], "out", _damaged_resume(how))
      for what, how in [("cut off", "truncate"), ("without its step counts", "counts")]],  # the fuzzer tries the rest
    ("report: spec.json cut off", lambda t, m: ["report", f"{m}/study", "--out", f"{t}/o"], "study",
     lambda m: _damage(m / "study" / "spec.json", "truncate")),
    ("report: the same study twice", lambda t, m: ["report", f"{m}/study", f"{m}/study/", "--out", f"{t}/o"], "study", None),
    ("report: out holds a user's files", lambda t, m: ["report", f"{m}/study", "--out", f"{m}/run"], "out", None),
    ("spec: list for a scalar", lambda t, m: ["sweep", "run", _spec(t, TINY.replace("arch: mlp_small", "arch: [mlp_small]")), "--dir", f"{t}/o"], "arch", None),
    ("spec: a key twice", lambda t, m: ["sweep", "run", _spec(t, TINY + "steps: 8\n"), "--dir", f"{t}/o"], "steps", None),
    ("spec: budget true", lambda t, m: ["sweep", "run", _spec(t, TINY.replace("settings: 1", "settings: true")), "--dir", f"{t}/o"], "budget.settings", None),
    ("spec: a variant twice", lambda t, m: ["sweep", "run", _spec(t, TINY.replace("[ns_gan]", "[ns_gan, ns_gan]")), "--dir", f"{t}/o"], "variants", None),
    ("spec: range outside the bounds", lambda t, m: ["sweep", "run", _spec(t, TINY.replace("space: narrow", "space: {ns_gan: {lr: [uniform, -1, 1]}}")),
                                                    "--dir", f"{t}/o"], "space.ns_gan.lr", None),
    ("spec: a code variant is imported only when named", lambda t, m: ["sweep", "resume", f"{m}/study"], "variant",
     lambda m: _edit_json(m / "study" / "spec.json", variants=["this:s"])),
    ("eval: config names code", lambda t, m: ["eval", f"{m}/run"], "variant", lambda m: _edit_json(m / "run" / "config.json", variant="this:s")),
    ("train: a builtin as a loss", lambda t, m: [*T[:2], "builtins:print", *T[3:], "--out", f"{t}/o"], "variant", None),
    ("train: out is a link", lambda t, m: [*T, "--out", f"{m}/link"], "out", lambda m: (m / "link").symlink_to(m / "empty", target_is_directory=True)),
    ("train: a user's .partial folder", lambda t, m: [*T, "--out", f"{m}/mydata"], "out", _users_partial),
    ("sample: a user's .partial folder", lambda t, m: ["sample", f"{m}/run", "--out", f"{m}/mydata"], "out", _users_partial),
    ("report: a user's .partial folder", lambda t, m: ["report", f"{m}/study", "--out", f"{m}/mydata"], "out", _users_partial),
    ("train: out inside the folder data set it reads", lambda t, m: [*T[:4], f"folder:{m}/pngs", *T[5:], "--out", f"{m}/pngs/run"],
     "out", lambda m: _pngs(m, "")),
    ("sweep: study folder inside the data set it reads", lambda t, m: ["sweep", "run", _spec(t, TINY.replace("ring8", f"'folder:{m}/pngs'")
     .replace("mlp_small", "conv_small") + "eval_every: 0\nextractor: lenet-mnist\n"), "--dir", f"{m}/pngs/study"], "dir", lambda m: _pngs(m, "")),
    ("sample: from an unfinished run's working folder", lambda t, m: ["sample", f"{m}/half.partial", "--out", f"{t}/o"], "run-dir", _unfinished_run),
    ("eval: an unfinished run's working folder", lambda t, m: ["eval", f"{m}/half.partial"], "run-dir", _unfinished_run),
    ("spec: objective coverage on 2-D points", lambda t, m: ["spec", _spec(t, TINY + "objective: coverage\neval_every: 0\n")], "objective", None),
    ("spec: objective mixture_mismatch on images", lambda t, m: ["spec", _spec(t, TINY.replace("ring8", "mnist5k").replace("mlp_small", "conv_small")
     + "objective: mixture_mismatch\n")], "objective", None),
    ("train: BEGAN's options given to ns_gan", lambda t, m: [*T, "--began-gamma", "0.9", "--out", f"{t}/o"], "began_gamma", None),
    ("train: EMA ramp-up without an EMA", lambda t, m: [*T, "--ema-rampup", "0.5", "--out", f"{t}/o"], "ema_rampup", None),
    ("spec: clipping given to variants that do not clip", lambda t, m: ["spec", _spec(t, TINY.replace("space: narrow", "space: {ns_gan: {clip: 0.5}}"))],
     "clip", None),
    ("report: two copies of one study", lambda t, m: ["report", f"{m}/study", f"{m}/study_copy", "--out", f"{t}/r"], "study",
     lambda m: shutil.copytree(m / "study", m / "study_copy")),
    ("report: spec.json's objective edited after the run", lambda t, m: ["report", f"{m}/study", "--out", f"{t}/r"], "study",
     lambda m: _edit_json(m / "study" / "spec.json", objective="mode_kl")),
    ("sweep: an in-memory SQLite storage", lambda t, m: ["sweep", "run", _spec(t, TINY), "--dir", f"{t}/o", "--workers", "2",
                                                        "--storage", "sqlite://"], "storage", None),
    ("spec: YAML aliases that expand to billions of values", lambda t, m: ["spec", _spec(t, TINY.replace("variants: [ns_gan]", "variants:\n"
     + "  - &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(f"  - &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10))))], "spec", None),
    ("report: a budget of more settings than any arm has", lambda t, m: ["report", f"{m}/study", "--budget", "100000000000", "--out", f"{t}/r"],
     "budget", None),
    ("eval: Inception weights that are garbage", lambda t, m: ["eval", f"{m}/run", "--extractor", "inception-v3-compat", "--n", "20",
     "--inception-weights", f"{m}/w.pth"], "inception-weights", lambda m: (m / "w.pth").write_bytes(bytes(range(256)) * 8)),
    ("eval: weights of another network", lambda t, m: ["eval", f"{m}/run", "--extractor", "inception-v3-compat", "--n", "20",
     "--inception-weights", f"{m}/w.pth"], "inception-weights", lambda m: __import__("torch").save({"a": __import__("torch").zeros(3)}, m / "w.pth")),
    ("sweep: a database that does not answer", lambda t, m: ["sweep", "run", _spec(t, TINY), "--dir", f"{t}/o",
                                                            "--storage", "postgresql://nobody:secret@127.0.0.1:1/x"], "storage", None),
    ("sweep: an SQLite file in a folder that is not there", lambda t, m: ["sweep", "run", _spec(t, TINY), "--dir", f"{t}/o",
                                                                      "--storage", f"sqlite:///{t}/nowhere/x.db"], "storage", None),
    ("status: an SQLite file that is not there", lambda t, m: ["sweep", "status", f"{m}/study", "--storage", f"sqlite:///{t}/x.db"],
     "storage", None),
    ("data: truncated PNG", lambda t, m: [*T[:4], f"folder:{m}/pngs", *T[5:], "--out", f"{t}/o"], "dataset", lambda m: _pngs(m, "truncated")),
    ("data: PNG header of 30000x30000", lambda t, m: [*T[:4], f"folder:{m}/pngs", *T[5:], "--out", f"{t}/o"], "dataset", lambda m: _pngs(m, "bomb")),
    ("data: NaN points", lambda t, m: [*T[:4], f"npz:{m}/p.npz", *T[5:], "--out", f"{t}/o"], "dataset", lambda m: _points(m, float("nan"))),
    ("data: points infinite as float32", lambda t, m: [*T[:4], f"npz:{m}/p.npz", *T[5:], "--out", f"{t}/o"], "dataset", lambda m: _points(m, 1e300)),
    ("data: points of no coordinates", lambda t, m: [*T[:4], f"npz:{m}/p.npz", *T[5:], "--out", f"{t}/o"], "dataset", lambda m: _points(m, None)),
]


def _digest(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name,argv,field,setup", CASES, ids=[c[0] for c in CASES])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(ganbench, made, tmp_path, monkeypatch, name, argv, field, setup):
    m = tmp_path / "made"
    shutil.copytree(made, m)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("GANBENCH_MEMORY_GB", "")  # empty: unset; monkeypatch restores it after the case, whatever the set-up sets
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
    assert len(CASES) >= 60 and len({c[0] for c in CASES}) == len(CASES)


# --- environment variables: inputs declared in schema.ENV_FIELDS, checked when any command starts ---------------------

def _refused_values(f) -> list[str]:
    """Values a variable's declaration refuses, generated from it: text that is not a number, non-finite numbers,
    each bound crossed; a relative path, a path through a file; a URL of another scheme."""
    if f.type in (int, float):
        out = ["abc", "1,5", "nan", "inf", "-inf"] + (["2.5"] if f.type is int else [])
        step = 1 if f.type is int else 0.5
        out += [str(f.ge - step)] if f.ge is not None else []
        out += [str(f.gt)] if f.gt is not None else []
        out += [str(f.le * 10 + step)] if f.le is not None else []
        return out
    if f.help.startswith("folder:"):
        return ["relative/folder", "/dev/null/inside-a-file", "/etc/hostname/x"]
    if f.help.startswith("url:"):
        return ["not a url", "ftp://example.org/pix2pix"]
    return []


def _env_cases():
    from ganbench.benchmark.schema import ENV_FIELDS

    return [(name, value) for name, f in ENV_FIELDS.items() for value in _refused_values(f)]


@pytest.mark.parametrize("name,value", _env_cases())
def test_a_bad_environment_variable_exits_2_naming_it_before_any_work(ganbench, monkeypatch, tmp_path, name, value):
    monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    r = ganbench("train", "--variant", "ns_gan", "--dataset", "ring8", "--steps", "2", "--out", tmp_path / "o", "--quiet")
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert f"error: {name}:" in lines[0], lines[0]
    assert not list(tmp_path.iterdir()), "something was written"


def test_every_declared_variable_is_tried_and_listed_in_help(ganbench):
    from ganbench.benchmark.schema import ENV_FIELDS

    tried = {name for name, _ in _env_cases()}
    assert tried == set(ENV_FIELDS)
    help_text = ganbench("--help").stdout
    assert all(name in help_text for name in ENV_FIELDS)


def test_a_grace_period_a_heartbeat_cannot_keep_is_refused(ganbench, monkeypatch):
    monkeypatch.setenv("GANBENCH_HEARTBEAT_S", "60")
    monkeypatch.setenv("GANBENCH_GRACE_S", "100")
    r = ganbench("variants")
    assert r.returncode == 2 and "error: GANBENCH_GRACE_S: 100 is not allowed, must be more than twice" in r.stderr


def test_a_heartbeat_that_stops_fails_its_trial_instead_of_going_silent(monkeypatch):
    """The variable changed under a running worker (or anything else killing the thread): the next check fails the
    trial, which is recorded as failed and retried by `sweep resume`, instead of liveness silently off."""
    import optuna

    from ganbench.sweeps.liveness import Heartbeat

    study = optuna.create_study()
    trial = study.ask()
    monkeypatch.setenv("GANBENCH_HEARTBEAT_S", "abc")
    heartbeat = Heartbeat(study, trial)
    heartbeat._thread.join(10)
    assert not heartbeat._thread.is_alive()
    with pytest.raises(RuntimeError, match="heartbeat stopped .*GANBENCH_HEARTBEAT_S"):
        heartbeat.check()


@pytest.mark.parametrize("argv,field", [(["--seconds", "-1"], "seconds"), (["--seconds", "nan"], "seconds"),
                                        (["--out", "/etc/hostname/inside"], "out"), (["--seconds", "abc"], "argument --seconds")])
def test_the_gpu_check_takes_its_arguments_through_the_schema(tmp_path, argv, field):
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    r = subprocess.run([sys.executable, str(root / "scripts" / "gpu_check.py"), *argv], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and f"error: {field}" in lines[0], r.stderr[-1000:]
    assert not list(tmp_path.iterdir())
