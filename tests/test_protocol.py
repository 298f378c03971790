"""Conformance of protocol lucic2018 with the study's code (google/compare_gan@49495fd): spaces and defaults
against params.py written out by hand here, the replayed draws against an independent re-implementation of the
study's sampling loop, losses against hand-computed values, update counts, nets' parameter counts, batch-norm
constants, FID checkpoints, and where the two protocols differ. docs/protocol.md names these tests."""
import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from ganbench.benchmark import losses
from ganbench.benchmark.nets import build_autoencoder, build_discriminator, build_generator
from ganbench.benchmark.protocols.lucic2018 import PROTOCOL as STUDY
from ganbench.benchmark.nets.layers import TFBatchNorm
from ganbench.benchmark.penalties import STUDY_PENALTIES
from ganbench.benchmark.protocols import lucic2018
from ganbench.benchmark.config import resolve_config

STUDY_VARIANTS = ["ns_gan", "mm_gan", "wgan", "wgan_gp", "dragan", "vae", "lsgan", "began"]

# params.py at 49495fd, read by eye and written out in ganbench's names (the module under test transcribes the
# same file through the study's own ParamRanges calls; this table is the second, independent reading).
WIDE = dict(beta1=["uniform", 0.0, 1.0], lr=["log", 1e-5, 1e-2], n_disc=["choice", 1, 5], d_batch_norm=["choice", True, False])
NARROW = dict(beta1=0.5, lr=["log", 1e-4, 1e-3], n_disc=1)
EXTRA = {
    "wide": {"wgan": dict(clip=["log", 1e-3, 1.0]), "wgan_gp": dict(penalty_weight=["log", 0.1, 100.0]),
             "dragan": dict(penalty_weight=["log", 0.1, 100.0]),
             "began": dict(began_lambda=["log", 1e-4, 1e-2], began_gamma=["uniform", 0.0, 1.0])},
    "narrow": {"ns_gan": dict(d_batch_norm=["choice", True, False]), "mm_gan": dict(d_batch_norm=["choice", True, False]),
               "lsgan": dict(d_batch_norm=["choice", True, False]),
               "wgan": dict(d_batch_norm=["choice", True, False], clip=["log", 1e-2, 1.0]),
               "wgan_gp": dict(d_batch_norm=False, penalty_weight=["log", 0.1, 10.0]),
               "dragan": dict(d_batch_norm=False, penalty_weight=["log", 0.1, 10.0]),
               "vae": dict(d_batch_norm=["choice", True, False]),
               "began": dict(d_batch_norm=["choice", True, False], began_lambda=1e-3, began_gamma=["uniform", 0.6, 0.9])},
}
DEFAULTS = {
    "ns_gan": dict(beta1=0.0, lr=5e-5, n_disc=1, d_batch_norm=True),
    "mm_gan": dict(beta1=0.0, lr=5e-5, n_disc=1, d_batch_norm=True),
    "lsgan": dict(beta1=0.5, lr=2e-4, n_disc=1, d_batch_norm=True),
    "wgan": dict(beta1=0.5, lr=5e-5, n_disc=5, d_batch_norm=True, clip=0.01),
    "wgan_gp": dict(beta1=0.5, lr=1e-4, n_disc=5, d_batch_norm=False, penalty_weight=10.0),
    "dragan": dict(beta1=0.5, lr=1e-4, n_disc=1, d_batch_norm=True, penalty_weight=10.0),
    "vae": dict(beta1=0.5, lr=5e-5, n_disc=1),  # batch norm: True in wide (the base range), False in narrow
    "began": dict(beta1=0.5, lr=1e-4, n_disc=5, d_batch_norm=False, began_lambda=1e-3, began_gamma=0.75),
}
FIXED = dict(batch_size=64, z_dim=64, beta2=0.999)


def _approx(x):
    if isinstance(x, list):
        return [_approx(v) for v in x]
    return pytest.approx(x, rel=1e-12) if isinstance(x, float) else x



