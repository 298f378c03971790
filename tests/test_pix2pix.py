"""pix2pix (Isola et al. 2017): the U-Net's skips, the PatchGAN's receptive fields, the cGAN + L1 objective, the
paired data sets (offline ones and the authors' archive layout), and a short run that learns."""
import io
import json
import math
import tarfile

import numpy as np
import pytest
import torch

from ganbench.benchmark.conditional.nets import Translator, patch_discriminator, receptive_field
from ganbench.benchmark.losses.translation import l1_weight_of, pix2pix_discriminator_loss, pix2pix_generator_loss


def _trace(net: Translator, x: torch.Tensor):
    """Every encoder layer's output and every decoder layer's input and output."""
    enc, dec_in, dec_out = [], [], []
    hooks = [m.register_forward_hook(lambda m, i, o: enc.append(o)) for m in net.encoder]
    def record(module, inputs, output):  # a hook that returns something replaces the output: return nothing
        dec_in.append(inputs[0])
        dec_out.append(output)

    hooks += [m.register_forward_hook(record) for m in net.decoder]
    net(x)
    for h in hooks:
        h.remove()
    return enc, dec_in, dec_out


def test_unet_concatenates_encoder_layer_n_minus_i_onto_decoder_layer_i():
    torch.manual_seed(0)
    net = Translator(1, 1, 32, ngf=8).eval()
    enc, dec_in, dec_out = _trace(net, torch.randn(2, 1, 32, 32))
    n = len(enc)
    assert n == 5 and [e.shape[1:] for e in enc] == [(8, 16, 16), (16, 8, 8), (32, 4, 4), (64, 2, 2), (64, 1, 1)]
    assert torch.equal(dec_in[0], enc[n - 1])  # the bottleneck
    for i in range(1, n):  # decoder layer i+1 (1-based) reads decoder layer i's output beside encoder layer n - i
        assert torch.equal(dec_in[i], torch.cat([dec_out[i - 1], enc[n - 1 - i]], 1)), i
    assert dec_out[-1].shape == (2, 1, 32, 32) and dec_out[-1].abs().max() <= 1


def test_encoder_decoder_has_no_skips():
    torch.manual_seed(0)
    net = Translator(1, 1, 32, ngf=8, skips=False).eval()
    enc, dec_in, dec_out = _trace(net, torch.randn(2, 1, 32, 32))
    for i in range(1, len(enc)):
        assert torch.equal(dec_in[i], dec_out[i - 1])
    unet = Translator(1, 1, 32, ngf=8)
    assert sum(p.numel() for p in net.parameters()) < sum(p.numel() for p in unet.parameters())


@pytest.mark.parametrize("patch,size,nominal", [("1", 256, 1), ("16", 256, 16), ("70", 256, 70), ("16", 32, 7), ("70", 32, 16), ("70", 64, 34)])
def test_patchgan_receptive_field_is_its_nominal_patch(patch, size, nominal):
    """From the layers (1 + sum (k - 1) prod strides), and measured: the input pixels one central output's gradient
    reaches span exactly the receptive field."""
    net = patch_discriminator(2, patch, size, ndf=4)
    assert receptive_field(net) == nominal
    if size > 64:
        return
    torch.manual_seed(0)
    net.eval()
    x = torch.randn(1, 2, size, size, requires_grad=True)
    out = net(x)
    r, c = out.shape[2] // 2, out.shape[3] // 2
    out[0, 0, r, c].backward()
    rows, cols = np.nonzero(x.grad[0].abs().sum(0).numpy())
    assert rows.max() - rows.min() + 1 == nominal and cols.max() - cols.min() + 1 == nominal


def test_image_discriminator_judges_the_whole_image_once():
    net = patch_discriminator(2, "image", 32, ndf=4)
    assert net(torch.randn(3, 2, 32, 32)).shape == (3, 1, 1, 1) and receptive_field(net) >= 32


