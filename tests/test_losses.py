"""Every loss against its written formula, the f-GAN table against the definition of the conjugate,
the variational bound against closed-form divergences, and the optimal discriminator."""
import math

import numpy as np
import pytest
import torch
from scipy.optimize import minimize_scalar

from ganbench.benchmark import losses
from ganbench.benchmark.losses import F_DIVERGENCES, f_divergence_bound

R = torch.tensor([2.0, -1.0, 0.5, 3.0])
FK = torch.tensor([-0.5, 1.5, -2.0, 0.0])
sig = torch.sigmoid


def close(a, b):
    assert float(a) == pytest.approx(float(b), rel=1e-6, abs=1e-6)


def test_minimax():
    d, g = losses.minimax(R, FK)
    close(d, -(torch.log(sig(R)).mean() + torch.log(1 - sig(FK)).mean()))
    close(g, torch.log(1 - sig(FK)).mean())


def test_non_saturating():
    d, g = losses.non_saturating(R, FK)
    close(d, -(torch.log(sig(R)).mean() + torch.log(1 - sig(FK)).mean()))
    close(g, -torch.log(sig(FK)).mean())


def test_wasserstein():
    d, g = losses.wasserstein(R, FK)
    close(d, FK.mean() - R.mean())  # = 0.75 - (-0.25)... computed from the values below too
    close(d, -0.25 - 1.125)
    close(g, 0.25)


def test_hinge():
    """Miyato et al. 2018, eqs. 16-17, by hand: max(0, 1 - R) = (0, 2, 0.5, 0), max(0, 1 + FK) = (0.5, 2.5, 0, 1)."""
    d, g = losses.hinge(R, FK)
    close(d, (0 + 2 + 0.5 + 0) / 4 + (0.5 + 2.5 + 0 + 1) / 4)
    close(g, -FK.mean())


def test_least_squares():
    d, g = losses.least_squares(R, FK)
    close(d, 0.5 * ((R - 1) ** 2).mean() + 0.5 * (FK**2).mean())
    close(g, 0.5 * ((FK - 1) ** 2).mean())


def test_began():
    d, g = losses.began(torch.tensor([0.2, 0.4]), torch.tensor([0.1, 0.3]), k=0.5)
    close(d, 0.3 - 0.5 * 0.2)
    close(g, 0.2)
    assert losses.began_k_update(0.5, 0.3, 0.2, gamma=0.5, lambda_k=0.1) == pytest.approx(0.5 + 0.1 * (0.15 - 0.2))
    assert losses.began_k_update(0.0, 0.0, 1.0, gamma=0.5, lambda_k=1.0) == 0.0  # clipped to [0, 1]


@pytest.mark.parametrize("name", list(F_DIVERGENCES))
def test_fgan_loss_both_generator_forms(name):
    """D maximises the bound in both forms; G minimises it (saddle) or maximises E_Q[g_f(V)] (paper, section 3.2)."""
    div = F_DIVERGENCES[name]
    d, g = losses.f_gan(name, "saddle")(R, FK)
    close(-d, div.activation(R).mean() - div.conjugate(div.activation(FK)).mean())
    close(g, -div.conjugate(div.activation(FK)).mean())
    d2, g2 = losses.f_gan(name)(R, FK)
    close(d2, d)
    close(g2, -div.activation(FK).mean())


def test_pearson_saddle_gradient_points_the_wrong_way_below_minus_two():
    """f*(t) = t^2/4 + t decreases for t < -2: the saddle form pushes T(G(z)) further down there, the paper's
    form pushes it up, as a generator should (towards what the critic calls real)."""
    v = torch.tensor([-3.0], requires_grad=True)
    _, g_saddle = losses.f_gan("pearson", "saddle")(R, v)
    (grad_saddle,) = torch.autograd.grad(g_saddle, v)
    v2 = torch.tensor([-3.0], requires_grad=True)
    _, g_paper = losses.f_gan("pearson", "paper")(R, v2)
    (grad_paper,) = torch.autograd.grad(g_paper, v2)
    assert float(grad_saddle) == pytest.approx(-(-3.0 / 2 + 1))  # d/dv of -(v^2/4 + v) = -(v/2 + 1) = 0.5 > 0
    assert float(grad_saddle) > 0 and float(grad_paper) == pytest.approx(-1.0)  # descent raises v only in the paper's form