@pytest.mark.parametrize("space", ["wide", "narrow"])
def test_spaces_and_defaults_equal_params_py(ganbench, space):
    code, out, _ = ganbench("spaces", "--protocol", "lucic2018", "--space", space, "--json")
    assert code == 0
    printed = json.loads(out)
    assert list(printed) == STUDY_VARIANTS
    for v in STUDY_VARIANTS:
        base = dict(WIDE) if space == "wide" else dict(NARROW)
        if v == "vae" and space == "narrow":
            base.pop("d_batch_norm", None)
        expected_space = {**FIXED, **base, **EXTRA[space].get(v, {})}
        assert printed[v]["space"] == {k: _approx(x) for k, x in expected_space.items()}, v
        bn_default = {"vae": space == "wide"}.get(v, DEFAULTS[v].get("d_batch_norm"))
        expected_defaults = {**FIXED, **DEFAULTS[v], "d_batch_norm": bn_default}
        assert printed[v]["defaults"] == {k: _approx(x) for k, x in expected_defaults.items()}, v


# --- the study's draws ----------------------------------------------------------------------------------------

STUDY_RANGES = {  # (default, range, is_log_scale, is_discrete) in the study's names, wide range only
    "base": dict(beta1=(0.5, [0.0, 1.0], False, False), learning_rate=(1e-4, [-5.0, -2.0], True, False),
                 disc_iters=(1, [1, 5], False, True), discriminator_batchnorm=(True, [True, False], False, True)),
    "GAN": dict(beta1=0.0, learning_rate=5e-5), "GAN_MINMAX": dict(beta1=0.0, learning_rate=5e-5),
    "WGAN": dict(learning_rate=5e-5, disc_iters=5, weight_clipping=(0.01, [-3.0, 0.0], True, False)),
    "WGAN_GP": dict(disc_iters=5, discriminator_batchnorm=False, **{"lambda": (10.0, [-1.0, 2.0], True, False)}),
    "DRAGAN": {"lambda": (10.0, [-1.0, 2.0], True, False)}, "VAE": dict(learning_rate=5e-5), "LSGAN": dict(learning_rate=2e-4),
    "BEGAN": dict(disc_iters=5, discriminator_batchnorm=False, gamma=(0.75, [0.0, 1.0], False, False),
                  **{"lambda": (0.001, [-4.0, -2.0], True, False)}),
}


def _study_loop_phase1(num_samples: int) -> dict:
    """generate_tasks_lib.py's GetTasks + TuneParams + GetSample for the wide range, as Python 2 ran them."""
    random.seed(123)
    out = {}
    for gan in ["GAN", "GAN_MINMAX", "WGAN", "WGAN_GP", "DRAGAN", "VAE", "LSGAN", "BEGAN"]:
        params = {k: list(v) for k, v in STUDY_RANGES["base"].items()}
        for k, v in STUDY_RANGES[gan].items():
            if isinstance(v, tuple):
                params[k] = list(v)
            else:
                params[k][0] = v
        samples = [{k: p[0] for k, p in params.items()}]
        for _ in range(num_samples - 1):
            s = {}
            for name in sorted(params):
                _, rng, is_log, is_discrete = params[name]
                if is_discrete:
                    s[name] = rng[int(random.random() * len(rng))]  # Python 2's random.choice
                else:
                    x = random.uniform(rng[0], rng[1])
                    s[name] = 10.0**x if is_log else x
            samples.append(s)
        out[gan] = samples
    return out


def test_replayed_draws_equal_the_study_loop():
    mine = lucic2018.replay("phase1_gan8_mnist_sample100_rep1")
    theirs = _study_loop_phase1(100)
    for gan, samples in theirs.items():
        v = lucic2018.VARIANT_OF[gan]
        assert len(mine[v]) == 100
        for a, b in zip(mine[v], samples):
            assert a == {k: _approx(x) for k, x in lucic2018.to_ganbench(gan, b).items()}
    # pinned: the first draw of the first model after random.seed(123), and the discrete range read as {1, 5}
    assert mine["ns_gan"][1]["beta1"] == pytest.approx(0.052363598850944326, rel=1e-15)
    assert {s["n_disc"] for s in mine["ns_gan"]} == {1, 5}


