"""The core's contracts, checked on the source and by use: a protocol is an object asked, never a name compared;
a protocol defined outside the package registers and runs with no other edit."""
import ast
import json
from pathlib import Path

import pytest
import torch

from ganbench.benchmark.config import resolve_config
from ganbench.benchmark.protocols import PROTOCOLS, Protocol, Step, register
from ganbench.benchmark.schema import ConfigError
from ganbench.benchmark.variants import VariantKind

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ["benchmark", "sweeps", "analysis", "ganbench", "scripts"]


def source_files(exclude=()):
    for folder in PACKAGE:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if not any(path.is_relative_to(ROOT / e) for e in exclude):
                yield path


def _strings(node) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [s for elt in node.elts for s in _strings(elt)]
    return []


def test_no_module_outside_the_protocols_package_compares_a_protocol_name():
    """`protocol == "lucic2018"`, `x in ("ganbench", ...)`, `"pacgan2018" != p`: each is a rule that belongs to the
    protocol's object. Every comparison in the package's source is parsed; one with a protocol's name fails."""
    names = set(PROTOCOLS)
    found = []
    for path in source_files(exclude=["benchmark/protocols"]):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Compare):
                compared = [s for side in [node.left, *node.comparators] for s in _strings(side)]
                if names & set(compared):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, f"protocol names compared at {', '.join(found)}: ask the protocol instead"


def test_the_check_finds_a_comparison():
    tree = ast.parse('if protocol == "lucic2018" or p in ("ganbench", "x"):\n    pass')
    compares = [n for n in ast.walk(tree) if isinstance(n, ast.Compare)]
    assert [set(s for side in [c.left, *c.comparators] for s in _strings(side)) & set(PROTOCOLS) for c in compares] == [
        {"lucic2018"}, {"ganbench"}]


class TwoCritics(Protocol):
    def variant_defaults(self, variant):
        return {"lr": 1e-4, "beta1": 0.5, "beta2": 0.9, "n_disc": 2, "penalty_weight": 1.0, "clip": 0.01,
                "began_gamma": 0.5, "began_lambda": 1e-3, "d_batch_norm": False}

    def space(self, name, variant):
        return {"lr": ["log", 1e-5, 1e-3] if name == "wide" else 1e-4, "n_disc": 2}


@pytest.fixture
def two_critics(monkeypatch):
    protocol = TwoCritics(name="two_critics", summary="two critic updates a step, a small penalty", cite="a test",
                          steps_count="generator updates", variants=("ns_gan", "wgan_gp"), datasets=("ring8",))
    monkeypatch.setitem(PROTOCOLS, protocol.name, protocol)
    return protocol


def test_a_protocol_defined_outside_the_package_registers_trains_and_is_listed(two_critics, run, ganbench):
    metrics, out = run(variant="wgan_gp", dataset="ring8", protocol="two_critics", steps=2)
    config = json.loads((out / "config.json").read_text())
    assert config["protocol"] == "two_critics" and config["n_disc"] == 2 and config["penalty_weight"] == 1.0
    assert (metrics["generator_updates"], metrics["discriminator_updates"]) == (2, 4)
    r = ganbench("spaces", "--protocol", "two_critics", "--json")
    assert r.returncode == 0 and set(json.loads(r.stdout)) == {"ns_gan", "wgan_gp"}
    assert json.loads(r.stdout)["wgan_gp"]["space"]["lr"] == ["log", 1e-5, 1e-3]
    assert "two_critics" in ganbench("protocols").stdout
    refused = ganbench("train", "--variant", "lsgan", "--dataset", "ring8", "--protocol", "two_critics", "--steps", 1, "--out", out.parent / "no")
    assert refused.returncode == 2 and "error: variant: 'lsgan' is not trained under protocol two_critics" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "ns_gan, wgan_gp" in refused.stderr
    assert not (out.parent / "no").exists()


class GeneratorFirst(Step):
    """A protocol's own step, defined here and nowhere in the package: the generator moves first, then the
    discriminator once, each on fresh latents."""

    name = "generator_first"
    summary = "one generator update, then one discriminator update"
    trains = frozenset({VariantKind.GAN})

    def run(self, m):
        opt_g, opt_d = m.optimizers()
        real = m.real.next(m.device)
        with torch.no_grad():
            d_real = m.discriminator(real)
        g_loss = m.generator_update(opt_g, d_real, m.sample_z(real.shape[0]))
        d_loss, _ = m.discriminator_update(opt_d, real, m.sample_z(real.shape[0]))
        self.steps_seen = getattr(self, "steps_seen", 0) + 1
        return {"d_loss": d_loss, "g_loss": g_loss}


