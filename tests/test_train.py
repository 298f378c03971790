"""Every variant trains; three cover the ring; runs are reproducible, resumable and complete."""
import json
import math

import pytest
import torch

from ganbench.benchmark.variants import VARIANTS


@pytest.mark.parametrize("variant", [v for v, x in VARIANTS.items() if x.kind != "pix2pix"])  # pix2pix: paired data only
def test_every_variant_trains_on_ring8(run, variant):
    metrics, out = run(variant=variant, dataset="ring8", steps=100, lr=1e-3, arch="mlp_small")
    assert metrics["status"] == "finished" and metrics["steps"] == 100
    losses = [v for k, v in metrics.items() if k.endswith("loss") or k in ("recon", "kl", "k")]
    assert losses and all(math.isfinite(v) for v in losses)
    assert {p.name for p in out.iterdir()} == {"config.json", "metrics.json", "samples.png", "last.ckpt", "logs", "data.json"}


# The quick ring protocol: the small net at a high learning rate, 1,000 steps, seeds 0, 1 and 2. A loss learns the ring
# when at least two of the three seeds cover 6 of its 8 modes (the median), measured (modes on seeds 0, 1, 2):
# ns_gan 8, 0, 8 (seed 1 is not yet sharp at 1,500 steps; 8 at 3,000), lsgan 8, 8, 8, wgan_gp 7, 8, 8,
# fisher_gan 8, 8, 8, cramer_gan 6, 7, 7, mmd_gan 8, 8, 8. WGAN-GP, Cramér GAN and MMD GAN cover the ring at half that
# length, so they run 500 steps (seeds 0-5: wgan_gp 8, 8, 7, 8, 8, 8; cramer_gan 8, 6, 8, 7, 5, 8, 11-15 CPU-s a seed
# against 30 at 1,000 steps and lambda 10; mmd_gan 7, 8, 7, 7, 8, 8). The two gradient-penalty losses run with
# lambda = 1: with the image default lambda = 10, WGAN-GP collapses on 2-D data at this length and Cramér GAN needs
# 1,000 steps (6, 7, 5, 8, 5, 6 at 500); Gulrajani et al.'s own toy experiments use a small lambda, so the test does
# too. MMD GAN runs with its 2-D defaults (Variant.point_defaults: clip 0.1, no rank term); at the image values it
# covers no mode. Seed sweeps: tests/perf/ring_seeds.py (e.g. `ring_seeds.py cramer_gan steps=500 penalty_weight=1.0`).
QUICK_RING = {"dataset": "ring8", "arch": "mlp_small", "lr": 1e-3, "steps": 1000}
QUICK_RING_SEEDS = (0, 1, 2)
OBJECTIVE_TABLE = ["hinge", "rwgan", "mcgan", "gmmn", "mmd_gan", "cramer_gan", "fisher_gan", "ebgan", "magan"]


@pytest.mark.slow(seconds=25)
@pytest.mark.parametrize("variant,extra", [("ns_gan", {}), ("lsgan", {}), ("wgan_gp", {"penalty_weight": 1.0, "steps": 500}),
                                           ("fisher_gan", {}),
                                           pytest.param("cramer_gan", {"penalty_weight": 1.0, "steps": 500}, marks=pytest.mark.slow(seconds=30)),
                                           pytest.param("mmd_gan", {"steps": 500}, marks=pytest.mark.slow(seconds=35))])
def test_variants_cover_the_ring(run, variant, extra):
    """Each loss learns: the median over three seeds of the quick ring protocol covers at least 6 of the 8 modes.
    Two seeds decide a median of three, so the third trains only when the first two disagree.
    PacGAN's own protocol is tests/test_modes.py's and `make reproduce-pacgan`'s."""
    covered = []
    for seed in QUICK_RING_SEEDS:
        covered.append(run(variant=variant, seed=seed, **{**QUICK_RING, **extra})[0]["modes_covered"])
        if sum(c >= 6 for c in covered) == 2 or sum(c < 6 for c in covered) == 2:
            break
    assert sum(c >= 6 for c in covered) == 2, covered  # the median of the three seeds >= 6


