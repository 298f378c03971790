"""How every image file and array ganbench reads becomes uint8 in [0, 255]: one table, one rule a row.

Images are decoded by PIL; the rule is chosen by the image's PIL mode (what PIL says the pixels are), not by the
file's suffix. Arrays (``npz:``, ``ganbench score``) are decoded by their dtype. Anything without a row is refused in
one line naming the file. ``tests/test_decode.py`` writes every row with PIL or numpy and reads it back.

The rules, in words (``RULES`` below is the same table as code, and ``ganbench datasets --decoding`` prints it):

- 8-bit images (1-bit, grey, RGB, palette, CMYK, YCbCr, ...) are PIL's own 8-bit values; an alpha channel is dropped.
- 16-bit images (PNG and TIFF ``I;16``, and PIL's 32-bit ``I`` holding 16-bit values) are divided by 257, rounded:
  65535 is 255, as an 8-bit export of the same image would be. ``I`` values outside [0, 65535] are refused.
- Float images (TIFF ``F``) and float arrays are read as [0, 1] when their largest value is at most 1, else as
  [0, 255]; negative, NaN or infinite values, or values above 255, are refused. The range is decided once per
  image file and once per array (not per sample), so a dark 0-255 image is not mistaken for a [0, 1] one unless
  every value in it is at most 1.
- Integer arrays: uint8 as they are, bool as 0/255, uint16 divided by 257; other integer types must hold values in
  [0, 255].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image

from .base import DataError

# PIL modes whose pixels are one channel: a folder of only these is a grey data set
GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"})


@dataclass(frozen=True)
class Rule:
    """How one kind of pixel data becomes uint8: ``source`` in words, for the table the docs print."""
    source: str
    to_uint8: Callable[[np.ndarray, str], np.ndarray]  # (values, where) -> uint8 of the same shape


def _same(a: np.ndarray, where: str) -> np.ndarray:
    return a.astype(np.uint8, copy=False)


def _bool(a: np.ndarray, where: str) -> np.ndarray:
    return a.astype(np.uint8) * 255


def _sixteen_bit(a: np.ndarray, where: str) -> np.ndarray:
    if a.size and (a.min() < 0 or a.max() > 65535):
        raise DataError(f"{where} holds integers in [{a.min()}, {a.max()}]; 16-bit data must lie in [0, 65535]")
    return np.rint(a.astype(np.float64) / 257).astype(np.uint8)


def _small_int(a: np.ndarray, where: str) -> np.ndarray:
    if a.size and (a.min() < 0 or a.max() > 255):
        raise DataError(f"{where} holds {a.dtype} values in [{a.min()}, {a.max()}]; integer images must lie in "
                        "[0, 255] (or be uint16 for 16-bit data)")
    return a.astype(np.uint8)


def _float(a: np.ndarray, where: str) -> np.ndarray:
    if not np.isfinite(a).all():
        bad = int((~np.isfinite(a)).sum())
        raise DataError(f"{where} holds {bad} NaN or infinite value{'s' if bad != 1 else ''}; remove or fix them")
    low, high = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
    if low < 0 or high > 255:
        raise DataError(f"{where} holds floats in [{low:.4g}, {high:.4g}]; float images must lie in [0, 1] "
                        "or in [0, 255]")
    scale = 255.0 if high <= 1 else 1.0
    return np.rint(a.astype(np.float64) * scale).astype(np.uint8)


# PIL modes read by PIL's own conversion to 8 bits (alpha dropped): what ``Image.convert`` gives
EIGHT_BIT_MODES = ("1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB", "HSV")

SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")
RULES: dict[str, Rule] = {
    **dict.fromkeys(EIGHT_BIT_MODES, Rule(f"PIL modes {', '.join(EIGHT_BIT_MODES)}: 8-bit, as PIL converts them to L "
                                          "or RGB (alpha dropped)", _same)),
    **dict.fromkeys(SIXTEEN_BIT_MODES, Rule(f"PIL modes {', '.join(SIXTEEN_BIT_MODES)}: 16-bit grey, divided by 257",
                                            _sixteen_bit)),
    "I": Rule("PIL mode I: 32-bit integers holding 16-bit grey, divided by 257; outside [0, 65535] refused", _sixteen_bit),
    "F": Rule("PIL mode F: 32-bit float grey, [0, 1] if at most 1 else [0, 255]; NaN, inf, negative, > 255 refused", _float),
    "array uint8": Rule("uint8 array: as it is", _same),
    "array bool": Rule("bool array: 0 and 255", _bool),
    "array uint16": Rule("uint16 array: divided by 257", _sixteen_bit),
    "array int": Rule("other integer array: as it is, if every value lies in [0, 255]", _small_int),
    "array float": Rule("float array: [0, 1] if at most 1 else [0, 255]; NaN, inf, negative, > 255 refused", _float),
}


def decode_image(im: Image.Image, channels: int, where: str) -> np.ndarray:
    """The image's pixels as uint8 (H, W, channels), channels 1 or 3, by its mode's rule. ``where`` begins every
    refusal: the field and the file, as in ``dataset: /data/x.tif``."""
    rule = RULES.get(im.mode)
    if rule is None:
        raise DataError(f"{where} has PIL mode {im.mode}, which ganbench does not decode; allowed modes: "
                        f"{', '.join(m for m in RULES if not m.startswith('array'))}")
    if im.mode in EIGHT_BIT_MODES:
        im8 = im.convert("L" if channels == 1 else "RGB")
    else:  # wider than 8 bits: PIL's convert would clip to 255, so the rule scales first
        im8 = Image.fromarray(rule.to_uint8(np.asarray(im), where), mode="L")
        if channels == 3:
            im8 = im8.convert("RGB")
    a = np.array(im8)  # a writable copy: torch takes it as it is
    return a[:, :, None] if a.ndim == 2 else a


def array_rule(dtype: np.dtype) -> Rule | None:
    dtype = np.dtype(dtype)
    if dtype == np.uint8:
        return RULES["array uint8"]
    if dtype == np.bool_:
        return RULES["array bool"]
    if dtype == np.uint16:
        return RULES["array uint16"]
    if np.issubdtype(dtype, np.integer):
        return RULES["array int"]
    if np.issubdtype(dtype, np.floating):
        return RULES["array float"]
    return None


def decode_array(a: np.ndarray, where: str) -> np.ndarray:
    """An image array as uint8 of the same shape, by its dtype's rule, or DataError naming ``where``."""
    rule = array_rule(a.dtype)
    if rule is None:
        raise DataError(f"{where} is {a.dtype}; image arrays are uint8, uint16, bool, integers in [0, 255] "
                        "or floats in [0, 1] or [0, 255]")
    return rule.to_uint8(a, where)


def describe() -> str:
    """The table, a row a line: what ``ganbench datasets --decoding`` prints."""
    return "\n".join(dict.fromkeys(rule.source for rule in RULES.values()))