def test_a_lucic2018_study_enqueues_the_replayed_settings(tmp_path):
    import yaml

    from ganbench.sweeps.storage import create_studies, storage_for
    from ganbench.sweeps.spec import load_spec

    path = tmp_path / "replay.yaml"
    path.write_text(yaml.safe_dump(dict(name="replay", protocol="lucic2018", experiment="phase1_gan8_mnist_sample100_rep1",
                                        variants=["ns_gan", "wgan"], datasets=["mnist5k"], space="wide",
                                        budget={"settings": 4}, steps=10, n_fake=100, n_real=100)))
    spec = load_spec(path)
    studies = create_studies(spec, storage_for(tmp_path))
    replay = lucic2018.replay("phase1_gan8_mnist_sample100_rep1")
    for study, _ in studies:
        trials = sorted(study.get_trials(deepcopy=False), key=lambda t: t.number)
        v = trials[0].user_attrs["variant"]
        assert trials[0].user_attrs["experiment"] == "phase1_gan8_mnist_sample100_rep1"
        for i, t in enumerate(trials):
            assert t.system_attrs["fixed_params"] == {**FIXED, **replay[v][i]}


# --- losses, penalties, update counts --------------------------------------------------------------------------

R = np.array([1.5, -0.5, 2.0, 0.25])  # discriminator logits on real
FK = np.array([-1.0, 0.5, -2.5, 0.0])  # ... and on fake


def _sp(x):
    return np.log1p(np.exp(x))


def _sig(x):
    return 1 / (1 + np.exp(-x))


HAND = {  # GAN.py:78-95, WGAN.py:76-82, LSGAN.py:62-71: (d_loss, g_loss) from the study's formulas
    "ns_gan": (np.mean(_sp(-R)) + np.mean(_sp(FK)), np.mean(_sp(-FK))),
    "mm_gan": (np.mean(_sp(-R)) + np.mean(_sp(FK)), -np.mean(_sp(FK))),
    "wgan": (-np.mean(R) + np.mean(FK), -np.mean(FK)),
    "wgan_gp": (-np.mean(R) + np.mean(FK), -np.mean(FK)),
    "dragan": (np.mean(_sp(-R)) + np.mean(_sp(FK)), np.mean(_sp(-FK))),
    "lsgan": (0.5 * (np.mean((_sig(R) - 1) ** 2) + np.mean(_sig(FK) ** 2)), 0.5 * np.mean((_sig(FK) - 1) ** 2)),
}


@pytest.mark.parametrize("variant", list(HAND))
def test_study_losses_match_hand_computed_values(variant):
    from ganbench.benchmark.config import resolve_config
    from ganbench.benchmark.module import loss_for

    d, g = loss_for(resolve_config(variant=variant, dataset="mnist5k", protocol="lucic2018"))(torch.tensor(R), torch.tensor(FK))
    assert float(d) == pytest.approx(HAND[variant][0], rel=1e-12)
    assert float(g) == pytest.approx(HAND[variant][1], rel=1e-12)


def test_fgan_generator_forms_by_hand():
    """GAN divergence: g_f(v) = -log(1 + e^-v), f*(g_f(v)) = log(1 + e^v)."""
    d, g_paper = losses.f_gan("gan", "paper")(torch.tensor(R), torch.tensor(FK))
    _, g_saddle = losses.f_gan("gan", "saddle")(torch.tensor(R), torch.tensor(FK))
    assert float(d) == pytest.approx(-(np.mean(-_sp(-R)) - np.mean(_sp(FK))), rel=1e-12)
    assert float(g_paper) == pytest.approx(np.mean(_sp(-FK)), rel=1e-12)
    assert float(g_saddle) == pytest.approx(-np.mean(_sp(FK)), rel=1e-12)


def test_began_loss_and_k_by_hand():
    d, g = losses.began(torch.tensor([0.2, 0.4]), torch.tensor([0.1, 0.3]), k=0.5)
    assert float(d) == pytest.approx(0.3 - 0.5 * 0.2) and float(g) == pytest.approx(0.2)


def test_study_gradient_penalty_keeps_its_epsilon():
    """WGAN_GP.py:80: slopes = sqrt(1e-4 + ||grad||^2). For a linear critic the gradient is w everywhere."""
    w = torch.tensor([0.6, 0.0, 0.0, 0.0])
    critic = lambda x: x.flatten(1) @ w  # noqa: E731
    real, fake = torch.rand(8, 1, 2, 2), torch.rand(8, 1, 2, 2)
    gp = STUDY_PENALTIES["gradient_penalty"](critic, real, fake)
    assert float(gp) == pytest.approx((math.sqrt(1e-4 + 0.36) - 1) ** 2, rel=1e-6)
    dragan = STUDY_PENALTIES["dragan"](critic, real)
    assert float(dragan) == pytest.approx((math.sqrt(1e-4 + 0.36) - 1) ** 2, rel=1e-6)


