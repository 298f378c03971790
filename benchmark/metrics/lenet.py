"""`lenet-mnist`: an offline feature extractor for digits, registered with torch-fidelity.

A small LeNet trained on the mnist5k train split by ``python -m ganbench.benchmark.metrics.lenet`` (weights checked in
under ``weights/lenet_mnist.pt``). Features: ``fc1`` (128-d, for FID, KID and precision/recall) and ``logits``
(10 classes, for Inception Score and for counting stacked-MNIST modes). Inputs follow torch-fidelity's
convention: uint8 images (N, 3, H, W); the channels are averaged, so grey digits tiled to 3 channels are read
as they were, and the image is resized to 28x28.
"""
from __future__ import annotations

from typing import Any

import functools
import hashlib
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch_fidelity.feature_extractor_base import FeatureExtractorBase

WEIGHTS = Path(__file__).parent / "weights" / "lenet_mnist.pt"


class LeNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 5, padding=2), nn.Conv2d(32, 64, 5, padding=2)
        self.fc1, self.fc2 = nn.Linear(64 * 7 * 7, 128), nn.Linear(128, 10)
        self.float()  # a scorer in float32 whatever the default dtype: cached statistics are float32's

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: floats in [0, 1], (N, 1, 28, 28). Returns (fc1 features, logits)."""
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        h = F.relu(self.fc1(x.flatten(1)))
        return h, self.fc2(h)


class LeNetMNISTExtractor(FeatureExtractorBase):  # type: ignore[misc]  # torch-fidelity ships no types
    def __init__(self, name: str, features_list: list[str], feature_extractor_weights_path: str | None=None, **kwargs: Any) -> None:
        super().__init__(name, features_list)
        self.net = LeNet()
        state = torch.load(feature_extractor_weights_path or WEIGHTS, map_location="cpu", weights_only=True)
        self.net.load_state_dict({k: v.float() for k, v in state.items()})  # stored in float16 to stay under 1 MB
        self.requires_grad_(False)
        self.eval()

    def forward(self, x: torch.Tensor) -> Any:
        x = x.float().mean(dim=1, keepdim=True) / 255.0
        if x.shape[-2:] != (28, 28):
            x = F.interpolate(x, size=(28, 28), mode="bilinear", antialias=True, align_corners=False)
        fc1, logits = self.net(x)
        features = {"fc1": fc1, "logits": logits, "logits_unbiased": logits}
        return tuple(features[a] for a in self.features_list)

    @staticmethod
    def get_provided_features_list() -> Any:
        return "fc1", "logits_unbiased", "logits"

    @staticmethod
    def get_default_feature_layer_for_metric(metric: str) -> Any:
        return {"isc": "logits_unbiased", "fid": "fc1", "kid": "fc1", "prc": "fc1"}[metric]

    @staticmethod
    def can_be_compiled() -> bool:
        return False

    @staticmethod
    def get_dummy_input_for_compile() -> Any:
        return (torch.rand([1, 3, 28, 28]) * 255).to(torch.uint8)


def weights_hash(path: Path | str) -> str:
    st = Path(path).stat()
    return _hash_file(str(Path(path).resolve()), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=16)  # keyed by modification time and size too, so an edited file is hashed again
def _hash_file(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def train_lenet(epochs: int = 20, seed: int = 0) -> float:
    """Train on mnist5k's train split (with small random shifts) and return the test accuracy."""
    from ganbench.benchmark.data import as_float, load_split

    torch.manual_seed(seed)
    train, test = load_split("mnist5k", "train"), load_split("mnist5k", "test")
    x, y = as_float(train.held), train.labelled
    net = LeNet()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for epoch in range(epochs):
        for idx in torch.randperm(len(x)).split(64):
            shift = torch.randint(-2, 3, (2,))
            xb = torch.roll(x[idx], shifts=(int(shift[0]), int(shift[1])), dims=(2, 3))
            loss = F.cross_entropy(net(xb)[1], y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        acc = float((net(as_float(test.held))[1].argmax(1) == test.labelled).float().mean())
    WEIGHTS.parent.mkdir(exist_ok=True)
    torch.save({k: v.half() for k, v in net.state_dict().items()}, WEIGHTS)
    return acc


if __name__ == "__main__":
    print(f"lenet-mnist test accuracy on mnist5k (1,000 held-out digits): {train_lenet():.4f}; weights in {WEIGHTS}")
