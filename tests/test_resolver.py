"""One resolver: what a study enqueues and records for a trial is what `ganbench train` resolves for the same flags.
A sweep's settings (the first setting, a named space's constants, the draws) go through benchmark.config's
resolve_config, whose layers (the flags given, the variant's recipe on this data, the data set's protocol, the
fallbacks) are declared once; a variant's recipe for a space reaches the run unless the spec names the setting."""
import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganbench.benchmark.config import ConfigError, resolve_config
from ganbench.benchmark.variants import VARIANTS, get_variant
from ganbench.sweeps.spaces import SpaceError, sample
from ganbench.sweeps.spec import SpecError, load_spec, trial_config, variant_space

GAN_VARIANTS = sorted(v.name for v in VARIANTS.values() if v.kind != "pix2pix")


def _spec(tmp_path, variant, dataset, protocol, space, start="shared"):
    path = tmp_path / f"{variant}-{dataset}-{protocol}-{space}-{start}.yaml"
    path.write_text(f"name: r\nvariants: [{variant}]\ndatasets: [{dataset}]\nprotocol: {protocol}\nspace: {space}\n"
                    f"start: {start}\nbudget: {{settings: 3}}\nsteps: 10\n")
    try:
        return load_spec(path)
    except (SpecError, SpaceError, ConfigError):
        return None  # a combination the spec refuses (a protocol that cannot train this variant or data set)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(variant=st.sampled_from(GAN_VARIANTS), dataset=st.sampled_from(["ring8", "grid25", "mnist5k"]),
       protocol=st.sampled_from(["ganbench", "pacgan2018", "lucic2018"]), space=st.sampled_from(["narrow", "wide"]),
       start=st.sampled_from(["shared", "recipe"]))
def test_what_a_study_records_is_what_train_resolves(tmp_path, variant, dataset, protocol, space, start):
    spec = _spec(tmp_path, variant, dataset, protocol, space, start)
    if spec is None:
        assert start == "shared" or get_variant(variant).recipe is None or protocol != "ganbench"  # refused only where it must be
        return
    identity = spec.trial(variant, dataset, spec.packs[0])
    enqueued = spec.settings_for(variant, dataset, 3)
    if spec.experiment_for(dataset) is None:  # a replayed lucic2018 experiment draws the study's own settings
        enqueued.append(sample(spec.space_for(variant, dataset), np.random.default_rng(0)))
    constants = {k: v for k, v in spec.space_for(variant, dataset).items() if not isinstance(v, list)}
    if start == "recipe":  # and the recipe's tuned settings at the recipe's values
        constants.update({k: get_variant(variant).recipe.settings[k] for k in get_variant(variant).recipe.tuned})
    for setting in enqueued:
        ran = resolve_config(**trial_config(spec, identity, setting, 0)).to_dict()
        assert {k: ran[k] for k in setting} == setting  # recorded as it ran
    if spec.experiment_for(dataset) is None:
        # the first setting is `ganbench train` with the space's constants as flags, nothing else
        train = resolve_config(**trial_config(spec, identity, constants, 0)).to_dict()
        assert enqueued[0] == {k: train[k] for k in enqueued[0]}
        # and the variant's recipe for this space holds in every setting that does not search it
        recipe = {k: v for k, v in variant_space(get_variant(variant), space).items() if not isinstance(v, list)}
        if start == "recipe":  # the paper's recipe: the first setting is it, and every other keeps what it does not tune
            declared = get_variant(variant).recipe
            recipe = {k: v for k, v in declared.settings.items() if k not in declared.tuned and v is not None}
            first = resolve_config(**trial_config(spec, identity, enqueued[0], 0)).to_dict()
            assert all(first[k] == (first["r1_gamma"] if v is None else v) for k, v in declared.settings.items())
            for setting in enqueued[1:]:
                for k in declared.tuned:
                    assert declared.settings[k] / 10**0.5 <= setting[k] <= declared.settings[k] * 10**0.5
        for setting in enqueued:
            assert {k: setting[k] for k in recipe if k in setting} == {k: recipe[k] for k in recipe if k in setting}


