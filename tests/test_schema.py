"""The schema (benchmark/schema.py and each variant's own fields) is the one owner of every input: the checks,
`train`'s flags, the search spaces and the spec's JSON Schema derive from it. Property tests generate study specs
and `train` command lines from it with one field made invalid, and expect one line naming that field, exit 2, no
traceback and nothing written."""
import json
import math
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganbench.benchmark.files import dumps, loads
from ganbench.benchmark.schema import RUN_FIELDS, ConfigError, Field
from ganbench.benchmark.config import own_fields, resolve_config
from ganbench.benchmark.variants import VARIANTS, Variant, losses
from ganbench.sweeps.spaces import SPACES, check_space, named_space, searchable
from ganbench.sweeps.spec import BUDGET_FIELDS, SPEC_FIELDS, spec_schema

ROOT = Path(__file__).resolve().parents[1]
BASE_SPEC = dict(name="s", variants=["ns_gan"], datasets=["ring8"], arch="mlp_small", space="narrow",
                 budget={"settings": 1}, steps=2)
HEALTH = dict(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _files(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _invalid_values(f: Field) -> st.SearchStrategy:
    """Values a field refuses: another type, a list for the scalar, out of bounds, non-finite, not a choice."""
    bad = [st.just([f.default if f.default is not None else 1]), st.just({"x": 1})]
    if f.type is not str:
        bad.append(st.text(min_size=1, max_size=5).filter(lambda t: t.strip() and not _parses_as_number(t)))
    if f.type in (int, float):
        bad += [st.just(math.nan), st.just(math.inf), st.just(True)]
        if f.ge is not None:
            bad.append(st.floats(max_value=f.ge - 1e-3, allow_nan=False, allow_infinity=False, min_value=-1e9).map(
                lambda x, t=f.type: int(math.floor(x)) if t is int else x))
        if f.gt is not None:
            bad.append(st.floats(max_value=f.gt, allow_nan=False, allow_infinity=False, min_value=-1e9).map(
                lambda x, t=f.type: int(math.floor(x)) if t is int else x))
        if f.le is not None:
            bad.append(st.just(int(f.le) + 1 if f.type is int else f.le + 1.0))
        if f.type is int:
            bad.append(st.floats(allow_nan=False, allow_infinity=False, min_value=0.1, max_value=1e6).filter(lambda x: not x.is_integer()))
    if f.options is not None:
        bad.append(st.text(alphabet="abcdefghij_", min_size=1, max_size=8).filter(lambda t: t not in f.options))
    return st.one_of(*bad)


def _parses_as_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _run_cli(args: list) -> tuple[int, str]:
    from ganbench.cli import main

    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main([str(a) for a in args])
        except SystemExit as e:
            code = e.code
    return code, err.getvalue()


SPEC_TOP = {k: f for k, f in SPEC_FIELDS.items() if k not in ("name", "experiment")}  # experiment: lucic2018 only


@pytest.mark.slow
@settings(**HEALTH)
@given(data=st.data())
def test_a_spec_with_one_invalid_field_is_refused_naming_it(tmp_path_factory, data):
    where = data.draw(st.sampled_from(["top", "budget", "space", "unknown", "twice"]))
    spec = json.loads(json.dumps(BASE_SPEC))
    if where == "top":
        name = data.draw(st.sampled_from(sorted(SPEC_TOP)))
        spec[name] = data.draw(_invalid_values(SPEC_TOP[name]))
        field = name
    elif where == "budget":
        name = data.draw(st.sampled_from(sorted(BUDGET_FIELDS)))
        spec["budget"][name] = data.draw(_invalid_values(BUDGET_FIELDS[name]))
        field = f"budget.{name}"
    elif where == "space":
        fields = searchable("ns_gan")
        name = data.draw(st.sampled_from(sorted(fields)))
        value = data.draw(_invalid_values(fields[name]).filter(lambda v: not (isinstance(v, list) and v and v[0] in ("uniform", "log", "int", "choice"))))
        if isinstance(value, list) or isinstance(value, dict):
            value = ["choice", value] if isinstance(value, dict) else value
        spec["space"] = {"ns_gan": {name: value}}
        field = f"space.ns_gan.{name}"
    elif where == "unknown":
        field = data.draw(st.text(alphabet="abcdefghijklmnop_", min_size=3, max_size=10).filter(
            lambda k: k not in SPEC_FIELDS and k not in ("variants", "datasets", "space", "budget", "pack")))
        spec[field] = 1
    tmp = tmp_path_factory.mktemp("spec")
    text = yaml.safe_dump(spec, sort_keys=False)
    if where == "twice":
        field = data.draw(st.sampled_from(["steps", "arch", "space", "name"]))
        text += yaml.safe_dump({field: spec[field]})
    (tmp / "s.yaml").write_text(text)
    before = _files(tmp)
    code, err = _run_cli(["sweep", "run", tmp / "s.yaml", "--dir", tmp / "study"])
    assert code == 2, (text, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"ganbench sweep: error: {field}"), (text, lines[0])
    assert _files(tmp) == before and not (tmp / "study").exists()


TRAIN = ["train", "--variant", "{variant}", "--dataset", "ring8", "--steps", "2", "--arch", "mlp_small"]


@pytest.mark.slow
@settings(**HEALTH)
@given(data=st.data())
def test_a_train_command_with_one_invalid_setting_is_refused_naming_it(tmp_path_factory, data):
    variant = data.draw(st.sampled_from(["ns_gan", "wgan", "mmd_gan", "ebgan", "fisher_gan", "mcgan", "magan"]))
    fields = {**{k: f for k, f in RUN_FIELDS.items() if k not in ("data_root", "device", "arch")}, **VARIANTS[variant].fields}
    name = data.draw(st.sampled_from(sorted(fields)))
    f = fields[name]
    tmp = tmp_path_factory.mktemp("train")
    argv = [a.format(variant=variant) for a in TRAIN] + ["--out", str(tmp / "o")]
    if f.type is bool:
        argv += [f.cli_flag + "=" + data.draw(st.sampled_from(["yes", "1"]))]
        field = f"argument {f.cli_flag}"
    else:
        value = data.draw(_invalid_values(f).filter(lambda v: not isinstance(v, (list, dict, bool))))
        argv += [f"{f.cli_flag}={value}"]
        field = name
    code, err = _run_cli(argv)
    assert code == 2, (argv, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert field in lines[0] or f"argument {f.cli_flag}" in lines[0], (argv, lines[0])
    assert not any(tmp.iterdir())


def test_every_named_range_lies_inside_its_fields_bounds():
    for variant in VARIANTS:
        for space in SPACES:
            check_space(named_space(space, variant), f"{variant}.{space}", variant)


def test_a_range_beyond_the_bounds_is_refused_when_read():
    from ganbench.sweeps.spaces import SpaceError

    with pytest.raises(SpaceError, match=r"^s\.lr \(its low end\): -1\.0 is not allowed"):
        check_space({"lr": ["uniform", -1, 1]}, "s", "ns_gan")
    with pytest.raises(SpaceError, match=r"^s\.rho"):
        check_space({"rho": ["log", 1e-8, 1e-4]}, "s", "ns_gan")  # Fisher GAN's, not ns_gan's


def test_a_parameter_declared_once_appears_everywhere(monkeypatch, capsys):
    """A tiny fake variant with one new parameter: train's flags and help, `spaces`, the spec schema and the checks
    all know it, with no other edit."""
    zeta = Field("zeta", float, 0.5, "the fake variant's zeta", gt=0, le=2, wide=["log", 0.1, 2], narrow=0.5)
    fake = Variant("fake_gan", "a fake variant for this test", losses.non_saturating, defaults=dict(lr=2e-4, beta1=0.5, beta2=0.999, n_disc=1),
                   own=(zeta,))
    monkeypatch.setitem(VARIANTS, "fake_gan", fake)
    from ganbench.cli import build_parser

    help_text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    assert "--zeta" in help_text and "fake_gan: the fake variant's zeta" in help_text
    code, err = _run_cli(["spaces", "fake_gan", "--json"])
    assert code == 0
    assert spec_schema()["properties"]["space"]["anyOf"][1]["additionalProperties"]["anyOf"][1]["properties"]["zeta"]
    assert named_space("wide", "fake_gan")["zeta"] == ["log", 0.1, 2]
    assert resolve_config(variant="fake_gan", dataset="ring8").zeta == 0.5
    with pytest.raises(ConfigError, match=r"^zeta: 3\.0 is not allowed, must be a number in \(0, 2\]"):
        resolve_config(variant="fake_gan", dataset="ring8", zeta=3.0)
    with pytest.raises(ConfigError, match=r"^zeta: only fake_gan takes it, not 'ns_gan'"):
        resolve_config(variant="ns_gan", dataset="ring8", zeta=1.0)
    out = capsys.readouterr()
    assert "zeta" not in out.err


def test_the_spec_schema_is_valid_json_schema_and_accepts_the_shipped_specs():
    jsonschema = pytest.importorskip("jsonschema")
    schema = spec_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in sorted((ROOT / "sweeps" / "studies").glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**BASE_SPEC, "steps": 0}, schema)


def test_did_you_mean_for_a_near_miss():
    with pytest.raises(ConfigError, match=r"did you mean 'mlp_small'"):
        resolve_config(variant="ns_gan", dataset="ring8", arch="mlp_smal")
    with pytest.raises(ConfigError, match=r"^lrr: unknown setting \(did you mean 'lr'\?\)"):
        resolve_config(variant="ns_gan", dataset="ring8", lrr=1e-3)


def test_strict_json_round_trip():
    text = dumps({"mode_kl": math.inf, "fid_history": [1.0, math.nan], "ok": 2.0})
    data = loads(text)
    assert data["mode_kl"] is None and data["non_finite"] == {"mode_kl": "inf", "fid_history[1]": "nan"}
    from ganbench.benchmark.files import restore

    assert restore(data)["mode_kl"] == math.inf


@pytest.mark.slow  # over 10 s: make test's tier
def test_every_json_ganbench_writes_is_strict(ganbench, tmp_path):
    """A run that covers no mode has an infinite mode KL: metrics.json says null, names it, and strict readers
    read every JSON file of a run, a study and its report."""
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump(BASE_SPEC))
    assert ganbench("train", "--variant", "ns_gan", "--dataset", "ring8", "--arch", "mlp_small", "--steps", "2",
                    "--out", tmp_path / "run", "--quiet").returncode == 0
    assert ganbench("sweep", "run", spec, "--dir", tmp_path / "study").returncode == 0
    r = ganbench("sweep", "status", tmp_path / "study", "--json")
    assert r.returncode == 0
    loads(r.stdout)
    assert ganbench("report", tmp_path / "study", "--out", tmp_path / "report").returncode == 0
    files = [p for p in tmp_path.rglob("*.json")]
    assert len(files) >= 4
    for p in files:
        loads(p.read_text())
    metrics = loads((tmp_path / "run" / "metrics.json").read_text())
    if metrics["modes_covered"] == 0:
        assert metrics["mode_kl"] is None and metrics["non_finite"]["mode_kl"] == "inf"


def test_eval_of_a_2d_run_scores_its_modes_again_without_the_network(ganbench, tmp_path):
    assert ganbench("train", "--variant", "ns_gan", "--dataset", "ring8", "--arch", "mlp_small", "--steps", "50",
                    "--out", tmp_path / "run", "--quiet").returncode == 0
    r = ganbench("eval", tmp_path / "run")
    assert r.returncode == 0, r.stderr
    scores, recorded = loads(r.stdout), loads((tmp_path / "run" / "metrics.json").read_text())
    for key in ("modes_covered", "high_quality_fraction", "mixture_mismatch"):
        assert scores[key] == recorded[key]
    r = ganbench("eval", tmp_path / "run", "--extractor", "inception-v3-compat")
    assert r.returncode == 2 and "no image features" in r.stderr


def test_a_config_naming_code_is_refused_without_importing_it(ganbench, tmp_path, monkeypatch):
    (tmp_path / "noisy_loss.py").write_text(
        "import pathlib\npathlib.Path(__file__).with_name('IMPORTED').write_text('yes')\nprint('noisy import')\n"
        "def loss(d_real, d_fake):\n    return d_fake.mean(), -d_fake.mean()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert ganbench("train", "--variant", "ns_gan", "--dataset", "ring8", "--arch", "mlp_small", "--steps", "2",
                    "--out", tmp_path / "run", "--quiet").returncode == 0
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    (tmp_path / "run" / "config.json").write_text(json.dumps({**config, "variant": "noisy_loss:loss"}))
    r = ganbench("eval", tmp_path / "run")
    assert r.returncode == 2 and "--allow-code noisy_loss:loss" in r.stderr
    assert not (tmp_path / "IMPORTED").exists() and "noisy_loss" not in sys.modules and "noisy import" not in r.stdout
    try:
        r = ganbench("eval", tmp_path / "run", "--allow-code", "noisy_loss:loss")  # named: imported, then scored
        assert r.returncode == 0, r.stderr
        assert (tmp_path / "IMPORTED").exists()
    finally:
        VARIANTS.pop("noisy_loss:loss", None)  # the registry is shared by the tests of this process


def test_every_variant_option_is_in_train_help_and_the_docs():
    from ganbench.cli import build_parser

    help_text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    docs = "".join(p.read_text() for p in (ROOT / "docs").rglob("*.md"))
    for name, takers in own_fields().items():
        assert takers[0][1].cli_flag in help_text
        assert f"`{name}`" in docs, f"the docs do not name {name}, a parameter of {takers[0][0]}"
    for name in [*SPEC_FIELDS, *BUDGET_FIELDS]:
        assert f"`{name}`" in docs, f"the docs' spec table does not name the spec field {name}"
