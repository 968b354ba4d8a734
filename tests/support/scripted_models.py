#!/usr/bin/python3
"""TorchScript modules for the tests of model = torchscript (python3-torch 1.13.1).

  scripted_models.py OUTDIR [CHANNELS] [CLASSES]

writes into OUTDIR:
  good.pt      a small CNN (conv, BatchNorm, ReLU, pooling to 4x4, a linear head): any image size
  wrong_k.pt   the same with CLASSES + 3 outputs
  frozen.pt    the good CNN with every parameter frozen (requires_grad = False)
  channels.pt  a CNN that expects CHANNELS + 2 input channels (fails on this dataset's batch)
  pair.pt      returns a tuple (logits, features), not a tensor
The same seed each time, so the files are the same.
"""
import sys

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, channels: int, classes: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32),
            nn.ReLU(), nn.AdaptiveAvgPool2d(4))
        self.head = nn.Linear(32 * 16, classes)

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


class Pair(nn.Module):
    def __init__(self, channels: int, classes: int):
        super().__init__()
        self.net = Net(channels, classes)

    def forward(self, x):
        y = self.net(x)
        return y, x


def main():
    out = sys.argv[1]
    channels = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    classes = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    torch.manual_seed(0)
    torch.jit.script(Net(channels, classes)).save(f"{out}/good.pt")
    torch.jit.script(Net(channels, classes + 3)).save(f"{out}/wrong_k.pt")
    frozen = Net(channels, classes)
    for p in frozen.parameters():
        p.requires_grad_(False)
    torch.jit.script(frozen).save(f"{out}/frozen.pt")
    torch.jit.script(Net(channels + 2, classes)).save(f"{out}/channels.pt")
    torch.jit.script(Pair(channels, classes)).save(f"{out}/pair.pt")


if __name__ == "__main__":
    main()
