"""FID at checkpoints during training: the study's result is the minimum over checkpoints."""
from __future__ import annotations

import math

import pytorch_lightning as pl


class FIDSchedule(pl.Callback):
    """Scores the generator every ``every`` steps (and at the end) on fixed latents. ``should_stop(step, fid)``,
    if given, is asked after each intermediate score (a sweep's pruner); True ends training there."""

    def __init__(self, config: dict, should_stop=None):
        self.config, self.every, self.history = config, config["eval_every"], []
        self.scored, self.should_stop, self.stopped = {}, should_stop, False

    def _score(self, module, final: bool = False) -> None:
        from .fidelity import evaluate_generator

        c = self.config  # KID and precision/recall of the final generator only: FID alone picks the best checkpoint
        r = evaluate_generator(module.generator, c["z_dim"], c["dataset"], c["extractor"], c["n_fake"], c["n_real"],
                               data_root=c["data_root"], device=str(module.device), kid=final, prc=final,
                               prior=module.prior, dataset_specific=final)
        self.history.append({"step": int(module.generator_steps), "fid": r["fid"]})
        self.scored = r

    def on_train_batch_end(self, trainer, module, *args) -> None:
        if self.every and module.generator_steps % self.every == 0 and module.generator_steps < self.config["steps"]:
            self._score(module)
            if self.should_stop is not None and self.should_stop(self.history[-1]["step"], self.history[-1]["fid"]):
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
        best = min(self.history, key=lambda h: h["fid"] if math.isfinite(h["fid"]) else math.inf)
        final = {k: v for k, v in self.scored.items() if k not in ("fid", "extractor", "extractor_weights", "n_fake", "n_real")}
        return {**final, "fid_min": best["fid"], "fid_min_step": best["step"], "fid_final": self.history[-1]["fid"],
                "fid_history": self.history, "extractor": self.scored.get("extractor"),
                "extractor_weights": self.scored.get("extractor_weights"), "n_fake": self.config["n_fake"], "n_real": self.scored.get("n_real")}