@pytest.mark.slow(seconds=15)
def test_r3gan_covers_every_mode_of_the_ring():
    """R3GAN's recipe (RpGAN + R1 + R2, beta1 0, cosine schedule, EMA generator) at the quick ring protocol cut to 500
    steps covers all 8 modes on at least two of seeds 0-2. Measured: 8 on each of seeds 0-3 at 500 steps and of
    seeds 0-5 at 1,000 (RpGAN alone at 1,000: 6, 0, 8, 8, 6, 8); 4-5 CPU-s a seed."""
    from ganbench.benchmark.config import resolve_config
    from ganbench.benchmark.train import train
    import tempfile

    covered = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in QUICK_RING_SEEDS:
            config = resolve_config(variant="r3gan", seed=seed, **{**QUICK_RING, "steps": 500})
            covered.append(train(config, f"{tmp}/{seed}", progress=False)["modes_covered"])
            if covered.count(8) == 2 or len(covered) - covered.count(8) == 2:
                break
    assert covered.count(8) == 2, covered


@pytest.mark.slow(seconds=45)
def test_hinge_with_spectral_norm_covers_the_ring_on_pacgans_nets(run):
    """Hinge + SN does not learn the small net at the quick protocol's rate (seeds 0-2: 0-1 modes at lr 1e-3 or 2e-4,
    1,000 steps), so it is tested on ring8's own protocol (PacGAN's nets, batch 100, Adam lr 1e-4 and beta1 0.8), cut to
    1,500 steps, seed 0: at least 6 of the 8 modes. Measured modes on seeds 0-3: 8, 6, 6, 5 at 1,500 steps; 4, 3, 8, 6,
    8, 6 on seeds 0-5 at 1,000. ~40 CPU-s on one thread (`tests/perf/ring_seeds.py hinge arch=null lr=null
    steps=1500 spectral_norm=true`: the ring's own protocol, not the quick one)."""
    metrics, _ = run(variant="hinge", dataset="ring8", steps=1500, seed=0, spectral_norm=True)
    assert metrics["modes_covered"] >= 6, metrics


@pytest.mark.slow
@pytest.mark.parametrize("variant", OBJECTIVE_TABLE)
def test_objective_table_variants_train_on_digits(run, variant):
    """A hundred steps of each newer objective on the digits (conv_small, batch 16), a complete run with finite
    losses. Whether they learn is the ring's test above and the kept objective studies (results/); here,
    that each runs on images (the nine: 55 CPU-s at 100 steps against 110 at 200)."""
    metrics, out = run(variant=variant, dataset="mnist5k", steps=100, arch="conv_small", batch_size=16)
    assert metrics["status"] == "finished" and metrics["steps"] == 100
    losses = [v for k, v in metrics.items() if k.endswith("loss")]
    assert losses and all(math.isfinite(v) for v in losses)
    assert {p.name for p in out.iterdir()} == {"config.json", "metrics.json", "samples.png", "last.ckpt", "logs", "data.json"}


@pytest.mark.slow  # over 10 s: make test's tier
def test_same_seed_same_numbers_on_cpu(run):
    """PacGAN's nets (ring8's default: batch norm, maxout, the gradient penalty's double backward), 10 steps of 5
    critic updates: a difference between two runs shows in the first update, and then in every later number."""
    a, out_a = run(variant="wgan_gp", dataset="ring8", steps=10, seed=3)
    b, out_b = run(variant="wgan_gp", dataset="ring8", steps=10, seed=3)
    c, _ = run(variant="wgan_gp", dataset="ring8", steps=10, seed=4)
    assert a["d_loss"] == b["d_loss"] and a["g_loss"] == b["g_loss"]
    assert a["d_loss"] != c["d_loss"]
    wa = torch.load(out_a / "last.ckpt", weights_only=False)["state_dict"]
    wb = torch.load(out_b / "last.ckpt", weights_only=False)["state_dict"]
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_infogan_on_mnist5k_writes_a_complete_run(run):
    metrics, out = run(variant="ns_gan", dataset="mnist5k", steps=5, batch_size=16)
    config = json.loads((out / "config.json").read_text())
    assert config["arch"] == "infogan" and config["lr"] == 2e-4 and config["z_dim"] == 64
    assert metrics["steps"] == 5
    from PIL import Image

    assert Image.open(out / "samples.png").size == (8 * 30 + 2, 8 * 30 + 2)


