"""FID at checkpoints during training: the study's result is the minimum over checkpoints."""
from __future__ import annotations

import math

import pytorch_lightning as pl

from ..protocols.lucic2018 import NAN_DETECTED, checkpoint_due


class FIDSchedule(pl.Callback):
    """Scores the generator every ``every`` steps (and at the end) on fixed latents. ``should_stop(step, fid)``,
    if given, is asked after each intermediate score (a sweep's pruner); True ends training there.

    Under ``lucic2018`` the checkpoints fall where the study's fall: after step index s > 0 with s % every == 0
    (abstract_gan.py:166-167), and at the end. A generator that makes NaNs gets no FID: its history entry holds
    ``fid: null`` and the study's sentinel 31337 under ``sentinel``, apart from real values."""

    def __init__(self, config: dict, should_stop=None):
        self.config, self.every, self.history = config, config["eval_every"], []
        self.scored, self.should_stop, self.stopped = {}, should_stop, False
        self.study = config.get("protocol") == "lucic2018"

    def _score(self, module, final: bool = False) -> None:
        from .fidelity import NaNSamples, evaluate_generator

        c = self.config  # KID and precision/recall of the final generator only: FID alone picks the best checkpoint
        try:
            r = evaluate_generator(module.generator, c["z_dim"], c["dataset"], c["extractor"], c["n_fake"], c["n_real"],
                                   data_root=c["data_root"], device=str(module.device), kid=final, prc=final,
                                   prior=module.prior, dataset_specific=final)
        except NaNSamples:
            self.history.append({"step": int(module.steps_done), "fid": None, "sentinel": NAN_DETECTED})
            return
        self.history.append({"step": int(module.steps_done), "fid": r["fid"]})
        self.scored = r

    def _due(self, done: int) -> bool:
        if not self.every or done >= self.config["steps"]:
            return False
        return checkpoint_due(done, self.every) if self.study else done % self.every == 0

    def on_train_batch_end(self, trainer, module, *args) -> None:
        if self._due(module.steps_done):
            self._score(module)
            last = self.history[-1]
            if self.should_stop is not None and self.should_stop(last["step"], last["fid"] if last["fid"] is not None else math.inf):
                self.stopped = trainer.should_stop = True

    def on_train_end(self, trainer, module) -> None:
        self._score(module, final=True)

    def state_dict(self) -> dict:
        return {"history": self.history}

    def load_state_dict(self, state: dict) -> None:
        self.history = state["history"]

    def results(self) -> dict:
        if not self.history:
            return {}
        finite = [h for h in self.history if h["fid"] is not None and math.isfinite(h["fid"])]
        best = min(finite, key=lambda h: h["fid"]) if finite else {"fid": None, "step": None}
        final = {k: v for k, v in self.scored.items() if k not in ("fid", "extractor", "extractor_weights", "n_fake", "n_real")}
        out = {**final, "fid_min": best["fid"], "fid_min_step": best["step"], "fid_final": self.history[-1]["fid"],
               "fid_history": self.history, "extractor": self.scored.get("extractor"),
               "extractor_weights": self.scored.get("extractor_weights"), "n_fake": self.scored.get("n_fake", self.config["n_fake"]),
               "n_real": self.scored.get("n_real")}
        if not finite:
            out["fid_sentinel"] = NAN_DETECTED  # every checkpoint made NaNs: the study's stored value, kept apart
        return out
