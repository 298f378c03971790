"""The rest of seed 004's objective table, each loss against its paper's equation worked out by hand on constructed
inputs, and the properties the papers state (Fisher GAN's constraint at the optimum, MMD's zero, the Cramér
surrogate's unbiasedness, EBGAN's margin, spectral normalisation's unit norm)."""
import math

import pytest
import torch
from torch import nn

from ganbench.benchmark import losses
from ganbench.benchmark.losses.kernels import GMMN_BANDWIDTHS, MMD_GAN_BANDWIDTHS
from ganbench.benchmark.nets import build_discriminator
from ganbench.benchmark.penalties import exp_bregman, relaxed_wasserstein_penalty

T = torch.tensor


def test_relaxed_wasserstein_bregman_cost_and_constraint():
    """RWGAN (Guo et al. 2017, definition 1): B_phi(x, y) = phi(x) - phi(y) - <grad phi(y), x - y>; with
    phi = sum exp: x = (0, 1), y = (1, 0) gives (1 - e + e) + (e - 1 - 1) = e - 1."""
    x, y = T([[0.0, 1.0]]), T([[1.0, 0.0]])
    assert exp_bregman(x, y).item() == pytest.approx(math.e - 1)
    assert exp_bregman(x, x).item() == 0.0
    assert (exp_bregman(torch.randn(100, 3), torch.randn(100, 3)) >= 0).all()  # a divergence: never negative
    critic = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        critic.weight.copy_(T([[0.0, 3.0]]))  # f(x) = 3, f(y) = 0: f(x) - f(y) = 3 exceeds B(x, y) = e - 1
    assert relaxed_wasserstein_penalty(critic, x, y).item() == pytest.approx((3 - (math.e - 1)) ** 2)
    with torch.no_grad():
        critic.weight.copy_(T([[0.0, 1.0]]))  # f(x) - f(y) = 1 <= e - 1 and f(y) - f(x) = -1 <= B(y, x): no penalty
    assert relaxed_wasserstein_penalty(critic, x, y).item() == 0.0


def test_mcgan_mean_and_covariance_ipm():
    """McGan eq. 2 (q = 2) and eq. 6 (nuclear norm of the uncentered covariance difference), worked by hand:
    mu_P - mu_Q = (2, 0) - (0, 1) -> sqrt(5); Sigma_P = diag(5, 0), Sigma_Q = diag(0, 2) -> |diag(5, -2)|_* = 7."""
    f_real, f_fake = T([[1.0, 0.0], [3.0, 0.0]]), T([[0.0, 0.0], [0.0, 2.0]])
    for moments, d in [("mean", math.sqrt(5)), ("covariance", 7.0), ("mean_covariance", math.sqrt(5) + 7)]:
        d_loss, g_loss = losses.mcgan(f_real, f_fake, moments)
        assert g_loss.item() == pytest.approx(d) and d_loss.item() == pytest.approx(-d)
    assert losses.mcgan(f_real, f_real)[1].item() == pytest.approx(0.0, abs=1e-6)


def test_mmd_by_hand_zero_for_identical_samples_positive_otherwise():
    """MMD^2 with a Gaussian kernel k(a, b) = exp(-|a - b|^2 / (2 s^2)): for x = {0}, y = {1}, s = 1,
    k(0,0) + k(1,1) - 2 k(0,1) = 2 - 2 exp(-1/2)."""
    assert losses.mmd2(T([[0.0]]), T([[1.0]]), [1.0]).item() == pytest.approx(2 - 2 * math.exp(-0.5))
    torch.manual_seed(0)
    x, y = torch.randn(64, 5), torch.randn(64, 5) + 0.5
    assert losses.mmd2(x, x, [1.0, 2.0]).item() == pytest.approx(0.0, abs=1e-6)
    assert losses.mmd2(x, y, [1.0, 2.0]).item() > 0.05
    # the U-statistic is unbiased: over many pairs of batches from one distribution its mean is 0 (the V-statistic's is not)
    u = torch.stack([losses.mmd2(torch.randn(16, 2), torch.randn(16, 2), [1.0], biased=False) for _ in range(400)])
    v = torch.stack([losses.mmd2(torch.randn(16, 2), torch.randn(16, 2), [1.0]) for _ in range(400)])
    assert abs(u.mean().item()) < 3 * u.std().item() / 20 and v.mean().item() > 3 * v.std().item() / 20


def test_gmmn_is_the_root_of_mmd2_over_the_papers_bandwidths():
    """Li et al. 2015: at bandwidth 2 the kernels are the paper's sigma = 2, 5, 10, 20, 40, 80."""
    assert [2 * s for s in GMMN_BANDWIDTHS] == [2, 5, 10, 20, 40, 80]
    x, y = T([[0.0]]), T([[3.0]])
    by_hand = sum(2 - 2 * math.exp(-9 / (2 * s**2)) for s in (2, 5, 10, 20, 40, 80))
    assert losses.gmmn(x, y, 2.0).item() == pytest.approx(math.sqrt(by_hand), rel=1e-5)


