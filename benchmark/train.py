"""Train one variant on one data set from a config, into a run directory.

``config.resolve_config(**settings)`` fills every default and validates; ``train(config, out)`` runs it and writes
``config.json``, ``metrics.json``, ``samples.png``, ``last.ckpt``, the curves under ``logs/`` and, when FID is scored
during training, ``best.ckpt`` (the weights of the minimum FID, which ``samples.png`` then shows). A run directory is complete or absent:
work happens in ``<out>.partial`` (which also holds the checkpoint a crashed run resumes from) and is renamed
at the end.
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import json
import math
import os
import pickle
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np
import torch

from .conditional.metrics import translation_metrics
from .config import RunConfig, TranslationConfig, config_from_dict, pick_device
from .data import content_hash, get_dataset, load_split
from .files import MARKER, finish_partial, is_ours, open_partial, partial_of, remove_partial, write_json
from .memory import check_run_fits
from .logs import interactive, log_every, quiet_libraries, run_loggers, training_progress
from .metrics.dataset_metrics import DATASET_METRICS, dataset_metrics
from .metrics.weights import extractor_weights
from .metrics.fidelity import ScoringRequest, evaluate_generator
from .metrics.latents import fixed_samples
from .metrics.modes import MIXTURE_SAMPLES, mixture_metrics
from .metrics.points import POINTS, sliced_w1
from .module import Diverged, RealBatches, build_module
from .protocols import get_protocol, pacgan2018
from .samples import save_samples
from .schema import ConfigError, Field
from .variants import VariantError
from .identity import RUN_ENDINGS, TrialStatus

if TYPE_CHECKING:  # annotations only
    import pytorch_lightning as pl
    from .data import Split

if TYPE_CHECKING:
    from .data import DatasetInfo
    from .metrics.during_training import FIDSchedule
    from .module import GANModule

@functools.cache
def _nvml_loads() -> bool:
    try:
        ctypes.CDLL("libnvidia-ml.so.1")  # the library torch's NVML-based check loads
        return True
    except OSError:
        return False


@contextlib.contextmanager
def cuda_check_without_nvml(device: str) -> Iterator[None]:
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


def load_module(run_dir: Path | str, device: str = "cpu", checkpoint: str = "last") -> Any:
    """The trained module of a finished run directory, with the weights of ``checkpoint``: ``last`` (the end of
    training) or ``best`` (the minimum FID). Both files are read with ``weights_only=True``: ganbench wrote them,
    and they hold tensors and plain values only."""
    run_dir = Path(run_dir)
    if checkpoint not in CHECKPOINTS:
        raise ConfigError(f"checkpoint: unknown '{checkpoint}', choose best or last")
    if is_ours(run_dir):  # <out>.partial: a run still training, or one that was stopped; its files are not results
        raise ConfigError(f"run-dir: {run_dir} is the working folder of a run that has not finished (still training, or "
                          "stopped); give a finished run's folder")
    if not (run_dir / "config.json").is_file() or not (run_dir / "last.ckpt").is_file():
        raise ConfigError(f"run-dir: {run_dir} is not a finished run (config.json and last.ckpt are missing)")
    if not (run_dir / CHECKPOINTS[checkpoint]).is_file():
        raise ConfigError(f"checkpoint: {run_dir} has no best.ckpt (FID was not scored during training: no --eval-every); use last")
    try:
        config = config_from_dict(json.loads((run_dir / "config.json").read_text()))
        module = build_module(config, get_dataset(config.dataset).shape)
        state = torch.load(run_dir / CHECKPOINTS[checkpoint], map_location="cpu", weights_only=True)["state_dict"]
        module.load_state_dict(state)
    except VariantError:  # names code the user has not named on this command line
        raise
    except (ValueError, KeyError, TypeError, RuntimeError, EOFError, OSError, pickle.UnpicklingError) as e:  # truncated, foreign or hand-edited
        first = str(e).splitlines()[0][:120] if str(e) else ""
        raise ConfigError(f"run-dir: {run_dir} cannot be loaded ({type(e).__name__}: {first})") from None
    return config, module.to(device)


# what every metrics.json holds, checked when one is read back; the scores beside them are numbers or null
METRICS_FIELDS = {f.name: f for f in [
    Field("status", str, None, "how the run ended", choices=RUN_ENDINGS),
    Field("steps", int, None, "training steps done", ge=0),
    Field("generator_updates", int, None, "generator updates", ge=0),
    Field("discriminator_updates", int, None, "discriminator updates", ge=0),
]}


# what Lightning reads of a checkpoint to resume a fit (beside the module's own entries, check_resume_state)
LIGHTNING_RESUME_KEYS = ("state_dict", "optimizer_states", "loops", "global_step", "epoch")


def _check_resumable(path: Path, module: GANModule) -> dict[str, Any]:
    """A working folder's checkpoint read as the resume will read it, before training: one that a crash while
    writing or a hand damaged is named in one line (ConfigError), not met as a traceback from inside Lightning."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(checkpoint, dict):
            raise TypeError("not a mapping")
        missing = [k for k in LIGHTNING_RESUME_KEYS if k not in checkpoint]
        if missing:
            raise KeyError(missing[0])
        module.load_state_dict(checkpoint["state_dict"])  # every tensor's name and shape; the resume loads it again
        module.check_resume_state(checkpoint)
    except (ValueError, KeyError, TypeError, RuntimeError, EOFError, OSError, pickle.UnpicklingError) as e:
        first = str(e).splitlines()[0][:120] if str(e) else ""
        raise ConfigError(f"out: {path} cannot be resumed from ({type(e).__name__}: {first}); remove {path.parent} "
                          "to train from the start") from None
    return checkpoint


