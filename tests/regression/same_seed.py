"""Same-seed numbers of a fixed set of short runs, one of each kind of training ganbench has: the Lucic study's
protocol, PacGAN's, ganbench's own on three objective families (a classifier, a critic with a gradient penalty, an
f-GAN), pix2pix, and a two-trial sweep. On CPU with one thread the same code gives the same numbers bit for bit, so
a change to the code that builds, trains or records runs must leave ``same_seed.json`` as it is.

    python tests/regression/same_seed.py            # print the numbers as JSON
    python tests/regression/same_seed.py --write    # keep them as the reference (only when a change is meant to move them)

``test_same_seed_numbers_are_kept`` (tests/test_regression.py) runs this and compares.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ["OMP_NUM_THREADS"] = "1"
import torch  # noqa: E402

torch.set_num_threads(1)

REFERENCE = Path(__file__).with_name("same_seed.json")
METRICS = ("d_loss", "g_loss", "fid", "fid_min", "modes_covered", "high_quality_fraction", "mode_kl", "mixture_mismatch",
           "l1", "classifier_score", "discriminator_updates", "generator_updates")

RUNS = {
    "lucic2018_wgan_mnist5k": dict(variant="wgan", dataset="mnist5k", protocol="lucic2018", steps=12, n_disc=5, eval_every=5,
                                   n_fake=200, n_real=200),
    "pacgan2018_ns_gan_ring8_pack2": dict(variant="ns_gan", dataset="ring8", protocol="pacgan2018", steps=30, pack=2),
    "ganbench_ns_gan_ring8": dict(variant="ns_gan", dataset="ring8", steps=30, seed=1),
    "ganbench_wgan_gp_ring8": dict(variant="wgan_gp", dataset="ring8", steps=10, seed=2),
    "ganbench_fgan_kl_ring8": dict(variant="fgan_kl", dataset="ring8", steps=30, seed=3),
    "pix2pix_edges2digits": dict(variant="pix2pix", dataset="edges2digits", steps=5, ngf=8, n_fake=100),
    "lucic2018_vae_mnist5k": dict(variant="vae", dataset="mnist5k", protocol="lucic2018", steps=5, n_fake=200, n_real=200),
    # one run of every other module's step (benchmark/module), on the ring
    **{f"ganbench_{v}_ring8": dict(variant=v, dataset="ring8", steps=6, seed=4) for v in (
        "cramer_gan", "fisher_gan", "began", "ebgan", "mmd_gan", "gmmn", "vae", "wgan", "dragan", "rwgan")},
    "ganbench_magan_ring8": dict(variant="magan", dataset="ring8", steps=6, seed=4, pretrain_steps=3),
}
SWEEP = "name: same_seed\nvariants: [ns_gan]\ndatasets: [ring8]\narch: mlp_small\nspace: narrow\nbudget: {settings: 2}\nsteps: 20\n"


def weights_sum(ckpt: Path) -> float:
    state = torch.load(ckpt, weights_only=False)["state_dict"]
    return float(sum(v.double().sum() for v in state.values() if v.is_floating_point()))


def numbers(metrics: dict, run_dir: Path) -> dict:
    out = {k: metrics[k] for k in METRICS if k in metrics}
    out["weights_sum"] = weights_sum(run_dir / "last.ckpt")
    return out


def runs(tmp: Path) -> dict:
    from ganbench.benchmark.config import resolve_config
    from ganbench.benchmark.train import train

    out = {}
    for name, settings in RUNS.items():
        metrics = train(resolve_config(**settings), tmp / name, progress=False)
        out[name] = numbers(metrics, tmp / name)
    return out


def sweep(tmp: Path) -> dict:
    from optuna.trial import TrialState

    import optuna
    from ganbench.sweeps.executors import run_local
    from ganbench.sweeps.storage import load_saved_spec, save_spec, storage_for
    from ganbench.sweeps.spec import load_spec

    (tmp / "s.yaml").write_text(SWEEP)
    study_dir = tmp / "sweep"
    save_spec(study_dir, load_spec(tmp / "s.yaml"))
    run_local(study_dir, workers=1, progress=False)
    spec = load_saved_spec(study_dir)
    study = optuna.load_study(study_name=spec.study_name("ns_gan", "ring8"), storage=storage_for(study_dir))
    out = {}
    for t in sorted(study.get_trials(states=(TrialState.COMPLETE,)), key=lambda t: t.user_attrs["setting"]):
        run_dir = study_dir / t.user_attrs["run_dir"]
        out[f"setting_{t.user_attrs['setting']}"] = {"value": t.value, "params": t.params,
                                                       "weights_sum": weights_sum(run_dir / "last.ckpt")}
    return out


def measure() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        return {**runs(Path(tmp)), "sweep_ns_gan_ring8": sweep(Path(tmp))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"keep the numbers in {REFERENCE.name}")
    args = parser.parse_args()
    got = measure()
    text = json.dumps(got, indent=1, sort_keys=True)
    if args.write:
        REFERENCE.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    sys.exit(main())
