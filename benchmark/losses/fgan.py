"""f-GAN (Nowozin et al. 2016): one variational lower bound per f-divergence."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from ..schema import REGISTRIES

Tensor = torch.Tensor

# ---------------------------------------------------------------------------------------------
# f-GAN (Nowozin et al. 2016). V is the discriminator's raw output, T = g_f(V) lies in dom f*.
# F(G, T) = E_P[g_f(V(x))] - E_Q[f*(g_f(V(x)))] is a lower bound of D_f(P || Q); T maximises it,
# G minimises it (only the second term depends on G).


@dataclass(frozen=True)
class FDivergence:
    name: str
    f: Callable[[Tensor], Tensor]  # the convex generator, f(1) = 0, on u > 0
    activation: Callable[[Tensor], Tensor]  # g_f: R -> dom f*
    conjugate: Callable[[Tensor], Tensor]  # f*(t)
    conjugate_domain: tuple[float, float]  # open interval (lo, hi) of dom f*
    # f*(g_f(v)) simplified (Nowozin et al. 2016, table 6): the composition computed in float32 loses T near the
    # edge of dom f* (Neyman: 1 - exp(-v) rounds to 1 for v > 17, and f*'s gradient there is infinite)
    conjugate_of_activation: Callable[[Tensor], Tensor]


_LOG2 = math.log(2.0)
_INF = math.inf

F_DIVERGENCES: dict[str, FDivergence] = {
    d.name: d
    for d in [
        FDivergence("kl", lambda u: u * torch.log(u), lambda v: v, lambda t: torch.exp(t - 1), (-_INF, _INF),
                    lambda v: torch.exp(v - 1)),
        FDivergence("reverse_kl", lambda u: -torch.log(u), lambda v: -torch.exp(-v), lambda t: -1 - torch.log(-t), (-_INF, 0.0),
                    lambda v: v - 1),
        FDivergence("pearson", lambda u: (u - 1) ** 2, lambda v: v, lambda t: 0.25 * t**2 + t, (-_INF, _INF),
                    lambda v: 0.25 * v**2 + v),
        FDivergence("neyman", lambda u: (1 - u) ** 2 / u, lambda v: 1 - torch.exp(-v), lambda t: 2 - 2 * torch.sqrt(1 - t), (-_INF, 1.0),
                    lambda v: 2 - 2 * torch.exp(-v / 2)),
        FDivergence("hellinger", lambda u: (torch.sqrt(u) - 1) ** 2, lambda v: 1 - torch.exp(-v), lambda t: t / (1 - t), (-_INF, 1.0),
                    lambda v: torch.expm1(v)),
        FDivergence(
            "js",
            lambda u: -(u + 1) * torch.log((1 + u) / 2) + u * torch.log(u),
            lambda v: _LOG2 - F.softplus(-v),
            lambda t: -torch.log(2 - torch.exp(t)),
            (-_INF, _LOG2),
            lambda v: F.softplus(v) - _LOG2,
        ),
        FDivergence(
            "gan",
            lambda u: u * torch.log(u) - (u + 1) * torch.log(u + 1),
            lambda v: -F.softplus(-v),
            lambda t: -torch.log(1 - torch.exp(t)),
            (-_INF, 0.0),
            lambda v: F.softplus(v),
        ),
    ]
}


GENERATOR_LOSSES = ("paper", "saddle")
REGISTRIES["generator_loss"] = lambda: GENERATOR_LOSSES


def f_gan(divergence: str, generator_loss: str = "paper") -> Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]:
    """The f-GAN objective for one divergence, as a (d_loss, g_loss) loss. T maximises the bound F. The generator:
    - ``paper``: maximises E_Q[g_f(V)], Nowozin et al. 2016 section 3.2, the form the paper recommends and uses
      (the analogue of the -log D trick: it does not saturate);
    - ``saddle``: minimises F itself, i.e. -E_Q[f*(g_f(V))]. It saturates, and for Pearson chi-square its gradient
      points the wrong way where T < -2 (f*(t) = t^2/4 + t falls there)."""
    div = F_DIVERGENCES[divergence]
    if generator_loss not in GENERATOR_LOSSES:
        raise ValueError(f"fgan_generator_loss: '{generator_loss}' is not one of {', '.join(GENERATOR_LOSSES)}")

    def loss(d_real: Tensor, d_fake: Tensor) -> tuple[Tensor, Tensor]:
        conj_fake = div.conjugate_of_activation(d_fake)
        bound = div.activation(d_real).mean() - conj_fake.mean()
        g_loss = -div.activation(d_fake).mean() if generator_loss == "paper" else -conj_fake.mean()
        return -bound, g_loss

    loss.__name__ = f"f_gan_{divergence}_{generator_loss}"
    return loss


def f_divergence_bound(divergence: str, v_p: Tensor, v_q: Tensor) -> Tensor:
    """The variational lower bound E_P[g_f(V)] - E_Q[f*(g_f(V))] of D_f(P || Q)."""
    div = F_DIVERGENCES[divergence]
    return div.activation(v_p).mean() - div.conjugate_of_activation(v_q).mean()
