"""A fuzzer over every file ganbench reads: each file of a finished run, a study, a kept study, a spec, a gpu-check
record and a samples array is damaged in each way of a family (truncated, emptied, removed, a folder in its place,
garbage, every key given each wrong type, unknown keys, duplicated keys and rows, NaN and huge numbers, wrong
shapes and dtypes, a second copy), and every command that reads it is run in-process. The contract, for every case:

- exit 0, or exit 2 with one line that names a field or a file (``error: FIELD: ...``); never a traceback;
- nothing half-written (no ``*.partial`` folder left) and nothing the user had changed (every file outside what the
  command writes is as it was).

``tests/test_fuzz.py`` runs a bounded, random share of the cases in `make test`; ``make fuzz`` runs every case
(``python tests/fuzz.py``), prints each failure with its case, and exits 1 if there was one.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

TINY = "name: s\nvariants: [ns_gan]\ndatasets: [ring8]\narch: mlp_small\nspace: narrow\nbudget: {settings: 1}\nsteps: 4\n"
WRONG_VALUES = [None, "x", [], {}, -1, 0, 1e308, True, 2**70]


def make_artifacts(root: Path) -> Path:
    """What the commands read, made by ganbench itself: runs, a study, a kept study, a spec, samples, a gpu-check."""
    from ganbench.cli import main

    quiet = ["--quiet"]
    assert main(["train", "--variant", "ns_gan", "--dataset", "ring8", "--steps", "4", "--out", str(root / "run"), *quiet]) == 0
    assert main(["train", "--variant", "ns_gan", "--dataset", "mnist5k", "--arch", "conv_small", "--steps", "4", "--eval-every", "2",
                 "--n-fake", "50", "--n-real", "50", "--extractor", "lenet-mnist", "--out", str(root / "image_run"), *quiet]) == 0
    from ganbench.benchmark.files import MARKER

    shutil.copytree(root / "run", root / "half.partial")  # as an interrupted `train` leaves it: its files and the marker
    (root / "half.partial" / MARKER).write_text("made by ganbench\n")
    (root / "spec.yaml").write_text(TINY)
    assert main(["sweep", "run", str(root / "spec.yaml"), "--dir", str(root / "study")]) == 0
    repo = Path(__file__).resolve().parents[1]
    shutil.copytree(repo / "results" / "demo_ring", root / "kept", ignore=shutil.ignore_patterns("figures"))
    from ganbench.benchmark.metrics.weights import WEIGHTS

    inception = WEIGHTS["inception-v3-compat"]
    inception.require()  # make test and make fuzz fetch it first
    (root / "weights").mkdir()
    for path in inception.paths() + [inception.folder() / "inception-v3-compat.json"]:
        shutil.copy(path, root / "weights" / path.name)
    from ganbench.benchmark.data import load_split

    np.savez(root / "samples.npz", samples=load_split("mnist5k", "test").tensor[:64].numpy())
    # a record `python scripts/gpu_check.py --seconds 0.5` wrote on a 2-core CPU (its tiny version; 1-2 minutes to
    # make again, too long for the suite), read by `sweep plan --gpu-check`
    shutil.copy(repo / "tests" / "gpu_check_cpu.json", root / "gpu_check.json")
    return root


# --- the damages: each a (name, function of the file's path) ---------------------------------------------------

def _json_paths(obj, prefix=()) -> list[tuple]:
    """Every key path of a JSON document, one level into nested mappings and lists of mappings."""
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.append((*prefix, k))
            if len(prefix) < 1:
                out += _json_paths(v, (*prefix, k))
    elif isinstance(obj, list) and obj and isinstance(obj[0], dict) and len(prefix) < 2:
        out += _json_paths(obj[0], (*prefix, 0))
    return out


def _set(obj, path, value, delete=False):
    for k in path[:-1]:
        obj = obj[k]
    if delete:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value


def _write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, allow_nan=True))


def file_damages(path: Path) -> list[tuple[str, Callable[[Path], None]]]:
    """The family of damages for one file, from its kind and (for JSON, YAML, CSV and arrays) its content."""
    damages = [
        ("truncated", lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2])),
        ("empty", lambda p: p.write_bytes(b"")),
        ("removed", lambda p: p.unlink()),
        ("a folder in its place", lambda p: (p.unlink(), p.mkdir())),
        ("garbage", lambda p: p.write_bytes(bytes(range(256)) * 4)),
    ]
    suffix = path.suffix
    if suffix == ".json":
        doc = json.loads(path.read_text())
        damages.append(("a list, not a mapping", lambda p: p.write_text("[1, 2]")))
        damages.append(("NaN token", lambda p: p.write_text(p.read_text().replace("{", '{"zz_nan": NaN, ', 1))))
        damages.append(("a duplicated key", lambda p: p.write_text(p.read_text().replace("{", '{"' + next(iter(doc), "a") + '": 7, ', 1))
                        if isinstance(doc, dict) else None))
        damages.append(("an unknown key", lambda p: _write_json(p, {**json.loads(p.read_text()), "zz_unknown": 1})
                        if isinstance(doc, dict) else None))
        for key_path in _json_paths(doc):
            damages.append((f"key {'.'.join(map(str, key_path))} removed", lambda p, kp=key_path: _edit(p, kp, None, True)))
            for value in WRONG_VALUES:
                damages.append((f"key {'.'.join(map(str, key_path))} = {value!r}", lambda p, kp=key_path, v=value: _edit(p, kp, v)))
    elif suffix == ".yaml":
        damages += [
            ("YAML alias bomb", lambda p: p.write_text('a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
                                                        'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n'
                                                        'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n'
                                                        'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n' + p.read_text())),
            ("a duplicated key", lambda p: p.write_text(p.read_text() + "steps: 8\n")),
            ("a list, not a mapping", lambda p: p.write_text("- 1\n- 2\n")),
            ("tabs", lambda p: p.write_text("\tname: s\n")),
        ]
        import yaml

        doc = yaml.safe_load(path.read_text())
        for key in doc:
            damages.append((f"key {key} removed", lambda p, k=key: _edit_yaml(p, k, None, True)))
            for value in [*WRONG_VALUES, float("nan"), float("inf"), -(2**70)]:
                damages.append((f"key {key} = {value!r}", lambda p, k=key, v=value: _edit_yaml(p, k, v)))
    elif suffix == ".csv":
        damages += [
            ("a row twice", lambda p: p.write_text(p.read_text() + p.read_text().splitlines()[1] + "\n")),
            ("a column removed", lambda p: _edit_csv(p, lambda df: df.drop(columns=df.columns[3]))),
            ("text in a numeric column", lambda p: _edit_csv(p, lambda df: df.assign(value="x"))),
            ("NaN and inf values", lambda p: _edit_csv(p, lambda df: df.assign(value=[float("nan"), float("inf")] * (len(df) // 2) + [0.0] * (len(df) % 2)))),
            ("an unknown status", lambda p: _edit_csv(p, lambda df: df.assign(status="exploded"))),
            ("header only", lambda p: p.write_text(p.read_text().splitlines()[0] + "\n")),
        ]
    elif suffix == ".npz":
        damages += [
            ("float NaN", lambda p: np.savez(p, samples=np.full((8, 1, 28, 28), np.nan, np.float32))),
            ("floats above 255", lambda p: np.savez(p, samples=np.full((8, 1, 28, 28), 1e6, np.float32))),
            ("a string array", lambda p: np.savez(p, samples=np.array(["a", "b"]))),
            ("one sample", lambda p: np.savez(p, samples=np.zeros((1, 1, 28, 28), np.uint8))),
            ("5 channels", lambda p: np.savez(p, samples=np.zeros((8, 5, 28, 28), np.uint8))),
            ("points, not images", lambda p: np.savez(p, samples=np.zeros((8, 2), np.float32))),
            ("two arrays, neither named samples", lambda p: np.savez(p, a=np.zeros((8, 28, 28), np.uint8), b=np.zeros((8, 28, 28), np.uint8))),
            ("an object array", lambda p: np.save(open(p, "wb"), np.array([{"a": 1}], dtype=object), allow_pickle=True)),
        ]
    elif suffix == ".ckpt":
        damages += [("a tensor of another shape", _reshape_a_tensor), ("no state_dict", lambda p: _torch_edit(p, lambda c: c.pop("state_dict"))),
                    ("counts removed", lambda p: _torch_edit(p, lambda c: c.pop("counts", None)))]
    return [(name, f) for name, f in damages]


def _edit(path: Path, key_path, value, delete=False):
    doc = json.loads(path.read_text())
    _set(doc, key_path, value, delete)
    _write_json(path, doc)


def _edit_yaml(path: Path, key, value, delete=False):
    import yaml

    doc = yaml.safe_load(path.read_text())
    if delete:
        doc.pop(key)
    else:
        doc[key] = value
    path.write_text(yaml.safe_dump(doc))


def _edit_csv(path: Path, change):
    import pandas as pd

    change(pd.read_csv(path)).to_csv(path, index=False)


def _torch_edit(path: Path, change):
    import torch

    c = torch.load(path, map_location="cpu", weights_only=True)
    change(c)
    torch.save(c, path)


def _reshape_a_tensor(path: Path):
    import torch

    def change(c):
        key = next(iter(c["state_dict"]))
        c["state_dict"][key] = torch.zeros(3, 3)
    _torch_edit(path, change)


# --- the targets: a file and the commands that read it -------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    file: str  # relative to the artifacts folder
    command: tuple  # argv; {A} is the artifacts copy, {W} an empty work folder
    writes: tuple = ()  # files the command may change, relative to the artifacts copy
    env: tuple = ()  # (name, value) set while it runs; {A} as in command


TARGETS = [
    *[Target(f"run/{f}", ("eval", "{A}/run"), writes=("run/metrics.json",)) for f in ("config.json", "metrics.json", "last.ckpt", "data.json")],
    *[Target(f"run/{f}", ("sample", "{A}/run", "--n", "4", "--out", "{W}/samples")) for f in ("config.json", "last.ckpt")],
    *[Target(f"image_run/{f}", ("eval", "{A}/image_run", "--checkpoint", "best", "--n", "50", "--quiet"), writes=("image_run/metrics.json",))
      for f in ("config.json", "metrics.json", "best.ckpt", "data.json")],
    *[Target(f"image_run/{f}", ("score", "{A}/image_run", "--against", "mnist5k", "--extractor", "lenet-mnist", "--n", "50"))
      for f in ("config.json", "last.ckpt")],
    *[Target(f"study/{f}", command) for f in ("spec.json", "optuna.journal")
      for command in (("sweep", "status", "{A}/study"), ("report", "{A}/study", "--out", "{W}/report"))],
    *[Target(f"kept/{f}", ("report", "{A}/kept", "--out", "{W}/report")) for f in ("trials.csv", "meta.json", "spec.json")],
    *[Target(f"study/{f}", ("sweep", "resume", "{A}/study"), writes=("study/optuna.journal", "study/trials"))
      for f in ("spec.json", "optuna.journal")],
    # an interrupted run's working folder, resumed by the same train command (a finished run's files with the marker)
    *[Target(f"half.partial/{f}", ("train", "--variant", "ns_gan", "--dataset", "ring8", "--steps", "4", "--out", "{A}/half", "--quiet"),
             writes=("half.partial", "half")) for f in ("config.json", "last.ckpt", "data.json")],
    # FID's Inception as `ganbench weights fetch` prepared it (a copy under the artifacts, named by GANBENCH_WEIGHTS)
    *[Target(f"weights/{f}", command, writes=("image_run/metrics.json",), env=(("GANBENCH_WEIGHTS", "{A}/weights"),))
      for f in ("inception-v3-compat.json", "inception-v3-compat.pth", "default_1.pt")
      for command in (("weights",), ("eval", "{A}/image_run", "--extractor", "inception-v3-compat", "--n", "20", "--quiet"))],
    Target("spec.yaml", ("spec", "{A}/spec.yaml")),
    Target("spec.yaml", ("sweep", "plan", "{A}/spec.yaml")),
    Target("gpu_check.json", ("sweep", "plan", "{A}/spec.yaml", "--gpu-check", "{A}/gpu_check.json")),
    Target("samples.npz", ("score", "{A}/samples.npz", "--against", "mnist5k", "--extractor", "lenet-mnist", "--n", "50")),
]


# Failure classes the long run found and that are not fixed yet (issue 49's note lists them): `make fuzz` still runs
# and reports them; the bounded share in `make test` leaves them out so that it fails on a new class, not at random
# on a known one. Each is (file, what the damage's name starts with); remove a line when its class is fixed.
KNOWN_OPEN: list[tuple[str, str]] = []


def known_open(target: Target, name: str) -> bool:
    return any(target.file == f and name.startswith(prefix) for f, prefix in KNOWN_OPEN)


def cases(artifacts: Path) -> list[tuple[Target, str, Callable]]:
    out = []
    for target in TARGETS:
        path = artifacts / target.file
        if path.is_file():
            out += [(target, name, damage) for name, damage in file_damages(path)]
    return out


# --- the contract --------------------------------------------------------------------------------------------------

def _digest(folder: Path, skip: set) -> dict:
    """Every file's hash but those the command may write (``skip``: files, or folders and all they hold)."""
    def written(rel: str) -> bool:
        return any(rel == w or rel.startswith(w + "/") for w in skip)
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file() and not written(str(p.relative_to(folder)))}


