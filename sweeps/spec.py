"""The study spec: a YAML file validated on load, with errors that name the field."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .spaces import SPACES, SpaceError, check_space, named_space, replayed_settings, settings_for, variant_defaults


class SpecError(ValueError):
    pass


class JournalError(ValueError):
    """A study's journal file has a record that cannot be read; the message says where and what to do."""


@dataclass(frozen=True)
class Spec:
    name: str
    variants: list
    datasets: list
    space: str | dict  # a name for every variant, or {variant: name or written-out space}
    settings: int  # the budget: settings per (variant, data set) ...
    steps: int
    seeds: int = 0  # ... then the best setting re-trained with this many seeds
    seed: int = 0
    arch: str | None = None
    eval_every: int | None = None
    extractor: str | None = None
    n_fake: int = 10_000
    n_real: int = 10_000
    sampler: str = "random"
    pruner: str = "none"
    protocol: str = "ganbench"  # benchmark.protocols: what a step is, defaults, spaces, nets, losses
    pack: int | list = 1  # PacGAN packing; a list runs one study per degree (GAN, PacGAN2, ...)
    generators: int = 1  # a uniform mixture of this many generators
    experiment: str | None = None  # lucic2018: the study's experiment whose draws the random search replays

    def experiment_for(self, dataset: str) -> str | None:
        """The study's experiment replayed on ``dataset``: the spec's, else the one that searched this space on it."""
        if self.protocol != "lucic2018":
            return None
        from benchmark.protocols import lucic2018

        return self.experiment or lucic2018.experiment_for(dataset, self.space if isinstance(self.space, str) else "")

    def settings_for(self, variant: str, dataset: str, n: int) -> list[dict]:
        """The settings enqueued for a search: all n for the random search, the defaults alone for an adaptive
        sampler. Under lucic2018 the random search replays the study's own draws."""
        if self.protocol == "lucic2018":
            if self.sampler != "random":
                return [variant_defaults(variant, self.protocol, self.space_label(variant))]
            return replayed_settings(self.experiment_for(dataset), variant, n)
        from benchmark.data import get_dataset

        space, info = self.space_for(variant, dataset), get_dataset(dataset)
        own = info.defaults
        # the first setting: the variant's defaults, under the data set's own protocol, then the space's constants
        first = variant_defaults(variant, on_points=len(info.shape) == 1)
        first = {**first, **{k: own[k] for k in first if k in own}, **{k: v for k, v in space.items() if not isinstance(v, list)}}
        if self.sampler != "random":
            return [first]
        return [first] + settings_for(space, variant, n, self.seed)[1:]

    def space_label(self, variant: str) -> str:
        s = self.space if isinstance(self.space, str) else self.space[variant]
        return s if isinstance(s, str) else "custom"

    def space_for(self, variant: str, dataset: str | None = None) -> dict:
        """The variant's space; on a data set with its own protocol (PacGAN's 2-D mixtures) a named space's
        constants (batch size, latent size) are that protocol's."""
        s = self.space if isinstance(self.space, str) else self.space[variant]
        if not isinstance(s, str):
            return s
        space = named_space(s, variant, self.protocol)
        if dataset is not None:
            from benchmark.data import get_dataset

            own = get_dataset(dataset).defaults
            space.update({k: own[k] for k, v in space.items() if k in own and not isinstance(v, list)})
        return space

    @property
    def packs(self) -> list[int]:
        return list(self.pack) if isinstance(self.pack, list) else [self.pack]

    def cells(self) -> list[tuple[str, str, int]]:
        """(variant, data set, pack) of every study the spec runs."""
        return [(v, d, m) for v in self.variants for d in self.datasets for m in self.packs]

    def study_name(self, variant: str, dataset: str, pack: int = 1) -> str:
        return f"{self.name}.{variant}.{dataset}.{self.space_label(variant)}" + (f".pack{pack}" if pack > 1 else "")

    def seed_study_name(self, variant: str, dataset: str, pack: int = 1) -> str:
        return self.study_name(variant, dataset, pack) + ".seeds"

    @property
    def budget_steps(self) -> int:
        """The compute budget of each (variant, data set), in training steps: a pruner may spend it on more settings."""
        return self.settings * self.steps


