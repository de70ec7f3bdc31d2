"""Small networks shipped with hwdse (``module:factory`` sources of the workload front end).
"""

from __future__ import annotations

import torch
from torch import nn


class SmallCnn(nn.Module):
    """The CNN of the main job (``hwdse run``), for 3 x 32 x 32 images and 10 classes: a
    3x3 convolution to 16 channels, 2x2 max pooling, two parallel 3x3 convolutions to 32
    channels whose sum is pooled again, and a linear classifier over the 32 x 8 x 8
    features."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.conv2 = nn.ModuleList([nn.Conv2d(16, 32, 3, padding=1) for _ in range(2)])
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(32 * 8 * 8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2[0](x) + self.conv2[1](x)))
        return self.fc(torch.flatten(x, 1))


def small_cnn() -> SmallCnn:
    """The main job's CNN (:class:`SmallCnn`); its input shape is ``1, 3, 32, 32``."""
    return SmallCnn()
