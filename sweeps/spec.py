"""The study spec: a YAML file validated on load, with errors that name the field."""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable

import numpy as np
import yaml

from ganbench.benchmark.config import resolve_config
from ganbench.benchmark.data import DATASETS, DataError, canonical_name, get_dataset
from ganbench.benchmark.identity import Phase, TrialIdentity
from ganbench.benchmark.nets import ARCHITECTURES
from ganbench.benchmark.protocols import DEFAULT_PROTOCOL, PROTOCOLS, get_protocol, lucic2018
from ganbench.benchmark.schema import COMMAND_FIELDS, RUN_FIELDS, UINT32_MAX, ConfigError, Field, did_you_mean
from ganbench.benchmark.variants import RECIPES, VARIANTS, VariantError, get_variant, import_variant

from .spaces import (
    SPACES,
    SpaceError,
    check_space,
    named_space,
    recipe_space,
    replayed_settings,
    sample,
    searchable,
    settings_for,
    variant_defaults,
    variant_space,
)


class SpecError(ConfigError):
    """A spec that cannot be run; the message starts with the field's dotted name."""


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
    objective: str = "auto"  # what ranks the trials (OBJECTIVES)
    trials_per_device: int = 1  # worker processes sharing one device (a GPU, or the CPU); the executors' --trials-per-device
    start: str = "shared"  # each arm's first setting and constants: the named space's (Lucic's rule) or its paper's recipe
    workload: str = "train"  # train, or synthetic: a load test of the sweep machinery (SPEC_WORKLOADS)

    def experiment_for(self, dataset: str) -> str | None:
        """The study's experiment replayed on ``dataset``: the spec's, else the one that searched this space on it
        (under a protocol that replays a study's draws)."""
        return get_protocol(self.protocol).experiment_for(dataset, self.space if isinstance(self.space, str) else "", self.experiment)

    def settings_for(self, variant: str, dataset: str, n: int) -> list[dict]:
        """The settings enqueued for a search: all n for the random search, the defaults alone for an adaptive
        sampler. Under lucic2018 the random search replays the study's own draws."""
        experiment = self.experiment_for(dataset)
        if experiment is not None:
            if self.sampler != "random":
                return [variant_defaults(variant, self.protocol, self.space_label(variant))]
            return replayed_settings(self.protocol, experiment, variant, n)
        space, info = self.space_for(variant, dataset), get_dataset(dataset)
        # the first setting: what `ganbench train` resolves for this variant and data set given the space's constants
        # as flags (one resolver, benchmark.config.resolve_config: the variant's recipe, the data set's protocol and
        # the fallbacks in its declared order), read off at the fields a setting holds
        constants = {k: v for k, v in space.items() if not isinstance(v, list)}
        if self.start == "recipe":  # the recipe itself first, its tuned settings at the recipe's values
            recipe = get_variant(variant).recipe
            assert recipe is not None, f"{variant} has no recipe: the spec's check refuses start: recipe for it"
            constants.update({k: recipe.settings[k] for k in recipe.tuned if k in space})
        resolved = resolve_config(**trial_config(self, self.trial(variant, dataset, self.packs[0]), constants, seed=0)).to_dict()
        first = {k: resolved[k] for k in {**variant_defaults(variant, on_points=len(info.shape) == 1), **constants}}
        if self.sampler != "random":
            return [first]
        return [first] + settings_for(space, variant, n, self.seed)[1:]

    def trial(self, variant: str, dataset: str, pack: int, phase: Phase = Phase.SEARCH, setting: int | None = 0,
              seed_index: int | None = None) -> TrialIdentity:
        """The identity of a trial of the cell (variant, data set, pack): what it records and is retried as."""
        return TrialIdentity(variant=variant, dataset=dataset, space=self.space_label(variant), protocol=self.protocol, pack=pack,
                             phase=phase, setting=setting, seed_index=seed_index, experiment=self.experiment_for(dataset))

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
        if dataset is not None:  # the data set's constants, where the variant's own ranges do not fix its own for this space
            own, ranges = get_dataset(dataset).defaults, variant_space(get_variant(variant), s)
            space.update({k: own[k] for k, v in space.items() if k in own and not isinstance(v, list) and k not in ranges})
        if self.start == "recipe":  # over the data set's and the space's; what the protocol fixes still stands over it
            space = recipe_space(space, get_variant(variant).recipe)
            space.update({k: x for k, x in get_protocol(self.protocol).fixed.items() if k in space})
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

    def trial_seed(self, phase: Phase, index: int) -> int:
        """The training seed of a trial: its setting's (search) or its seed run's (seed phase) index from the spec's seed."""
        return (SEED_OFFSET if phase == Phase.SEED else 0) + self.seed * 1000 + index

    @property
    def budget_steps(self) -> int:
        """The compute budget of each (variant, data set), in training steps: a pruner may spend it on more settings."""
        return self.settings * self.steps


