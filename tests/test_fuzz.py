"""The fuzzer (tests/fuzz.py), bounded: a random share of its cases (every file ganbench reads, damaged each way of
a family, under every command that reads it) a run, each held to the contract: exit 0, or exit 2 with one line
naming a field or file; no traceback, nothing half-written, nothing the user had changed. `make fuzz` runs them all."""
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzz  # noqa: E402

pytestmark = pytest.mark.slow(seconds=60)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    return fuzz.make_artifacts(tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="module")
def all_cases(artifacts):
    """Every case but those of the failure classes still open (fuzz.KNOWN_OPEN), which `make fuzz` reports."""
    return [c for c in fuzz.cases(artifacts) if not fuzz.known_open(c[0], c[1])]


def test_every_target_file_exists_and_has_a_family_of_damages(artifacts, all_cases):
    missing = [t.file for t in fuzz.TARGETS if not (artifacts / t.file).is_file()]
    assert not missing
    assert len(all_cases) > 500


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_random_share_of_the_cases_holds_the_contract(artifacts, all_cases, data):
    target, name, damage = data.draw(st.sampled_from(all_cases), label="case")
    problem = fuzz.run_case(artifacts, target, damage)
    assert problem is None, f"{' '.join(target.command[:2])} with {target.file} ({name}): {problem}"
