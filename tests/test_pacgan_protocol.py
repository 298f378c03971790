"""Protocol pacgan2018: each rule of PacGAN's 2-D code (benchmark/protocols/pacgan2018.py) against the paper's code's
equations, computed by hand here, and a run that logs its metrics after every epoch."""
from __future__ import annotations

import copy

import pytest
import torch

from ganbench.benchmark import losses
from ganbench.benchmark.module import PacGANModule, build_module
from ganbench.benchmark.nets.layers import BlocksBatchNorm
from ganbench.benchmark.protocols import pacgan2018
from ganbench.benchmark.schema import ConfigError
from ganbench.benchmark.config import resolve_config


def config(**kw):
    return resolve_config(variant="ns_gan", dataset="grid25", protocol="pacgan2018", steps=10, **kw)


def test_defaults_are_the_papers_config():
    """config.py:15-35: batch 100, Adam lr 1e-4 beta1 0.8 (beta2 Blocks' 0.999), z in 2-D ~ N(0, I), PacGAN's nets,
    400 epochs of 1,000 steps."""
    c = resolve_config(variant="ns_gan", dataset="ring8", protocol="pacgan2018")
    assert (c.batch_size, c.lr, c.beta1, c.beta2, c.z_dim, c.prior, c.arch, c.n_disc) == (
        100, 1e-4, 0.8, 0.999, 2, "normal", "mlp", 1)
    assert c.steps == pacgan2018.EPOCHS * pacgan2018.epoch_steps() == 400_000


@pytest.mark.parametrize("kw, field", [(dict(variant="wgan"), "variant"), (dict(dataset="mnist5k"), "dataset"),
                                       (dict(n_disc=5), "n_disc"), (dict(arch="mlp_small"), "arch"),
                                       (dict(prior="uniform"), "prior"), (dict(generators=2), "generators")])
def test_what_the_protocol_fixes_is_refused_with_its_field(kw, field):
    settings = {**dict(variant="ns_gan", dataset="grid25", protocol="pacgan2018"), **kw}
    with pytest.raises(ConfigError, match=f"^{field}: .*pacgan2018"):
        resolve_config(**settings)


def test_losses_are_bricks_py_69_72_and_give_the_non_saturating_gradients():
    d_real, d_fake = torch.randn(7, 1, requires_grad=True), torch.randn(7, 1, requires_grad=True)
    d_loss, g_loss = pacgan2018.losses(d_real, d_fake)
    sp = torch.nn.functional.softplus
    assert torch.allclose(d_loss, (sp(-d_real) + sp(d_fake)).mean())
    assert torch.allclose(g_loss, (sp(d_real) + sp(-d_fake)).mean())
    ns_d, ns_g = losses.non_saturating(d_real, d_fake)
    assert torch.allclose(d_loss, ns_d)
    ours = torch.autograd.grad(g_loss, d_fake)[0]
    assert torch.allclose(ours, torch.autograd.grad(ns_g, d_fake)[0])


def test_blocks_adam_is_the_papers_formula_and_torch_adam_without_epsilon():
    """Blocks' Adam: lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps); with eps 0 it is PyTorch's Adam."""
    torch.manual_seed(0)
    p, q = torch.randn(5), None
    q = p.clone().requires_grad_(True)
    torch_adam = torch.optim.Adam([q], lr=1e-2, betas=(0.8, 0.999), eps=0)
    state = {}
    for _ in range(10):
        g = torch.randn(5)
        pacgan2018.blocks_adam_(p, g, state, lr=1e-2, beta1=0.8, eps=0)
        q.grad = g.clone()
        torch_adam.step()
    assert torch.allclose(p, q.detach(), atol=1e-6)
    # the first step by hand: m = 0.2 g, v = 0.001 g^2, step = lr sqrt(0.001) / 0.2 * m / sqrt(v) = lr sign(g)
    p, g = torch.zeros(3), torch.tensor([2.0, -0.5, 1e-3])
    pacgan2018.blocks_adam_(p, g, {}, lr=0.1, beta1=0.8, eps=0)
    assert torch.allclose(p, torch.tensor([-0.1, 0.1, -0.1]))


def test_batch_norm_is_blocks_and_its_population_moves_at_005_towards_the_mean_of_the_calls():
    bn = BlocksBatchNorm(3)
    x1, x2 = torch.randn(100, 3) * 2 + 1, torch.randn(100, 3) - 1
    y1 = bn(x1)
    bn(x2)
    var1 = ((x1 - x1.mean(0)) ** 2).mean(0)  # the biased variance, epsilon 1e-4 inside the root
    assert torch.allclose(y1, (x1 - x1.mean(0)) / torch.sqrt(var1 + 1e-4), atol=1e-5)
    stdev = lambda x: torch.sqrt(((x - x.mean(0)) ** 2).mean(0) + 1e-4)  # noqa: E731
    bn.update_population(0.05)
    assert torch.allclose(bn.population_mean, 0.05 * (x1.mean(0) + x2.mean(0)) / 2, atol=1e-6)
    assert torch.allclose(bn.population_stdev, 0.95 + 0.05 * (stdev(x1) + stdev(x2)) / 2, atol=1e-6)
    assert bn.calls == []
    bn.eval()
    assert torch.allclose(bn(x1), (x1 - bn.population_mean) / bn.population_stdev)


