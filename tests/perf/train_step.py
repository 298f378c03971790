"""`make perf`: wall time per training step of the Lightning module against a plain PyTorch loop doing the same
updates on the same nets (ns_gan, infogan on mnist5k, batch 64), measured side by side in one run, on CPU and on
CUDA when present; and the step's achieved FLOP/s against this machine's matmul peak measured in the same run.

Both loops are fair: the same nets, the same in-memory data on the device, the same RealBatches sampler, the
same zero_grad(set_to_none=True), the fake batch detached for the D step, no per-step host sync other than the
one both do to check the losses are finite."""
from __future__ import annotations

import logging
import time

import torch
from tier import size

from ganbench.benchmark.data import get_dataset, load_split
from ganbench.benchmark.module import RealBatches, build_module
from ganbench.benchmark.config import resolve_config
from ganbench.benchmark.logs import quiet_libraries

logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
WARM_UP = size(10, 1)  # steps before the clock starts


def plain_loop(config, device, steps):
    torch.manual_seed(0)
    m = build_module(config, get_dataset(config.dataset).shape).to(device)
    real = RealBatches(load_split("mnist5k", "train"), 64, 0).to(device)
    G, D = m.generator, m.discriminator
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loss = m.variant.loss

    def step():
        x = real.next(device)
        with torch.no_grad():
            fake = G(torch.rand(64, 64, device=device) * 2 - 1)
        d_real = D(x)
        d_loss, _ = loss(d_real, D(fake))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        _, g_loss = loss(d_real.detach(), D(G(torch.rand(64, 64, device=device) * 2 - 1)))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        assert torch.isfinite(torch.stack([d_loss, g_loss])).all()

    for _ in range(size(10, 1)):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - t) / steps


def lightning_loop(config, device, steps):
    import pytorch_lightning as pl

    quiet_libraries()  # as `ganbench train` runs Lightning: its tips and deprecation notices are not the measurement
    torch.manual_seed(0)
    m = build_module(config, get_dataset(config.dataset).shape)
    m.real = RealBatches(load_split("mnist5k", "train"), 64, 0)
    times = []

    class Timer(pl.Callback):
        def on_train_batch_start(self, trainer, module, batch, idx):
            if idx == WARM_UP:
                if device == "cuda":
                    torch.cuda.synchronize()
                times.append(time.perf_counter())

        def on_train_end(self, trainer, module):
            if device == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter())

    trainer = pl.Trainer(max_epochs=1, accelerator="gpu" if device == "cuda" else "cpu", devices=1, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False, callbacks=[Timer()])
    trainer.fit(m, torch.utils.data.DataLoader(range(steps + WARM_UP), batch_size=None))
    return (times[1] - times[0]) / steps


def step_flops(config) -> float:
    """FLOPs of one training step, counted by torch's FLOP counter on the same computation."""
    from torch.utils.flop_counter import FlopCounterMode

    m = build_module(config, get_dataset(config.dataset).shape)
    x = torch.rand(64, 1, 28, 28)
    with FlopCounterMode(display=False) as fc:
        fake = m.generator(torch.rand(64, 64))
        d_loss, _ = m.variant.loss(m.discriminator(x), m.discriminator(fake.detach()))
        d_loss.backward()
        _, g_loss = m.variant.loss(torch.zeros(64, 1), m.discriminator(m.generator(torch.rand(64, 64))))
        g_loss.backward()
    return fc.get_total_flops()


def matmul_peak(device) -> float:
    n = size(2048 if device == "cpu" else 8192, 256)
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    for _ in range(3):
        a @ b
    if device == "cuda":
        torch.cuda.synchronize()
    reps = size(10 if device == "cpu" else 50, 1)
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    if device == "cuda":
        torch.cuda.synchronize()
    return 2 * n**3 * reps / (time.perf_counter() - t)


def main():
    config = resolve_config(variant="ns_gan", dataset="mnist5k", batch_size=64)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    flops = step_flops(config)
    for device in devices:
        steps = size(100 if device == "cpu" else 500, 3)
        # alternate the two, twice, and keep each one's best: background noise hits both alike
        plain, light = [], []
        for _ in range(size(2, 1)):
            plain.append(plain_loop(config, device, steps))
            light.append(lightning_loop(config, device, steps))
        p, l = min(plain), min(light)
        peak = matmul_peak(device)
        print(f"{device}: plain {p * 1e3:.2f} ms/step, lightning {l * 1e3:.2f} ms/step, ratio {l / p:.3f} (target <= 1.05); "
              f"{flops / 1e9:.2f} GFLOP/step -> {flops / l / 1e9:.1f} GFLOP/s = {flops / l / peak:.1%} of the measured "
              f"fp32 matmul peak {peak / 1e9:.0f} GFLOP/s ({torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main()