def _study_counts(steps: int, disc_iters: int) -> tuple[int, int]:
    """abstract_gan.py's train loop: g_loss starts as None; the generator runs when
    (counter - 1) % disc_iters == 0 or g_loss is None."""
    g_loss, g_updates = None, 0
    for counter in range(steps):
        if (counter - 1) % disc_iters == 0 or g_loss is None:
            g_loss, g_updates = 1.0, g_updates + 1
    return steps, g_updates


@pytest.mark.parametrize("steps,disc_iters", [(1, 5), (12, 5), (15625, 5), (15625, 1), (7, 2)])
def test_update_counts_follow_the_study_loop(steps, disc_iters):
    assert lucic2018.update_counts(steps, disc_iters) == _study_counts(steps, disc_iters)


@pytest.mark.slow
def test_a_lucic2018_run_counts_updates_and_scores_at_the_study_checkpoints(run):
    m, out = run(variant="wgan", dataset="mnist5k", protocol="lucic2018", steps=12, n_disc=5, eval_every=5, n_fake=200, n_real=200)
    assert (m["steps"], m["discriminator_updates"], m["generator_updates"]) == (12, 12, 4)  # G at steps 0, 1, 6, 11
    assert [h["step"] for h in m["fid_history"]] == [6, 11, 12]  # after step index 5 and 10, and the end
    assert json.loads((out / "config.json").read_text())["protocol"] == "lucic2018" and m["protocol"] == "lucic2018"
    g, _ = run(variant="wgan", dataset="mnist5k", steps=3, n_disc=5)
    assert (g["steps"], g["discriminator_updates"], g["generator_updates"]) == (3, 15, 3)


# --- nets and batch norm --------------------------------------------------------------------------------------