def test_cpu_training_asks_the_cuda_runtime_where_nvml_is_missing(tmp_path):
    """Lightning sets PYTORCH_NVML_BASED_CUDA_CHECK=1; on a machine without NVML, CPU training sets it to 0 while it
    trains (each optimiser step would load the missing library again) and puts it back after."""
    import os

    import pytorch_lightning as pl

    from ganbench.benchmark.config import resolve_config
    from ganbench.benchmark.train import _nvml_loads, train

    seen = []

    class Record(pl.Callback):
        def on_train_batch_end(self, *args):
            seen.append(os.environ.get("PYTORCH_NVML_BASED_CUDA_CHECK"))

    before = os.environ.get("PYTORCH_NVML_BASED_CUDA_CHECK")
    assert before == "1"  # Lightning's setting, made when it was imported
    train(resolve_config(variant="ns_gan", dataset="ring8", arch="mlp_small", steps=3, device="cpu"), tmp_path / "r",
          progress=False, callbacks=[Record()])
    assert seen == ["1" if _nvml_loads() else "0"] * 3
    assert os.environ.get("PYTORCH_NVML_BASED_CUDA_CHECK") == before


class Kill(Exception):
    pass


def _whole_and_killed_then_resumed(cfg, tmp_path, kill_at):
    """Train ``cfg`` once through, and once killed after step ``kill_at`` then started again; both metrics."""
    import pytorch_lightning as pl

    from ganbench.benchmark.train import train

    class KillAt(pl.Callback):
        def on_train_batch_end(self, trainer, module, *args):
            if module.steps_done == kill_at:
                raise Kill

    whole = train(cfg, tmp_path / "whole", progress=False)
    with pytest.raises(Kill):
        train(cfg, tmp_path / "resumed", progress=False, callbacks=[KillAt()])
    assert not (tmp_path / "resumed").exists() and (tmp_path / "resumed.partial" / "last.ckpt").exists()
    return whole, train(cfg, tmp_path / "resumed", progress=False)


@pytest.mark.slow
@pytest.mark.parametrize("steps,every,kill_at", [(40, 20, 30), (1000, 200, 500)])
def test_killed_run_resumes_from_its_checkpoint(tmp_path, steps, every, kill_at):
    """A run killed after a checkpoint continues from it and ends where an uninterrupted run ends (the second case
    once ended 200 iterations short: Lightning resumes its position in the epoch, so the loader must not shrink).
    What is tested is the resume, not the nets: the small net at batch 32 runs the same steps at a fraction of
    PacGAN's net's cost."""
    from ganbench.benchmark.config import resolve_config

    cfg = resolve_config(variant="ns_gan", dataset="ring8", steps=steps, checkpoint_every=every, seed=1, arch="mlp_small", batch_size=32)
    whole, resumed = _whole_and_killed_then_resumed(cfg, tmp_path, kill_at)
    assert resumed["steps"] == steps and resumed["resumed_from_step"] == kill_at // every * every
    assert resumed["g_loss"] == pytest.approx(whole["g_loss"], rel=1e-5)
    assert not (tmp_path / "resumed.partial").exists()
    from ganbench.analysis.load import read_curves  # the curves survive the kill: every step once, as the whole run's

    curves, whole_curves = read_curves(tmp_path / "resumed"), read_curves(tmp_path / "whole")
    assert [s for s, _ in curves["g_loss"]] == [s for s, _ in whole_curves["g_loss"]]
    assert [v for _, v in curves["g_loss"]] == pytest.approx([v for _, v in whole_curves["g_loss"]], rel=1e-3, abs=1e-6)


@pytest.mark.slow
def test_killed_lucic2018_run_resumes_with_its_update_counts(tmp_path):
    """Under the study's protocol the generator's schedule depends on the step count: a resumed run keeps it."""
    from ganbench.benchmark.config import resolve_config

    cfg = resolve_config(variant="wgan", dataset="mnist5k", protocol="lucic2018", steps=14, n_disc=5, checkpoint_every=6,
                         seed=1, n_fake=200, n_real=200)
    whole, resumed = _whole_and_killed_then_resumed(cfg, tmp_path, 9)
    assert resumed["resumed_from_step"] == 6
    assert (resumed["discriminator_updates"], resumed["generator_updates"]) == (whole["discriminator_updates"], whole["generator_updates"]) == (14, 4)
    assert resumed["d_loss"] == pytest.approx(whole["d_loss"], rel=1e-5)