@pytest.mark.parametrize("space", ["narrow", "wide"])
def test_r3gan_on_the_ring_starts_from_its_recipe_as_train_does(tmp_path, space):
    spec = _spec(tmp_path, "r3gan", "ring8", "ganbench", space)
    train = resolve_config(variant="r3gan", dataset="ring8").to_dict()
    first = spec.settings_for("r3gan", "ring8", 3)[0]
    assert first["beta1"] == train["beta1"] == 0.0 and first["beta2"] == train["beta2"] == 0.9 and first["lr"] == train["lr"]
    assert all(s["beta1"] == 0.0 for s in spec.settings_for("r3gan", "ring8", 5))  # R3GAN's recipe fixes it in both spaces


@pytest.mark.parametrize("spec, refusal", [
    ("variants: [ns_gan, mm_gan]\nspace: narrow", "start: recipe needs a declared recipe for every variant; 'mm_gan' has none"),
    ("variants: [wgan_gp]\nspace: {wgan_gp: {lr: [log, 1e-5, 1e-3]}}", "start: recipe centres named spaces"),
    ("variants: [wgan_gp]\nspace: narrow\nprotocol: lucic2018", "start: recipe is not allowed under protocol lucic2018"),
])
def test_start_recipe_is_refused_where_it_would_do_nothing(tmp_path, spec, refusal):
    (tmp_path / "s.yaml").write_text(f"{spec}\nstart: recipe\ndatasets: [mnist]\nbudget: {{settings: 2}}\nsteps: 5\n")
    with pytest.raises(SpecError, match=refusal.replace("(", r"\(")):
        load_spec(tmp_path / "s.yaml")