def _count(layers) -> int:
    """Parameters of a layer list: ("fc", in, out), ("conv", in, out) with 4x4 kernels, ("bn", n)."""
    n = 0
    for kind, *a in layers:
        n += {"fc": lambda i, o: i * o + o, "conv": lambda i, o: 16 * i * o + o, "bn": lambda c: 2 * c}[kind](*a)
    return n


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (3, 64, 64)])
def test_parameter_counts_equal_the_study_layer_lists(shape):
    c, h, w = shape
    flat = 128 * (h // 4) * (w // 4)
    g_layers = [("fc", 64, 1024), ("bn", 1024), ("fc", 1024, flat), ("bn", flat), ("conv", 128, 64), ("bn", 64), ("conv", 64, c)]
    d_layers = [("conv", c, 64), ("conv", 64, 128), ("bn", 128), ("fc", flat, 1024), ("bn", 1024), ("fc", 1024, 1)]
    ae_layers = [("conv", c, 64), ("conv", 64, 128), ("fc", flat, 64), ("fc", 64, flat), ("conv", 128, 64), ("conv", 64, c)]
    params = lambda net: sum(p.numel() for p in net.parameters())  # noqa: E731
    assert params(build_generator("infogan", shape, 64, STUDY.style)) == _count(g_layers)
    assert params(build_discriminator("infogan", shape, 1, True, STUDY.style)) == _count(d_layers)
    assert params(build_autoencoder("infogan", shape, False, STUDY.style, study=True)) == _count(ae_layers)
    ae = build_autoencoder("infogan", shape, False, STUDY.style, study=True)
    assert ae(torch.rand(2, *shape)).shape == (2,)
    g = build_generator("infogan", shape, 64, STUDY.style)
    assert g(torch.rand(2, 64)).shape == (2, *shape)
    if shape == (3, 32, 32):  # BEGAN.py's docstring: "less parameters (1.3M vs 8.5M)"
        assert round(_count(ae_layers) / 1e6, 1) == 1.3 and round(_count(d_layers) / 1e6, 1) == 8.5


def test_tf_batch_norm_constants():
    bn = TFBatchNorm(3)
    x = torch.randn(64, 3) * 2 + 1
    y = bn(x)
    mean, var = x.mean(0), x.var(0, unbiased=False)
    assert torch.allclose(y, (x - mean) / torch.sqrt(var + 1e-3), atol=1e-5)
    assert torch.allclose(bn.running_mean, 0.001 * mean, atol=1e-7)
    assert torch.allclose(bn.running_var, 0.999 + 0.001 * var, atol=1e-7)  # biased variance, decay 0.999
    bn.eval()
    assert torch.allclose(bn(x), (x - bn.running_mean) / torch.sqrt(bn.running_var + 1e-3), atol=1e-6)
    g = build_generator("infogan", (1, 28, 28), 64, STUDY.style)
    assert sum(isinstance(m, TFBatchNorm) for m in g.modules()) == 3
    assert all(torch.all(m.weight == 1) for m in g.modules() if isinstance(m, TFBatchNorm))


# --- the two protocols differ where docs/protocol.md says, and nowhere else -------------------------------------

DEFAULT_DIFFERENCES = {  # docs/protocol.md, row "defaults": ganbench's own defaults against the study's params.py
    "ns_gan": {"lr", "beta1", "d_batch_norm"}, "mm_gan": {"lr", "beta1", "d_batch_norm"}, "wgan": {"d_batch_norm"},
    "wgan_gp": {"beta2"}, "dragan": {"lr", "d_batch_norm"}, "vae": {"lr", "beta1", "d_batch_norm", "prior"}, "lsgan": {"d_batch_norm"},
    "began": {"n_disc", "began_gamma"},
}


@pytest.mark.parametrize("variant", STUDY_VARIANTS)
def test_protocols_differ_only_where_the_table_says(variant):
    from ganbench.benchmark.module import build_module, loss_for

    shape = (1, 28, 28)
    defaults_ganbench = resolve_config(variant=variant, dataset="mnist5k", n_fake=500, n_real=500)
    defaults_study = resolve_config(variant=variant, dataset="mnist5k", n_fake=500, n_real=500, protocol="lucic2018")
    study, own = defaults_study.to_dict(), defaults_ganbench.to_dict()
    assert {k for k in study if study[k] != own[k]} == {"protocol", *DEFAULT_DIFFERENCES[variant]}
    same = dict(variant=variant, dataset="mnist5k", lr=1e-4, beta1=0.5, beta2=0.999, n_disc=1, d_batch_norm=True,
                n_fake=500, n_real=500, **({"began_gamma": 0.75} if variant == "began" else {}))  # BEGAN's option, BEGAN's only
    a, b = resolve_config(**same), resolve_config(**same, protocol="lucic2018")
    assert {k for k, v in a.to_dict().items() if v != b.to_dict()[k]} == {"protocol", *({"prior"} if variant == "vae" else set())}  # row "prior"
    ma, mb = build_module(a, shape), build_module(b, shape)
    shapes = lambda net: [tuple(p.shape) for p in net.parameters()]  # noqa: E731
    assert shapes(ma.generator) == shapes(mb.generator)  # same layers; init and batch norm differ (rows "init", "batch norm")
    if variant == "began":  # row "BEGAN autoencoder"
        assert shapes(ma.discriminator) != shapes(mb.discriminator)
    else:
        assert shapes(ma.discriminator) == shapes(mb.discriminator)
    if variant == "vae":  # row "VAE": ReLU decoder and U(-1, 1) latents at evaluation in the study
        assert any(isinstance(m, torch.nn.ReLU) for m in mb.generator.modules())
        assert (ma.prior, mb.prior) == ("normal", "uniform")
    else:
        assert ma.prior == mb.prior == "uniform"
    if variant in ("began", "vae"):
        return
    assert (loss_for(a) is loss_for(b)) == (variant != "lsgan")  # row "LSGAN loss"


# --- bad input and the study specs ----------------------------------------------------------------------------

@pytest.mark.parametrize("args,field", [
    (["--protocol", "lucic2017"], "protocol"),
    (["--protocol", "lucic2018", "--n-fake", "1000", "--n-real", "500"], "n_fake"),
    (["--protocol", "lucic2018", "--variant", "fgan_kl"], "variant"),
    (["--fgan-generator-loss", "sideways", "--variant", "fgan_kl"], "fgan_generator_loss"),
])
def test_bad_protocol_input_exits_2_naming_the_field(ganbench, tmp_path, args, field):
    base = ["train", "--dataset", "mnist5k", "--steps", "1", "--out", str(tmp_path / "r")]
    if "--variant" not in args:
        base += ["--variant", "ns_gan"]
    code, _, err = ganbench(*base, *args)
    assert code == 2 and err.strip().count("\n") == 0 and f"error: {field}:" in err, err


@pytest.mark.parametrize("extra,field", [
    (dict(protocol=["ganbench", "lucic2018"]), "protocol"),
    (dict(protocol="lucic2018", variants=["ns_gan", "fgan_kl"]), "variants"),
    (dict(protocol="lucic2018", n_fake=1000), "n_fake"),
    (dict(protocol="lucic2018", experiment="phase2_gan8_mnist_sample50_rep1"), "experiment"),
    (dict(experiment="phase1_gan8_mnist_sample100_rep1"), "experiment"),
])
def test_bad_protocol_specs_name_the_field(ganbench, tmp_path, extra, field):
    import yaml

    spec = dict(name="bad", variants=["ns_gan"], datasets=["mnist5k"], space="wide", budget={"settings": 2}, steps=10,
                n_fake=500, n_real=500, experiment="phase1_gan8_mnist_sample100_rep1" if extra.get("protocol") == "lucic2018" else None)
    spec = {k: v for k, v in {**spec, **extra}.items() if v is not None}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec))
    code, _, err = ganbench("sweep", "run", str(path), "--dir", str(tmp_path / "study"))
    assert code == 2 and f"error: {field}" in err and err.strip().count("\n") == 0, err


