"""`ganbench score`: samples from anywhere scored with ganbench's extractors. A folder and an .npz of the same images
give the same numbers, which are those of the metric code on the same features; a run scored here equals `eval`;
Inception's resize modes give different FIDs and say which ran; bad input is one line and exit 2."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from ganbench.benchmark.data import load_split

N = 120


def ganbench(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "ganbench.cli", *map(str, args)], capture_output=True, text=True, timeout=600, cwd=cwd)


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """The first N mnist5k training digits, a little noised (so not the test split), as a folder of PNGs and an .npz."""
    root = tmp_path_factory.mktemp("digits")
    g = torch.Generator().manual_seed(0)
    x = load_split("mnist5k", "train").tensor[:N].float()
    x = (x + 40 * torch.rand(x.shape, generator=g)).clamp(0, 255).to(torch.uint8)
    (root / "png").mkdir()
    for i, image in enumerate(x):
        Image.fromarray(image[0].numpy()).save(root / "png" / f"{i:04d}.png")
    np.savez(root / "digits.npz", samples=x.numpy())
    return root, x


@pytest.mark.slow(seconds=20)
def test_a_folder_and_an_npz_of_the_same_images_score_alike_and_as_the_metric_code_does(digits):
    from ganbench.benchmark.metrics.fidelity import Extractor, metrics_from_features, real_features
    from ganbench.benchmark.metrics.score import features

    root, x = digits
    a, b = (ganbench("score", root / src, "--against", "mnist5k") for src in ("png", "digits.npz"))
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    ra, rb = json.loads(a.stdout), json.loads(b.stdout)
    assert ra["extractor"] == "lenet-mnist" and ra["resize"] == "legacy_tensorflow" and ra["n_samples"] == N
    for metric in ("fid", "kid", "precision", "recall", "density", "coverage"):
        assert ra[metric] == rb[metric], metric
    ext = Extractor("lenet-mnist", None)
    direct = metrics_from_features(features(x, ext, "legacy_tensorflow"), real_features("mnist5k", "test", ra["n_reference"], ext),
                                   "fc1", kid=True, prc=True)
    assert ra["fid"] == pytest.approx(direct["fid"], rel=1e-9) and ra["coverage"] == pytest.approx(direct["coverage"], rel=1e-9)


@pytest.mark.slow(seconds=30)
def test_a_run_scored_equals_its_eval(tmp_path):
    run = tmp_path / "run"
    r = ganbench("train", "--variant", "ns_gan", "--dataset", "mnist5k", "--arch", "conv_small", "--steps", 5, "--n-fake", 100,
                 "--n-real", 100, "--out", run, "--quiet")
    assert r.returncode == 0, r.stderr
    scored, evaluated = ganbench("score", run, "--against", "mnist5k"), ganbench("eval", run, "--quiet")
    assert scored.returncode == 0 and evaluated.returncode == 0, scored.stderr + evaluated.stderr
    s, e = json.loads(scored.stdout), json.loads(evaluated.stdout)
    assert s["fid"] == e["fid"] and s["kid"] == e["kid"] and s["n_samples"] == 100


@pytest.mark.slow(seconds=60)
def test_inceptions_resize_modes_differ_and_are_recorded(digits, tmp_path):
    from ganbench.benchmark.metrics.weights import WeightsMissing, extractor_weights

    try:
        extractor_weights("inception-v3-compat")
    except WeightsMissing:
        pytest.skip("Inception's weights are absent: ganbench weights fetch inception-v3-compat")
    root, _ = digits
    fids = {}
    for mode in ("legacy_tensorflow", "legacy_pytorch", "clean"):
        r = ganbench("score", root / "digits.npz", "--against", root / "png", "--extractor", "inception-v3-compat", "--resize", mode,
                     "--n", 10, "--nearest-k", 3, "--out", tmp_path / f"{mode}.json")
        assert r.returncode == 0, r.stderr
        kept = json.loads((tmp_path / f"{mode}.json").read_text())
        assert kept["resize"] == mode and kept == json.loads(r.stdout)
        fids[mode] = kept["fid"]
    assert fids["legacy_tensorflow"] < 1e-6  # the same images on both sides
    assert len({round(v, 6) for v in fids.values()}) >= 2


@pytest.mark.parametrize("args, says", [
    (["{root}/nothing", "--against", "mnist5k"], "samples: no folder or file at"),
    (["{root}/floats.npy", "--against", "mnist5k"], "samples: {root}/floats.npy:floats.npy holds floats in [0, "),
    (["{root}/png", "--against", "mnist5k", "--resize", "clean"], "resize: 'clean' is a mode of Inception's input"),
    (["{root}/two", "--against", "mnist5k"], "samples: 2 images"),
    (["{root}/png", "--against", "mnist5k", "--n", "1"], "n: 1 is not allowed"),
    (["{root}/png", "--against", "mnist5k", "--extractor", "nope"], "extractor: unknown 'nope'"),
])
def test_bad_input_is_one_line_and_exit_2(digits, args, says):
    root, x = digits
    np.save(root / "floats.npy", x.float().numpy() * 2)  # floats above 255: no row of the decoding table
    (root / "two").mkdir(exist_ok=True)
    for i in range(2):
        Image.fromarray(x[i, 0].numpy()).save(root / "two" / f"{i}.png")
    r = ganbench("score", *[a.format(root=root) for a in args])
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert says.format(root=root) in r.stderr


@pytest.mark.slow(seconds=25)
def test_scored_samples_enter_a_report_beside_the_studys_arms(digits, tmp_path):
    """A sample set scored against mnist5k sits beside the demo's arms in its report, labelled external with its
    source; where it was scored on fewer samples than the arms, the report says so instead of comparing."""
    import pandas as pd

    from pathlib import Path

    root, _ = digits
    demo = Path(__file__).resolve().parents[1] / "results" / "demo"
    r = ganbench("score", root / "digits.npz", "--against", "mnist5k", "--out", tmp_path / "mine.json")
    assert r.returncode == 0, r.stderr
    r = ganbench("report", demo, "--out", tmp_path / "report", "--external", tmp_path / "mine.json")
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(tmp_path / "report" / "external.csv")
    mine = table[table["arm"].str.startswith("external: ")].iloc[0]
    assert mine["source"] == str(tmp_path / "mine.json") and mine["fid"] == json.loads((tmp_path / "mine.json").read_text())["fid"]
    arms = table[table["arm"].str.startswith("study: ")]
    assert set(arms["arm"]) == {"study: mm_gan (best trial)", "study: ns_gan (best trial)", "study: vae (best trial)"}
    assert all(c == f"no: samples 1000 vs {N}" for c in arms["comparable"])
    (tmp_path / "bad.json").write_text('{"samples": "x", "against": "mnist5k"}')
    r = ganbench("report", demo, "--out", tmp_path / "r2", "--external", tmp_path / "bad.json")
    assert r.returncode == 2 and "external: " in r.stderr and ": extractor is None" in r.stderr and len(r.stderr.strip().splitlines()) == 1
