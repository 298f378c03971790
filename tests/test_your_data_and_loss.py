"""Your own data (folder:PATH, npz:PATH) and your own loss (package.module:function, or an entry point), as a
user brings them: image files on disk, an installed package, a sweep over both."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganbench.benchmark.data import get_dataset, load_split

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """60 real digits (mnist5k) written as PNG files, some in a sub-folder."""
    root = tmp_path_factory.mktemp("digits")
    (root / "more").mkdir()
    for i, image in enumerate(load_split("mnist5k", "train").tensor[:60]):
        Image.fromarray(image[0].numpy()).save(root / ("more" if i % 3 == 0 else ".") / f"{i:03d}.png")
    return root


def test_a_folder_of_images_is_a_data_set_with_a_fixed_held_out_split(digits):
    info = get_dataset(f"folder:{digits}")
    assert info.shape == (1, 28, 28) and info.fingerprint
    train, test = load_split(f"folder:{digits}", "train").tensor, load_split(f"folder:{digits}", "test").tensor
    assert (len(train), len(test)) == (54, 6) and train.dtype == torch.uint8
    assert torch.equal(test, load_split(f"folder:{digits}", "test").tensor)  # the same split every time
    all_digits = load_split("mnist5k", "train").tensor[:60]
    assert sorted(x.sum().item() for x in torch.cat([train, test])) == sorted(x.sum().item() for x in all_digits)


def test_a_folder_of_mixed_sizes_takes_a_size(tmp_path):
    for i, (w, h) in enumerate([(40, 30), (64, 64), (30, 50), (33, 33)]):
        Image.new("RGB", (w, h), (10 * i, 100, 200)).save(tmp_path / f"{i}.jpg")
    info = get_dataset(f"folder:{tmp_path}?size=16")
    assert info.shape == (3, 16, 16)
    x = torch.cat([load_split(info.name, s).tensor for s in ("train", "test")])
    assert x.shape == (4, 3, 16, 16) and x[:, 2].float().mean().round() == 200


def test_an_npz_of_points_trains_and_is_scored_against_its_test_split(run, tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "points.npz", train=rng.normal(size=(2000, 2)).astype("f4"), test=rng.normal(size=(500, 2)).astype("f4"))
    metrics, out = run(variant="ns_gan", dataset=f"npz:{tmp_path / 'points.npz'}", steps=50)
    assert metrics["status"] == "finished" and 0 < metrics["sliced_w1"] < 5
    assert json.loads((out / "config.json").read_text())["dataset"] == f"npz:{tmp_path / 'points.npz'}"


def test_sliced_w1_of_a_shifted_copy_is_the_shift_in_one_dimension():
    from ganbench.benchmark.metrics.points import sliced_w1

    x = torch.randn(1000, 1, dtype=torch.float64)
    assert sliced_w1(x, x) == 0 and sliced_w1(x, x + 0.5) == pytest.approx(0.5, abs=1e-12)


def test_an_npz_of_images_in_any_channel_order(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(10, 32, 32, 3), dtype=np.uint8)
    np.savez(tmp_path / "last.npz", train=images, test=images[:3])
    np.savez(tmp_path / "first.npz", train=images.transpose(0, 3, 1, 2), test=images[:3].transpose(0, 3, 1, 2))
    a, b = (load_split(f"npz:{tmp_path / n}", "train").tensor for n in ("last.npz", "first.npz"))
    assert a.shape == (10, 3, 32, 32) and torch.equal(a, b)


def _bad_folder(kind: str, root: Path) -> str:
    root.mkdir()
    if kind == "empty":
        return f"folder:{root}"
    Image.new("L", (28, 28)).save(root / "a.png")
    if kind == "unreadable":
        (root / "b.png").write_bytes(b"not an image")
    if kind == "mixed":
        Image.new("L", (32, 32)).save(root / "b.png")
    if kind == "bad size":
        Image.new("L", (28, 28)).save(root / "b.png")
        return f"folder:{root}?size=big"
    return f"folder:{root}"


@pytest.mark.parametrize("kind,says", [("empty", "holds 0 images"), ("unreadable", "b.png is not a readable image"),
                                       ("mixed", "different sizes (28x28, 32x32"), ("bad size", "size 'big'")])
def test_bad_folders_exit_2_with_one_line(ganbench, tmp_path, kind, says):
    name = _bad_folder(kind, tmp_path / "data")
    r = ganbench("train", "--variant", "ns_gan", "--dataset", name, "--steps", 2, "--out", tmp_path / "out")
    assert r.returncode == 2 and r.stderr.startswith("ganbench train: error: dataset:") and says in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1 and not (tmp_path / "out").exists()


@pytest.mark.parametrize("name,says", [("no_such_module:f", "cannot import"), ("ganbench.benchmark.losses:nothing", "cannot import"),
                                       ("ganbench.benchmark.losses:GENERATOR_LOSSES", "not a function defined in"),
                                       ("torch.nn.functional:relu", "failed on discriminator outputs")])
def test_a_loss_that_cannot_be_used_exits_2(ganbench, tmp_path, name, says):
    from ganbench.benchmark.variants import VARIANTS

    r = ganbench("train", "--variant", name, "--dataset", "ring8", "--steps", 2, "--out", tmp_path / "out")
    assert r.returncode == 2 and r.stderr.startswith("ganbench train: error: variant:") and says in r.stderr, r.stderr
    assert name not in VARIANTS  # not registered: the process lists no loss that failed


@pytest.mark.slow(seconds=50)
def test_an_installed_loss_and_a_folder_run_in_a_sweep(tmp_path, digits):
    """examples/my_loss installed with pip (into a folder on PYTHONPATH, not the project's environment), then a
    sweep naming it both ways, on the ring and on a folder of images. Ten steps and 500 generated samples an FID:
    what is checked is that each trial runs and is scored, not how well."""
    site = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(site),
                          str(REPO / "examples" / "my_loss")], capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr
    env = {**os.environ, "PYTHONPATH": str(site), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    listed = subprocess.run(["ganbench", "variants"], capture_output=True, text=True, env=env)
    assert "my_hinge" in listed.stdout.split()
    spec = (REPO / "examples" / "my_loss" / "sweep.yaml").read_text()
    spec = spec.replace("variants: [my_loss:hinge, my_hinge, ns_gan]", "variants: [my_loss:hinge, my_hinge]")
    spec = spec.replace("datasets: [ring8]", f"datasets: [ring8, 'folder:{digits}']\nextractor: lenet-mnist\neval_every: 0\nn_fake: 500")
    spec = spec.replace("budget: {settings: 2}", "budget: {settings: 1}").replace("steps: 2000", "steps: 10")
    (tmp_path / "sweep.yaml").write_text(spec)
    r = subprocess.run(["ganbench", "sweep", "run", str(tmp_path / "sweep.yaml"), "--dir", str(tmp_path / "study")],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    status = json.loads(subprocess.run(["ganbench", "sweep", "status", str(tmp_path / "study"), "--json"], capture_output=True,
                                       text=True, env=env).stdout)["studies"]
    assert {(s["variant"], s["dataset"].split(":")[0]) for s in status} == {(v, d) for v in ("my_loss:hinge", "my_hinge") for d in ("ring8", "folder")}
    assert all(s["finished"] == 1 and s["best"] is not None for s in status), status
    folder_runs = list((tmp_path / "study" / "trials").glob("*/digits*/0/metrics.json"))
    assert len(folder_runs) == 2 and all(json.loads(p.read_text())["fid_min"] > 0 for p in folder_runs)


@pytest.mark.slow(seconds=30)
def test_eval_refuses_a_folder_whose_images_changed_since_training_and_takes_a_touched_copy(tmp_path):
    """A run records what it read (data.json: the files' fingerprint and a hash of its training split). One image
    redrawn after training: `eval` refuses in one line rather than score against other data. The same images with
    new modification times (a copy): the content is compared, and eval scores."""
    folder = tmp_path / "digits"
    folder.mkdir()
    digits = load_split("mnist5k", "train").tensor[:80]
    for i, image in enumerate(digits):
        Image.fromarray(image[0].numpy()).save(folder / f"{i:02d}.png")
    cli = [sys.executable, "-m", "ganbench.cli"]
    run = tmp_path / "run"
    trained = subprocess.run([*cli, "train", "--variant", "ns_gan", "--dataset", f"folder:{folder}", "--arch", "conv_small",
                              "--steps", "2", "--batch-size", "8", "--out", str(run), "--quiet"], capture_output=True, text=True)
    assert trained.returncode == 0, trained.stderr
    assert json.loads((run / "data.json").read_text())["files"]
    score = [*cli, "eval", str(run), "--extractor", "lenet-mnist", "--n", "16", "--quiet"]
    for path in folder.iterdir():  # new times, same pixels
        os.utime(path, ns=(path.stat().st_atime_ns + 10**9, path.stat().st_mtime_ns + 10**9))
    assert subprocess.run(score, capture_output=True, text=True).returncode == 0
    redrawn = [p for p in sorted(folder.iterdir())][5]
    Image.fromarray(255 - digits[5][0].numpy()).save(redrawn)
    done = subprocess.run(score, capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "is not the data" in done.stderr, done.stderr


def test_a_folder_too_small_to_score_is_refused_before_training_and_at_eval(tmp_path, ganbench):
    """20 images hold out 2: too few for density/coverage's 5 neighbours. Scored during training: refused before any
    work; scored by eval: refused in one line (a traceback from the neighbour search, before)."""
    folder = tmp_path / "few"
    folder.mkdir()
    for i, image in enumerate(load_split("mnist5k", "train").tensor[:20]):
        Image.fromarray(image[0].numpy()).save(folder / f"{i:02d}.png")
    common = ["train", "--variant", "ns_gan", "--dataset", f"folder:{folder}", "--arch", "conv_small", "--steps", "1",
              "--extractor", "lenet-mnist", "--quiet"]
    scored = ganbench(*common, "--eval-every", "0", "--out", tmp_path / "a")
    assert scored.returncode == 2 and "n_real: 2 samples a side" in scored.stderr and not (tmp_path / "a").exists()
    assert ganbench(*common, "--out", tmp_path / "b").returncode == 0
    late = ganbench("eval", tmp_path / "b", "--extractor", "lenet-mnist", "--quiet")
    assert late.returncode == 2 and late.stderr.count("\n") == 1 and "n_real:" in late.stderr, late.stderr


@pytest.mark.parametrize("body,says", [
    ("z = torch.zeros(())\n    return z, z", "d_loss must be a finite tensor computed from"),
    ("return (d_real.mean() - d_fake.mean()) * float('nan'), -d_fake.mean()", "is not finite"),
    ("return d_real.mean() - d_fake.mean(), d_real.mean() * 0 + d_real.sum()", "g_loss does not depend on d_fake"),
    ("return d_fake.mean(), torch.zeros(())", "g_loss must be a finite tensor"),
])
def test_a_loss_that_cannot_train_is_refused_when_named(tmp_path, monkeypatch, ganbench, body, says):
    """A user's loss without a gradient to one of the players, or not finite, is refused in one line when the command
    names it (it failed at the first backward pass inside Lightning, with a traceback, before)."""
    name = f"badloss_{abs(hash(body))}"  # a module name per case: an imported module stays in sys.modules
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text(f"import torch\n\n\ndef loss(d_real, d_fake):\n    {body}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    r = ganbench("train", "--variant", f"{name}:loss", "--dataset", "ring8", "--steps", "2", "--out", tmp_path / "o", "--quiet")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and says in r.stderr, r.stderr
    assert not (tmp_path / "o").exists()