def test_the_eight_study_specs_load():
    from ganbench.sweeps.spec import load_spec

    paths = sorted(Path("sweeps/studies").glob("lucic_*.yaml"))
    assert len(paths) == 8
    for p in paths:
        spec = load_spec(p)
        dataset = spec.datasets[0]
        assert spec.protocol == "lucic2018" and "ganbench sweep plan" in p.read_text()  # where its cost is printed
        assert (spec.steps, spec.eval_every) == (lucic2018.schedule(dataset)["steps"], lucic2018.schedule(dataset)["eval_every"])
        assert spec.experiment == lucic2018.experiment_for(dataset, spec.space)
        assert spec.settings == lucic2018.EXPERIMENTS[spec.experiment][1]


# --- the study's step, driven by hand (outside a Lightning Trainer) ---------------------------------------------

def _driven(variant, **extra):
    from ganbench.benchmark.module import build_module

    config = resolve_config(variant=variant, dataset="mnist5k", protocol="lucic2018", n_fake=200, n_real=200, **extra)
    module = build_module(config, (1, 28, 28)).outside_trainer()
    torch.manual_seed(0)
    batch = torch.rand(64, 1, 28, 28)
    module.real = type("Fixed", (), {"next": lambda self, device: batch})()
    draws = []
    z = torch.rand(64, 64) * 2 - 1
    module.sample_z = lambda n: draws.append(n) or z
    return module, batch, z, draws


@pytest.mark.parametrize("variant,draws_when_g_steps", [("ns_gan", 1), ("wgan_gp", 2)])
def test_the_generator_reuses_the_discriminators_latents_except_wgan_gp(variant, draws_when_g_steps):
    module, _, _, draws = _driven(variant, n_disc=1)
    module.protocol.step.run(module)
    assert len(draws) == draws_when_g_steps and (module.d_updates, module.g_updates) == (1, 1)


def test_began_k_is_updated_from_recomputed_errors_and_not_clamped():
    module, batch, z, _ = _driven("began", n_disc=1, began_gamma=0.0, began_lambda=0.5)
    module.protocol.step.run(module)
    with torch.no_grad():
        err_fake = module.discriminator(module.generator(z)).mean()
    # gamma 0: k = 0 + lambda * (0 * err_real - err_fake) < 0, which the study does not clamp
    assert float(module.k) == pytest.approx(-0.5 * float(err_fake), rel=1e-5) and float(module.k) < 0


def test_reports_refuse_to_mix_protocols():
    import pandas as pd

    from ganbench.analysis.load import check_comparable

    df = pd.DataFrame({"study": ["a", "b"], "protocol": ["ganbench", "lucic2018"], "metric": ["fid", "fid"],
                       "extractor": ["lenet-mnist"] * 2, "n_fake": [500, 500], "n_real": [500, 500], "dataset": ["mnist5k"] * 2})
    with pytest.raises(ValueError, match="^protocol: "):
        check_comparable(df)
