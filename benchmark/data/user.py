"""Your own data: ``folder:PATH`` (a folder of images) and ``npz:PATH`` (arrays ``train`` and ``test``).

``folder:PATH`` takes every image under PATH (png, jpg, jpeg, bmp, gif, webp, tif, tiff; sub-folders included).
Images of one size are used as they are; ``folder:PATH?size=S`` resizes the shorter side to S and crops the
centre S x S, for folders of mixed sizes. Grey if every image is grey, else RGB. A tenth of the images (at least
one) is held out as the test split that FID is measured against, chosen by a fixed permutation of the sorted
file names, so the same folder gives the same split on every machine.

``npz:PATH`` holds ``train`` and ``test``: images (N, H, W), (N, H, W, C) or (N, C, H, W) with C 1 or 3; or points
as float (N, D).

Every image file and image array is decoded to uint8 by the table in ``decode.py`` (16-bit divided by 257, floats
in [0, 1] or [0, 255], ...), or refused with the file's name.

Both are read into memory. Each has a fingerprint of its files (names, sizes, modification times), so cached
real features of an edited data set are not reused.
"""
from __future__ import annotations

from typing import Any

import hashlib
import zipfile
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from .base import DataError, DatasetInfo, Split
from .decode import GREY_MODES, array_rule, decode_array, decode_image

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
TEST_FRACTION = 0.1

# what numpy raises on a file that is not a whole .npz/.npy: cut off (a zip without its directory), garbage, a folder
UNREADABLE = (ValueError, OSError, EOFError, zipfile.BadZipFile)


def is_user_dataset(name: str) -> bool:
    return name.startswith(("folder:", "npz:"))


def absolute_name(name: str) -> str:
    """``folder:PATH`` with PATH made absolute (against the working directory), so that workers started
    elsewhere (a SLURM node) read the same files."""
    kind, _, rest = name.partition(":")
    path_text, sep, query = rest.partition("?")
    return f"{kind}:{Path(path_text).expanduser().resolve()}{sep}{query}"


def data_path(name: str) -> Path | None:
    """The folder or file your own data set reads (None for a registered one): nothing ganbench writes may go there,
    or the next run on it would read its own samples."""
    if not is_user_dataset(name):
        return None
    return Path(name.partition(":")[2].partition("?")[0]).expanduser().resolve()


def content_hash(name: str) -> str:
    """A hash of the bytes of every file your own data set reads (both splits), by relative name: what a run
    records, so that a later command can tell the same data (a copy, new times) from changed data."""
    source = data_path(name)
    assert source is not None, f"{name} is a registered data set, not your own"
    files = sorted(p for p in source.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()) if source.is_dir() else [source]
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.relative_to(source) if source.is_dir() else f.name).encode() + b"\0")
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def user_dataset(name: str) -> DatasetInfo:
    kind, _, rest = name.partition(":")
    return _folder(name, rest) if kind == "folder" else _npz(name, rest)


# --- folder: ----------------------------------------------------------------------------------------------------

