"""Every variant trains; three cover the ring; runs are reproducible, resumable and complete."""
import json
import math

import pytest
import torch

from benchmark.variants import VARIANTS


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_variant_trains_on_ring8(run, variant):
    metrics, out = run(variant=variant, dataset="ring8", steps=200, lr=1e-3, arch="mlp_small")
    assert metrics["status"] == "finished" and metrics["steps"] == 200
    losses = [v for k, v in metrics.items() if k.endswith("loss") or k in ("recon", "kl", "k")]
    assert losses and all(math.isfinite(v) for v in losses)
    assert {p.name for p in out.iterdir()} == {"config.json", "metrics.json", "samples.png", "last.ckpt"}


# WGAN-GP with the image default lambda = 10 collapses on 2-D data at this length;
# Gulrajani et al.'s own toy experiments use a small lambda, so the test does too.
@pytest.mark.parametrize(
    "variant,seed,extra",
    [("ns_gan", 0, {}), ("lsgan", 2, {}), ("wgan_gp", 2, {"penalty_weight": 1.0})],
)
def test_variants_cover_the_ring(run, variant, seed, extra):
    """The small net at a high learning rate: a quick check that each loss learns; PacGAN's own protocol is
    tests/test_modes.py's and `make reproduce-pacgan`'s."""
    metrics, _ = run(variant=variant, dataset="ring8", steps=3000, lr=1e-3, seed=seed, arch="mlp_small", **extra)
    assert metrics["modes_covered"] >= 6, metrics


def test_same_seed_same_numbers_on_cpu(run):
    a, out_a = run(variant="wgan_gp", dataset="ring8", steps=30, seed=3)
    b, out_b = run(variant="wgan_gp", dataset="ring8", steps=30, seed=3)
    c, _ = run(variant="wgan_gp", dataset="ring8", steps=30, seed=4)
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


@pytest.mark.parametrize("steps,every,kill_at", [(40, 20, 30), (1000, 200, 500)])
def test_killed_run_resumes_from_its_checkpoint(tmp_path, steps, every, kill_at):
    """A run killed after a checkpoint continues from it and ends where an uninterrupted run ends (the second case
    once ended 200 iterations short: Lightning resumes its position in the epoch, so the loader must not shrink)."""
    from benchmark.train import resolve_config, train

    cfg = resolve_config(variant="ns_gan", dataset="ring8", steps=steps, checkpoint_every=every, seed=1)
    whole = train(cfg, tmp_path / "whole", progress=False)

    class Kill(Exception):
        pass

    import pytorch_lightning as pl

    class KillAt30(pl.Callback):
        def on_train_batch_end(self, trainer, module, *args):
            if module.steps_done == kill_at:
                raise Kill

    with pytest.raises(Kill):
        train(cfg, tmp_path / "resumed", progress=False, callbacks=[KillAt30()])
    assert not (tmp_path / "resumed").exists() and (tmp_path / "resumed.partial" / "last.ckpt").exists()
    resumed = train(cfg, tmp_path / "resumed", progress=False)
    assert resumed["steps"] == steps and resumed["resumed_from_step"] == kill_at // every * every
    assert resumed["g_loss"] == pytest.approx(whole["g_loss"], rel=1e-5)
    assert not (tmp_path / "resumed.partial").exists()


def test_killed_lucic2018_run_resumes_with_its_update_counts(tmp_path):
    """Under the study's protocol the generator's schedule depends on the step count: a resumed run keeps it."""
    from benchmark.train import resolve_config, train

    import pytorch_lightning as pl

    cfg = resolve_config(variant="wgan", dataset="mnist5k", protocol="lucic2018", steps=14, n_disc=5, checkpoint_every=6,
                         seed=1, n_fake=200, n_real=200)
    whole = train(cfg, tmp_path / "whole", progress=False)

    class Kill(Exception):
        pass

    class KillAt(pl.Callback):
        def on_train_batch_end(self, trainer, module, *args):
            if module.steps_done == 9:
                raise Kill

    with pytest.raises(Kill):
        train(cfg, tmp_path / "resumed", progress=False, callbacks=[KillAt()])
    resumed = train(cfg, tmp_path / "resumed", progress=False)
    assert resumed["resumed_from_step"] == 6
    assert (resumed["discriminator_updates"], resumed["generator_updates"]) == (whole["discriminator_updates"], whole["generator_updates"]) == (14, 4)
    assert resumed["d_loss"] == pytest.approx(whole["d_loss"], rel=1e-5)