def test_pix2pix_objective_by_hand():
    """Eq. 4 with D's objective halved (section 3.3): logits 0 everywhere give D loss (log 2 + log 2) / 2 = log 2;
    G's loss is -log D(x, G(x)) = log 2 plus lambda * mean |y - G(x)| = 100 * 0.5."""
    zeros = torch.zeros(2, 1, 4, 4)
    assert pix2pix_discriminator_loss(zeros, zeros).item() == pytest.approx(math.log(2))
    fake, target = torch.zeros(2, 1, 8, 8), torch.full((2, 1, 8, 8), 0.5)
    assert pix2pix_generator_loss(zeros, fake, target, 100.0).item() == pytest.approx(math.log(2) + 50)
    assert pix2pix_generator_loss(None, fake, target, 100.0).item() == pytest.approx(50)  # L1 alone: no discriminator
    assert [l1_weight_of(loss, 100.0) for loss in ("l1", "gan", "cgan", "l1_gan", "l1_cgan")] == [100, 0, 0, 100, 100]


def test_cgan_discriminator_sees_input_and_output_gan_the_output_alone():
    from ganbench.benchmark.module import build_module
    from ganbench.benchmark.config import resolve_config

    seen = {}
    for variant in ("pix2pix", "pix2pix_l1_gan", "pix2pix_l1"):
        config = resolve_config(variant=variant, dataset="edges2digits", steps=1, ngf=4)
        module = build_module(config, (1, 32, 32))
        if module.discriminator is None:
            seen[variant] = None
            continue
        first = next(m for m in module.discriminator.modules() if isinstance(m, torch.nn.Conv2d))
        x, y = torch.zeros(2, 1, 32, 32), torch.ones(2, 1, 32, 32)
        calls = []
        hook = first.register_forward_hook(lambda m, i, o: calls.append(i[0]))
        module.judge(x, y)
        hook.remove()
        seen[variant] = first.in_channels
        assert torch.equal(calls[0], torch.cat([x, y], 1) if variant == "pix2pix" else y)
    assert seen == {"pix2pix": 2, "pix2pix_l1_gan": 1, "pix2pix_l1": None}


def test_edges2digits_pairs_are_aligned_deterministic_and_split():
    from ganbench.benchmark.data import load_split
    from ganbench.benchmark.data.paired import sobel_edges

    train, test, again = load_split("edges2digits", "train"), load_split("edges2digits", "test"), load_split("edges2digits", "train")
    digits = load_split("mnist5k", "train")
    assert train.tensor.shape == train.inputs.shape == (4000, 1, 32, 32) and len(test) == 1000
    assert torch.equal(train.tensor[:, :, 2:30, 2:30], digits.tensor) and torch.equal(train.labels, digits.labels)
    assert torch.equal(train.inputs, sobel_edges(train.tensor)) and torch.equal(train.inputs, again.inputs)
    assert set(train.inputs.unique().tolist()) == {0, 255} and 0.05 < (train.inputs > 0).float().mean() < 0.5
    train_keys = {t.numpy().tobytes() for t in train.tensor}
    assert not any(t.numpy().tobytes() in train_keys for t in test.tensor)  # no test digit seen in training
    holes = load_split("inpaint_digits", "test")
    assert torch.equal(holes.tensor, test.tensor) and (holes.inputs == 128).flatten(1).sum(1).min() == 144


def _archive(tmp_path, name="facades", splits=("train", "val", "test")):
    """A tiny archive in the authors' layout: NAME/{split}/k.jpg, each 2W x W with A left and B right."""
    from PIL import Image

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for split in splits:
            for k in range(2):
                img = np.zeros((32, 64, 3), np.uint8)
                img[:, :32] = 40 + k  # A: dark
                img[:, 32:] = 220  # B: light
                data = io.BytesIO()
                Image.fromarray(img).save(data, format="JPEG", quality=100)
                info = tarfile.TarInfo(f"{name}/{split}/{k + 1}.jpg")
                info.size = len(data.getvalue())
                tar.addfile(info, io.BytesIO(data.getvalue()))
    mirror = tmp_path / "mirror"
    mirror.mkdir(parents=True)
    (mirror / f"{name}.tar.gz").write_bytes(buf.getvalue())
    return mirror


def test_paper_archive_is_downloaded_unpacked_and_split(tmp_path, monkeypatch):
    from ganbench.benchmark.data import load_split

    monkeypatch.setenv("GANBENCH_PIX2PIX_URL", _archive(tmp_path).as_uri())
    root = tmp_path / "data"
    train = load_split("facades", "train", root)
    assert len(train) == 2 and (root / "facades" / "test").is_dir() and not list(root.glob(".*partial"))
    x, y = train.dataset[0]
    assert x.shape == y.shape == (3, 256, 256)
    assert y.mean() < 0.3 < 0.7 < x.mean()  # facades run B -> A: the input is the right half
    assert len(load_split("facades", "test", root)) == 2
    maps = _archive(tmp_path / "m", "maps", splits=("train", "val"))
    monkeypatch.setenv("GANBENCH_PIX2PIX_URL", maps.as_uri())
    a, b = load_split("maps", "test", root).dataset[0]  # no test folder: val is the test split
    assert a.mean() < 0.3 < 0.7 < b.mean()  # maps run A -> B


