"""Train one variant on one data set from a config, into a run directory.

``resolve_config(**settings)`` fills every default and validates; ``train(config, out)`` runs it and writes
``config.json``, ``metrics.json``, ``samples.png``, ``last.ckpt``, the curves under ``logs/`` and, when FID is scored
during training, ``best.ckpt`` (the weights of the minimum FID, which ``samples.png`` then shows). A run directory is complete or absent:
work happens in ``<out>.partial`` (which also holds the checkpoint a crashed run resumes from) and is renamed
at the end.
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import platform
import time
from pathlib import Path

import torch

from .conditional.metrics import translation_metrics
from .conditional.nets import Translator
from .data import DATASETS, DataError, canonical_name, get_dataset, load_split
from .files import MARKER, finish_partial, is_ours, open_partial, partial_of, remove_partial, write_json
from .logs import interactive, log_every, quiet_libraries, run_loggers, training_progress
from .metrics.dataset_metrics import DATASET_METRICS, dataset_metrics
from .metrics.fidelity import default_extractor
from .metrics.latents import fixed_samples
from .metrics.modes import MIXTURE_SAMPLES, mixture_metrics
from .metrics.points import POINTS, sliced_w1
from .module import Diverged, RealBatches, build_module
from .nets import ArchitectureError, check_fits
from .protocols import lucic2018, pacgan2018
from .samples import save_samples
from .schema import FALLBACKS, RUN_FIELDS, ConfigError, check_device, did_you_mean
from .variants import VARIANTS, VariantError, get_variant

DEFAULTS = {name: f.default for name, f in RUN_FIELDS.items()}


def variant_defaults(variant: str, protocol: str = "ganbench") -> dict:
    """A variant's default hyperparameters under a protocol: ganbench's registry, or the study's params.py
    (its wide-range defaults; TF's Adam has beta2 0.999)."""
    if protocol == "lucic2018":
        return {"beta2": 0.999, **lucic2018.defaults(variant, "wide")}
    if protocol == "pacgan2018":  # Blocks' Adam's beta2; the rest is the data set's (PACGAN_2D)
        return {**FALLBACKS, **get_variant(variant).defaults, "beta2": 0.999, "n_disc": 1, "d_batch_norm": False}
    return {**FALLBACKS, **get_variant(variant).defaults}


def default_arch(shape) -> str:  # data sets with their own protocol name theirs (DatasetInfo.defaults)
    return "mlp" if len(shape) == 1 else "infogan"


def own_fields() -> dict[str, list]:
    """Every variant's own hyperparameters by name: [(variant, Field), ...] (several variants may share one)."""
    out: dict[str, list] = {}
    for v in VARIANTS.values():
        for f in v.own:
            out.setdefault(f.name, []).append((v.name, f))
    return out


def check_settings(settings: dict) -> None:
    """Names and types of what was given, before any default is filled: an unknown name (with "did you mean"), a
    list where one value goes, a value out of its bounds; each one line naming the field."""
    own = own_fields()
    known = ["variant", "dataset", *RUN_FIELDS, *own]
    for name, value in settings.items():
        if name in ("variant", "dataset", "generators_scheme"):
            continue
        if name not in RUN_FIELDS and name not in own:
            raise ConfigError(f"{name}: unknown setting{did_you_mean(name, known)}; known are {', '.join(known)}")
        if value is None:
            continue
        if name in RUN_FIELDS:
            RUN_FIELDS[name].check(value)
        else:
            own[name][0][1].check(value)  # type and bounds are one for all variants that share it


def resolve_config(**settings) -> dict:
    check_settings(settings)
    for field in ("variant", "dataset"):
        if settings.get(field) is None:
            raise ConfigError(f"{field}: required")
    try:
        variant = get_variant(settings["variant"])
        _check_loss(variant)
    except VariantError as e:
        raise ConfigError(str(e)) from None
    protocol = settings.get("protocol") or DEFAULTS["protocol"]
    if protocol == "lucic2018" and settings["variant"] not in lucic2018.GAN_TYPE:
        raise ConfigError(f"variant: '{settings['variant']}' is not in the Lucic et al. study; under protocol lucic2018 "
                          f"choose one of {', '.join(lucic2018.GAN_TYPE)}")
    if protocol == "pacgan2018" and settings["variant"] != pacgan2018.VARIANT:
        raise ConfigError(f"variant: protocol pacgan2018 trains PacGAN's GAN, {pacgan2018.VARIANT} (its softplus losses), "
                          f"not '{settings['variant']}'")
    if not isinstance(settings["dataset"], str):
        raise ConfigError(f"dataset: {settings['dataset']!r} is not allowed, must be a data set's name")
    settings["dataset"] = canonical_name(settings["dataset"])
    try:
        info = get_dataset(settings["dataset"])
    except DataError as e:
        raise ConfigError(str(e)) from None
    if variant.kind == "pix2pix" or info.is_paired:
        return _resolve_translation(settings, variant, info)
    given = {k: v for k, v in settings.items() if v is not None}
    # a data set's own protocol (PacGAN's for the 2-D mixtures) comes before the generic and the variant's defaults
    cfg = {**DEFAULTS, **{k: v for k, v in info.defaults.items() if k in DEFAULTS}, **given}
    defaults = {**variant_defaults(cfg["variant"], protocol), **{k: v for k, v in info.defaults.items() if k in FALLBACKS}}
    if len(info.shape) == 1:
        defaults.update(variant.point_defaults)
    for key in FALLBACKS:
        if cfg.get(key) is None:
            cfg[key] = defaults.get(key, FALLBACKS[key])
    if variant.divergence:
        cfg["fgan_generator_loss"] = cfg["fgan_generator_loss"] or "paper"
    elif cfg["fgan_generator_loss"] is not None:
        raise ConfigError(f"fgan_generator_loss: only f-GAN variants take it, not '{cfg['variant']}'")
    _check_mixing_options(cfg, variant, protocol)
    _fill_variant_params(cfg, variant, on_points=len(info.shape) == 1)
    if protocol == "lucic2018":
        if not info.is_image or (cfg["arch"] or "infogan") != "infogan":
            raise ConfigError(f"arch: protocol lucic2018 trains the study's infogan nets on images, not '{cfg['arch'] or 'mlp'}' on '{cfg['dataset']}'")
        if cfg["n_fake"] != cfg["n_real"]:
            raise ConfigError(f"n_fake: the study scores as many generated as real images; under protocol lucic2018 "
                              f"n_fake ({cfg['n_fake']}) must equal n_real ({cfg['n_real']})")
    if protocol == "pacgan2018":
        _check_pacgan(cfg)
    cfg["arch"] = cfg["arch"] or default_arch(info.shape)
    try:
        check_fits(cfg["arch"], info.shape)
    except ArchitectureError as e:
        raise ConfigError(f"{e} (dataset '{cfg['dataset']}')") from None
    for name, f in RUN_FIELDS.items():  # every value, given or filled in, once more against its declaration
        cfg[name] = f.check(cfg[name]) if cfg[name] is not None or f.nullable else cfg[name]
    if info.is_image:
        cfg["extractor"] = cfg["extractor"] or default_extractor(cfg["dataset"])
    return _check_where(cfg)


def _check_where(cfg: dict) -> dict:
    """What every run shares: the device exists here, an absolute data root."""
    check_device(cfg["device"])
    if cfg["data_root"] is not None:
        cfg["data_root"] = str(Path(cfg["data_root"]).expanduser().resolve())
    return cfg


# what an image-to-image run is configured by; the rest of RUN_FIELDS (latents, penalties, packing, ...) is the GANs'
TRANSLATION_FIELDS = ("protocol", "steps", "batch_size", "lr", "beta1", "beta2", "n_disc", "seed", "device", "data_root",
                      "checkpoint_every", "extractor", "n_fake")
NEUTRAL = dict(pack=1, generators=1, eval_every=0, protocol="ganbench")  # values that change nothing (n_real: the n_fake pairs' targets are the real side)


def _resolve_translation(settings: dict, variant, info) -> dict:
    """pix2pix and its ablations on a paired data set: its own settings, the paper's defaults (Adam 2e-4, beta1
    0.5; batch 1 on the paper's sets, section 6.2), scored once at the end on held-out pairs (n_fake of them)."""
    paired = [n for n, d in _datasets().items() if d.is_paired]
    if variant.kind != "pix2pix":
        raise ConfigError(f"dataset: '{info.name}' is a paired (image-to-image) data set; train pix2pix or one of its ablations on it")
    if not info.is_paired:
        raise ConfigError(f"dataset: {variant.name} translates paired data; choose one of {', '.join(paired)}")
    for name, value in settings.items():
        if value is None or name in ("variant", "dataset", "n_real", *TRANSLATION_FIELDS, *variant.params) or NEUTRAL.get(name, object()) == value:
            continue
        if name == "eval_every":
            raise ConfigError("eval_every: pix2pix is scored once, at the end of training (on held-out pairs); leave it out")
        raise ConfigError(f"{name}: {variant.name} does not take it; it takes {', '.join([*TRANSLATION_FIELDS, *variant.params])}")
    if settings.get("protocol") not in (None, "ganbench"):
        raise ConfigError(f"protocol: {variant.name} trains under ganbench's protocol only")
    cfg = {"variant": variant.name, "dataset": info.name, **{k: DEFAULTS[k] for k in TRANSLATION_FIELDS}, "batch_size": 16,
           **variant.defaults, **info.defaults, **variant.params}
    cfg.update({k: v for k, v in settings.items() if v is not None and (k in TRANSLATION_FIELDS or k in variant.params)})
    cfg["protocol"] = "ganbench"
    for name, f in variant.fields.items():
        cfg[name] = f.check(cfg[name])
    for name in TRANSLATION_FIELDS:
        if cfg[name] is not None:
            cfg[name] = RUN_FIELDS[name].check(cfg[name])
    try:
        Translator(info.input_shape[0], info.shape[0], info.shape[-1], 1)
    except ValueError as e:
        raise ConfigError(f"dataset: {info.name}'s images cannot be halved down to 1x1 ({e})") from None
    cfg["extractor"] = cfg["extractor"] or ("lenet-mnist" if info.shape[0] == 1 else "inception-v3-compat")
    return _check_where(cfg)


def _datasets() -> dict:
    return DATASETS


def _check_loss(variant) -> None:
    """A loss must map discriminator outputs to two scalars; tried on a small batch, so a user's loss that does
    not fails here with its name rather than deep inside training."""
    if variant.loss is None:
        return
    d_real, d_fake = torch.randn(4, 1, requires_grad=True), torch.randn(4, 1, requires_grad=True)
    try:
        out = variant.loss(d_real, d_fake)
    except Exception as e:  # noqa: BLE001 - any failure of a user's function is bad input
        raise VariantError(f"variant: {variant.name} failed on discriminator outputs of shape (4, 1): {type(e).__name__}: {e}") from None
    if not (isinstance(out, tuple) and len(out) == 2 and all(isinstance(t, torch.Tensor) and t.dim() == 0 for t in out)):
        raise VariantError(f"variant: {variant.name} must return (d_loss, g_loss), two scalar tensors; it returned {type(out).__name__}")


def _check_mixing_options(cfg: dict, variant, protocol: str) -> None:
    """Packing, mixtures of generators and the prior: what each variant can take."""
    if cfg["pack"] > 1 and not variant.judges_samples:
        raise ConfigError(f"pack: '{cfg['variant']}' has no discriminator that judges samples (an autoencoder or an encoder); "
                          "packing needs a classifier or critic")
    if cfg["generators"] > 1 and variant.kind == "vae":
        raise ConfigError("generators: the VAE has one decoder; a mixture of generators needs an adversarial variant")
    if protocol == "lucic2018" and (cfg["pack"] > 1 or cfg["generators"] > 1):
        raise ConfigError(f"{'pack' if cfg['pack'] > 1 else 'generators'}: protocol lucic2018 trains the study's single, unpacked nets")
    if variant.kind == "vae":  # the VAE's prior is its own: N(0, 1), evaluated on U(-1, 1) in the study
        if cfg["prior"] not in (None, "normal"):
            raise ConfigError(f"prior: the VAE's prior is N(0, 1), not '{cfg['prior']}'")
        cfg["prior"] = "uniform" if protocol == "lucic2018" else "normal"
    cfg["prior"] = cfg["prior"] or "uniform"
    cfg["generators_scheme"] = "uniform_mixture" if cfg["generators"] > 1 else None


def _fill_variant_params(cfg: dict, variant, on_points: bool = False) -> None:
    """The variant's own hyperparameters (margin, rho, ...): its defaults where unset; refused for other variants."""
    for name, takers in own_fields().items():
        if name not in variant.fields:
            if cfg.get(name) is not None:
                names = [v for v, _ in takers]
                raise ConfigError(f"{name}: only {', '.join(names)} take{'s' if len(names) == 1 else ''} it, not '{cfg['variant']}'")
            cfg.pop(name, None)
    defaults = variant.own_defaults(on_points)
    for name, f in variant.fields.items():
        cfg[name] = f.check(defaults[name] if cfg.get(name) is None else cfg[name])
    if cfg["spectral_norm"] and not variant.judges_samples:
        raise ConfigError(f"spectral_norm: '{cfg['variant']}' has no classifier or critic to normalise (its discriminator is "
                          f"{'absent' if variant.kind == 'gmmn' else 'an autoencoder or an encoder'})")
    if cfg["spectral_norm"] and cfg["protocol"] == "lucic2018":
        raise ConfigError("spectral_norm: protocol lucic2018 trains the study's nets, which have none")


def _check_pacgan(cfg: dict) -> None:
    """What PacGAN's 2-D code fixes: its data sets, nets, prior and single simultaneous update; the optimiser's
    constants, batch, latent size, packing and length stay settings."""
    if cfg["dataset"] not in pacgan2018.DATASETS:
        raise ConfigError(f"dataset: protocol pacgan2018 is PacGAN's code for its 2-D experiments, {' and '.join(pacgan2018.DATASETS)}; "
                          f"not '{cfg['dataset']}' (its Stacked MNIST and CelebA code is other code, not transcribed)")
    fixed = dict(arch="mlp", n_disc=1, generators=1, spectral_norm=False, d_batch_norm=False, prior="normal")
    for name, value in fixed.items():
        if cfg[name] not in (None, value):
            raise ConfigError(f"{name}: protocol pacgan2018 fixes it at {value} (PacGAN's nets and its one simultaneous "
                              f"update a step), not {cfg[name]!r}")


def pick_device(device: str) -> str:
    if check_device(device) == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


@functools.cache
def _nvml_loads() -> bool:
    try:
        ctypes.CDLL("libnvidia-ml.so.1")  # the library torch's NVML-based check loads
        return True
    except OSError:
        return False


@contextlib.contextmanager
def cuda_check_without_nvml(device: str):
    """Lightning sets PYTORCH_NVML_BASED_CUDA_CHECK=1 when imported (asking whether CUDA is there then initialises
    nothing, so the process may still fork), and torch's optimisers ask at every step
    (Optimizer._accelerator_graph_capture_health_check). Under that setting each answer loads the NVML library
    again; on a machine without it (no NVIDIA driver) the failed load costs ~0.25 ms a step (ring runs on the small net
    took 15-20% longer, measured side by side by tests/perf/cpu_step_overheads.py), and the answer then comes from the
    CUDA runtime's count anyway. There, CPU training asks the runtime directly."""
    if device != "cpu" or _nvml_loads():
        yield
        return
    key = "PYTORCH_NVML_BASED_CUDA_CHECK"
    before = os.environ.get(key)
    os.environ[key] = "0"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = before


def check_out_dir(out: Path, field: str = "out") -> None:
    """A new or empty folder, not a link (the finished run replaces it by a rename), whose working folder, if one
    is there, ganbench made."""
    out = Path(out)
    if out.is_symlink():
        raise ConfigError(f"{field}: {out} is a symbolic link; give the folder's own path, new or empty")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"{field}: {out} already holds something (another run?); choose a new or empty directory")
    partial = partial_of(out)
    if (partial.exists() or partial.is_symlink()) and (partial.is_symlink() or not partial.is_dir() or not is_ours(partial)):
        raise ConfigError(f"{field}: {partial} exists and ganbench did not make it (no {MARKER} in it); "
                          "move it away or choose another --out")