def _folder(name: str, rest: str) -> DatasetInfo:
    path_text, _, query = rest.partition("?")
    options = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    unknown = set(options) - {"size"}
    if unknown:
        raise DataError(f"dataset: unknown option '{sorted(unknown)[0]}' in '{name}'; the one option is size, as in folder:PATH?size=64")
    size = None
    if "size" in options:
        if not options["size"].isdigit() or not 8 <= int(options["size"]) <= 1024:
            raise DataError(f"dataset: size '{options['size']}' in '{name}' is not allowed, must be an integer in [8, 1024]")
        size = int(options["size"])
    root = Path(path_text).expanduser()
    if not root.is_dir():
        raise DataError(f"dataset: {root} is not a folder ('{name}')")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if len(files) < 2:
        raise DataError(f"dataset: {root} holds {len(files)} image{'s' if len(files) != 1 else ''}; a folder data set needs at "
                        f"least 2 ({', '.join(sorted(IMAGE_SUFFIXES))})")
    sizes, grey = set(), True
    for f in files:  # probed before any training: each header, its size, and its data's integrity (verify)
        with _open_image(f) as im:
            sizes.add(im.size)
            grey &= im.mode in GREY_MODES
            if max(im.size) > MAX_SIDE:
                raise DataError(f"dataset: {f} is {im.size[0]}x{im.size[1]}; images up to {MAX_SIDE} pixels a side are read "
                                "(resize it, or remove it)")
            try:
                im.verify()
            except Exception as e:  # noqa: BLE001 - PIL raises many kinds for damaged data
                raise DataError(f"dataset: {f} is damaged ({type(e).__name__}: {str(e)[:80]}); remove it or fix it") from None
    if size is None and len(sizes) > 1:
        (w1, h1), (w2, h2) = sorted(sizes)[:2]
        raise DataError(f"dataset: the images in {root} have different sizes ({w1}x{h1}, {w2}x{h2}, ...); "
                        f"give one size to resize and crop to, as in folder:{path_text}?size=64")
    w, h = (size, size) if size else sizes.pop()
    shape = (1 if grey else 3, h, w)
    fingerprint = _fingerprint([(str(f.relative_to(root)), f.stat().st_size, f.stat().st_mtime_ns) for f in files], size, grey)

    def load(split: str, _data_root: Path) -> Split:
        order = torch.randperm(len(files), generator=torch.Generator().manual_seed(0)).tolist()
        n_test = max(1, round(TEST_FRACTION * len(files)))
        chosen = sorted(order[:n_test]) if split == "test" else sorted(order[n_test:])
        return Split(tensor=torch.stack([_read_image(files[i], shape, size) for i in chosen]))

    return DatasetInfo(name, f"{len(files)} images from {root}, {shape[1]}x{shape[2]} {'grey' if grey else 'RGB'}",
                       shape, load, fingerprint=fingerprint)


MAX_SIDE = 8192


def _open_image(path: Path) -> Any:
    """PIL's image, or DataError naming the file: unreadable, or a decompression bomb (a header claiming far more
    pixels than PIL's limit; PIL raises DecompressionBombError, which is not an OSError)."""
    try:
        return Image.open(path)
    except Image.DecompressionBombError:
        raise DataError(f"dataset: {path} claims more pixels than PIL decodes safely ({(Image.MAX_IMAGE_PIXELS or 0) * 2:,}); "
                        "a decompression bomb or a damaged header: remove it") from None
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise DataError(f"dataset: {path} is not a readable image ({type(e).__name__}); remove it or fix it") from None


def _read_image(path: Path, shape: tuple[int, ...], size: int | None) -> torch.Tensor:
    import torchvision.transforms.v2.functional as F  # here, not at the top: see torchvision_sets.py

    try:
        with _open_image(path) as im:
            x = torch.from_numpy(np.ascontiguousarray(decode_image(im, shape[0], f"dataset: {path}").transpose(2, 0, 1)))
    except OSError as e:  # truncated data that verify() let through (JPEG verifies nothing)
        raise DataError(f"dataset: {path} is damaged ({type(e).__name__}: {str(e)[:80]}); remove it or fix it") from None
    if size is not None:
        x = F.center_crop(F.resize(x, size, antialias=True), [size, size])
    return x


# --- npz: -------------------------------------------------------------------------------------------------------

def _npz(name: str, path_text: str) -> DatasetInfo:
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise DataError(f"dataset: no file at {path} ('{name}')")
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = {"train", "test"} - set(f.files)
            if missing:
                raise DataError(f"dataset: {path} lacks the array '{sorted(missing)[0]}'; an npz data set holds train and test")
            shapes = {k: f[k].shape for k in ("train", "test")}
            dtypes = {k: f[k].dtype for k in ("train", "test")}
            for k in ("train", "test"):  # a NaN point would train a diverging model and blame it
                if not np.issubdtype(dtypes[k], np.floating) or f[k].ndim != 2:
                    continue  # image arrays are checked by their decoding rule when read
                # points train as float32: 1e300 in a float64 file is infinite there
                values = f[k].astype(np.float32)
                if not np.isfinite(values).all():
                    bad = int((~np.isfinite(values)).any(axis=tuple(range(1, values.ndim))).sum()) if values.ndim > 1 else 0
                    cast = " (as float32, the training dtype)" if np.isfinite(f[k]).all() else ""
                    raise DataError(f"dataset: {path}:{k} holds NaN or infinite values{cast} ({bad} sample{'s' if bad != 1 else ''}); "
                                    "remove or fix them")
    except DataError:
        raise
    except UNREADABLE as e:
        raise DataError(f"dataset: {path} is not a readable .npz file ({type(e).__name__})") from None
    train_shape = _sample_shape(shapes["train"], dtypes["train"], path, "train")
    if _sample_shape(shapes["test"], dtypes["test"], path, "test") != train_shape:
        raise DataError(f"dataset: in {path}, train samples are {shapes['train'][1:]} but test samples are {shapes['test'][1:]}")
    stat = path.stat()
    fingerprint = _fingerprint([(str(path.resolve()), stat.st_size, stat.st_mtime_ns)], None, None)

    def load(split: str, _data_root: Path) -> Split:
        with np.load(path, allow_pickle=False) as f:
            return Split(tensor=_as_tensor(f[split], train_shape, f"dataset: {path}:{split}"))

    kind = f"{train_shape[1]}x{train_shape[2]} images" if len(train_shape) == 3 else f"{train_shape[0]}-D points"
    return DatasetInfo(name, f"{shapes['train'][0]} train and {shapes['test'][0]} test {kind} from {path}", train_shape, load,
                       fingerprint=fingerprint)