def test_packed_examples_are_m_points_drawn_with_replacement_once():
    points = torch.arange(20.0).reshape(10, 2)
    packed = pacgan2018.packed_examples(points, 3, seed=1, n=50)
    assert packed.shape == (50, 3, 2)
    assert all(any(torch.equal(p, q) for q in points) for p in packed.reshape(-1, 2))
    assert torch.equal(packed, pacgan2018.packed_examples(points, 3, seed=1, n=50))


class Batches:
    def __init__(self, real):
        self.real = real

    def next(self, device):
        return self.real


def test_one_step_updates_both_players_from_one_pass_with_a_generator_call_per_copy():
    """ali_algorithm: D's and G's gradients at the same parameters, from the same latents and data, both applied;
    the generator called m times on 100 latents (compute_losses), its population statistics moved once by the mean
    of the m calls' statistics."""
    pack, batch = 2, 100
    c = config(pack=pack)
    torch.manual_seed(0)
    module = build_module(c, (2,))
    assert isinstance(module, PacGANModule)
    module.real = Batches(torch.randn(batch, pack, 2))
    before = copy.deepcopy(module)

    calls = []
    module.generator.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[0]))
    opt_g, opt_d = module.outside_trainer().optimizers()
    torch.manual_seed(1)
    module.protocol.step.run(module)
    assert calls == [batch] * pack

    # by hand, from the parameters before the step and the same latents
    torch.manual_seed(1)
    zs = [torch.randn(batch, 2) for _ in range(pack)]
    outs = [before.generator(z) for z in zs]
    fake = torch.stack(outs, 1).reshape(batch * pack, 2)
    real = module.real.real.reshape(batch * pack, 2)
    d_real, d_fake = before.discriminator(real), before.discriminator(fake)
    d_loss, g_loss = pacgan2018.losses(d_real, d_fake)
    grads = [(list(net.parameters()), torch.autograd.grad(loss, list(net.parameters()), retain_graph=True))
             for net, loss in ((before.discriminator, d_loss), (before.generator, g_loss))]  # all at the same point
    for params, gs in grads:
        for p, g in zip(params, gs):
            with torch.no_grad():
                pacgan2018.blocks_adam_(p, g, {}, lr=c.lr, beta1=c.beta1, beta2=c.beta2)
    for (name, p), q in zip(module.named_parameters(), before.parameters()):
        assert torch.allclose(p, q, atol=1e-6), name
    first = next(m for m in before.generator.modules() if isinstance(m, BlocksBatchNorm))
    pre = zs[0] @ before.generator[0].weight.T, zs[1] @ before.generator[0].weight.T
    expected = 0.05 * (pre[0].mean(0) + pre[1].mean(0)) / 2
    got = next(m for m in module.generator.modules() if isinstance(m, BlocksBatchNorm)).population_mean
    assert torch.allclose(got, expected.detach(), atol=1e-6) and first is not None


def test_a_run_logs_the_papers_metrics_after_every_epoch_and_the_report_plots_them(tmp_path, monkeypatch):
    """Two epochs (the data set shrunk to 2,000 packed examples here, so an epoch is 20 steps at batch 100): a row per
    epoch with modes, high quality and reverse KL in logs/metrics.csv, the last equal to the run's final scores (the
    same fixed latents, population statistics); the report's PacGAN table names the protocol and length of its row
    and its figure plots the epochs against Table 1."""
    import pandas as pd

    from ganbench.analysis.figures import fig_pacgan_epochs
    from ganbench.analysis.tables import pacgan_comparison, pacgan_epoch_curves
    from ganbench.benchmark.train import train

    monkeypatch.setattr(pacgan2018, "EXAMPLES", 2_000)
    c = resolve_config(variant="ns_gan", dataset="grid25", protocol="pacgan2018", steps=40, pack=2)
    m = train(c, tmp_path / "run", progress=False)
    assert m["protocol"] == "pacgan2018" and m["generator_updates"] == m["discriminator_updates"] == 40
    curves = pd.read_csv(tmp_path / "run" / "logs" / "metrics.csv").dropna(subset=["epoch"])
    assert curves["epoch"].tolist() == [1, 2] and curves["step"].tolist() == [20, 40]
    last = curves.iloc[-1]
    assert last["modes_covered"] == m["modes_covered"] and last["high_quality_fraction"] == m["high_quality_fraction"]
    assert last["mode_kl"] == pytest.approx(m["mode_kl"])

    trials = pd.DataFrame([dict(status="finished", protocol="pacgan2018", dataset="grid25", base_variant="ns_gan", pack=2,
                                phase="search", budget=1, train_steps=40, trial=0, study_name="s.ns_gan.grid25.custom.pack2", run_dir=str(tmp_path / "run"),
                                **{k: m[k] for k in ("modes_covered", "high_quality_fraction", "mode_kl")})])
    table = pacgan_comparison(trials)
    assert set(table["protocol"]) == {"pacgan2018"} and set(table["steps"]) == {40} and set(table["row"]) == {"PacGAN2"}
    epochs = pacgan_epoch_curves(trials)
    assert epochs["epoch"].tolist() == [1, 2] and epochs["modes_covered"].iloc[-1] == m["modes_covered"]
    (name,) = fig_pacgan_epochs(epochs, tmp_path)
    assert name == "pacgan_epochs_grid25" and (tmp_path / f"{name}.png").stat().st_size > 10_000