# What a study may rank its trials by, each as the value it minimises: metrics.json's key and how it is turned into one.
# auto: the minimum FID over checkpoints on images, the mixture mismatch on mixtures with known modes, the mode KL
# (Stacked MNIST without FID), the sliced W1 on your own points. Density is no objective: its ideal is 1, not an extreme.
@dataclass(frozen=True)
class Objective:
    key: str  # metrics.json's key
    sign: float  # +1 minimised, -1 maximised
    measured_on: str  # the data sets that yield the key, in words
    measures: Callable[[Any], bool]  # (DatasetInfo) -> whether a run on it yields the key

    def __iter__(self):  # unpacks as (key, sign)
        return iter((self.key, self.sign))


_IMAGES = ("image data sets", lambda info: info.is_image)
OBJECTIVES = {"fid": Objective("fid_min", 1.0, *_IMAGES), "kid": Objective("kid", 1.0, *_IMAGES),
              "coverage": Objective("coverage", -1.0, *_IMAGES),
              "mode_kl": Objective("mode_kl", 1.0, "mode-counting data sets (the 2-D mixtures, Stacked MNIST)",
                                   lambda info: info.modes > 0),
              "mixture_mismatch": Objective("mixture_mismatch", 1.0, "the 2-D mixtures of known modes (ring8, grid25, ...)",
                                            lambda info: info.mode_centres is not None)}
FINAL_SCORES = ("kid", "coverage")  # computed with the final FID: the spec needs eval_every

# What a trial does. synthetic trials train nothing: their score is synthetic_score(seed), which the load harness
# (tests/perf/sweep_scale.py) checks trial by trial, so a trial told twice or told another's result is seen.
SPEC_WORKLOADS = {"train": "each trial trains its setting and is scored",
             "synthetic": "each trial records synthetic_score(seed) without training: a load test, not a result"}


def synthetic_score(seed: int) -> float:
    """A synthetic trial's score: a fixed function of its training seed, in [0, 1)."""
    return (((seed + 1) * 2654435761) % 2**32) / 2**32  # Knuth's multiplicative hash


SEED_OFFSET = 100_000  # seed-phase seeds never coincide with a search trial's seed (spec.seed * 1000 + setting)
MAX_TRIALS = 100_000  # settings, or seed runs, of one (variant, data set): budget's bound
# the largest spec seed whose every trial seed is a seed a run takes (schema.UINT32_MAX)
MAX_SPEC_SEED = (UINT32_MAX - SEED_OFFSET - MAX_TRIALS) // 1000

