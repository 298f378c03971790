"""Do the metrics agree? Every trial of a kept study on mnist5k is trained again (its setting and seed, so the same
generator on CPU), and the same samples are scored by every metric: FID, KID, precision/recall (k = 3) and
density/coverage (k = 5) on Inception's features, FID and density/coverage on lenet-mnist's. Each metric ranks the
generators; Kendall's tau says how far its ranking agrees with Inception FID's (the standard), with a 95% interval
from half-size subsets of the generated and the real samples, drawn without replacement.

    python -m ganbench.analysis.agreement results/demo --out results/metrics_agreement --n 300

The FID of a resample is computed in the Gram form (an n x n eigenproblem instead of a 2048 x 2048 square root;
``frechet_distance``, checked against torch-fidelity's in tests/test_agreement.py), so hundreds of resamples are cheap.
"""
from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.stats import kendalltau

from ganbench.benchmark.config import resolve_config
from ganbench.benchmark.data import load_split
from ganbench.benchmark.files import write_json
from ganbench.benchmark.machine import machine
from ganbench.benchmark.metrics.density import density_coverage
from ganbench.benchmark.metrics.extractors import EXTRACTORS, ExtractorName
from ganbench.benchmark.metrics.fidelity import Extractor, ImagesUint8, GeneratorUint8
from ganbench.benchmark.metrics.latents import LATENT_SEED

from .load import HYPERPARAMETERS, KEPT_TABLE
from ganbench.benchmark.identity import TrialStatus

# metric -> (extractor, +1 when lower is better, -1 when higher is)
METRICS = {"fid_inception": (ExtractorName.INCEPTION, 1), "kid_inception": (ExtractorName.INCEPTION, 1),
           "precision_inception": (ExtractorName.INCEPTION, -1), "recall_inception": (ExtractorName.INCEPTION, -1),
           "density_inception": (ExtractorName.INCEPTION, -1), "coverage_inception": (ExtractorName.INCEPTION, -1),
           "fid_lenet": (ExtractorName.LENET, 1), "density_lenet": (ExtractorName.LENET, -1), "coverage_lenet": (ExtractorName.LENET, -1)}
STANDARD = "fid_inception"
RESAMPLING = "half-size subsets without replacement"  # how the intervals are drawn, kept in meta.json (half_subset)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """FID between feature sets a (n x d) and b (m x d): |mu_a - mu_b|^2 + tr S_a + tr S_b - 2 tr (S_a S_b)^(1/2), the
    last term from the eigenvalues of the n x n matrix (A^T B)(A^T B)^T / ((n - 1)(m - 1)), A and B the centred
    features transposed: they are those of S_a S_b, without its d x d square root."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    ca, cb = a - a.mean(0), b - b.mean(0)
    cross = ca @ cb.T  # (n, m) = A^T B
    eig = np.linalg.eigvalsh(cross @ cross.T) / ((len(a) - 1) * (len(b) - 1))
    trace_sqrt = np.sqrt(np.clip(eig, 0, None)).sum()
    return float(((a.mean(0) - b.mean(0)) ** 2).sum() + (ca ** 2).sum() / (len(a) - 1) + (cb ** 2).sum() / (len(b) - 1) - 2 * trace_sqrt)


def kid(a: np.ndarray, b: np.ndarray) -> float:
    """KID (Binkowski et al. 2018): the unbiased MMD^2 with the kernel (x.y / d + 1)^3, on all of both sets."""
    d = a.shape[1]
    k = lambda x, y: (x @ y.T / d + 1) ** 3  # noqa: E731
    kaa, kbb, kab = k(a, a), k(b, b), k(a, b)
    n, m = len(a), len(b)
    return float((kaa.sum() - np.trace(kaa)) / (n * (n - 1)) + (kbb.sum() - np.trace(kbb)) / (m * (m - 1)) - 2 * kab.mean())


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    """Kynkäänniemi et al. 2019: the share of fakes inside some real k-NN ball, and of reals inside some fake one."""
    def reach(ref, query):
        ref, query = torch.from_numpy(ref).double(), torch.from_numpy(query).double()
        radii = torch.cdist(ref, ref).kthvalue(k + 1, dim=1).values
        return float((torch.cdist(query, ref) < radii).any(1).double().mean())

    return reach(real, fake), reach(fake, real)


def scores(real: dict, fake: dict) -> dict:
    """Every metric of METRICS from the features of each extractor (name -> array)."""
    out = {}
    for short, name in (("inception", ExtractorName.INCEPTION), ("lenet", ExtractorName.LENET)):
        r, f = real[name], fake[name]
        out[f"fid_{short}"] = frechet_distance(f, r)
        dc = density_coverage(torch.from_numpy(r), torch.from_numpy(f), 5)
        out[f"density_{short}"], out[f"coverage_{short}"] = dc["density"], dc["coverage"]
        if short == "inception":
            out["kid_inception"] = kid(f, r)
            out["precision_inception"], out["recall_inception"] = precision_recall(r, f)
    return out


def retrain(kept: Path, runs: Path) -> pd.DataFrame:
    """Each finished trial of the kept study trained again into runs/<trial>; its row gains run_dir."""
    from ganbench.benchmark.train import train

    spec = json.loads((kept / "spec.json").read_text())
    df = pd.read_csv(kept / KEPT_TABLE)
    df = df[(df["status"] == TrialStatus.FINISHED) & (df["dataset"] == "mnist5k")].copy()
    dirs = []
    for r in df.itertuples():
        out = runs / f"{r.variant}-{r.phase}-{r.setting}-{int(r.seed)}"
        if not (out / "metrics.json").is_file():
            params = {h: getattr(r, h) for h in HYPERPARAMETERS if h in df and pd.notna(getattr(r, h))}
            params = {k: (bool(v) if k == "d_batch_norm" else int(v) if k in ("n_disc", "batch_size", "z_dim") else float(v))
                      for k, v in params.items()}
            config = resolve_config(variant=r.variant, dataset="mnist5k", steps=spec["steps"], arch=spec.get("arch"),
                                    seed=int(r.seed), protocol=spec.get("protocol", "ganbench"), **params)
            train(config, out, progress=False)
        dirs.append(str(out))
    df["run_dir"] = dirs
    return df


