"""Evaluation speed with the real-statistics cache (issue 4's benchmark), measured side by side in one run:
a whole evaluation with cached real features, the feature extraction of the generated samples alone (the floor),
and an uncached evaluation (cache emptied first). Usage: python tests/perf/eval_cache.py [N]"""
import os
import shutil
import sys
import tempfile
import time

import torch
from tier import size

os.environ["GANBENCH_CACHE"] = tempfile.mkdtemp(prefix="ganbench-perf-")
from ganbench.benchmark.metrics.fidelity import Extractor, ScoringRequest, evaluate_generator, generated_features, metrics_from_features, real_features  # noqa: E402
from ganbench.benchmark.nets import build_generator  # noqa: E402


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def interleaved_best(a, b, reps=size(7, 1)) -> tuple[float, float]:
    """Best-of-reps times of a and b, run alternately so that drift in the machine's speed hits both alike."""
    ta, tb = [], []
    for _ in range(reps):
        ta.append(timed(a))
        tb.append(timed(b))
    return min(ta), min(tb)


def main(n: int) -> None:
    g = build_generator("infogan", (1, 28, 28), 64)
    request = ScoringRequest("mnist5k", 64, "lenet-mnist", n_fake=n, n_real=n, kid=False, prc=False)
    uncached = []
    for _ in range(size(3, 1)):
        shutil.rmtree(os.environ["GANBENCH_CACHE"], ignore_errors=True)
        t = time.perf_counter()
        evaluate_generator(g, request)
        uncached.append(time.perf_counter() - t)
    fe = Extractor("lenet-mnist", None).build(False)
    cached, floor = interleaved_best(lambda: evaluate_generator(g, request),
                                     lambda: generated_features(g, 64, n, fe, False))
    # What the cached evaluation adds to the extraction, timed on its own: reading the cache and the metric maths.
    ext, fake = Extractor("lenet-mnist", None), generated_features(g, 64, n, fe, False)
    rest = min(timed(lambda: metrics_from_features(fake, real_features("mnist5k", "test", min(n, 1000), ext), "fc1", False, False))
               for _ in range(size(7, 1)))
    print(f"n={n} (mnist5k test has 1,000 real digits, so n_real <= 1000), lenet-mnist, CPU: "
          f"cached evaluation {cached:.3f} s, generated features alone {floor:.3f} s, ratio {cached / floor:.3f} (target <= 1.05); "
          f"uncached {min(uncached):.3f} s, speed-up from the cache {min(uncached) / cached:.2f}x; "
          f"the rest of a cached evaluation (cache read + metrics) alone {1000 * rest:.1f} ms = {rest / floor:.3f} of the extraction")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else size(1000, 50))
