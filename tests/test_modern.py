"""R1 and R2 as options of every classifier or critic variant, R3GAN's schedule, and the EMA generator: each against
its formula, and the EMA kept through checkpoints and scoring."""
import json
import math
from pathlib import Path

import pytest
import torch

from ganbench.benchmark import losses
from ganbench.benchmark.config import resolve_config
from ganbench.benchmark.module import build_module


def _module(**settings):
    config = resolve_config(**{"dataset": "ring8", "arch": "mlp_small", "device": "cpu", **settings})
    return config, build_module(config, (2,)).double()


def _squared_gradient_norms_by_differences(critic, x, h=1e-6):
    """E ||grad D(x)||^2 by central differences, one input coordinate at a time (D treats samples independently)."""
    grads = []
    for j in range(x.shape[1]):
        e = torch.zeros_like(x)
        e[:, j] = h
        with torch.no_grad():
            grads.append((critic(x + e) - critic(x - e)).flatten() / (2 * h))
    return torch.stack(grads, 1).pow(2).sum(1).mean()


@pytest.mark.parametrize("r1,r2", [(0.7, 0.0), (0.0, 3.0), (0.05, 0.05)])
def test_r1_and_r2_add_gamma_over_two_times_the_squared_gradient_norm(r1, r2):
    """The discriminator's loss of a step equals the variant's loss plus gamma/2 E||grad D||^2 on real (R1) and on
    generated (R2) samples, the norms taken here by finite differences on the step's own batch."""
    torch.manual_seed(0)
    config, module = _module(variant="ns_gan", r1_gamma=r1, r2_gamma=r2)
    real, z = torch.randn(16, 2, dtype=torch.float64), torch.randn(16, 2, dtype=torch.float64)
    seen = {}
    module.update_discriminator = lambda opt, loss: seen.setdefault("loss", loss.detach())
    module.discriminator_update(None, real, z)
    fake = module.generator(z).detach()
    d_loss, _ = losses.non_saturating(module.discriminator(real), module.discriminator(fake))
    expected = (d_loss + r1 / 2 * _squared_gradient_norms_by_differences(module.discriminator, real)
                + r2 / 2 * _squared_gradient_norms_by_differences(module.discriminator, fake))
    assert float(seen["loss"]) == pytest.approx(float(expected.detach()), rel=1e-6)


def test_r1_is_refused_where_the_discriminator_has_a_step_of_its_own():
    from ganbench.benchmark.schema import ConfigError

    with pytest.raises(ConfigError, match="^r1_gamma: 'fisher_gan' updates its discriminator"):
        resolve_config(variant="fisher_gan", dataset="ring8", r1_gamma=1.0)
    with pytest.raises(ConfigError, match="^ema_nimg: protocol lucic2018 replays its paper's code"):
        resolve_config(variant="wgan", dataset="mnist5k", protocol="lucic2018", ema_nimg=1000.0)


def test_the_cosine_schedule_follows_r3gans_ends():
    """R3GAN's cosine_decay_with_warmup without warm-up: at the start the given values, half-way the midpoints, at the
    end lr / 4, gamma / 10 and beta2 0.99."""
    config, module = _module(variant="r3gan", steps=100)
    opts = [torch.optim.Adam(module.generator.parameters(), lr=config.lr), torch.optim.Adam(module.discriminator.parameters(), lr=config.lr)]
    module.optimizers = lambda: opts
    for done, lr, scale, beta2 in ((0, 2e-4, 1.0, 0.9), (50, 2e-4 * 0.625, 0.55, 0.945), (100, 5e-5, 0.1, 0.99)):
        module.steps_done = done
        module.apply_schedule()
        assert opts[0].param_groups[0]["lr"] == pytest.approx(lr) and module.gamma_scale == pytest.approx(scale)
        assert opts[1].param_groups[0]["betas"][1] == pytest.approx(beta2)


def test_ema_after_k_updates_equals_the_closed_form():
    """Without ramp-up, beta = 0.5 ** (batch / ema_nimg) and after updates towards p_1..p_k the average is
    beta^k w_0 + (1 - beta) sum_t beta^(k - t) p_t (StyleGAN2-ADA's lerp)."""
    config, module = _module(variant="ns_gan", ema_nimg=500.0, ema_rampup=0.0, batch_size=50)
    beta = 0.5 ** (50 / 500)
    w0 = next(module.generator_ema.parameters()).detach().clone()
    targets = [torch.full_like(w0, float(t)) for t in (1, -2, 3, 0.5, 4)]
    for t, p in enumerate(targets, 1):
        with torch.no_grad():
            next(module.generator.parameters()).copy_(p)
        module.g_updates = t
        module.update_ema()
    k = len(targets)
    closed = beta ** k * w0 + (1 - beta) * sum(beta ** (k - t) * p for t, p in enumerate(targets, 1))
    assert torch.allclose(next(module.generator_ema.parameters()), closed, atol=1e-12)