CHECKPOINTS = {"best": "best.ckpt", "last": "last.ckpt"}


def load_module(run_dir: Path | str, device: str = "cpu", checkpoint: str = "last"):
    """The trained module of a finished run directory, with the weights of ``checkpoint``: ``last`` (the end of
    training) or ``best`` (the minimum FID). Both files are read with ``weights_only=True``: ganbench wrote them,
    and they hold tensors and plain values only."""
    run_dir = Path(run_dir)
    if checkpoint not in CHECKPOINTS:
        raise ConfigError(f"checkpoint: unknown '{checkpoint}', choose best or last")
    if not (run_dir / "config.json").is_file() or not (run_dir / "last.ckpt").is_file():
        raise ConfigError(f"run-dir: {run_dir} is not a finished run (config.json and last.ckpt are missing)")
    if not (run_dir / CHECKPOINTS[checkpoint]).is_file():
        raise ConfigError(f"checkpoint: {run_dir} has no best.ckpt (FID was not scored during training: no --eval-every); use last")
    try:
        config = json.loads((run_dir / "config.json").read_text())
        module = build_module(config, get_dataset(config["dataset"]).shape)
        state = torch.load(run_dir / CHECKPOINTS[checkpoint], map_location="cpu", weights_only=True)["state_dict"]
        module.load_state_dict(state)
    except VariantError:  # names code the user has not named on this command line
        raise
    except (ValueError, KeyError, RuntimeError, EOFError, OSError) as e:  # truncated, foreign or hand-edited files
        raise ConfigError(f"run-dir: {run_dir} cannot be loaded ({type(e).__name__}: {str(e).splitlines()[0][:120]})") from None
    return config, module.to(device)