def read_metrics(run_dir: Path | str) -> dict[str, Any]:
    """A run's metrics.json, checked: a JSON object ganbench wrote, with its status and counts as declared and every
    score a finite number or null (non-finite ones are null, named under "non_finite"). ConfigError naming the file."""
    path = Path(run_dir) / "metrics.json"
    try:
        metrics = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ConfigError(f"run-dir: {path} cannot be read ({type(e).__name__}: {str(e).splitlines()[0][:100]})") from None
    if not isinstance(metrics, dict):
        raise ConfigError(f"run-dir: {path} is not a mapping of metrics")
    for name, f in METRICS_FIELDS.items():
        if name not in metrics:
            raise ConfigError(f"run-dir: {path} has no '{name}'")
        f.check(metrics[name], f"{path.name}: {name}")
    non_finite = metrics.get("non_finite", {})
    if not isinstance(non_finite, dict) or not all(isinstance(k, str) and v in ("inf", "-inf", "nan") for k, v in non_finite.items()):
        raise ConfigError(f"{path.name}: non_finite: {non_finite!r} is not allowed, must map score names to 'inf', '-inf' or 'nan'")
    for name, value in metrics.items():
        if name == "non_finite":
            continue
        bad = isinstance(value, bool) or not (value is None or isinstance(value, (int, float, str, dict, list)))
        if bad or (isinstance(value, float) and not math.isfinite(value)):
            raise ConfigError(f"{path.name}: {name}: {value!r} is not allowed, must be a finite number, null or text")
    return metrics


def update_metrics(run_dir: Path | str, new: dict[str, Any]) -> dict[str, Any]:
    metrics = {**read_metrics(run_dir), **new}
    write_json(Path(run_dir) / "metrics.json", metrics)
    return metrics


@dataclass
class Run:
    """A run being made, as train()'s steps hand it on: what ``build`` checked, read and built."""

    config: RunConfig | TranslationConfig
    info: DatasetInfo
    device: str
    out: Path
    partial: Path  # the working folder, renamed to ``out`` by ``save``
    module: GANModule
    callbacks: list[Any]
    loggers: list[Any]
    resumed_from: int  # the step a killed run's checkpoint had reached (0: a new run)
    fid_schedule: FIDSchedule | None = None  # FID during training, where the run scores it


