"""How big a `make perf` measurement is: full (what the docs quote), or ``--quick``, the same code path at its
smallest, a few seconds, so that tests/test_perf.py can run every script in `make test` and none rots.

    python tests/perf/SCRIPT.py --quick
"""
import sys

QUICK = "--quick" in sys.argv
if QUICK:
    sys.argv.remove("--quick")  # the scripts read their own arguments from what is left


def size(full, quick):
    """``full``, or ``quick`` under --quick."""
    return quick if QUICK else full
