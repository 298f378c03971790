"""FID at checkpoints during training: the study's result is the minimum over checkpoints, and the weights
that made it are kept (``best.ckpt``), so the score can be reproduced from the run's files."""
from __future__ import annotations

import math
import os
from pathlib import Path

import torch

import pytorch_lightning as pl

from typing import TYPE_CHECKING, Any, Callable, cast

from ..protocols import get_protocol
from ..protocols.lucic2018 import NAN_DETECTED
from .modes import epoch_scores

if TYPE_CHECKING:  # annotations only
    from ..data import DatasetInfo
    from ..module import GANModule

if TYPE_CHECKING:
    from ..config import RunConfig


class FIDSchedule(pl.Callback):
    """Scores the generator every ``every`` steps (and at the end) on fixed latents. ``should_stop(step, fid)``,
    if given, is asked after each intermediate score (a sweep's pruner); True ends training there.

    Under ``lucic2018`` the checkpoints fall where the study's fall: after step index s > 0 with s % every == 0
    (abstract_gan.py:166-167), and at the end. A generator that makes NaNs gets no FID: its history entry holds
    ``fid: null`` and the study's sentinel 31337 under ``sentinel``, apart from real values.

    Each new minimum writes the module's weights to ``best_path`` (``{"state_dict", "step", "fid"}``, loadable
    with ``weights_only=True``); each score goes to the trainer's loggers as ``fid`` at its step."""

    def __init__(self, config: RunConfig, should_stop: Callable[[int, float], bool] | None=None, best_path: Path | None = None) -> None:
        self.config, self.every = config, config.eval_every
        self.history: list[dict[str, Any]] = []
        self.scored: dict[str, Any] = {}
        self.should_stop, self.stopped = should_stop, False
        self.raw: dict[str, Any] = {}  # the trained generator's final scores where an averaged one is scored
        self.protocol = get_protocol(config.protocol)
        self.best_path = Path(best_path) if best_path else None

    def _best_so_far(self) -> float:
        return min((h["fid"] for h in self.history if h["fid"] is not None and math.isfinite(h["fid"])), default=math.inf)

    def _keep_if_best(self, module: GANModule, step: int, fid: float) -> None:
        if self.best_path is None or not math.isfinite(fid) or fid >= self._best_so_far():
            return
        tmp = self.best_path.with_name(f".{self.best_path.name}.tmp")
        torch.save({"state_dict": {k: v.detach().cpu() for k, v in module.state_dict().items()}, "step": step, "fid": fid}, tmp)
        os.replace(tmp, self.best_path)

    def _score(self, trainer: pl.Trainer, module: GANModule, final: bool = False) -> None:
        from .fidelity import NaNSamples, ScoringRequest, evaluate_generator

        # KID and precision/recall of the final generator only: FID alone picks the best checkpoint
        request = ScoringRequest.of_run(self.config, module.prior, str(module.device), kid=final, prc=final, dataset_specific=final)
        try:
            # scoring draws nothing from the training's random streams: a cold feature cache (its data loader takes a
            # seed from torch's global generator) must not change what the next steps train on
            with torch.random.fork_rng(devices=[module.device] if module.device.type == "cuda" else []):
                r = evaluate_generator(module.scored_generator, request)
                if final and module.generator_ema is not None:  # the trained generator's final scores, beside the EMA's
                    raw = evaluate_generator(module.generator, request)
                    self.raw = {k: v for k, v in raw.items() if k not in ("extractor", "extractor_weights", "n_fake", "n_real")}
        except NaNSamples:
            self.history.append({"step": int(module.steps_done), "fid": None, "sentinel": NAN_DETECTED})
            return
        step = int(module.steps_done)
        self._keep_if_best(module, step, r["fid"])
        self.history.append({"step": step, "fid": r["fid"]})
        self.scored = r
        for logger in trainer.loggers:
            logger.log_metrics({"fid": r["fid"]}, step=step)

    def _due(self, done: int) -> bool:
        if not self.every or done >= self.config.steps:
            return False
        return self.protocol.fid_due(done, self.every)

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        module = cast("GANModule", pl_module)
        if self._due(module.steps_done):
            self._score(trainer, module)
            last = self.history[-1]
            if self.should_stop is not None and self.should_stop(last["step"], last["fid"] if last["fid"] is not None else math.inf):
                self.stopped = trainer.should_stop = True

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._score(trainer, cast("GANModule", pl_module), final=True)

    def state_dict(self) -> dict[str, Any]:
        return {"history": self.history}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.history = state["history"]

    def results(self) -> dict[str, Any]:
        if not self.history:
            return {}
        finite = [h for h in self.history if h["fid"] is not None and math.isfinite(h["fid"])]
        best = min(finite, key=lambda h: h["fid"]) if finite else {"fid": None, "step": None}
        final = {k: v for k, v in self.scored.items() if k not in ("fid", "extractor", "extractor_weights", "n_fake", "n_real")}
        out = {**final, "fid_min": best["fid"], "fid_min_step": best["step"], "fid_final": self.history[-1]["fid"],
               "fid_history": self.history, "extractor": self.scored.get("extractor"),
               "extractor_weights": self.scored.get("extractor_weights"), "n_fake": self.scored.get("n_fake", self.config.n_fake),
               "n_real": self.scored.get("n_real")}
        if not finite:
            out["fid_sentinel"] = NAN_DETECTED  # every checkpoint made NaNs: the study's stored value, kept apart
        return out


class MixtureEpochs(pl.Callback):
    """PacGAN's metrics after every epoch (``every`` steps) on a mixture with known modes, into the run's curves,
    under protocols whose step does not log them itself (pacgan2018's does, with its own batch-norm pass)."""

    def __init__(self, info: DatasetInfo, every: int) -> None:
        self.info, self.every = info, every

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        module = cast("GANModule", pl_module)
        if module.steps_done % self.every == 0:
            row = {"epoch": module.steps_done // self.every,
                   **epoch_scores(module.scored_generator, module.config.z_dim, module.prior, module.device, self.info)}
            for logger in trainer.loggers:
                logger.log_metrics(row, step=module.steps_done)