def _partials(*roots: Path) -> set:
    return {str(p) for root in roots for p in root.rglob("*.partial")}


def run_case(artifacts: Path, target: Target, damage: Callable) -> str | None:
    """One case on a fresh copy of the artifacts: None when the contract holds, else what broke it."""
    from ganbench.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        copy, work = Path(tmp) / "a", Path(tmp) / "w"
        # the weights (180 MB) only where they are the target: every case copying them would double the long run
        shutil.copytree(artifacts, copy, ignore=None if target.file.startswith("weights/") else shutil.ignore_patterns("weights"))
        work.mkdir()
        damage(copy / target.file)
        before, partials_before = _digest(copy, set(target.writes)), _partials(copy, work)
        argv = [a.replace("{A}", str(copy)).replace("{W}", str(work)) for a in target.command]
        env = {k: v.replace("{A}", str(copy)) for k, v in target.env}
        err, out = io.StringIO(), io.StringIO()
        saved = {k: os.environ.get(k) for k in env}
        try:
            os.environ.update(env)
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                rc = main(argv)
        except SystemExit as e:  # argparse
            rc = e.code
        except BaseException as e:  # noqa: BLE001 - the contract: nothing escapes as a traceback
            return f"traceback: {type(e).__name__}: {str(e)[:200]}"
        finally:
            for k, v in saved.items():
                os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
        lines = err.getvalue().strip().splitlines()
        if rc not in (0, 2):
            return f"exit {rc}: {err.getvalue()[-300:]}"
        if rc == 2 and (len(lines) != 1 or ": error: " not in lines[0] or ":" not in lines[0].split(": error: ", 1)[1]):
            return f"exit 2 without one line naming a field: {err.getvalue()[-300:]!r}"
        left = sorted(_partials(copy, work) - partials_before)  # an interrupted run's folder given to it may stay
        if left:
            return f"half-written: {left[0]}"
        after = _digest(copy, set(target.writes))
        changed = sorted(k for k in before if before.get(k) != after.get(k))
        if changed:
            return f"changed a file it reads: {changed[0]}"
    return None