def test_offline_paper_set_is_one_line_exit_2(ganbench, tmp_path, monkeypatch):
    monkeypatch.setenv("GANBENCH_PIX2PIX_URL", "http://127.0.0.1:9/none")
    r = ganbench("train", "--variant", "pix2pix", "--dataset", "maps", "--steps", 2, "--data-root", tmp_path / "data",
                 "--out", tmp_path / "run")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganbench train: error: dataset: maps is not under") and "could not be downloaded" in lines[0]
    assert not (tmp_path / "run").exists() and not list((tmp_path / "data").glob(".*partial"))


@pytest.mark.parametrize("settings,field,allowed", [
    (dict(variant="pix2pix", dataset="mnist5k"), "dataset", "edges2digits"),
    (dict(variant="ns_gan", dataset="edges2digits"), "dataset", "pix2pix"),
    (dict(variant="pix2pix", dataset="edges2digits", patch="3"), "patch", "70"),
    (dict(variant="pix2pix", dataset="edges2digits", loss="l2"), "loss", "l1_cgan"),
    (dict(variant="pix2pix", dataset="edges2digits", l1_weight=-1.0), "l1_weight", ">= 0"),
    (dict(variant="pix2pix", dataset="edges2digits", z_dim=8), "z_dim", "does not take it"),
    (dict(variant="pix2pix", dataset="edges2digits", eval_every=5), "eval_every", "at the end"),
])
def test_bad_pix2pix_settings_name_the_field(settings, field, allowed):
    from ganbench.benchmark.config import ConfigError, resolve_config

    with pytest.raises(ConfigError) as e:
        resolve_config(steps=2, **settings)
    assert str(e.value).startswith(f"{field}:") and allowed in str(e.value)


@pytest.mark.slow
def test_a_short_run_beats_its_untrained_start(run):
    """Two seeds: 150 steps of L1 + cGAN on edges2digits lower L1 and raise the classifier score over the same
    generator untrained (same seed, same held-out pairs)."""
    from ganbench.benchmark.conditional.metrics import translation_metrics
    from ganbench.benchmark.module import build_module
    from ganbench.benchmark.config import resolve_config

    for seed in (0, 1):
        settings = dict(variant="pix2pix", dataset="edges2digits", steps=150, ngf=16, seed=seed, n_fake=300)
        torch.manual_seed(seed)
        untrained = translation_metrics(build_module(resolve_config(**settings), (1, 32, 32)).generator, "edges2digits", "lenet-mnist", 300)
        trained, out = run(**settings)
        assert trained["l1"] < 0.7 * untrained["l1"] and trained["classifier_score"] > untrained["classifier_score"] + 0.3, (untrained, trained)
        assert trained["n_pairs"] == 300 and json.loads((out / "config.json").read_text())["loss"] == "l1_cgan"
        assert (out / "samples.png").is_file()


@pytest.mark.slow
def test_eval_gives_the_recorded_scores_again_and_sample_writes_translations(ganbench, tmp_path):
    run = tmp_path / "run"
    r = ganbench("train", "--variant", "pix2pix_l1_gan", "--dataset", "inpaint_digits", "--steps", 10, "--ngf", 8, "--n-fake", 200,
                 "--out", run, "--quiet")
    assert r.returncode == 0, r.stderr
    recorded = json.loads((run / "metrics.json").read_text())
    r = ganbench("eval", run, "--quiet")
    assert r.returncode == 0, r.stderr
    again = json.loads(r.stdout)
    assert {k: again[k] for k in ("l1", "psnr", "ssim", "fid", "classifier_score")} == {k: recorded[k] for k in ("l1", "psnr", "ssim", "fid", "classifier_score")}
    assert ganbench("sample", run, "--n", 3, "--format", "npz", "--out", tmp_path / "s").returncode == 0
    import numpy as np

    assert np.load(tmp_path / "s" / "samples.npz")["samples"].shape == (3, 1, 32, 32)
