"""One truth for specs: the JSON Schema `ganbench spec --schema` prints (for editors) and `ganbench spec FILE` (what
`sweep run` checks) accept and refuse the same specs. Specs are generated from pools of valid and invalid values of
every field, the protocols' rules and the search ranges included; the rules the schema says it cannot express
(spec.NOT_IN_SCHEMA) are kept out of the generated specs, so that agreement is asked everywhere else."""
import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganbench.sweeps.spec import SpecError, load_spec, spec_schema

VALIDATOR = jsonschema.Draft202012Validator(spec_schema())

RANGES = {  # each parameter's (allowed, refused) values; lo <= hi always: the one range rule left to `ganbench spec`
    "lr": ([["log", 1e-5, 1e-3], ["uniform", 1e-4, 2e-4], 1e-4, ["choice", 1e-4, 2e-4]],
           [["uniform", -1.0, 1.0], ["log", 0.0, 1e-3], -1e-4, 0.0, ["choice", 1e-4, -1.0], ["choice"], ["gauss", 0, 1], ["uniform", 1e-4]]),
    "beta1": ([["uniform", 0.0, 1.0], 0.5, ["log", 0.1, 0.9]], [["uniform", 0.0, 1.5], 1.0]),
    "n_disc": ([["int", 1, 5], 2, 2.0, ["choice", 1, 2], ["int", 1.0, 3.0]], [["int", 0, 5], 2.5, ["uniform", 1, 5], ["log", 1, 8]]),
    "d_batch_norm": ([["choice", False, True], True], ["yes", ["choice", True, 1]]),
    "unknown_param": ([], [1.0]),
}
FIELDS = {  # optional fields: (allowed, refused)
    "protocol": (["ganbench", "lucic2018", "pacgan2018"], ["bogus"]), "seed": ([0, 3, 4_294_767], [-1, 2**32, 4_294_768]),
    "pack": ([1, 2, [1, 2]], [[2, 2], 0, [0]]), "sampler": (["random", "tpe"], ["grid"]), "n_fake": ([10_000], [1, "many"]),
    "generators": ([1, 2], [0]), "name": (["study"], ["a/b", ".hidden"]),
    "experiment": (["phase1_gan8_mnist_sample100_rep1"], ["nope"]), "typo_field": ([], [1]),
    "start": (["shared", "recipe"], ["own"]),
}


def pick(draw, allowed: list, refused: list):
    """Mostly an allowed value, so that whole specs are often valid; a refused one one time in five."""
    if refused and (not allowed or draw(st.integers(0, 9)) < 2):
        return draw(st.sampled_from(refused))
    return draw(st.sampled_from(allowed))


@st.composite
def specs(draw):
    spec = {}
    names = lambda allowed, refused: draw(st.lists(st.sampled_from(allowed + (refused if draw(st.integers(0, 9)) < 2 else [])),  # noqa: E731
                                                   min_size=0 if draw(st.integers(0, 19)) == 0 else 1, max_size=2, unique=True))
    spec["variants"] = names(["ns_gan", "wgan_gp", "lsgan", "hinge", "mm_gan"], ["nope", 3])
    spec["datasets"] = names(["ring8", "grid25", "mnist5k", "mnist"], ["nope"])
    if draw(st.booleans()):
        spec["space"] = pick(draw, ["wide", "narrow"], ["widest", 3])
    else:
        params = draw(st.lists(st.sampled_from(sorted(RANGES)), min_size=1, max_size=2, unique=True))
        space = {name: pick(draw, *RANGES[name]) for name in params}
        spec["space"] = {v: space for v in spec["variants"] if isinstance(v, str)}
    spec["budget"] = {"settings": pick(draw, [1, 2, 2.0, 60], [0, -1, 2.5, "two"])}  # 60: more than the study drew in its narrow phase
    if draw(st.booleans()):
        spec["budget"]["seeds"] = pick(draw, [0, 2], [-1])
    spec["steps"] = pick(draw, [10, 10.0], [0, -5, "ten", 10.5])
    for field, (allowed, refused) in FIELDS.items():
        if draw(st.integers(0, 4)) == 0:
            spec[field] = pick(draw, allowed, refused)
    for required in ("variants", "datasets", "space", "budget", "steps"):
        if draw(st.integers(0, 30)) == 0:
            spec.pop(required, None)
    return spec


def spec_accepts(tmp_path, spec: dict) -> bool:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(spec))
    try:
        load_spec(path)
    except SpecError:
        return False
    return True


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=specs())
def test_the_schema_and_ganbench_spec_agree(tmp_path, spec):
    by_schema = VALIDATOR.is_valid(spec)
    assert by_schema == spec_accepts(tmp_path, spec), (
        spec, "schema accepts" if by_schema else [e.message for e in VALIDATOR.iter_errors(spec)][:3])


@pytest.mark.parametrize("spec", [
    dict(variants=["ns_gan"], datasets=["ring8"], space={"ns_gan": {"lr": ["log", -1e-3, 1e-3]}}, budget={"settings": 2}, steps=10),
    dict(protocol="pacgan2018", variants=["wgan_gp"], datasets=["ring8"], space="wide", budget={"settings": 2}, steps=10),
    dict(variants=["ns_gan"], datasets=["ring8"], space="wide", budget={"settings": 2}, steps=10, pruner="hyperband"),
    # a replay: the experiment's own space, no more settings than the study drew (50 a model in its narrow phase)
    dict(protocol="lucic2018", experiment="phase1_gan8_mnist_sample100_rep1", variants=["ns_gan"], datasets=["mnist5k"],
         space="narrow", budget={"settings": 1}, steps=10),
    dict(protocol="lucic2018", variants=["ns_gan"], datasets=["mnist"], space="narrow", budget={"settings": 51}, steps=10),
    dict(protocol="lucic2018", experiment="phase2_gan8_cifar_sample50_rep1", variants=["ns_gan"], datasets=["mnist5k"],
         space="narrow", budget={"settings": 51}, steps=10),
])
def test_the_pairs_once_seen_to_disagree_are_refused_by_both(tmp_path, spec):
    assert not VALIDATOR.is_valid(spec) and not spec_accepts(tmp_path, spec)


@pytest.mark.parametrize("spec", [
    # the study's MNIST draws replayed on the offline digits
    dict(protocol="lucic2018", experiment="phase1_gan8_mnist_sample100_rep1", variants=["ns_gan"], datasets=["mnist5k"],
         space="wide", budget={"settings": 1}, steps=10),
    dict(protocol="lucic2018", variants=["ns_gan"], datasets=["mnist"], space="narrow", budget={"settings": 51}, steps=10,
         sampler="tpe"),  # an adaptive search replays nothing
    # PacGAN's code fixes one discriminator update a step: its wide space holds n_disc at 1
    dict(protocol="pacgan2018", variants=["ns_gan"], datasets=["ring8"], space="wide", budget={"settings": 1}, steps=10, pack=1),
])
def test_the_pairs_once_seen_to_disagree_are_accepted_by_both(tmp_path, spec):
    assert VALIDATOR.is_valid(spec) and spec_accepts(tmp_path, spec)


def test_a_replay_on_points_is_refused_by_both(tmp_path):
    spec = dict(protocol="lucic2018", experiment="phase1_gan8_mnist_sample100_rep1", variants=["ns_gan"], datasets=["ring8"],
                space="wide", budget={"settings": 1}, steps=10)
    assert not VALIDATOR.is_valid(spec) and not spec_accepts(tmp_path, spec)