@pytest.mark.parametrize("updates", [1, 2, 10, 100, 1000])
def test_ema_half_life_ramps_up_as_the_formula_says(updates):
    """With ramp-up r the half-life is min(ema_nimg, images seen before the update * r): one update moves the
    average a share 1 - 0.5 ** (batch / half-life) of the way (all of it on the first update)."""
    config, module = _module(variant="ns_gan", ema_nimg=2000.0, ema_rampup=0.05, batch_size=100)
    with torch.no_grad():
        for p_ema, p in zip(module.generator_ema.parameters(), module.generator.parameters()):
            p_ema.zero_()
            p.fill_(1.0)
    module.g_updates = updates
    module.update_ema()
    half_life = min(2000.0, (updates - 1) * 100 * 0.05)
    moved = 1 - 0.5 ** (100 / half_life) if half_life > 0 else 1.0
    assert float(next(module.generator_ema.parameters()).flatten()[0]) == pytest.approx(moved, rel=1e-12)


def test_a_run_with_an_ema_generator_scores_it_keeps_both_and_restores_both(run):
    """The averaged generator is scored and sampled, the trained one's scores sit beside them, and the checkpoint
    holds both: loaded back, each has the weights the run ended with."""
    from ganbench.benchmark.train import load_module, read_metrics

    metrics, out = run(variant="ns_gan", dataset="ring8", arch="mlp_small", steps=60, lr=1e-3, ema_nimg=200.0, seed=1)
    assert metrics["scored_generator"] == "ema" and set(metrics["raw_generator"]) >= {"modes_covered", "mode_kl"}
    assert read_metrics(out) == json.loads((out / "metrics.json").read_text())
    config, module = load_module(out)
    saved = torch.load(out / "last.ckpt", weights_only=False)["state_dict"]
    for name, value in module.state_dict().items():
        assert torch.equal(value, saved[name]), name
    assert any(k.startswith("generator_ema.") for k in saved)
    ema, raw = torch.cat([p.flatten() for p in module.generator_ema.parameters()]), torch.cat([p.flatten() for p in module.generator.parameters()])
    assert not torch.equal(ema, raw) and module.scored_generator is module.generator_ema


def test_a_run_saved_before_the_modern_options_loads_with_them_off(run):
    """config.json files written before r1_gamma, r2_gamma, cosine_decay and the EMA existed read back with each at
    the value that changes nothing."""
    from ganbench.benchmark.config import config_from_dict

    metrics, out = run(variant="ns_gan", dataset="ring8", arch="mlp_small", steps=2)
    saved = json.loads((out / "config.json").read_text())
    for name in ("r1_gamma", "r2_gamma", "cosine_decay", "ema_nimg", "ema_rampup"):
        saved.pop(name)
    config = config_from_dict(saved)
    assert (config.r1_gamma, config.r2_gamma, config.cosine_decay, config.ema_nimg) == (0.0, 0.0, False, 0.0)
    assert math.isfinite(metrics["d_loss"])


def test_seed_table_and_r3gans_rows_by_hand():
    """The seed phase's mean and standard error per variant, and R3GAN's published rows beside ours."""
    import pandas as pd

    from ganbench.analysis.tables import r3gan_comparison, seed_table

    rows = [dict(dataset="stacked_mnist", variant="r3gan", phase="seed", status="finished", modes_covered=m, mode_kl=k,
                 high_quality_fraction=None, mixture_mismatch=None, scored_generator="ema", train_steps=1500)
            for m, k in ((500, 1.5), (540, 1.7), (520, 1.6))]
    rows += [dict(dataset="stacked_mnist", variant="ns_gan", phase="seed", status="finished", modes_covered=m, mode_kl=2.0,
                  high_quality_fraction=None, mixture_mismatch=None, scored_generator=None, train_steps=1500) for m in (100, 200)]
    rows.append(dict(dataset="stacked_mnist", variant="ns_gan", phase="search", status="finished", modes_covered=999, mode_kl=0.1,
                     high_quality_fraction=None, mixture_mismatch=None, scored_generator=None, train_steps=1500))
    t = seed_table(pd.DataFrame(rows)).set_index("variant")
    assert t.loc["r3gan", "modes_covered"] == 520 and t.loc["r3gan", "modes_covered_se"] == pytest.approx(20 / math.sqrt(3))
    assert t.loc["ns_gan", "modes_covered"] == 150 and t.loc["ns_gan", "runs"] == 2  # the search trial is not a seed run
    assert (t.loc["r3gan", "scored"], t.loc["ns_gan", "scored"]) == ("ema", "trained")
    c = r3gan_comparison(pd.DataFrame(rows)).set_index("metric")
    assert c.loc["modes_covered", "published"] == 1000 and c.loc["mode_kl", "published"] == 0.078
    assert c.loc["mode_kl", "measured"] == pytest.approx(1.6) and list(c["variant"].unique()) == ["r3gan"]


