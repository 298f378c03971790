"""Data sets: the embedded digits, the mixtures, and torchvision's formats read from tiny fixtures offline."""
import pickle
import time

import numpy as np
import pytest
import torch

from ganbench.benchmark.data import DATASETS, DataError, as_float, load_split


def test_mnist5k_shapes_range_and_split():
    train, test = load_split("mnist5k", "train"), load_split("mnist5k", "test")
    assert train.tensor.shape == (4000, 1, 28, 28) and test.tensor.shape == (1000, 1, 28, 28)
    assert train.tensor.dtype == torch.uint8 and int(train.tensor.max()) == 255 and int(train.tensor.min()) == 0
    x = as_float(test.tensor)
    assert 0.0 <= float(x.min()) and float(x.max()) == 1.0
    assert 0.08 < float(x.mean()) < 0.2  # MNIST's mean intensity is about 0.13
    assert sorted(torch.bincount(test.labels).tolist())[0] > 70  # shuffled before the split: every class in test


def test_stacked_mnist_has_1000_modes_of_three_digits():
    s = load_split("stacked_mnist", "test")
    assert s.tensor.shape == (10_000, 3, 28, 28) and DATASETS["stacked_mnist"].modes == 1000
    assert len(torch.unique(s.labels)) > 990


@pytest.mark.parametrize("name,modes", [("ring8", 8), ("grid25", 25)])
def test_mixtures(name, modes):
    info, s = DATASETS[name], load_split(name, "train")
    assert s.tensor.shape[1] == 2 and info.modes == modes
    offsets = s.tensor - torch.from_numpy(info.mode_centres)[s.labels]
    assert float(offsets.std()) == pytest.approx(info.mode_std, rel=0.05)
    assert torch.equal(s.tensor, load_split(name, "train").tensor)  # generated from a fixed seed


def _idx(path, array):
    dims = array.shape
    code = 0x08
    with open(path, "wb") as f:
        f.write(bytes([0, 0, code, len(dims)]))
        for d in dims:
            f.write(int(d).to_bytes(4, "big"))
        f.write(array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("name,folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_torchvision_mnist_formats_from_fixture(tmp_path, name, folder):
    raw = tmp_path / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 12), ("t10k", 5)):
        _idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        _idx(raw / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, (n,)))
    train, test = load_split(name, "train", tmp_path), load_split(name, "test", tmp_path)
    assert train.tensor.shape == (12, 1, 28, 28) and test.tensor.shape == (5, 1, 28, 28)


def test_cifar10_format_from_fixture(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with open(folder / name, "wb") as f:
            pickle.dump({"data": rng.integers(0, 256, (3, 3072), dtype=np.uint8), "labels": [0, 1, 2]}, f)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": [f"c{i}" for i in range(10)]}, f)
    train = load_split("cifar10", "train", tmp_path)
    assert train.tensor.shape == (15, 3, 32, 32) and train.tensor.dtype == torch.uint8


def test_celeba_crop_and_resize_from_fixture(tmp_path):
    from PIL import Image

    folder = tmp_path / "celeba"
    (folder / "img_align_celeba").mkdir(parents=True)
    lines = []
    for i in range(4):
        Image.new("RGB", (178, 218), (i * 60, 100, 200)).save(folder / "img_align_celeba" / f"{i:06d}.jpg")
        lines.append(f"{i:06d}.jpg {0 if i < 3 else 2}")
    (folder / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
    train = load_split("celeba", "train", tmp_path)
    assert len(train) == 3 and len(load_split("celeba", "test", tmp_path)) == 1
    x = train.dataset[1]
    assert x.shape == (3, 64, 64) and x.dtype == torch.float32
    assert float(x[0].mean()) == pytest.approx(60 / 255, abs=0.02)


@pytest.mark.parametrize("name,hint", [("mnist", "MNIST/raw"), ("cifar10", "cifar-10-batches-py"), ("celeba", "list_eval_partition.txt")])
def test_missing_files_give_a_clear_error(tmp_path, name, hint):
    started = time.time()
    with pytest.raises(DataError, match=hint) as err:
        load_split(name, "train", tmp_path)
    assert str(tmp_path) in str(err.value) and str(err.value).startswith("data-root:")
    assert time.time() - started < 120


@pytest.mark.parametrize("streamed", [False, True])
def test_real_batches_resume_where_they_were(streamed):
    """Every batch of an epoch is new (no replacement), and batches read after restoring a state are the ones an
    uninterrupted reader gets, for in-memory data and for a streamed data set (CelebA) alike, across epochs."""
    import torch

    from ganbench.benchmark.data import Split
    from ganbench.benchmark.module import RealBatches

    class Numbered(torch.utils.data.Dataset):
        def __len__(self):
            return 50

        def __getitem__(self, i):
            return torch.full((1, 2, 2), float(i))

    def split():
        return Split(dataset=Numbered()) if streamed else Split(tensor=torch.arange(50.0).view(50, 1, 1, 1).expand(50, 1, 2, 2).clone())

    whole = RealBatches(split(), 8, seed=3)
    seq = [whole.next("cpu")[:, 0, 0, 0] for _ in range(14)]  # 6 batches an epoch: past two epoch ends
    assert len(torch.cat(seq[:6]).unique()) == 48
    first = RealBatches(split(), 8, seed=3)
    for _ in range(4):
        first.next("cpu")
    resumed = RealBatches(split(), 8, seed=3)
    resumed.load_state_dict(first.state_dict())
    assert all(torch.equal(resumed.next("cpu")[:, 0, 0, 0], s) for s in seq[4:])