@pytest.fixture
def generator_first(monkeypatch):
    protocol = Protocol(name="generator_first", summary="the generator first", cite="a test",
                        steps_count="generator updates", step=GeneratorFirst())
    monkeypatch.setitem(PROTOCOLS, protocol.name, protocol)
    return protocol


def test_a_protocol_with_its_own_step_is_its_file_and_its_registration(generator_first, run, ganbench):
    metrics, out = run(variant="lsgan", dataset="ring8", protocol="generator_first", steps=3)
    assert generator_first.step.steps_seen == 3  # the protocol's step ran every step, nothing else did
    assert (metrics["generator_updates"], metrics["discriminator_updates"]) == (3, 3)
    listed = json.loads(ganbench("protocols", "--json").stdout)["generator_first"]
    assert listed["step"] == GeneratorFirst.summary and listed["variant_kinds"] == ["gan"]


@pytest.mark.parametrize("variant,kind", [("began", "began"), ("vae", "vae"), ("gmmn", "gmmn"), ("fisher_gan", "fisher")])
def test_a_step_that_cannot_train_a_variant_kind_is_refused_at_resolution(generator_first, ganbench, tmp_path, variant, kind):
    with pytest.raises(ConfigError, match=f"^variant: protocol generator_first's step \\(generator_first\\) trains gan variants; '{variant}' is a {kind} variant$"):
        resolve_config(variant=variant, dataset="ring8", protocol="generator_first")
    refused = ganbench("train", "--variant", variant, "--dataset", "ring8", "--protocol", "generator_first", "--steps", 1,
                       "--out", tmp_path / "no")
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1 and f"'{variant}' is a {kind} variant" in refused.stderr
    assert not (tmp_path / "no").exists()


def test_a_step_says_what_a_step_is_or_cannot_be_made():
    class Silent(Step):
        name, summary = "silent", "nothing"

    with pytest.raises(TypeError, match="abstract"):
        Silent()


def test_every_protocols_step_can_build_its_players():
    from ganbench.benchmark.module import MODULES, PLAYERS

    for protocol in PROTOCOLS.values():
        assert protocol.step.players is None or protocol.step.players in PLAYERS, protocol.name
        assert protocol.step.trains is None or set(protocol.step.trains) <= set(MODULES), protocol.name


def test_register_is_the_one_line_a_protocol_file_needs(monkeypatch):
    monkeypatch.setattr("ganbench.benchmark.protocols.PROTOCOLS", dict(PROTOCOLS))
    from ganbench.benchmark import protocols

    p = protocols.register(Protocol(name="plain", summary="s", cite="c", steps_count="generator updates"))
    assert protocols.get_protocol("plain") is p
    from ganbench.benchmark.schema import RUN_FIELDS

    assert "plain" in RUN_FIELDS["protocol"].options


# --- the run configuration: typed, read by attribute ----------------------------------------------------------------

CONFIG_NAMES = {"config", "cfg", "c", "conf"}  # how the package names a run configuration where it reads one


def _config_key_reads(tree, keys: set[str]) -> list[int]:
    def is_config(node) -> bool:
        return (isinstance(node, ast.Name) and node.id in CONFIG_NAMES) or (isinstance(node, ast.Attribute) and node.attr == "config")

    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and is_config(node.value) and set(_strings(node.slice)) & keys:
            lines.append(node.lineno)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
              and is_config(node.func.value) and node.args and set(_strings(node.args[0])) & keys):
            lines.append(node.lineno)
    return lines


def _setting_names() -> set[str]:
    from ganbench.benchmark.config import own_fields
    from ganbench.benchmark.schema import RUN_FIELDS

    return {"variant", "dataset", "generators_scheme", *RUN_FIELDS, *own_fields()}


