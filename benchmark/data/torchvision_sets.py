"""MNIST, Fashion-MNIST, CIFAR-10 and CelebA through torchvision, under a data root; downloaded when online.
torchvision is imported by the loaders (~1.3 s a process, most of it torch._dynamo, which torchvision.ops imports),
not by the registry: naming or checking a data set does not need it."""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Callable

import torch
from PIL import Image

from .base import DataError, Split


def _missing(name: str, root: Path, files: str, err: Exception) -> DataError:
    return DataError(
        f"data-root: {name} not found under {root} and could not be downloaded ({type(err).__name__}). "
        f"Put {files} there, or run once online."
    )


def _torchvision_mnist(cls_name: str, folder: str) -> Callable[[str, Path], Split]:
    def load(split: str, root: Path) -> Split:
        import torchvision

        cls = getattr(torchvision.datasets, cls_name)
        try:
            ds = cls(str(root), train=split == "train", download=True)
        except Exception as err:  # noqa: BLE001 - any download failure means the files are not there
            files = f"{folder}/raw/{{train,t10k}}-{{images-idx3,labels-idx1}}-ubyte (the four files, unzipped)"
            raise _missing(cls_name, root, files, err) from None
        return Split(tensor=ds.data.unsqueeze(1).contiguous(), labels=ds.targets.long())

    return load


def _cifar10(split: str, root: Path) -> Split:
    import torchvision

    class CIFAR10(torchvision.datasets.CIFAR10):  # type: ignore[misc]  # torchvision ships no types
        def _check_integrity(self) -> bool:  # presence, not md5: re-packed copies and test fixtures differ
            return all((Path(self.root) / self.base_folder / f).is_file() for f, _ in self.train_list + self.test_list)

        def _load_meta(self) -> None:
            with open(Path(self.root) / self.base_folder / self.meta["filename"], "rb") as f:
                self.classes = pickle.load(f, encoding="latin1")[self.meta["key"]]
            self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    try:
        ds = CIFAR10(str(root), train=split == "train", download=True)
    except Exception as err:  # noqa: BLE001
        raise _missing("CIFAR-10", root, "cifar-10-batches-py/{data_batch_1..5,test_batch} (the python version)", err) from None
    return Split(tensor=torch.from_numpy(ds.data).permute(0, 3, 1, 2).contiguous(), labels=torch.tensor(ds.targets))


class CelebA64(torch.utils.data.Dataset[Any]):
    """CelebA aligned faces, centre-cropped to 160x160 and resized to 64x64 (as in the Lucic et al. study).
    Reads torchvision's layout: celeba/img_align_celeba/*.jpg and celeba/list_eval_partition.txt."""

    SPLITS = {"train": "0", "valid": "1", "test": "2"}

    def __init__(self, root: Path, split: str) -> None:
        import torchvision.transforms.v2 as T

        folder = Path(root) / "celeba"
        lines = (folder / "list_eval_partition.txt").read_text().split("\n")
        self.files = [folder / "img_align_celeba" / f for f, s in (ln.split() for ln in lines if ln.strip()) if s == self.SPLITS[split]]
        self.transform = T.Compose([T.PILToTensor(), T.CenterCrop(160), T.Resize(64, antialias=True), T.ToDtype(torch.float32, scale=True)])

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> torch.Tensor:
        with Image.open(self.files[i]) as im:
            return self.transform(im.convert("RGB"))


def _celeba(split: str, root: Path) -> Split:
    folder = Path(root) / "celeba"
    if not (folder / "list_eval_partition.txt").is_file() or not (folder / "img_align_celeba").is_dir():
        import torchvision

        try:
            torchvision.datasets.CelebA(str(root), split="all", download=True)
        except Exception as err:  # noqa: BLE001
            raise _missing("CelebA", root, "celeba/img_align_celeba/*.jpg and celeba/list_eval_partition.txt", err) from None
    return Split(dataset=CelebA64(root, split))