@pytest.mark.parametrize("variant", ["rpgan", "rasgan", "r3gan"])
def test_a_relativistic_generator_step_sees_the_updated_discriminator_on_a_fresh_batch(variant):
    """R3GAN's order (training/training_loop.py at 19a7ddf, lines 287-303, 317-343): the D phase on one real batch and
    its optimiser step, then the G phase's loss against the updated D on a real batch of its own. The generator's
    d_real must be D_after(second batch), not the D step's own D_before(first batch) (what the step reused before)."""
    import copy

    from ganbench.benchmark.data import load_split
    from ganbench.benchmark.module import RealBatches, build_module

    cfg = resolve_config(variant=variant, dataset="ring8", arch="mlp_small", batch_size=32, lr=2e-3, n_disc=1, seed=0)
    module = build_module(cfg, (2,))
    module.real = RealBatches(load_split("ring8", "train"), 32, 0)
    stream = RealBatches(load_split("ring8", "train"), 32, 0)  # the same seeded order, read alongside
    first, second = stream.next("cpu"), stream.next("cpu")
    module.outside_trainer()
    d_before = copy.deepcopy(module.discriminator)
    seen = {}
    update = module.generator_update
    module.generator_update = lambda opt, d_real, z: seen.setdefault("d_real", d_real.clone()) is not None and update(opt, d_real, z)
    module.variant_step()
    with torch.no_grad():
        updated, stale = module.discriminator(second), d_before(first)
    assert torch.allclose(seen["d_real"], updated, rtol=0, atol=1e-6)
    assert not torch.allclose(seen["d_real"], stale, atol=1e-3)


@pytest.mark.parametrize("variant", ["r3gan", "ns_gan_r1r2"])
def test_r3gans_gammas_are_tied_unless_r2_is_given(variant, tmp_path):
    """R3GAN's train.py has one --gamma for R1 and R2: the recipe ties them, a search draws one, and giving r2_gamma
    unties them."""
    from ganbench.sweeps.spec import load_spec

    assert (lambda c: (c.r1_gamma, c.r2_gamma))(resolve_config(variant=variant, dataset="ring8")) == (0.05, 0.05)
    assert (lambda c: (c.r1_gamma, c.r2_gamma))(resolve_config(variant=variant, dataset="ring8", r1_gamma=0.4)) == (0.4, 0.4)
    assert (lambda c: (c.r1_gamma, c.r2_gamma))(resolve_config(variant=variant, dataset="ring8", r1_gamma=0.4, r2_gamma=0.02)) == (0.4, 0.02)
    (tmp_path / "s.yaml").write_text(f"name: t\nvariants: [{variant}]\ndatasets: [ring8]\nspace: wide\nbudget: {{settings: 6}}\nsteps: 10\n")
    spec = load_spec(tmp_path / "s.yaml")
    first, *drawn = spec.settings_for(variant, "ring8", 6)
    assert first["r2_gamma"] == first["r1_gamma"] and all("r2_gamma" not in s and "r1_gamma" in s for s in drawn)
    for s in drawn:
        config = resolve_config(variant=variant, dataset="ring8", **s)
        assert config.r2_gamma == config.r1_gamma == s["r1_gamma"]


@pytest.mark.slow(seconds=15)
def test_the_report_marks_arms_off_their_recipe_by_field(tmp_path):
    """The kept Stacked MNIST study ran every arm at its recipe (start: recipe): nothing is off it. The same trial rows
    with WGAN-GP at one critic step and Adam beta2 0.999 (what the shared narrow space ran before) are marked field
    by field. The ring demo's ns_gan and lsgan ran PacGAN's beta1 0.8 (the data set's protocol) against DCGAN's and
    LSGAN's 0.5, and its report says so; learning rates, tuned around a recipe by design, are not listed."""
    from ganbench.analysis.load import load_trials
    from ganbench.analysis.report import write_report
    from ganbench.analysis.tables import recipe_deviations

    root = Path(__file__).resolve().parents[1] / "results"
    kept = load_trials([root / "objectives_today_stacked_mnist"])
    assert recipe_deviations(kept).empty
    changed = kept.copy()
    changed.loc[changed["variant"] == "wgan_gp", ["n_disc", "beta2"]] = [1, 0.999]
    wgan = recipe_deviations(changed).set_index("field")
    assert set(wgan["variant"]) == {"wgan_gp"} and set(wgan.index) == {"n_disc", "beta2"}
    assert float(wgan.loc["n_disc", "recipe"]) == 5 and float(wgan.loc["n_disc", "ran"]) == 1 and float(wgan.loc["beta2", "ran"]) == 0.999
    ring = recipe_deviations(load_trials([root / "demo_ring"]))
    assert ring[["variant", "field", "recipe", "ran"]].values.tolist() == [["lsgan", "beta1", 0.5, "0.8"], ["ns_gan", "beta1", 0.5, "0.8"]]
    write_report([root / "demo_ring"], tmp_path / "r")
    assert "Off the recipe" in (tmp_path / "r" / "report.md").read_text()