def test_other_protocols_log_the_same_metrics_after_every_epoch(run):
    """On a mixture with known modes every protocol's curves hold PacGAN's metrics after each epoch (100,000
    examples / batch size steps), so protocols can be compared epoch by epoch."""
    import pandas as pd

    m, out = run(variant="ns_gan", dataset="ring8", steps=100, batch_size=2000, arch="mlp_small")
    curves = pd.read_csv(out / "logs" / "metrics.csv").dropna(subset=["epoch"])
    assert curves["epoch"].tolist() == [1, 2] and curves["step"].tolist() == [50, 100]
    assert curves.iloc[-1]["modes_covered"] == m["modes_covered"]


def test_blocks_adams_first_two_updates_by_hand():
    """beta1 0.8 (its 2017 meaning), beta2 0.999, lr 0.1, gradients 1 then -2 on one parameter, eps 1e-8."""
    p, state = torch.zeros(1, dtype=torch.float64), {}
    pacgan2018.blocks_adam_(p, torch.tensor([1.0], dtype=torch.float64), state, lr=0.1, beta1=0.8)
    m1, v1 = 0.2 * 1.0, 0.001 * 1.0
    first = -0.1 * (1 - 0.999) ** 0.5 / (1 - 0.8) * m1 / (v1**0.5 + 1e-8)
    assert p.item() == pytest.approx(first, rel=1e-9)
    pacgan2018.blocks_adam_(p, torch.tensor([-2.0], dtype=torch.float64), state, lr=0.1, beta1=0.8)
    m2, v2 = 0.8 * m1 + 0.2 * -2.0, 0.999 * v1 + 0.001 * 4.0
    second = first - 0.1 * (1 - 0.999**2) ** 0.5 / (1 - 0.8**2) * m2 / (v2**0.5 + 1e-8)
    assert p.item() == pytest.approx(second, rel=1e-9) and second == pytest.approx(-0.0578, abs=1e-4)


def test_the_generators_step_does_not_depend_on_the_discriminators_update():
    """Both gradients are taken before either player moves: with D's learning rate 0 or not, G ends the same."""
    c = config(pack=2)
    ends = []
    for d_lr in (c.lr, 0.0):
        torch.manual_seed(0)
        module = build_module(c, (2,))
        module.real = Batches(torch.randn(100, 2, 2))
        opt_g, opt_d = module.outside_trainer().optimizers()
        opt_d.param_groups[0]["lr"] = d_lr
        torch.manual_seed(1)
        module.protocol.step.run(module)
        ends.append([p.detach().clone() for p in module.generator.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*ends))


def test_metric_samples_are_fixed_and_use_population_statistics():
    """The same 2,500 points from two calls on the same weights; a sample does not depend on the rest of its batch."""
    from ganbench.benchmark.metrics.latents import fixed_samples

    torch.manual_seed(0)
    module = build_module(config(), (2,))
    a = fixed_samples(module.generator, 2, pacgan2018.LOG_SAMPLES, "normal")
    b = fixed_samples(module.generator, 2, pacgan2018.LOG_SAMPLES, "normal")
    assert a.shape == (2_500, 2) and torch.equal(a, b)
    module.generator.eval()
    z = torch.randn(50, 2)
    with torch.no_grad():
        assert torch.allclose(module.generator(z)[:10], module.generator(z[:10]), atol=1e-6)
        module.generator.train()
        assert not torch.allclose(module.generator(z)[:10], module.generator(z[:10]), atol=1e-4)  # batch statistics in training


def test_train_outside_the_protocols_scope_exits_2_with_one_line(ganbench, tmp_path):
    r = ganbench("train", "--variant", "ns_gan", "--dataset", "mnist5k", "--protocol", "pacgan2018", "--steps", 10, "--out", tmp_path / "r")
    assert r.returncode == 2 and "error: dataset: protocol pacgan2018" in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "r").exists()