def test_mmd_gan_loss_with_its_one_sided_term():
    """MMD GAN's code (mmd_gan.py): sqrt(relu(MMD^2)) + 16 * (-mean(relu(-(E f(x) - E f(G(z)))))). Codes x = (0, 0),
    G(z) = (1, -1): E f(x) - E f(G(z)) = (-1, 1), the one-sided term is -mean(1, 0) = -0.5."""
    assert MMD_GAN_BANDWIDTHS == (1.0, 2.0, 4.0, 8.0, 16.0)
    real, fake = T([[0.0, 0.0]]), T([[1.0, -1.0]])
    mmd = sum(2 - 2 * math.exp(-2 / (2 * s**2)) for s in MMD_GAN_BANDWIDTHS)
    d_loss, g_loss = losses.mmd_gan(real, fake, 1.0)
    assert g_loss.item() == pytest.approx(math.sqrt(mmd) - 8.0, rel=1e-5) and d_loss.item() == pytest.approx(-g_loss.item())
    _, without_rank = losses.mmd_gan(real, fake, 1.0, one_sided_weight=0.0)
    assert without_rank.item() == pytest.approx(math.sqrt(mmd), rel=1e-5)


def test_mmd_gan_takes_its_rank_weight_and_a_2d_clip():
    """lambda_rg is a setting (16 by default, the code's; 0 on 2-D points); the encoder's clip is 0.01 on images and
    0.1 on 2-D points, unless given."""
    from ganbench.benchmark.config import ConfigError, resolve_config

    on_digits, on_ring = resolve_config(variant="mmd_gan", dataset="mnist5k"), resolve_config(variant="mmd_gan", dataset="ring8")
    assert on_digits.rank_weight == 16.0 and on_digits.clip == 0.01 and on_ring.clip == 0.1 and on_ring.rank_weight == 0
    assert resolve_config(variant="mmd_gan", dataset="ring8", clip=0.01, rank_weight=0.0).clip == 0.01
    assert resolve_config(variant="wgan", dataset="ring8").clip == 0.01
    with pytest.raises(ConfigError, match="^rank_weight: -1.0 is not allowed"):
        resolve_config(variant="mmd_gan", dataset="ring8", rank_weight=-1.0)
    with pytest.raises(ConfigError, match="^rank_weight: only mmd_gan"):
        resolve_config(variant="ns_gan", dataset="ring8", rank_weight=1.0)


def test_fisher_gan_lagrangian_and_multiplier_by_hand():
    """Fisher GAN eq. 8: f on P = (1, 3), on Q = (0, 2), lambda = 0.5, rho = 0.1: E = 2 - 1 = 1,
    Omega = ((1 + 9)/2 + (0 + 4)/2) / 2 = 3.5, L_F = 1 + 0.5 (1 - 3.5) - 0.05 (2.5)^2 = -0.5625; Algorithm 1's
    lambda <- 0.5 - 0.1 (1 - 3.5) = 0.75."""
    d_loss, g_loss, omega = losses.fisher(T([1.0, 3.0]), T([0.0, 2.0]), 0.5, 0.1)
    assert omega.item() == pytest.approx(3.5) and d_loss.item() == pytest.approx(0.5625) and g_loss.item() == pytest.approx(-1.0)
    assert losses.fisher_multiplier_update(0.5, 3.5, 0.1) == pytest.approx(0.75)


def test_fisher_gan_reaches_the_constrained_optimum():
    """The paper's property: at the saddle point of the augmented Lagrangian the constraint Omega = 1 holds and E is
    the constrained maximum. For a linear critic f(x) = w x + b, E = c.theta and Omega = theta' A theta (c, A from the
    samples' moments), so the optimum is known: E* = sqrt(c' A^-1 c), with multiplier lambda* = E* / 2. Algorithm 1
    (gradient steps on the critic, lambda <- lambda - rho (1 - Omega)) reaches both."""
    torch.manual_seed(0)
    p, q = torch.randn(512, 1) + 1, torch.randn(512, 1) - 1
    a = 0.5 * torch.tensor([[(p**2).mean() + (q**2).mean(), p.mean() + q.mean()], [p.mean() + q.mean(), 2.0]])
    c = torch.tensor([p.mean() - q.mean(), 0.0])
    e_star = torch.sqrt(c @ torch.linalg.solve(a, c)).item()
    critic = nn.Linear(1, 1)
    opt, lam, rho = torch.optim.SGD(critic.parameters(), lr=0.05), torch.zeros(()), 1.0
    for _ in range(1000):
        d_loss, _, omega = losses.fisher(critic(p), critic(q), lam, rho)
        opt.zero_grad()
        d_loss.backward()
        opt.step()
        lam = losses.fisher_multiplier_update(lam, omega.detach(), rho)
    _, g_loss, omega = losses.fisher(critic(p), critic(q), lam, rho)
    assert omega.item() == pytest.approx(1.0, abs=1e-4)
    assert (critic(p).mean() - critic(q).mean()).item() == pytest.approx(e_star, rel=1e-3)
    assert lam.item() == pytest.approx(e_star / 2, rel=1e-3)


