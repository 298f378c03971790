"""The study spec: a YAML file validated on load, with errors that name the field."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .spaces import SPACES


class SpecError(ValueError):
    pass


@dataclass(frozen=True)
class Spec:
    name: str
    variants: list
    datasets: list
    space: str
    settings: int  # the budget: settings per (variant, data set)
    steps: int
    seed: int = 0
    arch: str | None = None
    eval_every: int | None = None
    extractor: str | None = None
    n_fake: int = 10_000
    n_real: int = 10_000
    sampler: str = "random"

    def study_name(self, variant: str, dataset: str) -> str:
        return f"{self.name}.{variant}.{dataset}.{self.space}"


def load_spec(path: Path | str) -> Spec:
    from benchmark.data import DATASETS
    from benchmark.variants import VARIANTS

    path = Path(path)
    if not path.is_file():
        raise SpecError(f"spec: no file at {path}")
    raw = yaml.safe_load(path.read_text()) or {}
    if not isinstance(raw, dict):
        raise SpecError("spec: the file must hold a mapping of fields")
    known = set(Spec.__dataclass_fields__) | {"budget"}
    for k in raw:
        if k not in known:
            raise SpecError(f"{k}: unknown field, known are {', '.join(sorted(known))}")
    raw.setdefault("name", path.stem)
    budget = raw.pop("budget", None)
    if not isinstance(budget, dict) or "settings" not in budget:
        raise SpecError("budget: required, a mapping with 'settings' (hyperparameter settings per variant and data set)")
    raw["settings"] = budget["settings"]

    def names(field, allowed):
        v = raw.get(field)
        if not isinstance(v, list) or not v:
            raise SpecError(f"{field}: required, a non-empty list from {', '.join(allowed)}")
        for x in v:
            if x not in allowed:
                raise SpecError(f"{field}: unknown '{x}', choose from {', '.join(allowed)}")

    names("variants", list(VARIANTS))
    names("datasets", list(DATASETS))
    if raw.get("space") not in SPACES:
        raise SpecError(f"space: '{raw.get('space')}' is not one of {', '.join(SPACES)}")
    if raw.get("sampler", "random") != "random":
        raise SpecError(f"sampler: '{raw['sampler']}' is not supported yet; use random")
    for field in ("settings", "steps"):
        if not isinstance(raw.get(field), int) or raw[field] < 1:
            raise SpecError(f"{'budget.settings' if field == 'settings' else field}: {raw.get(field)!r} is not allowed, must be an integer >= 1")
    spec = Spec(**raw)
    from benchmark.train import ConfigError, resolve_config

    for v in spec.variants:  # every combination resolves, so a typo fails now rather than in a worker
        for d in spec.datasets:
            try:
                resolve_config(**trial_config(spec, v, d, {}, seed=0))
            except ConfigError as e:
                raise SpecError(f"{e} (variant {v}, dataset {d})") from None
    return spec


def trial_config(spec: Spec, variant: str, dataset: str, params: dict, seed: int) -> dict:
    from benchmark.data import DATASETS

    image = DATASETS[dataset].is_image  # FID settings apply to images only; mixtures are scored by their modes
    return dict(variant=variant, dataset=dataset, steps=spec.steps, arch=spec.arch if image else None, seed=seed,
                eval_every=spec.eval_every if image else None, extractor=spec.extractor if image else None,
                n_fake=spec.n_fake, n_real=spec.n_real, checkpoint_every=max(1, spec.steps // 10), **params)