@pytest.mark.slow(seconds=40)
def test_a_study_started_from_recipes_runs_them_and_the_report_marks_a_shared_start(tmp_path):
    """WGAN-GP on the ring: with start: recipe both trials run Algorithm 1's 5 critic steps, Adam (0, 0.9) and lambda
    10, the first at lr 1e-4, and nothing is off the recipe; with start: shared (the narrow space's n_disc 1 and the
    ring's PacGAN Adam) the report lists those fields."""
    from ganbench.analysis.load import load_trials
    from ganbench.analysis.tables import recipe_deviations

    cli = [sys.executable, "-m", "ganbench.cli"]
    rows = {}
    for start in ("recipe", "shared"):
        (tmp_path / f"{start}.yaml").write_text(f"name: {start}\nvariants: [wgan_gp]\ndatasets: [ring8]\narch: mlp_small\n"
                                                f"space: narrow\nstart: {start}\nbudget: {{settings: 2}}\nsteps: 3\n")
        r = subprocess.run([*cli, "sweep", "run", str(tmp_path / f"{start}.yaml"), "--dir", str(tmp_path / start), "--workers", "1"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=300)
        assert r.returncode == 0, r.stderr[-2000:]
        rows[start] = load_trials([tmp_path / start])
    ran = rows["recipe"]
    assert len(ran) == 2 and (ran["n_disc"] == 5).all() and (ran["beta1"] == 0.0).all() and (ran["beta2"] == 0.9).all()
    assert (ran["penalty_weight"] == 10.0).all() and sorted(ran["lr"])[0] != sorted(ran["lr"])[1] and 1e-4 in set(ran["lr"])
    assert recipe_deviations(ran).empty
    off = recipe_deviations(rows["shared"]).set_index("field")
    assert {"n_disc", "beta1", "beta2"} <= set(off.index) and off.loc["n_disc", "ran"] == "1"


@pytest.mark.slow(seconds=20)
def test_a_sweep_of_r3gan_on_the_ring_records_and_runs_beta1_0(tmp_path):
    (tmp_path / "s.yaml").write_text("name: r3\nvariants: [r3gan]\ndatasets: [ring8]\narch: mlp_small\nspace: narrow\n"
                                     "budget: {settings: 2}\nsteps: 5\n")
    cli = [sys.executable, "-m", "ganbench.cli"]
    r = subprocess.run([*cli, "sweep", "run", str(tmp_path / "s.yaml"), "--dir", str(tmp_path / "study"), "--workers", "1"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    configs = [json.loads(p.read_text()) for p in (tmp_path / "study").rglob("config.json")]
    assert len(configs) == 2 and {c["beta1"] for c in configs} == {0.0} and {c["beta2"] for c in configs} == {0.9}
    # the trial table holds what ran (r2_gamma tied, though never drawn) and the raw generator's scores beside the EMA's
    from ganbench.analysis.load import load_trials

    rows = load_trials([tmp_path / "study"])
    assert (rows["beta1"] == 0.0).all() and (rows["r2_gamma"] == rows["r1_gamma"]).all() and rows["r2_gamma"].notna().all()
    assert rows["scored_generator"].eq("ema").all() and rows["raw_mixture_mismatch"].notna().all() and rows["raw_modes_covered"].notna().all()


def test_variants_recipes_lists_each_recipe_with_its_source():
    """`ganbench variants --recipes`: every declared recipe, its tuned settings and where it comes from, as declared."""
    r = subprocess.run([sys.executable, "-m", "ganbench.cli", "variants", "--recipes"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    named = {line.split("\t")[0]: (line, lines[i + 1]) for i, line in enumerate(lines) if not line.startswith("\t")}
    assert set(named) == {v for v in VARIANTS if VARIANTS[v].recipe is not None} and {"wgan_gp", "hinge", "lsgan", "dragan", "rasgan", "r3gan"} <= set(named)
    settings, source = named["wgan_gp"]
    assert "n_disc 5" in settings and "beta1 0.0" in settings and "penalty_weight 10.0" in settings and "Algorithm 1" in source
    assert "r2_gamma tied to r1_gamma" in named["r3gan"][0] and "tuned: lr, r1_gamma" in named["r3gan"][0]


def _acting_fields():
    from ganbench.benchmark.schema import FALLBACKS, RUN_FIELDS

    value = lambda f: "saddle" if f.name == "fgan_generator_loss" else FALLBACKS[f.name] + 0.25 * (f.name != "began_gamma")  # noqa: E731
    return [(f, value(f)) for f in RUN_FIELDS.values() if f.acts_on is not None]


@pytest.mark.parametrize("field,value", _acting_fields(), ids=lambda x: getattr(x, "name", ""))
@pytest.mark.parametrize("dataset", ["ring8", "mnist5k"])
def test_an_option_is_taken_exactly_by_the_runs_its_declaration_says_it_acts_on(field, value, dataset):
    """For every field that declares which runs it acts on, and every variant: given to a run it acts on, it is the
    value that run records; given to any other, the run is refused in one line naming the field. Generated from the
    declarations (schema.Field.acts_on), not from a list of cases."""
    acted, refused = 0, 0
    for name, variant in VARIANTS.items():
        if variant.kind == "pix2pix":
            continue
        try:
            plain = resolve_config(variant=name, dataset=dataset, steps=1)
        except ConfigError:
            continue  # the variant does not train on this data set at all
        if field.acts_on[1](variant, plain):
            assert getattr(resolve_config(variant=name, dataset=dataset, steps=1, **{field.name: value}), field.name) == value
            acted += 1
        else:
            with pytest.raises(ConfigError, match=f"^{field.name}: acts on .* only, not on this run of '{name}'"):
                resolve_config(variant=name, dataset=dataset, steps=1, **{field.name: value})
            refused += 1
    assert acted and refused  # each declaration splits the variants, or it declares nothing


def test_ema_options_without_an_ema_are_refused_and_with_one_taken():
    with pytest.raises(ConfigError, match="^ema_rampup: acts on runs with an EMA generator"):
        resolve_config(variant="ns_gan", dataset="ring8", ema_rampup=0.5)
    assert resolve_config(variant="ns_gan", dataset="ring8", ema_nimg=500.0, ema_rampup=0.5).ema_rampup == 0.5