def _abs_normal_mean(mu: float, var: float) -> float:
    s = math.sqrt(var)
    return s * math.sqrt(2 / math.pi) * math.exp(-mu**2 / (2 * var)) + mu * (1 - 2 * 0.5 * math.erfc(mu / s / math.sqrt(2)))


def test_cramer_generator_loss_is_unbiased_with_two_independent_batches():
    """Cramér GAN Algorithm 1 with h = identity, P = N(0, 1), Q = N(1, 1): E[L_g] = 2 E|X - Y| - E|Y - Y'|, the
    energy distance plus E|X - X'| (a constant for the generator), at any batch size. Reusing one generated batch
    for x'_g (the biased V-statistic) drops the E|Y - Y'| term: the test tells the two apart."""
    torch.manual_seed(0)
    n = 400_000
    x, y, y2 = torch.randn(n, 1), torch.randn(n, 1) + 1, torch.randn(n, 1) + 1
    expected = 2 * _abs_normal_mean(-1.0, 2.0) - _abs_normal_mean(0.0, 2.0)
    terms = (x - y).abs() + (x - y2).abs() - (y - y2).abs()
    se = terms.std().item() / math.sqrt(n)
    assert losses.cramer_generator_loss(x, y, y2).item() == pytest.approx(expected, abs=4 * se)
    assert losses.cramer_generator_loss(x, y, y).item() - expected > 50 * se  # one batch reused: biased
    # the critic f(x) = |h(x) - h(x'_g)| - |h(x)|: h(x) = (3, 4), h(x'_g) = (3, 0) gives 4 - 5 = -1
    assert losses.cramer_critic(T([[3.0, 4.0]]), T([[3.0, 0.0]])).item() == pytest.approx(-1.0)


def test_ebgan_margin_loss_and_pulling_away_by_hand():
    """EBGAN eqs. 1-2: D(x) = (0.1, 0.3), D(G(z)) = (0.5, 2.0), m = 1: L_D = 0.2 + mean(0.5, 0) = 0.45, L_G = 1.25.
    A fake whose energy is above the margin gives D no gradient. Eq. 4, codes (1, 0), (0, 1), (1, 1): the squared
    cosines of the 6 ordered pairs are 0, 0.5, 0.5 twice: PT = 2 / 6."""
    e_fake = T([0.5, 2.0], requires_grad=True)
    d_loss, g_loss = losses.ebgan(T([0.1, 0.3]), e_fake, 1.0)
    assert d_loss.item() == pytest.approx(0.45) and g_loss.item() == pytest.approx(1.25)
    d_loss.backward()
    assert e_fake.grad.tolist() == [-0.5, 0.0]
    assert losses.pulling_away(T([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])).item() == pytest.approx(1 / 3)


def test_magan_margin_only_falls_and_only_when_the_paper_says():
    """MAGAN Algorithm 1: m <- S_real / N if S_real / N < m and S_real < S_fake."""
    assert losses.magan_margin_update(1.0, 40.0, 100.0, 100) == pytest.approx(0.4)
    assert losses.magan_margin_update(0.3, 40.0, 100.0, 100) == 0.3  # real mean above the margin
    assert losses.magan_margin_update(1.0, 40.0, 30.0, 100) == 1.0  # the generator's energy is already lower


def test_spectral_norm_gives_every_layer_unit_spectral_norm():
    """Miyato et al. 2018: after power iterations in training mode each weight's largest singular value is 1."""
    torch.manual_seed(0)
    net = build_discriminator("mlp_small", (2,), 1, spectral_norm=True)
    for _ in range(30):
        net(torch.randn(8, 2))
    layers = [m for m in net.modules() if isinstance(m, nn.Linear)]
    assert len(layers) == 3
    for layer in layers:
        assert torch.linalg.matrix_norm(layer.weight.detach(), ord=2).item() == pytest.approx(1.0, abs=1e-3)
    plain = build_discriminator("mlp_small", (2,), 1)
    assert not any(torch.linalg.matrix_norm(m.weight.detach(), ord=2).item() == pytest.approx(1.0, abs=1e-3)
                   for m in plain.modules() if isinstance(m, nn.Linear))


def test_a_sweep_starts_mmd_gan_from_the_defaults_train_uses(tmp_path):
    """The first setting of a search is the variant's default setting, the same as `ganbench train`'s: on 2-D points
    MMD GAN's clip 0.1 and no rank term; on images 0.01 and 16. The narrow space leaves lambda_rg at that default."""
    from ganbench.sweeps.spec import load_spec

    path = tmp_path / "s.yaml"
    path.write_text("name: s\nvariants: [mmd_gan]\ndatasets: [ring8, mnist5k]\nspace: narrow\nbudget: {settings: 3}\nsteps: 10\n")
    spec = load_spec(path)
    on_ring, on_digits = spec.settings_for("mmd_gan", "ring8", 3), spec.settings_for("mmd_gan", "mnist5k", 3)
    assert (on_ring[0]["clip"], on_ring[0]["rank_weight"]) == (0.1, 0.0)
    assert (on_digits[0]["clip"], on_digits[0]["rank_weight"]) == (0.01, 16.0)
    assert all("rank_weight" not in s for s in on_ring[1:])