def main(argv=None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python tests/fuzz.py", description="Every damage to every file ganbench reads, "
                                "each run through the commands that read it; exit 1 if any breaks the contract.")
    p.add_argument("--file", default="", help="only the files whose path contains this (e.g. study/spec.json)")
    p.add_argument("--damage", default="", help="only the damages whose name starts with this (e.g. 'key status')")
    p.add_argument("--known-open", action="store_true", help="only the classes listed in KNOWN_OPEN")
    p.add_argument("--shard", default="0/1", help="K/N: every N-th case from the K-th (run N processes, one a core)")
    args = p.parse_args(argv)
    shard, shards = map(int, args.shard.split("/"))
    os.environ.setdefault("GANBENCH_CACHE", "")
    with tempfile.TemporaryDirectory() as tmp:
        artifacts = make_artifacts(Path(tmp))
        all_cases = [(t, n, d) for t, n, d in cases(artifacts) if args.file in t.file and n.startswith(args.damage)
                     and (known_open(t, n) or not args.known_open)][shard::shards]
        failures = []
        for i, (target, name, damage) in enumerate(all_cases, 1):
            problem = run_case(artifacts, target, damage)
            if problem:
                failures.append(f"{' '.join(target.command[:2])} with {target.file} ({name}): {problem}")
                print(failures[-1], flush=True)
            if i % 50 == 0:
                print(f"[{i}/{len(all_cases)} cases, {len(failures)} failures]", file=sys.stderr, flush=True)
    print(f"{len(all_cases)} cases, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
