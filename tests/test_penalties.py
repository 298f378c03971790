import torch
from torch import nn

from ganbench.benchmark.penalties import clip_weights, dragan_penalty, gradient_penalty


class UnitGradientCritic(nn.Module):
    """D(x) = <w, x> with ||w|| = 1: the input gradient has norm exactly 1 everywhere."""

    def __init__(self, dim):
        super().__init__()
        w = torch.randn(dim)
        self.w = nn.Parameter(w / w.norm())

    def forward(self, x):
        return x.flatten(1) @ self.w


def test_gradient_penalty_zero_for_unit_gradient_norm():
    torch.manual_seed(0)
    critic = UnitGradientCritic(12)
    real, fake = torch.randn(16, 3, 2, 2), torch.randn(16, 3, 2, 2)
    assert float(gradient_penalty(critic, real, fake).detach()) < 1e-10
    assert float(dragan_penalty(critic, real).detach()) < 1e-10


def test_gradient_penalty_positive_otherwise_and_matches_formula():
    torch.manual_seed(0)
    critic = UnitGradientCritic(12)
    with torch.no_grad():
        critic.w.mul_(3.0)  # gradient norm 3 everywhere: penalty (3 - 1)^2 = 4
    real, fake = torch.randn(16, 12), torch.randn(16, 12)
    assert abs(float(gradient_penalty(critic, real, fake).detach()) - 4.0) < 1e-5
    assert abs(float(dragan_penalty(critic, real).detach()) - 4.0) < 1e-5


def test_gradient_penalty_differentiable_for_the_critic():
    critic = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    gp = gradient_penalty(critic, torch.randn(8, 4), torch.randn(8, 4))
    gp.backward()
    assert critic[0].weight.grad.abs().sum() > 0 and critic[2].weight.grad.abs().sum() > 0


def test_clipping_bounds_every_weight():
    critic = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 1))
    with torch.no_grad():
        for p in critic.parameters():
            p.mul_(100)
    clip_weights(critic, 0.01)
    assert all(p.abs().max() <= 0.01 for p in critic.parameters())
    assert any((p.abs() == 0.01).any() for p in critic.parameters())


def test_r1_and_r2_are_squared_gradient_norms_on_real_and_on_fake():
    """Mescheder et al. 2018, eqs. 9-10 (without gamma / 2): for D(x) = w.x + (x.x) / 2 the gradient at x is w + x,
    so R1 = mean ||w + x_real||^2 and R2 = mean ||w + x_fake||^2; R3GAN's regulariser is their mean."""
    from ganbench.benchmark.penalties import r1_penalty, r1_r2_penalty, r2_penalty

    torch.manual_seed(0)
    w = torch.tensor([0.5, -1.0, 2.0])
    critic = lambda x: x @ w + 0.5 * (x * x).sum(1)  # noqa: E731
    real, fake = torch.randn(6, 3), torch.randn(6, 3)
    r1, r2 = ((w + real) ** 2).sum(1).mean(), ((w + fake) ** 2).sum(1).mean()
    assert torch.allclose(r1_penalty(critic, real, fake), r1) and torch.allclose(r2_penalty(critic, real, fake), r2)
    assert torch.allclose(r1_r2_penalty(critic, real, fake), (r1 + r2) / 2)
    assert r1_penalty(critic, real, fake).requires_grad  # differentiable, as a penalty the critic minimises must be