# The spec's own fields; the run settings it shares with `ganbench train` are the run schema's fields themselves.
SPEC_FIELDS: dict[str, Field] = {f.name: f for f in [
    Field("name", str, None, "the study's name (default: the spec file's name); its folder is runs/NAME"),
    RUN_FIELDS["protocol"], RUN_FIELDS["steps"].with_default(None),
    RUN_FIELDS["seed"].with_default(0, help="the search's seed: trial i trains with seed 1000 * seed + i", le=MAX_SPEC_SEED),
    RUN_FIELDS["arch"], RUN_FIELDS["eval_every"], RUN_FIELDS["extractor"], RUN_FIELDS["n_fake"], RUN_FIELDS["n_real"],
    RUN_FIELDS["generators"],
    Field("sampler", str, "random", "random: the settings drawn when the study is created; tpe: Optuna's TPE picks them",
          choices=("random", "tpe")),
    Field("pruner", str, "none", "hyperband stops poor trials at FID checkpoints (needs eval_every) and spends the steps on more settings",
          choices=("none", "hyperband")),
    Field("experiment", str, None, "protocol lucic2018: the study's experiment whose draws the random search replays",
          choices=lambda: tuple(lucic2018.EXPERIMENTS)),
    Field("objective", str, "auto", "what ranks the trials: auto (min FID on images, the mixture mismatch on mixtures, the "
          "mode KL on Stacked MNIST without FID), fid, kid or coverage (these three need eval_every), mode_kl, "
          "mixture_mismatch; coverage is maximised, the others minimised", choices=("auto", *OBJECTIVES)),
    Field("start", str, "shared", "where each arm starts: shared, the named space's defaults and constants for every arm "
          "(Lucic et al.'s rule); recipe, each variant's paper's settings (`ganbench variants --recipes`), its tuned "
          "ones searched over a decade around them; needs a named space and variants that declare a recipe",
          choices=("shared", "recipe")),
    Field("workload", str, "train", "train: every trial trains and is scored; synthetic: every trial records a score drawn "
          "from its seed without training, to load-test the sweep machinery (storage, claims, workers, report) at a "
          "study's scale; its status and report say so, and it is never reported beside trained studies",
          choices=tuple(SPEC_WORKLOADS)),
    COMMAND_FIELDS["trials_per_device"].with_default(1, help="trials sharing one device: k worker processes per GPU (or per "
                                                     "local slot on a CPU); `make gpu-check` measures what k saves, "
                                                     "`ganbench sweep plan` prices it"),
]}
BUDGET_FIELDS: dict[str, Field] = {f.name: f for f in [
    Field("settings", int, None, "hyperparameter settings per variant and data set (the budget)", ge=1, le=MAX_TRIALS),
    Field("seeds", int, 0, "then the best setting trained again with this many seeds", ge=0, le=10_000),
]}
REQUIRED = ("variants", "datasets", "space", "budget", "steps")


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of a key written twice; a spec that says `steps:` twice is refused instead."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise SpecError(f"{key}: written twice (line {key_node.start_mark.line + 1}); a spec says each field once")
            seen.add(key)
        return super().construct_mapping(node, deep)


MAX_SPEC_VALUES = 100_000  # a spec is a page of settings; more, once aliases are expanded, is a mistake or an attack


