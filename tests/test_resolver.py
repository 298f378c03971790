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


def _spec(tmp_path, variant, dataset, protocol, space):
    path = tmp_path / f"{variant}-{dataset}-{protocol}-{space}.yaml"
    path.write_text(f"name: r\nvariants: [{variant}]\ndatasets: [{dataset}]\nprotocol: {protocol}\nspace: {space}\n"
                    "budget: {settings: 3}\nsteps: 10\n")
    try:
        return load_spec(path)
    except (SpecError, SpaceError, ConfigError):
        return None  # a combination the spec refuses (a protocol that cannot train this variant or data set)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(variant=st.sampled_from(GAN_VARIANTS), dataset=st.sampled_from(["ring8", "grid25", "mnist5k"]),
       protocol=st.sampled_from(["ganbench", "pacgan2018", "lucic2018"]), space=st.sampled_from(["narrow", "wide"]))
def test_what_a_study_records_is_what_train_resolves(tmp_path, variant, dataset, protocol, space):
    spec = _spec(tmp_path, variant, dataset, protocol, space)
    if spec is None:
        return
    identity = spec.trial(variant, dataset, spec.packs[0])
    enqueued = spec.settings_for(variant, dataset, 3)
    if spec.experiment_for(dataset) is None:  # a replayed lucic2018 experiment draws the study's own settings
        enqueued.append(sample(spec.space_for(variant, dataset), np.random.default_rng(0)))
    constants = {k: v for k, v in spec.space_for(variant, dataset).items() if not isinstance(v, list)}
    for setting in enqueued:
        ran = resolve_config(**trial_config(spec, identity, setting, 0)).to_dict()
        assert {k: ran[k] for k in setting} == setting  # recorded as it ran
    if spec.experiment_for(dataset) is None:
        # the first setting is `ganbench train` with the space's constants as flags, nothing else
        train = resolve_config(**trial_config(spec, identity, constants, 0)).to_dict()
        assert enqueued[0] == {k: train[k] for k in enqueued[0]}
        # and the variant's recipe for this space holds in every setting that does not search it
        recipe = {k: v for k, v in variant_space(get_variant(variant), space).items() if not isinstance(v, list)}
        for setting in enqueued:
            assert {k: setting[k] for k in recipe if k in setting} == {k: recipe[k] for k in recipe if k in setting}


@pytest.mark.parametrize("space", ["narrow", "wide"])
def test_r3gan_on_the_ring_starts_from_its_recipe_as_train_does(tmp_path, space):
    spec = _spec(tmp_path, "r3gan", "ring8", "ganbench", space)
    train = resolve_config(variant="r3gan", dataset="ring8").to_dict()
    first = spec.settings_for("r3gan", "ring8", 3)[0]
    assert first["beta1"] == train["beta1"] == 0.0 and first["beta2"] == train["beta2"] == 0.9 and first["lr"] == train["lr"]
    assert all(s["beta1"] == 0.0 for s in spec.settings_for("r3gan", "ring8", 5))  # R3GAN's recipe fixes it in both spaces


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