def load_spec(path: Path | str) -> Spec:
    from benchmark.data import DataError, canonical_name, get_dataset
    from benchmark.variants import VariantError, get_variant

    path = Path(path)
    if not path.is_file():
        raise SpecError(f"spec: no file at {path}")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:  # a syntax error, or a tag such as !!python/object that safe_load refuses
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SpecError(f"spec: {path} is not valid YAML{where}: {getattr(e, 'problem', None) or e}") from None
    if not isinstance(raw, dict):
        raise SpecError("spec: the file must hold a mapping of fields")
    known = set(Spec.__dataclass_fields__) | {"budget"}
    for k in raw:
        if k not in known:
            raise SpecError(f"{k}: unknown field, known are {', '.join(sorted(known))}")
    raw.setdefault("name", path.stem)
    if not isinstance(raw["name"], str) or not raw["name"] or raw["name"].startswith(".") or any(c in raw["name"] for c in "/\\"):
        raise SpecError(f"name: {raw['name']!r} is not allowed, must be a plain name (no path separators, not starting with '.')")
    budget = raw.pop("budget", None)
    if not isinstance(budget, dict) or "settings" not in budget:
        raise SpecError("budget: required, a mapping with 'settings' (hyperparameter settings per variant and data set)")
    for k in budget:
        if k not in ("settings", "seeds"):
            raise SpecError(f"budget.{k}: unknown field, known are settings, seeds")
    raw["settings"] = budget["settings"]
    raw["seeds"] = budget.get("seeds", 0)

    if isinstance(raw.get("datasets"), list):
        raw["datasets"] = [canonical_name(d) for d in raw["datasets"]]
    for field, lookup in (("variants", get_variant), ("datasets", get_dataset)):
        if not isinstance(raw.get(field), list) or not raw[field]:
            raise SpecError(f"{field}: required, a non-empty list of names")
        for x in raw[field]:
            try:
                lookup(x)
            except (VariantError, DataError) as e:
                raise SpecError(f"{field}: {str(e).partition(': ')[2]}") from None
    _check_spaces(raw)
    if raw.get("sampler", "random") not in ("random", "tpe"):
        raise SpecError(f"sampler: '{raw['sampler']}' is not one of random, tpe")
    _check_protocol(raw)
    if raw.get("arch") is not None:
        from benchmark.nets import ARCHITECTURES

        if raw["arch"] not in ARCHITECTURES:
            raise SpecError(f"arch: unknown '{raw['arch']}', choose one of {', '.join(ARCHITECTURES)}")
        if all(ARCHITECTURES[raw["arch"]].check(get_dataset(d).shape) for d in raw["datasets"]):
            raise SpecError(f"arch: '{raw['arch']}' fits none of the data sets {raw['datasets']}")
    pack = raw.get("pack", 1)
    packs = pack if isinstance(pack, list) and pack else [pack]
    if any(not isinstance(m, int) or isinstance(m, bool) or m < 1 for m in packs) or len(set(packs)) != len(packs):
        raise SpecError(f"pack: {pack!r} is not allowed, must be an integer >= 1 or a list of distinct ones")
    if raw.get("pruner", "none") not in ("none", "hyperband"):
        raise SpecError(f"pruner: '{raw['pruner']}' is not one of none, hyperband")
    for field in ("settings", "steps"):
        if not isinstance(raw.get(field), int) or raw[field] < 1:
            raise SpecError(f"{'budget.settings' if field == 'settings' else field}: {raw.get(field)!r} is not allowed, must be an integer >= 1")
    if not isinstance(raw["seeds"], int) or raw["seeds"] < 0:
        raise SpecError(f"budget.seeds: {raw['seeds']!r} is not allowed, must be an integer >= 0")
    if raw.get("pruner", "none") == "hyperband":
        image = [d for d in raw["datasets"] if get_dataset(d).is_image]
        if not raw.get("eval_every") or len(image) != len(raw["datasets"]):
            raise SpecError("pruner: hyperband prunes on FID during training; it needs eval_every >= 1 and image data sets only")
    spec = Spec(**raw)
    from benchmark.train import ConfigError, resolve_config

    import numpy as np

    from .spaces import sample

    for v, d, m in spec.cells():  # every combination resolves, so a typo fails now rather than in a worker
        try:
            resolve_config(**trial_config(spec, v, d, sample(spec.space_for(v, d), np.random.default_rng(0)), seed=0, pack=m))
        except ConfigError as e:
            raise SpecError(f"{e} (variant {v}, dataset {d})") from None
    return spec