def train(config: RunConfig | TranslationConfig, out: Path | str, progress: bool = True, callbacks: list[Any] | None = None, should_stop: Callable[[int, float], bool] | None=None,
          verbose: bool = False) -> dict[str, Any]:
    """Train and write the run directory ``out``; returns its metrics. Raises ConfigError or DataError on
    bad input before any work. A ``<out>.partial`` left by a killed run is resumed from its checkpoint.
    ``should_stop(step, fid)`` is asked at every FID checkpoint; True ends the run early, with status "pruned".
    ``verbose`` lets the libraries' tips and warnings through."""
    quiet_libraries(verbose)
    run = build(config, Path(out), progress, list(callbacks or []), should_stop)
    trainer, metrics = fit(run, progress)
    metrics.update(score(run, metrics["status"]))
    save(run, trainer, metrics)
    return metrics


def build(config: RunConfig | TranslationConfig, out: Path, progress: bool, callbacks: list[Any], should_stop: Callable[[int, float], bool] | None=None) -> Run:
    """Everything checked before a file is written (the folder, the memory, the scoring's weights, the data's size),
    the working folder opened (or a killed run's taken up), the module built on its real batches, and the callbacks."""
    # Lightning here, not at the top: importing it raises a warning a user cannot act on, which quiet_libraries
    # silences first (the modules that build on it, checkpoint and the FID schedule, come with it)
    import pytorch_lightning as pl

    from .checkpoint import StepCheckpoint

    check_out_dir(out)
    device = pick_device(config.device)
    info = get_dataset(config.dataset)
    if isinstance(config, RunConfig):
        check_run_fits(config, info.shape, device=device)  # weighed before any file is written
    if info.is_image and (info.is_paired or config.eval_every is not None):
        assert config.extractor is not None  # resolved for every image data set
        extractor_weights(config.extractor)  # the scoring's weights are here, or one line naming what prepares them
        if info.fingerprint and not info.is_paired:  # your own data: its test split may be too small to score
            from .metrics.fidelity import check_sample_sizes

            held_out = len(load_split(config.dataset, "test", config.data_root))
            check_sample_sizes(config.dataset, min(config.n_fake, held_out), min(config.n_real, held_out), config.nearest_k)
    split = load_split(config.dataset, "train", config.data_root)
    read = data_record(info, split)  # before a protocol packs it: what was read, not what was made of it
    protocol = get_protocol(config.protocol)
    split, rows_a_step = protocol.training_batches(split, config)

    partial = open_partial(out)
    resume_from = partial / "last.ckpt"
    resumed = None
    if not (resume_from.exists() and _saved_config(partial) == config.to_dict()):
        remove_partial(partial)  # an unusable leftover of ours: a different config, or killed before its first checkpoint
        partial = open_partial(out)
    else:
        check_same_data(partial, read, "out")
        resumed = _check_resumable(resume_from, build_module(config, info.shape))  # before anything in it changes
    write_json(partial / "config.json", config.to_dict())
    write_json(partial / DATA_RECORD, read)

    pl.seed_everything(config.seed, workers=True, verbose=False)
    module = build_module(config, info.shape)
    module.real, module.log_every, module.show_losses = RealBatches(split, rows_a_step, config.seed), log_every(config.steps), progress
    module.data_info = info
    run = Run(config, info, device, out, partial, module, callbacks, run_loggers(partial),
              resumed["counts"]["steps"] if resumed is not None else 0)
    if isinstance(config, RunConfig) and config.eval_every is not None and info.is_image and not info.is_paired:
        from .metrics.during_training import FIDSchedule

        run.fid_schedule = FIDSchedule(config, should_stop, best_path=partial / "best.ckpt")
        callbacks.append(run.fid_schedule)
    if info.mode_centres is not None and not protocol.step.logs_epochs:  # the modes against epochs (PacGAN's 1,000 steps)
        from .metrics.during_training import MixtureEpochs

        callbacks.append(MixtureEpochs(info, pacgan2018.epoch_steps(config.batch_size)))
    if progress:
        callbacks.append(training_progress(config.steps))
    if config.checkpoint_every:
        callbacks.append(StepCheckpoint(resume_from, config.checkpoint_every, config.steps))
    return run


