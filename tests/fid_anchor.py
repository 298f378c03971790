"""The FID anchor's images: IQA-PyTorch's ten calibration images (five TID2013 pairs), as pyiqa 0.1.16's wheel on the
package registry ships them, unpacked once into ganbench's cache. `make test` prepares them; tests/test_fid_anchor.py
skips, naming this command, where they are absent.

    python tests/fid_anchor.py      # download the wheel (7.8 MB, sha256 checked), keep only ResultsCalibra/*_dir/*.bmp
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL = "pyiqa-0.1.16-py3-none-any.whl"
SHA256 = "42bbcf1c274a8b53f040a3ec5ec304a15b7725afb5a85b81050e9cc7e6d09ed4"
IMAGES = ("I03", "I04", "I06", "I08", "I19")
FOLDERS = ("dist_dir", "ref_dir")


def anchor_dir() -> Path:
    return Path(os.environ.get("GANBENCH_CACHE") or Path.home() / ".cache" / "ganbench") / "fid_anchor" / "pyiqa-0.1.16"


def present() -> bool:
    return all((anchor_dir() / f / f"{i}.bmp").is_file() for f in FOLDERS for i in IMAGES)


def fetch() -> Path:
    if present():
        return anchor_dir()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "pyiqa==0.1.16", "-d", tmp], check=True)
        wheel = Path(tmp) / WHEEL
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != SHA256:
            raise SystemExit(f"{WHEEL}: sha256 {digest}, expected {SHA256}")
        staging = anchor_dir().with_name(anchor_dir().name + ".partial")
        with zipfile.ZipFile(wheel) as z:
            for f in FOLDERS:
                for i in IMAGES:
                    target = staging / f / f"{i}.bmp"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(z.read(f"ResultsCalibra/{f}/{i}.bmp"))
        shutil.rmtree(anchor_dir(), ignore_errors=True)  # an incomplete copy of ours
        staging.replace(anchor_dir())  # whole or not at all
    return anchor_dir()


if __name__ == "__main__":
    print(fetch())