@pytest.mark.slow
def test_a_run_keeps_its_curves_and_best_checkpoint_and_eval_reproduces_its_fid(ganbench, tmp_path):
    """The study's score is the minimum FID over checkpoints: the weights that made it are kept, samples.png shows
    them, and `ganbench eval --checkpoint best` gives the recorded minimum again, to the last digit."""
    from ganbench.analysis.load import read_curves

    run = tmp_path / "run"
    r = ganbench("train", "--variant", "ns_gan", "--dataset", "mnist5k", "--steps", 40, "--eval-every", 10,
                 "--n-fake", 500, "--n-real", 500, "--out", run, "--quiet")
    assert r.returncode == 0, r.stderr
    metrics = json.loads((run / "metrics.json").read_text())
    curves = read_curves(run)
    assert [s for s, _ in curves["d_loss"]] == list(range(1, 41)) and len(curves["g_loss"]) == 40
    assert curves["fid"] == [(h["step"], h["fid"]) for h in metrics["fid_history"]] and [s for s, _ in curves["fid"]] == [10, 20, 30, 40]
    best = torch.load(run / "best.ckpt", weights_only=True)
    assert (best["step"], best["fid"]) == (metrics["fid_min_step"], metrics["fid_min"])
    assert metrics["samples_from"] == {"checkpoint": "best", "step": metrics["fid_min_step"]}
    for checkpoint, recorded in (("best", metrics["fid_min"]), ("last", metrics["fid_final"])):
        r = ganbench("eval", run, "--checkpoint", checkpoint, "--quiet")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["fid"] == recorded  # exactly: the same latents, real features and weights
    assert metrics["fid_min"] != metrics["fid_final"]  # so the two checks above tell the checkpoints apart


def test_sample_writes_pngs_or_an_array_from_a_checkpoint(ganbench, tmp_path):
    import numpy as np

    run = tmp_path / "run"
    assert ganbench("train", "--variant", "ns_gan", "--dataset", "mnist5k", "--steps", 4, "--out", run, "--quiet").returncode == 0
    r = ganbench("sample", run, "--n", 5, "--out", tmp_path / "png")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == ["000000.png", "000001.png", "000002.png", "000003.png", "000004.png", "grid.png"]
    arrays = []
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        assert ganbench("sample", run, "--n", 5, "--format", "npz", "--seed", seed, "--out", tmp_path / name).returncode == 0
        arrays.append(np.load(tmp_path / name / "samples.npz")["samples"])
    assert arrays[0].shape == (5, 1, 28, 28) and arrays[0].min() >= 0 and arrays[0].max() <= 1
    assert np.array_equal(arrays[0], arrays[1]) and not np.array_equal(arrays[0], arrays[2])
    r = ganbench("sample", run, "--checkpoint", "best", "--out", tmp_path / "none")
    assert r.returncode == 2 and "error: checkpoint:" in r.stderr and "no best.ckpt" in r.stderr
    r = ganbench("sample", run, "--out", tmp_path / "a")
    assert r.returncode == 2 and "error: out:" in r.stderr


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_killed_run_on_cuda_resumes_to_the_same_numbers(tmp_path):
    """On a GPU the latents and penalty points come from the CUDA generator: its state is checkpointed too, so a
    resumed run equals an uninterrupted one (WGAN-GP draws from it twice a critic step)."""
    from ganbench.benchmark.config import resolve_config

    cfg = resolve_config(variant="wgan_gp", dataset="ring8", steps=60, checkpoint_every=20, seed=1, device="cuda")
    whole, resumed = _whole_and_killed_then_resumed(cfg, tmp_path, 45)
    assert resumed["resumed_from_step"] == 40
    assert resumed["g_loss"] == pytest.approx(whole["g_loss"], rel=1e-4) and resumed["d_loss"] == pytest.approx(whole["d_loss"], rel=1e-4)
