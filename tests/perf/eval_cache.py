"""Evaluation speed with the real-statistics cache (issue 4's benchmark), measured side by side in one run:
a whole evaluation with cached real features, the feature extraction of the generated samples alone (the floor),
and an uncached evaluation (cache emptied first). Usage: python tests/perf/eval_cache.py [N]"""
import os
import shutil
import sys
import tempfile
import time

import torch

os.environ["GANBENCH_CACHE"] = tempfile.mkdtemp(prefix="ganbench-perf-")
from benchmark.metrics.fidelity import Extractor, evaluate_generator, generated_features  # noqa: E402
from benchmark.nets import build_generator  # noqa: E402


def best_of(fn, reps=3):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(n: int) -> None:
    g = build_generator("infogan", (1, 28, 28), 64)
    kw = dict(n_fake=n, n_real=n, kid=False, prc=False)
    uncached = []
    for _ in range(3):
        shutil.rmtree(os.environ["GANBENCH_CACHE"], ignore_errors=True)
        t = time.perf_counter()
        evaluate_generator(g, 64, "mnist5k", "lenet-mnist", **kw)
        uncached.append(time.perf_counter() - t)
    cached = best_of(lambda: evaluate_generator(g, 64, "mnist5k", "lenet-mnist", **kw))
    fe = Extractor("lenet-mnist", None).build(False)
    floor = best_of(lambda: generated_features(g, 64, n, fe, False))
    print(f"n={n} (mnist5k test has 1,000 real digits, so n_real <= 1000), lenet-mnist, CPU: "
          f"cached evaluation {cached:.3f} s, generated features alone {floor:.3f} s, ratio {cached / floor:.3f} (target <= 1.05); "
          f"uncached {min(uncached):.3f} s, speed-up from the cache {min(uncached) / cached:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
