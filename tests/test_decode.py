"""The decoding table (benchmark/data/decode.py), row by row: every image format and array dtype ganbench reads is
written here with PIL or numpy, read back as training reads it, and compared with its true value on the 0-255 scale
(the written value over the format's full scale, times 255). Lossless formats must land within half an 8-bit step
(the rounding); JPEG, lossy, within a few levels of a flat image. What has no row is refused with the file's name."""
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from ganbench.benchmark.data import DataError, get_dataset, load_split, sample_images
from ganbench.benchmark.data.decode import RULES, describe

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HALF_STEP = 0.5 + 1e-9


def _read_folder(images: list[Image.Image], suffix: str, **save) -> np.ndarray:
    """Every image, saved as files of one folder and read back as `ganbench score` and a folder: data set read them."""
    folder = Path(tempfile.mkdtemp())
    for i, im in enumerate(images):
        im.save(folder / f"{i}{suffix}", **save)
    return sample_images(str(folder)).numpy().transpose(0, 2, 3, 1).astype(np.float64)  # (N, H, W, C)


def _pixels(dtype, low, high, channels=None):
    shape = st.tuples(st.integers(2, 6), st.integers(2, 6)).map(lambda s: s + ((channels,) if channels else ()))
    elements = (st.floats(low, high, width=32, allow_nan=False) if np.issubdtype(dtype, np.floating)
                else st.integers(low, high))
    return hnp.arrays(dtype, shape, elements=elements)


LOSSLESS_8BIT = [(".png", {}), (".bmp", {}), (".tif", {}), (".webp", {"lossless": True})]


@SETTINGS
@given(a=_pixels(np.uint8, 0, 255), b=_pixels(np.uint8, 0, 255), fmt=st.sampled_from(LOSSLESS_8BIT))
def test_8bit_grey_reads_as_written(a, b, fmt):
    b = np.resize(b, a.shape)
    read = _read_folder([Image.fromarray(a), Image.fromarray(b)], fmt[0], **fmt[1])
    if fmt[0] == ".webp":  # WebP keeps RGB only: grey is written as RGB and read back as RGB
        read = read[..., :1]
    assert np.abs(read[..., 0] - np.stack([a, b])).max() <= HALF_STEP


@SETTINGS
@given(a=_pixels(np.uint8, 0, 255, channels=3), fmt=st.sampled_from(LOSSLESS_8BIT), alpha=st.booleans())
def test_8bit_rgb_and_rgba_read_as_written_with_alpha_dropped(a, fmt, alpha):
    im = Image.fromarray(np.dstack([a, np.full(a.shape[:2], 7, np.uint8)])) if alpha and fmt[0] in (".png", ".tif", ".webp") \
        else Image.fromarray(a)
    read = _read_folder([im, im], fmt[0], **fmt[1])
    assert read.shape[-1] == 3 and np.abs(read - a).max() <= HALF_STEP


@SETTINGS
@given(a=_pixels(np.uint16, 0, 65535), fmt=st.sampled_from([".png", ".tif"]))
def test_16bit_grey_is_scaled_not_clipped(a, fmt):
    read = _read_folder([Image.fromarray(a), Image.fromarray(a)], fmt)
    assert np.abs(read[0, ..., 0] - a / 65535 * 255).max() <= HALF_STEP


@SETTINGS
@given(a=_pixels(np.float32, 0, 1), high=st.sampled_from([1.0, 255.0]))
def test_float_tiff_in_0_1_or_0_255(a, high):
    a = a * np.float32(high)
    if high == 255 and a.max() <= 1:  # a 0-255 image whose every value is at most 1 reads as [0, 1]: the declared rule
        a[0, 0] = 255
    read = _read_folder([Image.fromarray(a), Image.fromarray(a)], ".tif")
    assert np.abs(read[0, ..., 0] - a / high * 255).max() <= HALF_STEP + 1e-4


@SETTINGS
@given(a=_pixels(np.uint8, 0, 3), palette=hnp.arrays(np.uint8, 12, elements=st.integers(0, 255)),
       fmt=st.sampled_from([".png", ".gif"]))
def test_palette_images_read_through_their_palette(a, palette, fmt):
    im = Image.fromarray(a, mode="L").convert("P")
    im.putpalette(palette.tolist())
    read = _read_folder([im, im], fmt)
    want = palette.reshape(4, 3)[a]
    grey = read.shape[-1] == 1
    assert np.abs(read[0] - (want.mean(axis=-1, keepdims=True) if grey else want)).max() <= (1 if grey else HALF_STEP)


