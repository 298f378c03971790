"""The core's contracts, checked on the source and by use: a protocol is an object asked, never a name compared;
a protocol defined outside the package registers and runs with no other edit."""
import ast
import json
from pathlib import Path

import pytest

from ganbench.benchmark.protocols import PROTOCOLS, Protocol, register

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


def test_register_is_the_one_line_a_protocol_file_needs(monkeypatch):
    monkeypatch.setattr("ganbench.benchmark.protocols.PROTOCOLS", dict(PROTOCOLS))
    from ganbench.benchmark import protocols

    p = protocols.register(Protocol(name="plain", summary="s", cite="c", steps_count="generator updates"))
    assert protocols.get_protocol("plain") is p
    from ganbench.benchmark.schema import RUN_FIELDS

    assert "plain" in RUN_FIELDS["protocol"].options