def features(df: pd.DataFrame, n: int) -> tuple[dict, list[dict]]:
    """Real features of n test digits and each trial's of n generated ones (fixed latents), per extractor."""
    from torch_fidelity.generative_model_modulewrapper import GenerativeModelModuleWrapper
    from torch_fidelity.utils import get_featuresdict_from_dataset, get_featuresdict_from_generative_model

    from ganbench.benchmark.metrics.fidelity import PRIORS
    from ganbench.benchmark.train import load_module

    real: dict = {}
    fakes: list[dict] = [{} for _ in range(len(df))]
    for name in (ExtractorName.INCEPTION, ExtractorName.LENET):
        fe, layer = Extractor(name, None).build(False), EXTRACTORS[name].layer
        real[name] = get_featuresdict_from_dataset(ImagesUint8(load_split("mnist5k", "test"), n), fe, batch_size=100,
                                                   cuda=False, save_cpu_ram=True, verbose=False)[layer].numpy()
        for i, run_dir in enumerate(df["run_dir"]):
            config, module = load_module(run_dir)
            model = GenerativeModelModuleWrapper(GeneratorUint8(module.scored_generator, module.prior), config.z_dim,
                                                 PRIORS[module.prior], 0, make_eval=True)
            fakes[i][name] = get_featuresdict_from_generative_model(model, fe, n, batch_size=100, cuda=False,
                                                                    rng_seed=LATENT_SEED, verbose=False)[layer].numpy()
    return real, fakes


def half_subset(rng: np.random.Generator, n: int) -> np.ndarray:
    """Indices of half of n samples, drawn without replacement. Not a bootstrap with replacement: a duplicated sample
    is its own nearest neighbour, which shrinks the k-NN radii that precision, recall, density and coverage measure
    (on two Gaussian samples of 1,000, coverage 0.775 fell to a bootstrap mean of 0.596)."""
    return np.sort(rng.choice(n, n // 2, replace=False))


def agreement(real: dict, fakes: list[dict], resamples: int = 100, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each generator's scores, and Kendall's tau of each metric's ranking with Inception FID's: on the samples as
    drawn, and the 2.5 and 97.5 percentiles over ``resamples`` half-size subsets of the generated and the real samples
    (``half_subset``: without replacement; the same draw for every generator). The interval is that of half the
    samples, so it is wider than the point estimate's own: it errs on the side of trusting a ranking less."""
    rng = np.random.default_rng(seed)
    table = pd.DataFrame([scores(real, f) for f in fakes])

    def taus(t: pd.DataFrame) -> dict:
        standard = t[STANDARD]
        return {m: kendalltau(standard, sign * t[m]).statistic for m, (_, sign) in METRICS.items() if m != STANDARD}

    point, boot = taus(table), []
    n_real, n_fake = len(next(iter(real.values()))), len(next(iter(fakes[0].values())))
    for _ in range(resamples):
        r_idx, f_idx = half_subset(rng, n_real), half_subset(rng, n_fake)
        resampled = pd.DataFrame([scores({k: v[r_idx] for k, v in real.items()}, {k: v[f_idx] for k, v in f.items()}) for f in fakes])
        boot.append(taus(resampled))
    boot = pd.DataFrame(boot)
    rows = [dict(metric=m, extractor=METRICS[m][0], better="lower" if METRICS[m][1] > 0 else "higher", kendall_tau=point[m],
                 tau_lo=float(np.nanpercentile(boot[m], 2.5)), tau_hi=float(np.nanpercentile(boot[m], 97.5)))
            for m in point]
    return table, pd.DataFrame(rows)


def _commit() -> str | None:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent)
    return out.stdout.strip() or None


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m ganbench.analysis.agreement", description=__doc__.split("\n\n")[0])
    p.add_argument("kept", type=Path, help="a study kept under results/ whose trials trained on mnist5k")
    p.add_argument("--out", type=Path, required=True, help="where the tables go (and runs/, the retrained trials)")
    p.add_argument("--n", type=int, default=300, help="generated and real samples per generator (default 300)")
    p.add_argument("--resamples", type=int, default=100, help="bootstrap resamples (default 100)")
    args = p.parse_args(argv)
    started = time.time()
    df = retrain(args.kept, args.out / "runs")
    real, fakes = features(df, args.n)
    table, taus = agreement(real, fakes, args.resamples)
    table.insert(0, "variant", df["variant"].to_numpy())
    table.insert(1, "setting", df["setting"].to_numpy())
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "scores.csv", index=False)
    taus.to_csv(args.out / "kendall_tau.csv", index=False)
    write_json(args.out / "meta.json", {"kept": str(args.kept), "n": args.n, "resamples": args.resamples, "generators": len(df),
                                        "resampling": RESAMPLING,
                                        "command": f"python -m ganbench.analysis.agreement {args.kept} --out {args.out} --n {args.n} --resamples {args.resamples}",
                                        "date": datetime.date.today().isoformat(), "commit": _commit(), "machine": machine(),
                                        "wall_time_s": round(time.time() - started),
                                        "note": "the retrained runs (runs/ under --out) are not kept"})
    print(taus.to_string(index=False))


if __name__ == "__main__":
    main()