def test_no_module_reads_the_run_configuration_by_string_key():
    """`config["lr"]`, `self.config.get("clip")`: a typo there is a KeyError at run time (or a silent default), and
    the settings a module reads cannot be found. Only benchmark/config.py, which builds the configuration from the
    user's mapping, indexes by name; everything else reads attributes of RunConfig."""
    keys = _setting_names()
    found = [f"{path.relative_to(ROOT)}:{line}" for path in source_files(exclude=["benchmark/config.py"])
             for line in _config_key_reads(ast.parse(path.read_text(), str(path)), keys)]
    assert not found, f"the run configuration read by string key at {', '.join(found)}: read its attribute"


def test_the_key_read_check_finds_one():
    tree = ast.parse('a = config["lr"]; b = self.config.get("clip"); c["n_disc"]; other["lr"]; config["not_a_setting"]')
    assert _config_key_reads(tree, _setting_names()) == [1, 1, 1]


def _every_variant_on_a_data_set():
    from ganbench.benchmark.variants import VARIANTS

    for v in VARIANTS.values():
        yield v.name, "edges2digits" if v.kind == "pix2pix" else "ring8"
        if v.kind != "pix2pix":
            yield v.name, "mnist5k"


@pytest.mark.parametrize("variant,dataset", list(_every_variant_on_a_data_set()))
def test_a_resolved_configuration_is_frozen_and_reads_back_as_itself(variant, dataset):
    """config.json is the JSON form of the resolved configuration; reading it back (load_run, eval, resume) checks
    every value against its declaration and gives the same object."""
    import dataclasses

    from ganbench.benchmark.config import config_from_dict, resolve_config

    config = resolve_config(variant=variant, dataset=dataset)
    assert config_from_dict(json.loads(json.dumps(config.to_dict(), allow_nan=False))) == config
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.lr = 1.0
    halved = config.replace(lr=config.lr / 2)
    assert halved.lr == config.lr / 2 and halved != config and halved.params == config.params


@pytest.mark.parametrize("change,named", [
    (dict(lr="fast"), "lr"), (dict(n_disc=0), "n_disc"), (dict(batch_sise=64), "batch_sise"), (dict(variant="nope"), "variant"),
])
def test_a_bad_saved_configuration_is_named_in_one_line(change, named):
    from ganbench.benchmark.config import config_from_dict, resolve_config
    from ganbench.benchmark.schema import ConfigError
    from ganbench.benchmark.variants import VariantError

    saved = resolve_config(variant="wgan_gp", dataset="ring8").to_dict()
    saved.update(change)
    with pytest.raises((ConfigError, VariantError)) as e:
        config_from_dict(saved)
    assert str(e.value).startswith(named) and "\n" not in str(e.value)


def test_a_missing_saved_setting_is_named():
    from ganbench.benchmark.config import config_from_dict, resolve_config
    from ganbench.benchmark.schema import ConfigError

    saved = resolve_config(variant="mmd_gan", dataset="ring8").to_dict()
    del saved["rank_weight"]
    with pytest.raises(ConfigError, match="^rank_weight: missing"):
        config_from_dict(saved)


def _layer_cases():
    from ganbench.benchmark.protocols import PROTOCOLS
    from ganbench.benchmark.variants import VARIANTS

    for protocol in PROTOCOLS.values():
        for v in protocol.searched_variants(VARIANTS):
            for d in (("edges2digits",) if VARIANTS[v].kind == "pix2pix" else ("ring8", "mnist5k")):
                if protocol.datasets is None or d in protocol.datasets:
                    yield v, d, protocol.name