def fit(run: Run, progress: bool) -> Any:
    """Lightning's fit of the module for the run's steps (from its checkpoint where a killed run left one); the
    trainer and the metrics of the training itself: how it ended, the counts, the final losses, the wall time."""
    import pytorch_lightning as pl

    config, device, module = run.config, run.device, run.module
    trainer = pl.Trainer(
        max_epochs=1, max_steps=-1, accelerator="gpu" if device.startswith("cuda") else "cpu", devices=1,
        logger=run.loggers, enable_checkpointing=False, enable_model_summary=False,
        enable_progress_bar=progress and interactive(), callbacks=run.callbacks, num_sanity_val_steps=0, deterministic=device == "cpu",
    )
    # Lightning's global_step counts optimizer steps (n_disc + 1 per step under ganbench's protocol), so the run's
    # length is the length of this loader of step numbers; the real data comes from module.real. A resumed run gets the same
    # loader: Lightning restores its position in the epoch from the checkpoint and runs the remaining iterations.
    steps: torch.utils.data.DataLoader[Any] = torch.utils.data.DataLoader(range(config.steps), batch_size=None)  # type: ignore[arg-type]  # a range is a map-style data set
    started = time.time()
    status, error = TrialStatus.FINISHED, None
    try:
        with cuda_check_without_nvml(device):
            trainer.fit(module, steps, ckpt_path=str(run.partial / "last.ckpt") if run.resumed_from else None, weights_only=True)
    except Diverged as e:
        status, error = TrialStatus.DIVERGED, str(e)
    if run.fid_schedule is not None and run.fid_schedule.stopped:
        status = TrialStatus.PRUNED
    metrics = {"status": status, "protocol": config.protocol, "steps": int(module.steps_done),
               "generator_updates": int(module.g_updates), "discriminator_updates": int(module.d_updates),
               "wall_time_s": time.time() - started, "device": _device_name(device),
               **{k: float(v) for k, v in module.last_losses.items()}}
    if run.resumed_from:
        metrics["resumed_from_step"] = run.resumed_from  # a killed or requeued run went on from its checkpoint
    if error:
        metrics["error"] = error
    return trainer, metrics


def score(run: Run, status: TrialStatus) -> dict[str, Any]:
    """The trained generator's scores: held-out pairs for image-to-image, the modes or the distance to the test
    points on 2-D data, FID's history where it was scored during training; beside an averaged generator's, the
    trained one's. A diverged run is not scored."""
    config, info, module = run.config, run.info, run.module
    module.to(run.device)
    metrics: dict[str, Any] = {}
    if status != TrialStatus.DIVERGED:
        metrics.update(scores_of(module, info, config, run.device))
    if run.fid_schedule is not None:
        metrics.update(run.fid_schedule.results())
    if module.generator_ema is not None:  # the numbers above are the averaged generator's; the trained one's beside them
        metrics["scored_generator"] = "ema"
        raw = scores_of(module, info, config, run.device, generator=module.generator) if status != TrialStatus.DIVERGED else {}
        metrics["raw_generator"] = {**raw, **(run.fid_schedule.raw if run.fid_schedule is not None else {})}
    return metrics


def save(run: Run, trainer: pl.Trainer, metrics: dict[str, Any]) -> None:
    """The curves, the whole training state (last.ckpt), samples of the generator that made the run's score (the
    best checkpoint's where FID picked one) and metrics.json; then the working folder becomes the run's."""
    module, partial = run.module, run.partial
    for logger in run.loggers:
        logger.save()
    trainer.save_checkpoint(partial / "last.ckpt", weights_only=False)  # the whole training state, not weights only
    best = partial / "best.ckpt"
    if best.exists():  # the study's score is the minimum over checkpoints: show the generator that made it
        kept = torch.load(best, map_location="cpu", weights_only=True)
        module.load_state_dict(kept["state_dict"])
        metrics["samples_from"] = {"checkpoint": "best", "step": kept["step"]}
    else:
        metrics["samples_from"] = {"checkpoint": "last", "step": int(module.steps_done)}
    save_samples(module, run.info, partial / "samples.png")
    write_json(partial / "metrics.json", metrics)
    finish_partial(partial, run.out)  # replaces an empty directory too