def _check_protocol(raw: dict) -> None:
    from benchmark.protocols import PROTOCOLS
    from benchmark.protocols import lucic2018

    protocol = raw.get("protocol", "ganbench")
    if not isinstance(protocol, str) or protocol not in PROTOCOLS:
        raise SpecError(f"protocol: {protocol!r} is not allowed, a spec runs under one protocol: {', '.join(PROTOCOLS)}")
    if protocol != "lucic2018":
        if raw.get("experiment") is not None:
            raise SpecError("experiment: only protocol lucic2018 replays a study experiment")
        return
    outside = [v for v in raw["variants"] if v not in lucic2018.GAN_TYPE]
    if outside:
        raise SpecError(f"variants: {outside[0]} is not in the Lucic et al. study; under protocol lucic2018 choose from {', '.join(lucic2018.GAN_TYPE)}")
    if not isinstance(raw.get("space"), str):
        raise SpecError("space: protocol lucic2018 searches the study's own spaces, wide or narrow")
    experiment = raw.get("experiment")
    if experiment is not None:
        if experiment not in lucic2018.EXPERIMENTS:
            raise SpecError(f"experiment: unknown '{experiment}', choose one of {', '.join(lucic2018.EXPERIMENTS)}")
        _, n, space = lucic2018.EXPERIMENTS[experiment]
        if space != raw["space"]:
            raise SpecError(f"experiment: {experiment} searched the {space} space, the spec says space: {raw['space']}")
    else:
        for d in raw["datasets"]:
            if lucic2018.experiment_for(d, raw["space"]) is None:
                raise SpecError(f"experiment: the study ran no {raw['space']} search on {d}; name the experiment whose draws to replay")
        n = lucic2018.EXPERIMENTS[lucic2018.experiment_for(raw["datasets"][0], raw["space"])][1]
    if raw.get("sampler", "random") == "random" and isinstance(raw.get("settings"), int) and raw["settings"] > n:
        raise SpecError(f"budget.settings: the study drew {n} settings per model; a replay has no more than that")


def _yaml_number(value):
    """YAML 1.1 reads 1e-4 (no dot) as a string: take it as the number it is meant to be."""
    if isinstance(value, list):
        return [_yaml_number(x) for x in value]
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _check_spaces(raw: dict) -> None:
    space, variants = raw.get("space"), raw["variants"]
    per_variant = space if isinstance(space, dict) else {v: space for v in variants}
    if isinstance(space, dict):
        extra = set(space) - set(variants)
        missing = [v for v in variants if v not in space]
        if extra or missing:
            raise SpecError(f"space: a mapping needs one entry per variant: missing {missing}, not in variants {sorted(extra)}")
    for v, s in per_variant.items():
        where = "space" if isinstance(space, str) else f"space.{v}"
        if isinstance(s, str):
            if s not in SPACES:
                raise SpecError(f"{where}: '{s}' is not one of {', '.join(SPACES)} (or write the space out)")
            continue
        per_variant[v] = s = {k: _yaml_number(x) for k, x in s.items()} if isinstance(s, dict) else s
        if isinstance(space, dict):
            space[v] = s
        try:
            check_space(s, where)
        except SpaceError as e:
            raise SpecError(str(e)) from None


def trial_config(spec: Spec, variant: str, dataset: str, params: dict, seed: int, pack: int = 1) -> dict:
    from benchmark.data import get_dataset

    # checkpoints (for resuming a killed trial) every tenth of the run, but not more often than every 100 steps:
    # an infogan checkpoint with Adam's state is ~150 MB, and writing one costs more than a short trial's steps
    info = get_dataset(dataset)
    # FID settings apply to images only (mixtures are scored by their modes); a paired data set is scored once at
    # the end on n_fake held-out pairs
    image = info.is_image and not info.is_paired
    from benchmark.nets import ARCHITECTURES

    # a spec's arch applies to the data sets it fits: an image net to images, a vector net to the 2-D mixtures
    fits = spec.arch in ARCHITECTURES and ARCHITECTURES[spec.arch].check(info.shape) is None
    arch = spec.arch if fits and not info.is_paired else None
    return dict(variant=variant, dataset=dataset, protocol=spec.protocol, steps=spec.steps, arch=arch, seed=seed,
                eval_every=spec.eval_every if image else None, extractor=spec.extractor if image or info.is_paired else None,
                n_fake=spec.n_fake, n_real=spec.n_real, checkpoint_every=max(100, spec.steps // 10), pack=pack,
                generators=spec.generators, **params)