def _check_size(doc) -> None:
    """YAML aliases share one object among many places: a few lines can stand for billions of values, which every
    later step (a check, an error message, spec.json) would expand. Counted here, stopping at the bound."""
    count, stack = 0, [doc]
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_SPEC_VALUES:
            raise SpecError(f"spec: holds more than {MAX_SPEC_VALUES:,} values once its YAML aliases are expanded; a spec "
                            "names variants, data sets and ranges (write them out, or share less through aliases)")
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _read_yaml(path: Path):
    try:
        doc = yaml.load(path.read_text(), Loader=_UniqueKeyLoader) or {}
        _check_size(doc)
        return doc
    except yaml.YAMLError as e:  # a syntax error, or a tag such as !!python/object that the safe loader refuses
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SpecError(f"spec: {path} is not valid YAML{where}: {getattr(e, 'problem', None) or e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(f"spec: {path} cannot be read ({type(e).__name__})") from None


def _names(raw: dict, field: str, lookup) -> list:
    value = raw.get(field)
    if not isinstance(value, list) or not value:
        raise SpecError(f"{field}: {_show(value)} is not allowed, must be a non-empty list of names")
    for i, x in enumerate(value):
        if not isinstance(x, str):
            raise SpecError(f"{field}[{i}]: {_show(x)} is not allowed, must be a name")
        try:
            lookup(x)
        except (VariantError, DataError) as e:
            raise SpecError(f"{field}[{i}]: {str(e).partition(': ')[2]}") from None
    twice = sorted({x for x in value if value.count(x) > 1})
    if twice:
        raise SpecError(f"{field}: '{twice[0]}' is listed twice; each study runs once (its trials would show on two rows)")
    return value


def load_spec(path: Path | str, import_code: bool = False) -> Spec:
    """Read and check a study spec: every field against its declaration, before any work or any file.
    ``import_code``: the spec was named on this command line, so the losses it names (module:function) may be
    imported; a spec read from a study folder never imports code by itself."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"spec: no file at {path}")
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise SpecError("spec: the file must hold a mapping of fields")
    raw.setdefault("name", path.stem)
    return spec_from_mapping(raw, import_variant if import_code else get_variant)


def spec_from_mapping(raw: dict, lookup_variant=get_variant) -> Spec:
    """A spec from its fields as the YAML gives them (a study's spec.json is read back through here too, its budget
    folded back): every field against its declaration, and every (variant, data set) resolved to a run.
    ``lookup_variant`` finds a variant by name (``import_variant`` where the user named the spec on the command line);
    a variant it does not find is named in a SpecError."""
    raw = dict(raw)
    known = [*SPEC_FIELDS, "variants", "datasets", "space", "budget", "pack"]
    for k in raw:
        if k not in known:
            raise SpecError(f"{k}: unknown field{did_you_mean(str(k), known)}; known are {', '.join(known)}")
    for k in REQUIRED:
        if k not in raw:
            raise SpecError(f"{k}: required" + (", a mapping with 'settings' (hyperparameter settings per variant and data set)" if k == "budget" else ""))
    if "name" not in raw:
        raise SpecError("name: required")
    unset = {f.name for f in fields(Spec) if f.default is None}  # null means "not set" only where the spec's default is null
    try:
        for k, f in SPEC_FIELDS.items():
            if k in raw and raw[k] is None and not (f.nullable or k in unset):
                raise SpecError(f"{k}: null is not allowed, must be {f.allowed()}")
            if k in raw:
                raw[k] = f.check(raw[k]) if raw[k] is not None or f.nullable else None
    except ConfigError as e:
        raise SpecError(str(e)) from None
    if not isinstance(raw["name"], str) or not raw["name"] or raw["name"].startswith(".") or any(c in raw["name"] for c in "/\\"):
        raise SpecError(f"name: {raw['name']!r} is not allowed, must be a plain name (no path separators, not starting with '.')")
    budget = raw.pop("budget")
    if not isinstance(budget, dict) or "settings" not in budget:
        raise SpecError(f"budget: {_show(budget)} is not allowed, must be a mapping with 'settings' (and optionally 'seeds')")
    for k in budget:
        if k not in BUDGET_FIELDS:
            raise SpecError(f"budget.{k}: unknown field{did_you_mean(str(k), BUDGET_FIELDS)}; known are {', '.join(BUDGET_FIELDS)}")
    try:
        raw["settings"] = BUDGET_FIELDS["settings"].check(budget["settings"], "budget.settings")
        raw["seeds"] = BUDGET_FIELDS["seeds"].check(budget.get("seeds", 0), "budget.seeds")
    except ConfigError as e:
        raise SpecError(str(e)) from None

    if isinstance(raw.get("datasets"), list):
        raw["datasets"] = [canonical_name(d) if isinstance(d, str) else d for d in raw["datasets"]]
    _names(raw, "variants", lookup_variant)
    _names(raw, "datasets", get_dataset)
    _check_spaces(raw)
    _check_protocol(raw)
    if raw.get("arch") is not None and all(ARCHITECTURES[raw["arch"]].check(get_dataset(d).shape) for d in raw["datasets"]):
        raise SpecError(f"arch: '{raw['arch']}' fits none of the data sets {raw['datasets']}")
    pack = raw.get("pack", 1)
    packs = pack if isinstance(pack, list) and pack else [pack]
    if any(not isinstance(m, int) or isinstance(m, bool) or m < 1 for m in packs) or len(set(packs)) != len(packs):
        raise SpecError(f"pack: {_show(pack)} is not allowed, must be an integer >= 1 or a list of distinct ones")
    if raw.get("objective", "auto") in ("fid", *FINAL_SCORES) and raw.get("eval_every") is None:
        raise SpecError(f"objective: {raw['objective']} is scored with FID during training; it needs eval_every >= 0")
    if raw.get("objective", "auto") in OBJECTIVES:
        chosen = OBJECTIVES[raw["objective"]]
        for d in raw["datasets"]:
            if not chosen.measures(get_dataset(d)):
                raise SpecError(f"objective: {raw['objective']} is measured on {chosen.measured_on} only, not on {d}; "
                                "choose another objective (or auto) or another data set")
    if raw.get("pruner", "none") == "hyperband" and raw.get("objective", "auto") not in ("auto", "fid"):
        raise SpecError(f"objective: hyperband prunes on FID; with objective {raw['objective']} use pruner: none")
    if raw.get("pruner", "none") == "hyperband":
        image = [d for d in raw["datasets"] if get_dataset(d).is_image]
        if not raw.get("eval_every") or len(image) != len(raw["datasets"]):
            raise SpecError("pruner: hyperband prunes on FID during training; it needs eval_every >= 1 and image data sets only")
    _check_start(raw)
    spec = Spec(**raw)
    for v, d, m in spec.cells():  # every combination resolves, so a typo fails now rather than in a worker
        if v not in VARIANTS:
            continue  # code a saved spec names, not imported by a reading command (it resolved when the study ran)
        try:
            resolve_config(**trial_config(spec, spec.trial(v, d, m), sample(spec.space_for(v, d), np.random.default_rng(0)), seed=0))
        except ConfigError as e:
            raise SpecError(f"{e} (variant {v}, dataset {d})") from None
    return spec


NOT_IN_SCHEMA = ("a range's low end is at most its high end; arch fits a data set; hyperband needs image data sets "
                 "only; every (variant, data set) resolves to a run (e.g. a variant's own limits on a data set); under "
                 "lucic2018, n_fake equal to n_real; the objective measured on every data set. `ganbench spec FILE` "
                 "checks these too.")


def _distribution(f) -> dict:
    """[uniform|log|int, lo, hi] or [choice, a, ...] over the values field ``f`` allows (check_range's rules)."""
    value = {k: v for k, v in f.json_schema().items() if k not in ("default", "description")}
    bounds = {k: value[k] for k in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum") if k in value}
    number = {"type": "number", **bounds}
    # a uniform draw lies in [lo, hi): an exclusive upper bound may be its high end
    below = {k: v for k, v in number.items() if k != "exclusiveMaximum"} | ({"maximum": bounds["exclusiveMaximum"]} if "exclusiveMaximum" in bounds else {})
    positive = number if bounds.get("minimum", -1) > 0 or bounds.get("exclusiveMinimum", -1) >= 0 else {**number, "exclusiveMinimum": 0}
    three = lambda kind, lo, hi: {"prefixItems": [{"const": kind}, lo, hi], "minItems": 3, "maxItems": 3}  # noqa: E731
    kinds = [{"prefixItems": [{"const": "choice"}], "items": value, "minItems": 2}]
    if f.type is int:  # integers are drawn as integers: [int, lo, hi], not a real-valued range
        kinds.append(three("int", {**number, "type": "integer"}, {**number, "type": "integer"}))
    elif f.type is float:
        kinds += [three("uniform", number, below), three("log", positive, positive)]
    return {"type": "array", "anyOf": kinds, "description": "[uniform|log|int, lo, hi] (lo <= hi) or [choice, a, b, ...]"}


def spec_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a study spec, from the same declarations load_spec checks against, the
    protocols' rules included; what JSON Schema cannot say is in its description (NOT_IN_SCHEMA)."""
    params = {name: {"anyOf": [f.json_schema(), _distribution(f)]} for name, f in searchable().items()}
    written_out = {"type": "object", "properties": params, "additionalProperties": False, "minProperties": 1}
    names = {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "string"}}
    code = r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$"
    protocols = [{"if": {"properties": {"protocol": {"const": p.name}}, **({} if p.name == DEFAULT_PROTOCOL else {"required": ["protocol"]})},
                  "then": p.spec_schema_rules()} for p in PROTOCOLS.values()]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ganbench study spec",
        "description": "Checked by `ganbench spec FILE` as by `sweep run`. Not expressible here, and checked there: " + NOT_IN_SCHEMA,
        "type": "object",
        "required": list(REQUIRED),
        "additionalProperties": False,
        "properties": {
            **{k: f.json_schema() for k, f in SPEC_FIELDS.items()},
            "name": {**SPEC_FIELDS["name"].json_schema(), "pattern": r"^[^./\\][^/\\]*$"},
            "variants": {**names, "description": "variants to compare: `ganbench variants`, or package.module:function",
                         "items": {"anyOf": [{"enum": list(VARIANTS)}, {"type": "string", "pattern": code}]}},
            "datasets": {**names, "description": "data sets: `ganbench datasets`, folder:PATH or npz:PATH",
                         "items": {"anyOf": [{"enum": list(DATASETS)}, {"type": "string", "pattern": "^(folder|npz):.+"}]}},
            "space": {"description": "wide or narrow for every variant, or per variant a name or a written-out space",
                      "anyOf": [{"enum": list(SPACES)},
                                {"type": "object", "additionalProperties": {"anyOf": [{"enum": list(SPACES)}, written_out]}}]},
            "budget": {"type": "object", "required": ["settings"], "additionalProperties": False,
                       "properties": {k: f.json_schema() for k, f in BUDGET_FIELDS.items()}},
            "pack": {"description": "PacGAN packing; a list runs one study per degree",
                     "anyOf": [RUN_FIELDS["pack"].json_schema(),
                               {"type": "array", "uniqueItems": True, "minItems": 1, "items": RUN_FIELDS["pack"].json_schema()}]},
        },
        "allOf": [*protocols,
                  {"if": {"properties": {"objective": {"enum": ["fid", *FINAL_SCORES]}}, "required": ["objective"]},
                   "then": {"required": ["eval_every"], "properties": {"eval_every": {"type": "integer", "minimum": 0}}}},
                  {"if": {"properties": {"start": {"const": "recipe"}}, "required": ["start"]},
                   "then": {"properties": {"variants": {"items": {"enum": list(RECIPES)}},
                                           "space": {"anyOf": [{"enum": list(SPACES)}, {"type": "object", "additionalProperties": {"enum": list(SPACES)}}]},
                                           "protocol": {"enum": [p.name for p in PROTOCOLS.values() if not p.replays_code]}}}},
                  {"if": {"properties": {"pruner": {"const": "hyperband"}}, "required": ["pruner"]},
                   "then": {"properties": {"objective": {"enum": ["auto", "fid"]}}}},
                  {"if": {"properties": {"pruner": {"const": "hyperband"}}, "required": ["pruner"]},
                   "then": {"required": ["eval_every"], "properties": {"eval_every": {"type": "integer", "minimum": 1}}}}],
    }


def _check_start(raw: dict) -> None:
    """start: recipe asks each arm's recipe: every variant declares one, and the spaces are named (a written-out
    space is run as written); a protocol that replays its paper's code and settings has no room for it."""
    if raw.get("start", "shared") != "recipe":
        return
    missing = [v for v in raw["variants"] if get_variant(v).recipe is None]
    if missing:
        raise SpecError(f"start: recipe needs a declared recipe for every variant; '{missing[0]}' has none "
                        f"(declared for {', '.join(RECIPES)}); use start: shared")
    spaces = raw["space"].values() if isinstance(raw["space"], dict) else [raw["space"]]
    if not all(isinstance(s, str) for s in spaces):
        raise SpecError("start: recipe centres named spaces (wide, narrow) on each recipe; a written-out space is run as written: use start: shared")
    protocol = get_protocol(raw.get("protocol") or DEFAULT_PROTOCOL)
    if protocol.replays_code:
        raise SpecError(f"start: recipe is not allowed under protocol {protocol.name}, which replays its paper's code and settings; use start: shared")


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_protocol(raw: dict) -> None:
    try:
        get_protocol(raw.get("protocol", DEFAULT_PROTOCOL)).check_spec(raw)
    except ConfigError as e:
        raise SpecError(str(e)) from None


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
    if not isinstance(space, (str, dict)):
        raise SpecError(f"space: {_show(space)} is not allowed, must be one of {', '.join(SPACES)}, or a mapping from each variant to a space")
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
                raise SpecError(f"{where}: '{s}' is not one of {', '.join(SPACES)}{did_you_mean(s, SPACES)} (or write the space out)")
            continue
        per_variant[v] = s = {k: _yaml_number(x) for k, x in s.items()} if isinstance(s, dict) else s
        if isinstance(space, dict):
            space[v] = s
        try:
            check_space(s, where, v)
        except SpaceError as e:
            raise SpecError(str(e)) from None


def trial_config(spec: Spec, identity: TrialIdentity, params: dict, seed: int) -> dict:
    """The run settings of one trial: its identity's, the spec's and its setting's."""
    variant, dataset = identity.variant, identity.dataset
    # checkpoints (for resuming a killed trial) every tenth of the run, but not more often than every 100 steps:
    # an infogan checkpoint with Adam's state is ~150 MB, and writing one costs more than a short trial's steps
    info = get_dataset(dataset)
    # FID settings apply to images only (mixtures are scored by their modes); a paired data set is scored once at
    # the end on n_fake held-out pairs
    image = info.is_image and not info.is_paired

    # a spec's arch applies to the data sets it fits: an image net to images, a vector net to the 2-D mixtures
    fits = spec.arch in ARCHITECTURES and ARCHITECTURES[spec.arch].check(info.shape) is None
    arch = spec.arch if fits and not info.is_paired else None
    return dict(variant=variant, dataset=dataset, protocol=identity.protocol, steps=spec.steps, arch=arch, seed=seed,
                eval_every=spec.eval_every if image else None, extractor=spec.extractor if image or info.is_paired else None,
                n_fake=spec.n_fake, n_real=spec.n_real, checkpoint_every=max(100, spec.steps // 10), pack=identity.pack,
                generators=spec.generators, **params)