def test_each_value_comes_from_the_layer_default_layers_names():
    """For every protocol, each variant it trains and a data set of points and of images: a value said to come
    from a layer equals that layer's declaration (the field's default, the fallback, the data set's, the protocol's
    table, the variant's), and a value given is kept."""
    from ganbench.benchmark.config import FALLBACKS, default_layers, resolve_config
    from ganbench.benchmark.data import get_dataset
    from ganbench.benchmark.protocols import get_protocol
    from ganbench.benchmark.schema import RUN_FIELDS, ConfigError
    from ganbench.benchmark.variants import get_variant

    checked = 0
    for variant, dataset, protocol in _layer_cases():
        given = dict(protocol=protocol, seed=7)
        try:
            config = resolve_config(variant=variant, dataset=dataset, **given)
        except ConfigError:  # a pairing the protocol refuses (the study's nets on points)
            continue
        layers = default_layers(variant, dataset, **given)
        v, info = get_variant(variant), get_dataset(dataset)
        table = get_protocol(protocol).variant_defaults(v) or {}
        on_points = len(info.shape) == 1
        for name, value in config.to_dict().items():
            expected = {"given": lambda: given.get(name, {"variant": variant, "dataset": dataset}.get(name)),
                        "field": lambda: RUN_FIELDS[name].default, "fallback": lambda: FALLBACKS[name],
                        "data set": lambda: info.defaults[name], "protocol": lambda: table[name],
                        "variant": lambda: {**v.defaults, **v.own_defaults(False)}[name],
                        "variant on points": lambda: {**v.point_defaults, **v.own_defaults(True)}[name]}.get(layers[name])
            if expected is not None:
                want = expected()
                assert value == (RUN_FIELDS[name].check(want) if name in RUN_FIELDS and want is not None else want), (
                    variant, dataset, protocol, name, layers[name])
                checked += 1
        assert on_points or layers.get("arch", "derived") == "derived" or "arch" in info.defaults
    assert checked > 1000


def test_a_trial_record_read_back_is_checked_field_by_field():
    """The journal's trial attributes are read back through TrialIdentity.of: each field missing, of another type
    or out of range is named in one line, never filled in (which would make the retry another trial)."""
    from dataclasses import fields

    from ganbench.benchmark.identity import TrialIdentity
    from ganbench.benchmark.schema import ConfigError

    good = dict(variant="ns_gan", dataset="ring8", space="narrow", protocol="ganbench", pack=2, phase="search", setting=3)
    assert TrialIdentity.of(good).attrs() == good
    for f in fields(TrialIdentity):
        for bad in ([None] if f.default is not None and f.name in good else []) + [True, 2.5, [1]] + (["2"] if "int" in f.type else [7]):
            record = {**good, f.name: bad}
            if bad is None:
                record.pop(f.name)
            with pytest.raises(ConfigError) as e:
                TrialIdentity.of(record)
            assert str(e.value).startswith(f"{f.name}:") and "\n" not in str(e.value), (f.name, bad, str(e.value))


@pytest.mark.parametrize("variant,dataset", [("mmd_gan", "ring8"), ("wgan_gp", "mnist5k"), ("pix2pix", "edges2digits")])
def test_each_saved_setting_damaged_is_named(variant, dataset):
    """config.json read back: every setting, in turn missing, of another type or non-finite, is named in one line."""
    from ganbench.benchmark.config import config_from_dict, resolve_config
    from ganbench.benchmark.schema import ConfigError
    from ganbench.benchmark.variants import VariantError

    saved = resolve_config(variant=variant, dataset=dataset).to_dict()
    named = 0
    for name, value in saved.items():
        for bad in ([1, 2], {"a": 1}, float("nan"), "not-a-value", None):
            if bad == value or (bad is None and value is None):
                continue
            damaged = {**saved, name: bad}
            try:
                config_from_dict(damaged)
            except (ConfigError, VariantError) as e:
                assert str(e).startswith(f"{name}:") and "\n" not in str(e), (name, bad, str(e))
                named += 1
                continue
            assert bad is None, (name, bad)  # only an unset value (None) may be taken, where the setting allows it
    assert named > 3 * len(saved)


def test_every_variants_first_search_setting_resolves_to_a_run():
    """A study's first setting is the variant's defaults: for every variant on a data set it trains on, the setting
    a study enqueues resolves to a run (a default said in two places makes the two disagree, and the sweep fail)."""
    from ganbench.benchmark.config import resolve_config
    from ganbench.benchmark.variants import VARIANTS
    from ganbench.sweeps.spec import Spec, trial_config

    for v in VARIANTS.values():
        dataset = "edges2digits" if v.kind == "pix2pix" else "ring8"
        spec = Spec(name="s", variants=[v.name], datasets=[dataset], space="narrow", settings=2, steps=2)
        (setting, *_) = spec.settings_for(v.name, dataset, 2)
        config = resolve_config(**trial_config(spec, spec.trial(v.name, dataset, 1), setting, 0))
        assert config.variant == v.name and config.batch_size == setting.get("batch_size", config.batch_size)