def test_one_bit_images_read_as_0_and_255():
    a = np.array([[0, 1], [1, 0]], bool)
    read = _read_folder([Image.fromarray(a), Image.fromarray(a)], ".png")
    assert (read[0, ..., 0] == a * 255).all()


@pytest.mark.parametrize("colour", [(0, 0, 0), (255, 255, 255), (200, 40, 90)])
def test_jpeg_of_a_flat_image_within_a_few_levels(colour):
    read = _read_folder([Image.new("RGB", (16, 16), colour)] * 2, ".jpg", quality=95)
    assert np.abs(read - np.array(colour)).max() <= 3


ARRAY_CASES = {  # dtype: (lowest, highest, the value that reads as 255)
    np.uint8: (0, 255, 255), np.bool_: (0, 1, 1), np.uint16: (0, 65535, 65535), np.int16: (0, 255, 255),
    np.int64: (0, 255, 255), np.float32: (0, 1, 1), np.float64: (0, 1, 1),
}


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(sorted(ARRAY_CASES, key=str)), layout=st.sampled_from(["nhw", "nhwc", "nchw"]))
def test_arrays_of_each_dtype_read_to_their_true_value(data, dtype, layout):
    low, high, full = ARRAY_CASES[dtype]
    shape = {"nhw": (3, 4, 5), "nhwc": (3, 4, 5, 3), "nchw": (3, 3, 4, 5)}[layout]
    elements = st.booleans() if dtype is np.bool_ else st.floats(low, high, width=32) if np.dtype(dtype).kind == "f" \
        else st.integers(low, high)
    a = data.draw(hnp.arrays(dtype, shape, elements=elements))
    path = Path(tempfile.mkdtemp()) / "x.npz"
    np.savez(path, train=a, test=a)
    np.save(path.with_name("samples.npy"), a)
    for read in (load_split(f"npz:{path}", "train").tensor, sample_images(str(path.with_name("samples.npy")))):
        got = read.numpy().astype(np.float64)
        want = a.astype(np.float64) / full * 255
        want = want[:, None] if layout == "nhw" else want.transpose(0, 3, 1, 2) if layout == "nhwc" else want
        assert np.abs(got - want).max() <= HALF_STEP + 1e-4


def test_floats_in_0_255_are_not_clipped_to_white():
    a = np.linspace(0, 255, 3 * 8 * 8, dtype=np.float32).reshape(3, 8, 8)
    path = Path(tempfile.mkdtemp()) / "x.npz"
    np.savez(path, train=a, test=a)
    read = load_split(f"npz:{path}", "train").tensor.float()
    assert abs(read.mean().item() - 127.5) < 0.5 and (read == 255).float().mean() < 0.01


@pytest.mark.parametrize("values,words", [
    (np.array([0.0, np.nan]), "NaN or infinite"), (np.array([0.0, np.inf]), "NaN or infinite"),
    (np.array([-0.5, 0.5]), "float images must lie in"), (np.array([0.0, 300.0]), "float images must lie in"),
    (np.array([0, 256], np.int32), "integer images must lie in"), (np.array([-1, 3], np.int8), "integer images must lie in"),
    (np.array([1 + 1j, 0]), "image arrays are"),
])
def test_arrays_outside_every_row_are_refused_naming_the_file(values, words):
    a = np.resize(values, (2, 4, 4))
    path = Path(tempfile.mkdtemp()) / "bad.npz"
    np.savez(path, train=a, test=a)
    with pytest.raises(DataError, match=words) as e:
        get_dataset(f"npz:{path}")
        load_split(f"npz:{path}", "train")
    assert str(path) in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("a,words", [
    (np.array([[0, 70000], [1, 2]], np.int32), "16-bit data must lie in"),
    (np.array([[0, np.nan], [1, 0]], np.float32), "NaN or infinite"),
    (np.array([[0, 900], [1, 0]], np.float32), "float images must lie in"),
])
def test_image_files_outside_every_row_are_refused_naming_the_file(a, words):
    folder = Path(tempfile.mkdtemp())
    for i in range(2):
        Image.fromarray(a).save(folder / f"{i}.tif")
    with pytest.raises(DataError, match=words) as e:
        load_split(f"folder:{folder}", "train")
    assert str(folder) in str(e.value)


def test_the_modes_pil_opens_image_files_in_have_rows_and_the_table_prints_a_rule_a_line():
    opened = {"1", "L", "LA", "P", "PA", "RGB", "RGBA", "CMYK", "YCbCr", "I", "I;16", "I;16B", "F"}  # PNG, TIFF, JPEG, GIF, ...
    assert opened <= set(RULES)
    assert len(describe().splitlines()) == len({r.source for r in RULES.values()}) == 9