def scores_of(module: GANModule, info: DatasetInfo, config: RunConfig | TranslationConfig, device: str,
              generator: torch.nn.Module | None = None, images: ScoringRequest | None = None,
              pairs: tuple[str | None, int] | None = None) -> dict[str, Any]:
    """A trained generator's scores by what its data is, said once for the end of training and `ganbench eval`:
    image-to-image, the held-out pairs (``pairs``: the extractor and how many; the run's own by default); 2-D points,
    the modes or the distance to the test points; images, what ``images`` asks (eval's FID and the rest), or without
    a request what the data set alone defines (Stacked MNIST's modes) where no FID was scored during training (the
    FID schedule's results are the run's FID). ``generator``: the scored one by default."""
    if info.is_paired:
        extractor, n = pairs or (config.extractor, config.n_fake)
        assert extractor is not None  # resolved for every image data set
        return translation_metrics(module.generator, config.dataset, extractor, n, device, config.data_root)
    assert isinstance(config, RunConfig)  # unpaired data: a GAN's run
    generator = generator or module.scored_generator
    if not info.is_image:
        return point_metrics(module, info, config, generator)
    if images is not None:
        return evaluate_generator(generator, images)
    if config.eval_every is None and config.dataset in DATASET_METRICS:
        return dataset_metrics(generator, config.z_dim, config.dataset, module.prior, module.device)
    return {}


def point_metrics(module: GANModule, info: DatasetInfo, config: RunConfig, generator: torch.nn.Module | None = None) -> dict[str, Any]:
    """The scores of a run on 2-D points: PacGAN's mode metrics on a mixture with known modes; on your own points
    (no modes known) the sliced Wasserstein-1 distance to the test split. ``generator``: the module's scored one
    by default."""
    generator = generator or module.scored_generator

    # the same fixed latents every time (as for FID), so that `ganbench eval` gives the recorded scores again exactly
    def samples(n: int) -> Any:
        return fixed_samples(generator, config.z_dim, n, module.prior, module.device)

    if info.mode_centres is not None:
        return mixture_metrics(samples(MIXTURE_SAMPLES), info)
    test = load_split(config.dataset, "test", config.data_root).held
    return {"sliced_w1": sliced_w1(samples(POINTS), test.cpu())}


DATA_RECORD = "data.json"  # what a run read: its data set, its files' fingerprint and a hash of its training split


def data_record(info: DatasetInfo, split: Split | None = None) -> dict[str, Any]:
    """Your own data by its files' bytes (both splits); a registered data set by its training split as read."""
    if info.fingerprint:
        content = content_hash(info.name)
    else:
        assert split is not None, "a registered data set is recorded by its split as read"
        content = hashlib.sha256(np.ascontiguousarray(split.held.cpu().numpy()).tobytes()).hexdigest()[:16]
    return {"dataset": info.name, "files": info.fingerprint or None, "sha256": content}


def check_same_data(run_dir: Path, current: dict[str, Any] | None = None, field: str = "run-dir") -> None:
    """The data a run was trained on is the data here now, or ConfigError in one line. Your own data is compared by
    its files (names, sizes, times) and, where those differ (a copy), by their bytes; a registered data set by its
    training split when ``current`` is given (a resumed run has read it anyway). A run written before runs kept
    this record is not checked."""
    try:
        recorded = json.loads((Path(run_dir) / DATA_RECORD).read_text())
    except FileNotFoundError:
        return
    except (OSError, ValueError) as e:
        raise ConfigError(f"{field}: {Path(run_dir) / DATA_RECORD} cannot be read ({type(e).__name__})") from None
    if not isinstance(recorded, dict) or not isinstance(recorded.get("sha256"), str) or not isinstance(recorded.get("dataset"), str):
        raise ConfigError(f"{field}: {Path(run_dir) / DATA_RECORD} is not a record ganbench wrote (no dataset and sha256)")
    info = get_dataset(recorded["dataset"])
    if current is None:
        if not info.fingerprint or info.fingerprint == recorded.get("files"):
            return
        current = data_record(info)
    if current["sha256"] != recorded["sha256"]:
        raise ConfigError(f"dataset: {info.name} is not the data {run_dir} was trained on (hashed {recorded['sha256']} "
                          f"then, {current['sha256']} now): restore the data, or train again")


def _saved_config(partial: Path) -> dict[str, Any] | None:
    try:
        return json.loads((partial / "config.json").read_text())
    except (OSError, ValueError):
        return None


def _device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
