"""pix2pix's nets (Isola et al. 2017, appendix 6.1.1-6.1.2, as their code builds them): a U-Net or a plain
encoder-decoder generator, and a PatchGAN discriminator.

Generator: encoder C64-C128-C256-C512-C512... (4x4 convolutions, stride 2, LeakyReLU 0.2, batch norm except on the
first and the innermost layer) down to 1x1, so log2(size) layers; the decoder mirrors it with transposed
convolutions, ReLU, batch norm and dropout 0.5 on its first three layers (the only noise pix2pix has), and tanh out.
The U-Net concatenates encoder layer n - i onto the output of decoder layer i; the encoder-decoder does not.
Widths are ``ngf`` times 1, 2, 4, 8, 8, ... (the paper's ngf is 64).

Discriminator: ``patch`` is the paper's name for its receptive field on a 256x256 image: 1 (PixelGAN, 1x1
convolutions), 16, 70 (the paper's default) or ``image`` (one output for the whole image). On a smaller image of
side S a patch P keeps its share of the image: the net is the paper's recipe (n stride-2 4x4 convolutions, then two
stride-1 ones) with the smallest receptive field 9 * 2^n - 2 >= P * S / 256 (n >= 0; n = 0 gives 7). At S = 256
that is exactly 16 and 70; at S = 32 it is 7 and 16. ``receptive_field`` computes it from the layers.
"""
from __future__ import annotations

import math

import torch
from torch import nn

PATCHES = ("1", "16", "70", "image")
GENERATORS = ("unet", "encoder_decoder")


def _down(cin: int, cout: int, norm: bool, first: bool) -> nn.Sequential:
    layers: list[nn.Module] = [] if first else [nn.LeakyReLU(0.2)]
    layers += [nn.Conv2d(cin, cout, 4, 2, 1, bias=not norm)]
    return nn.Sequential(*layers, *([nn.BatchNorm2d(cout)] if norm else []))


def _up(cin: int, cout: int, dropout: bool, last: bool) -> nn.Sequential:
    layers = [nn.ReLU(), nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=last)]
    if last:
        return nn.Sequential(*layers, nn.Tanh())
    return nn.Sequential(*layers, nn.BatchNorm2d(cout), *([nn.Dropout(0.5)] if dropout else []))


class Translator(nn.Module):
    """U-Net (``skips=True``) or encoder-decoder: (N, in_ch, S, S) in [-1, 1] -> (N, out_ch, S, S) in [-1, 1]."""

    def __init__(self, in_ch: int, out_ch: int, size: int, ngf: int = 64, skips: bool = True) -> None:
        super().__init__()
        n = int(math.log2(size))
        if 2**n != size or n < 3:
            raise ValueError(f"size: {size} is not allowed, the generator halves the image to 1x1: a power of 2 >= 8")
        widths = [ngf * min(2**i, 8) for i in range(n)]
        self.skips = skips
        self.encoder = nn.ModuleList(_down(in_ch if i == 0 else widths[i - 1], widths[i], norm=0 < i < n - 1, first=i == 0) for i in range(n))
        grow = 2 if skips else 1  # a U-Net's decoder layer i > 1 reads its input concatenated with encoder layer n - i + 1
        self.decoder = nn.ModuleList(
            _up(widths[n - 1 - i] * (1 if i == 0 else grow), widths[n - 2 - i] if i < n - 1 else out_ch, dropout=i < 3, last=i == n - 1)
            for i in range(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for layer in self.encoder:
            x = layer(x)
            skips.append(x)
        x = self.decoder[0](skips.pop())
        for layer in self.decoder[1:]:
            x = layer(torch.cat([x, skips.pop()], 1) if self.skips else x)
        return x


def patch_layers(patch: str, size: int) -> int | None:
    """The number of stride-2 layers of the PatchGAN for ``patch`` on images of side ``size``; None for 1 and image."""
    if patch in ("1", "image"):
        return None
    target = int(patch) * size / 256
    return next(n for n in range(10) if 9 * 2**n - 2 >= target)


def patch_discriminator(in_ch: int, patch: str, size: int, ndf: int = 64) -> nn.Sequential:
    """The PatchGAN that judges ``in_ch``-channel images (the input and output stacked, for the cGAN) in patches;
    its outputs are logits, one per patch, which the loss averages."""
    if patch not in PATCHES:
        raise ValueError(f"patch: '{patch}' is not one of {', '.join(PATCHES)}")
    def act() -> nn.Module:
        return nn.LeakyReLU(0.2)

    if patch == "1":  # PixelGAN: the paper's 1x1 recipe, C64-C128 with 1x1 convolutions
        return nn.Sequential(nn.Conv2d(in_ch, ndf, 1), act(), nn.Conv2d(ndf, 2 * ndf, 1, bias=False), nn.BatchNorm2d(2 * ndf), act(),
                             nn.Conv2d(2 * ndf, 1, 1))
    def width(i: int) -> int:
        return ndf * min(2**i, 8)

    layers: list[nn.Module]
    if patch == "image":  # stride-2 layers down to 1x1: one judgement of the whole image
        n = int(math.log2(size))
        layers = [nn.Conv2d(in_ch, ndf, 4, 2, 1), act()]
        for i in range(1, n):
            layers += [nn.Conv2d(width(i - 1), width(i), 4, 2, 1, bias=False), nn.BatchNorm2d(width(i)), act()]
        return nn.Sequential(*layers, nn.Conv2d(width(n - 1), 1, 1))
    strided = patch_layers(patch, size)
    assert strided is not None  # "1" and "image" are built above
    n = strided
    layers = []
    cin = in_ch
    for i in range(n + 1):  # n stride-2 layers, then one of stride 1; no norm on the first
        stride = 2 if i < n else 1
        layers += [nn.Conv2d(cin, width(i), 4, stride, 1, bias=i == 0), *([nn.BatchNorm2d(width(i))] if i else []), act()]
        cin = width(i)
    return nn.Sequential(*layers, nn.Conv2d(cin, 1, 4, 1, 1))


def receptive_field(net: nn.Module) -> int:
    """The side of the input patch one output of a stack of convolutions sees: 1 + sum (k_i - 1) prod_{j<i} s_j."""
    rf, jump = 1, 1
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            rf += (m.kernel_size[0] - 1) * jump
            jump *= m.stride[0]
    return rf