@pytest.mark.parametrize("name", list(F_DIVERGENCES))
def test_conjugate_is_the_legendre_transform_of_f(name):
    """f*(t) = sup_u (t u - f(u)), by numerical maximisation over u > 0, at points inside dom f*."""
    div = F_DIVERGENCES[name]
    f = lambda u: float(div.f(torch.tensor(u, dtype=torch.float64)))  # noqa: E731
    v = torch.linspace(-2.0, 2.0, 9, dtype=torch.float64)
    for t in div.activation(v).tolist():
        res = minimize_scalar(lambda log_u: -(t * math.exp(log_u) - f(math.exp(log_u))), bounds=(-30, 30), method="bounded",
                              options={"xatol": 1e-10})
        assert float(div.conjugate(torch.tensor(t, dtype=torch.float64))) == pytest.approx(-res.fun, rel=1e-4, abs=1e-5), t
    # f(1) = 0, except the paper's "GAN" entry whose f gives 2 JS - log 4
    close(div.f(torch.tensor(1.0, dtype=torch.float64)), -math.log(4) if name == "gan" else 0.0)


@pytest.mark.parametrize("name", list(F_DIVERGENCES))
def test_activation_maps_into_the_conjugate_domain(name):
    div = F_DIVERGENCES[name]
    lo, hi = div.conjugate_domain
    t = div.activation(torch.linspace(-30, 30, 1001, dtype=torch.float64))
    assert bool(((t > lo) & (t < hi)).all())
    assert torch.isfinite(div.conjugate(t)).all()