def _sample_shape(shape: tuple[int, ...], dtype: Any, path: Path, key: str) -> tuple[int, ...]:
    if len(shape) < 2 or 0 in shape:
        raise DataError(f"dataset: {path}:{key} has shape {shape}; give (N, D) points or (N, H, W[, C]) images")
    if len(shape) == 2:
        if not np.issubdtype(dtype, np.floating):
            raise DataError(f"dataset: {path}:{key} is {dtype} of shape {shape}; points must be floats")
        return (shape[1],)
    if array_rule(dtype) is None:
        raise DataError(f"dataset: {path}:{key} is {dtype}; image arrays are uint8, uint16, bool, integers in [0, 255] "
                        "or floats in [0, 1] or [0, 255]")
    if len(shape) == 3:
        return (1, shape[1], shape[2])
    if len(shape) == 4 and shape[1] in (1, 3):
        return tuple(shape[1:])
    if len(shape) == 4 and shape[3] in (1, 3):
        return (shape[3], shape[1], shape[2])
    raise DataError(f"dataset: {path}:{key} has shape {shape}; images need 1 or 3 channels, first or last")


def _as_tensor(a: np.ndarray, shape: tuple[int, ...], where: str) -> torch.Tensor:
    if len(shape) == 1:
        return torch.from_numpy(a.astype(np.float32))
    if a.ndim == 3:
        a = a[:, None]
    elif a.shape[1:] != shape:  # channels last
        a = a.transpose(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(decode_array(a, where)))


def _fingerprint(entries: list[Any], size: int | None, grey: bool | None) -> str:
    return hashlib.sha256(repr((entries, size, grey)).encode()).hexdigest()[:16]


# --- samples to score (ganbench score): every image of a folder, or the one array of an .npz/.npy -----------------

def sample_images(path_text: str) -> torch.Tensor:
    """Samples from elsewhere as uint8 (N, C, H, W): every image of a folder (decoded as a folder: data set is; one
    size, grey or RGB), or an .npz's array (its one array, or the one named ``samples``, as `ganbench sample --format
    npz` writes) or an .npy: uint8, or floats in [0, 1]. Anything else is refused in one line naming the file."""
    path = Path(path_text).expanduser()
    if path.is_dir():
        info = _folder(f"folder:{path}", str(path))
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        return torch.stack([_read_image(f, info.shape, None) for f in files])
    if not path.is_file():
        raise DataError(f"samples: no folder or file at {path}")
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):  # .npy
            a, key = loaded, path.name
        else:
            with loaded as f:
                found = "samples" if "samples" in f.files else f.files[0] if len(f.files) == 1 else None
                if found is None:
                    raise DataError(f"samples: {path} holds {', '.join(f.files)}; name the array 'samples' or keep one array")
                a, key = f[found], found
    except DataError:
        raise
    except UNREADABLE as e:
        raise DataError(f"samples: {path} is not a readable .npz or .npy file ({type(e).__name__})") from None
    shape = _sample_shape(a.shape, a.dtype, path, key)
    if len(shape) == 1:
        raise DataError(f"samples: {path}:{key} holds {shape[0]}-D points; scoring takes images")
    return _as_tensor(a, shape, f"samples: {path}:{key}")