def update_metrics(run_dir: Path | str, new: dict) -> dict:
    path = Path(run_dir) / "metrics.json"
    metrics = {**json.loads(path.read_text()), **new}
    write_json(path, metrics)
    return metrics


def train(config: dict, out: Path | str, progress: bool = True, callbacks: list | None = None, should_stop=None,
          verbose: bool = False) -> dict:
    """Train and write the run directory ``out``; returns its metrics. Raises ConfigError or DataError on
    bad input before any work. A ``<out>.partial`` left by a killed run is resumed from its checkpoint.
    ``should_stop(step, fid)`` is asked at every FID checkpoint; True ends the run early, with status "pruned".
    ``verbose`` lets the libraries' tips and warnings through."""
    quiet_libraries(verbose)
    # Lightning here, not at the top: importing it raises a warning a user cannot act on, which quiet_libraries
    # silences first (the modules that build on it, checkpoint and the FID schedule, come with it)
    import pytorch_lightning as pl

    from .checkpoint import StepCheckpoint

    out = Path(out)
    check_out_dir(out)
    device = pick_device(config["device"])
    info = get_dataset(config["dataset"])
    split = load_split(config["dataset"], "train", config["data_root"])
    if config["protocol"] == "pacgan2018":  # PacGAN's data: packed examples drawn once, batch_size of them a step
        split.tensor = pacgan2018.packed_examples(split.tensor, config["pack"], config["seed"])
        real = RealBatches(split, config["batch_size"], config["seed"])
    else:  # a packed discriminator judges batch_size packs of `pack` samples: that many real and generated samples a step
        real = RealBatches(split, config["batch_size"] * config.get("pack", 1), config["seed"])

    partial = open_partial(out)
    resume_from = partial / "last.ckpt"
    if not (resume_from.exists() and _saved_config(partial) == config):
        remove_partial(partial)  # an unusable leftover of ours: a different config, or killed before its first checkpoint
        partial = open_partial(out)
    write_json(partial / "config.json", config)

    pl.seed_everything(config["seed"], workers=True, verbose=False)
    module = build_module(config, info.shape)
    module.real, module.log_every, module.show_losses = real, log_every(config["steps"]), progress
    if config["protocol"] == "pacgan2018":
        module.mixture = info  # its metrics after every epoch
    cbs = list(callbacks or [])
    if config.get("eval_every") is not None and info.is_image and not info.is_paired:
        from .metrics.during_training import FIDSchedule

        cbs.append(FIDSchedule(config, should_stop, best_path=partial / "best.ckpt"))
    if info.mode_centres is not None and config["protocol"] != "pacgan2018":  # the modes against epochs (PacGAN's 1,000 steps)
        from .metrics.during_training import MixtureEpochs

        cbs.append(MixtureEpochs(info, pacgan2018.epoch_steps(config["batch_size"])))
    if progress:
        cbs.append(training_progress(config["steps"]))
    if config["checkpoint_every"]:
        cbs.append(StepCheckpoint(resume_from, config["checkpoint_every"], config["steps"]))
    loggers = run_loggers(partial)
    trainer = pl.Trainer(
        max_epochs=1, max_steps=-1, accelerator="gpu" if device.startswith("cuda") else "cpu", devices=1,
        logger=loggers, enable_checkpointing=False, enable_model_summary=False,
        enable_progress_bar=progress and interactive(), callbacks=cbs, num_sanity_val_steps=0, deterministic=device == "cpu",
    )
    # Lightning's global_step counts optimizer steps (n_disc + 1 per step under ganbench's protocol), so the run's
    # length is the length of this loader of step numbers; the real data comes from module.real. A resumed run gets the same
    # loader: Lightning restores its position in the epoch from the checkpoint and runs the remaining iterations.
    done = torch.load(resume_from, map_location="cpu", weights_only=True)["counts"]["steps"] if resume_from.exists() else 0
    steps = torch.utils.data.DataLoader(range(config["steps"]), batch_size=None)
    started = time.time()
    status, error = "finished", None
    try:
        with cuda_check_without_nvml(device):
            trainer.fit(module, steps, ckpt_path=str(resume_from) if resume_from.exists() else None, weights_only=True)
    except Diverged as e:
        status, error = "diverged", str(e)
    if any(getattr(cb, "stopped", False) for cb in cbs):
        status = "pruned"
    wall = time.time() - started

    metrics = {"status": status, "protocol": config["protocol"], "steps": int(module.steps_done),
               "generator_updates": int(module.g_updates), "discriminator_updates": int(module.d_updates),
               "wall_time_s": wall, "device": _device_name(device),
               **{k: float(v) for k, v in module.last_losses.items()}}
    if done:
        metrics["resumed_from_step"] = done  # a killed or requeued run went on from its checkpoint
    if error:
        metrics["error"] = error
    module.to(device)
    if status != "diverged" and info.is_paired:  # image-to-image: scored on held-out pairs
        metrics.update(translation_metrics(module.generator, config["dataset"], config["extractor"], config["n_fake"], device, config["data_root"]))
    elif status != "diverged" and not info.is_image:
        metrics.update(point_metrics(module, info, config))
    elif status != "diverged" and config.get("eval_every") is None and config["dataset"] in DATASET_METRICS:
        # data sets with modes of their own (Stacked MNIST) are counted at the end even without FID
        metrics.update(dataset_metrics(module.generator, config["z_dim"], config["dataset"], module.prior, device))
    for cb in cbs:  # callbacks that score the run (FID during training) add their results
        if hasattr(cb, "results"):
            metrics.update(cb.results())
    for logger in loggers:
        logger.save()
    trainer.save_checkpoint(partial / "last.ckpt", weights_only=False)  # the whole training state, not weights only
    best = partial / "best.ckpt"
    if best.exists():  # the study's score is the minimum over checkpoints: show the generator that made it
        kept = torch.load(best, map_location="cpu", weights_only=True)
        module.load_state_dict(kept["state_dict"])
        metrics["samples_from"] = {"checkpoint": "best", "step": kept["step"]}
    else:
        metrics["samples_from"] = {"checkpoint": "last", "step": int(module.steps_done)}
    save_samples(module, info, partial / "samples.png")
    write_json(partial / "metrics.json", metrics)
    finish_partial(partial, out)  # replaces an empty directory too
    return metrics


def point_metrics(module, info, config: dict) -> dict:
    """The scores of a run on 2-D points: PacGAN's mode metrics on a mixture with known modes; on your own points
    (no modes known) the sliced Wasserstein-1 distance to the test split."""
    # the same fixed latents every time (as for FID), so that `ganbench eval` gives the recorded scores again exactly
    def samples(n):
        return fixed_samples(module.generator, config["z_dim"], n, module.prior, module.device)

    if info.mode_centres is not None:
        return mixture_metrics(samples(MIXTURE_SAMPLES), info)
    test = load_split(config["dataset"], "test", config["data_root"]).tensor
    return {"sliced_w1": sliced_w1(samples(POINTS), test.cpu())}


def _saved_config(partial: Path) -> dict | None:
    try:
        return json.loads((partial / "config.json").read_text())
    except (OSError, ValueError):
        return None


def _device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