def _train_critic(name, p, q, steps=1500, seed=0):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(1, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64), torch.nn.Tanh(), torch.nn.Linear(64, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(steps):
        bound = f_divergence_bound(name, net(p.sample((512, 1))), net(q.sample((512, 1))))
        opt.zero_grad()
        (-bound).backward()
        opt.step()
    with torch.no_grad():
        return float(f_divergence_bound(name, net(p.sample((200_000, 1))), net(q.sample((200_000, 1)))))


@pytest.mark.slow
def test_variational_bound_estimates_kl():
    """KL(N(0,1) || N(1,1)) = 0.5."""
    est = _train_critic("kl", torch.distributions.Normal(0.0, 1.0), torch.distributions.Normal(1.0, 1.0))
    assert est == pytest.approx(0.5, rel=0.1)


@pytest.mark.slow
def test_variational_bound_estimates_squared_hellinger():
    """H^2 = sum (sqrt p - sqrt q)^2 = 2 (1 - exp(-(mu1 - mu2)^2 / 8)) for unit-variance Gaussians."""
    est = _train_critic("hellinger", torch.distributions.Normal(0.0, 1.0), torch.distributions.Normal(1.0, 1.0))
    assert est == pytest.approx(2 * (1 - math.exp(-1 / 8)), rel=0.1)


def test_standard_gan_recovers_optimal_discriminator():
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) for p_data = N(0, 1), p_g = N(2, 1) (Goodfellow et al. 2014, Prop. 1)."""
    torch.manual_seed(0)
    p, q = torch.distributions.Normal(0.0, 1.0), torch.distributions.Normal(2.0, 1.0)
    net = torch.nn.Sequential(torch.nn.Linear(1, 64), torch.nn.Tanh(), torch.nn.Linear(64, 1))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(2000):
        d_loss, _ = losses.minimax(net(p.sample((512, 1))), net(q.sample((512, 1))))
        opt.zero_grad()
        d_loss.backward()
        opt.step()
    x = torch.linspace(-1.0, 3.0, 9).unsqueeze(1)
    optimal = p.log_prob(x).exp() / (p.log_prob(x).exp() + q.log_prob(x).exp())
    with torch.no_grad():
        np.testing.assert_allclose(torch.sigmoid(net(x)).numpy(), optimal.numpy(), atol=0.03)


@pytest.mark.parametrize("name", list(F_DIVERGENCES))
def test_simplified_conjugate_of_activation_equals_the_composition(name):
    div = F_DIVERGENCES[name]
    v = torch.linspace(-4.0, 4.0, 17, dtype=torch.float64)
    assert torch.allclose(div.conjugate_of_activation(v), div.conjugate(div.activation(v)), rtol=1e-9, atol=1e-9)


# --- relativistic losses, against their papers' equations computed by hand in numpy ----------------------------------

def _softplus(x):
    return np.log1p(np.exp(x))


def _log_sigmoid(x):
    return -np.log1p(np.exp(-x))


def test_relativistic_pairing_is_rpgans_equation():
    """RpGAN (Jolicoeur-Martineau 2019, eq. 7; R3GAN's eq. 2): L_D = E f(-(C(x) - C(G(z)))) with f(t) = log(1 + e^t)
    over the pairs; L_G the same with the pair's order swapped."""
    r, fk = R.numpy().astype(float), FK.numpy().astype(float)
    d, g = losses.relativistic_pairing(R, FK)
    assert float(d) == pytest.approx(np.mean([_softplus(-(a - b)) for a, b in zip(r, fk)]), rel=1e-6)
    assert float(g) == pytest.approx(np.mean([_softplus(-(b - a)) for a, b in zip(r, fk)]), rel=1e-6)


def test_relativistic_average_is_ragans_equation():
    """RaSGAN (Jolicoeur-Martineau 2019, eqs. 12-13): D~(x) = sigmoid(C(x) - E C(G(z))), D~(G(z)) = sigmoid(C(G(z)) - E C(x));
    L_D = -E log D~(x) - E log(1 - D~(G(z))), L_G = -E log D~(G(z)) - E log(1 - D~(x))."""
    r, fk = R.numpy().astype(float), FK.numpy().astype(float)
    real_vs, fake_vs = r - fk.mean(), fk - r.mean()
    d, g = losses.relativistic_average(R, FK)
    log_1m_sigmoid = lambda x: _log_sigmoid(-x)  # noqa: E731  log(1 - sigmoid(x)) = log sigmoid(-x)
    assert float(d) == pytest.approx(-np.mean(_log_sigmoid(real_vs)) - np.mean(log_1m_sigmoid(fake_vs)), rel=1e-6)
    assert float(g) == pytest.approx(-np.mean(_log_sigmoid(fake_vs)) - np.mean(log_1m_sigmoid(real_vs)), rel=1e-6)


def test_relativistic_standard_is_rsgans_equation():
    """RSGAN (Jolicoeur-Martineau 2019, eqs. 5-6): L_D = -E log sigmoid(C(x_r) - C(x_f)), L_G = -E log sigmoid(C(x_f) - C(x_r))."""
    r, fk = R.numpy().astype(float), FK.numpy().astype(float)
    d, g = losses.relativistic_standard(R, FK)
    assert float(d) == pytest.approx(-np.mean(_log_sigmoid(r - fk)), rel=1e-6)
    assert float(g) == pytest.approx(-np.mean(_log_sigmoid(fk - r)), rel=1e-6)


def test_relativistic_average_least_squares_is_ralsgans_equation():
    """RaLSGAN (Jolicoeur-Martineau 2019, section 4.3): L_D = E (C(x_r) - E C(x_f) - 1)^2 + E (C(x_f) - E C(x_r) + 1)^2,
    L_G = E (C(x_f) - E C(x_r) - 1)^2 + E (C(x_r) - E C(x_f) + 1)^2; at hand-chosen outputs."""
    r, fk = np.array([1.0, 3.0]), np.array([0.0, -2.0])  # means 2 and -1: real_vs = [2, 4], fake_vs = [-2, -4]
    d, g = losses.relativistic_average_least_squares(torch.tensor(r), torch.tensor(fk))
    assert float(d) == pytest.approx(((1 ** 2 + 3 ** 2) + ((-1) ** 2 + (-3) ** 2)) / 2)  # (1 + 9) / 2 + (1 + 9) / 2
    assert float(g) == pytest.approx(((-3) ** 2 + (-5) ** 2) / 2 + (3 ** 2 + 5 ** 2) / 2)


def test_rpgans_gradients_match_finite_differences_for_both_players():
    """RpGAN's losses differentiated by autograd and by central differences of the outputs each player moves: the
    discriminator's loss in both outputs, the generator's in the fake ones (float64)."""
    r, fk = R.double().clone().requires_grad_(True), FK.double().clone().requires_grad_(True)
    for which, wrt in ((0, (r, fk)), (1, (fk,))):
        grads = torch.autograd.grad(losses.relativistic_pairing(r, fk)[which], wrt)
        for tensor, grad in zip(wrt, grads):
            for i in range(len(tensor)):
                h = torch.zeros_like(tensor)
                h[i] = 1e-6
                with torch.no_grad():
                    a = (r + h, fk) if tensor is r else (r, fk + h)
                    b = (r - h, fk) if tensor is r else (r, fk - h)
                    numeric = (losses.relativistic_pairing(*a)[which] - losses.relativistic_pairing(*b)[which]) / 2e-6
                assert float(grad[i]) == pytest.approx(float(numeric), abs=1e-7)


def test_relativistic_losses_depend_on_differences_only():
    """Shifting every output by the same constant changes nothing: only real-versus-fake differences are judged."""
    for loss in (losses.relativistic_pairing, losses.relativistic_average, losses.relativistic_standard,
                 losses.relativistic_average_least_squares):
        for a, b in zip(loss(R, FK), loss(R + 7.5, FK + 7.5)):
            assert float(a) == pytest.approx(float(b), rel=1e-6)
