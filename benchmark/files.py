"""What ganbench writes to disk, in one place: working folders it can prove it made, and strict JSON.

A working folder (``<out>.partial``) carries a marker file that ganbench writes first; ganbench removes or reuses
only a folder holding its marker, so a user's own ``mydata.partial/`` is never touched. JSON is RFC 8259: a
non-finite number (a mode KL of a run that covers no mode, a diverged loss) is written as ``null`` and named, with
what it was, under ``"non_finite"`` beside it, so strict readers (jq, JavaScript, dashboards) read every file.
"""
from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

from .schema import ConfigError

MARKER = ".ganbench-working-folder"


def partial_of(out: Path) -> Path:
    return out.with_name(out.name + ".partial")


def is_ours(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def open_partial(out: Path, field: str = "out") -> Path:
    """The working folder of ``out``, made (with its marker) if absent. One that exists without the marker is
    someone else's: refused, untouched."""
    partial = partial_of(out)
    if partial.exists() or partial.is_symlink():
        if partial.is_symlink() or not partial.is_dir() or not is_ours(partial):
            raise ConfigError(f"{field}: {partial} exists and ganbench did not make it (no {MARKER} in it); "
                              "move it away or choose another --out")
        return partial
    partial.mkdir(parents=True)
    (partial / MARKER).write_text("made by ganbench: this folder is removed or renamed when its command ends\n")
    return partial


def remove_partial(partial: Path) -> None:
    """Remove a working folder, only if ganbench made it."""
    if partial.is_dir() and not partial.is_symlink() and is_ours(partial):
        shutil.rmtree(partial)


def finish_partial(partial: Path, out: Path) -> None:
    """The working folder becomes ``out`` (an empty ``out`` is replaced), without its marker."""
    (partial / MARKER).unlink(missing_ok=True)
    os.replace(partial, out)


def strict(obj: Any, path: str = "", found: dict[str, Any] | None = None) -> Any:
    """``obj`` with every non-finite float replaced by None; ``found`` collects {dotted path: 'inf'|'-inf'|'nan'}."""
    if isinstance(obj, float) and not math.isfinite(obj):
        if found is not None:
            found[path] = "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
        return None
    if isinstance(obj, dict):
        return {k: strict(v, f"{path}.{k}" if path else str(k), found) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict(v, f"{path}[{i}]", found) for i, v in enumerate(obj)]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):  # numpy and torch scalars
        return strict(obj.item(), path, found)
    return obj


def restore(obj: dict[str, Any]) -> dict[str, Any]:
    """The inverse of ``dumps`` for a mapping read back: each value named under ``non_finite`` is that float again
    (dotted paths into nested mappings), so a report computes with inf, not with a missing value."""
    if not isinstance(obj, dict) or not isinstance(obj.get("non_finite"), dict):
        return obj
    out = {k: v for k, v in obj.items() if k != "non_finite"}
    for path, kind in obj["non_finite"].items():
        *parents, last = path.split(".")
        node: Any = out
        for p in parents:
            node = node.get(p) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(last) is None and kind in ("inf", "-inf", "nan"):
            node[last] = float(kind)
    return out


def dumps(obj: Any, indent: int | None = 2) -> str:
    """Strict JSON of ``obj``; a mapping gets ``non_finite`` naming what was not a finite number."""
    found: dict[str, Any] = {}
    clean = strict(obj, "", found)
    if found and isinstance(clean, dict):
        clean["non_finite"] = {**clean.get("non_finite", {}), **found}
    return json.dumps(clean, indent=indent, allow_nan=False)


def write_json(path: Path, obj: Any) -> None:
    """Atomically: a reader sees the old file or the new one, never half of one."""
    path = Path(path)
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(dumps(obj) + "\n")
    os.replace(tmp, path)


def loads(text: str) -> Any:
    """Strict JSON: NaN and Infinity are refused as they would be by any other reader."""
    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)
