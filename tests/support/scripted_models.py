#!/usr/bin/python3
"""TorchScript modules for the tests of model = torchscript (python3-torch 1.13.1).

  scripted_models.py OUTDIR [CHANNELS] [CLASSES]

writes into OUTDIR:
  good.pt      a small CNN (conv, BatchNorm, ReLU, pooling to 4x4, a linear head): any image size
  wrong_k.pt   the same with CLASSES + 3 outputs
  frozen.pt    the good CNN with every parameter frozen (requires_grad = False)
  channels.pt  a CNN that expects CHANNELS + 2 input channels (fails on this dataset's batch)
  pair.pt      returns a tuple (logits, features), not a tensor
  intout.pt    returns integer "logits"
  trainshape.pt  the right shape in eval() mode, a wrong one in train() mode
  tied.pt      two linear layers that share one weight
  collide.pt   a parameter "a_weight" beside the submodule parameter "a.weight"
  narrow.pt    the good CNN, but above 3 samples it drops its last output (the loss then fails)
  skip.pt      a 28x28 CNN with a strided 1x1 projection on a skip branch (the layer table's case)
  text.pt      for text: the mean of its tokens' embeddings (ids below 4096, 0 is <pad>), a linear
               head; any length
  traced2.pt   the good CNN flattened by the batch size as a Python int, traced by torch.jit.trace
               on 2 samples of 28x28: it runs on 2 samples only
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


class IntOut(nn.Module):
    def __init__(self, channels: int, classes: int):
        super().__init__()
        self.net = Net(channels, classes)

    def forward(self, x):
        return self.net(x).long()


class TrainShape(nn.Module):
    def __init__(self, channels: int, classes: int):
        super().__init__()
        self.net = Net(channels, classes)

    def forward(self, x):
        y = self.net(x)
        if self.training:
            return y[:, :1]
        return y


class Tied(nn.Module):
    def __init__(self, channels: int, classes: int):
        super().__init__()
        self.first = nn.Linear(classes, classes)
        self.second = nn.Linear(classes, classes)
        self.second.weight = self.first.weight
        self.net = Net(channels, classes)

    def forward(self, x):
        return self.second(self.first(self.net(x)))


class Collide(nn.Module):
    def __init__(self, channels: int, classes: int):
        super().__init__()
        self.a = nn.Linear(classes, classes)
        self.a_weight = nn.Parameter(torch.ones(1))
        self.net = Net(channels, classes)

    def forward(self, x):
        return self.a(self.net(x)) * self.a_weight


class Narrow(nn.Module):
    def __init__(self, channels: int, classes: int):
        super().__init__()
        self.net = Net(channels, classes)

    def forward(self, x):
        logits = self.net(x)
        return logits if x.size(0) <= 3 else logits[:, :-1]


class Bag(nn.Module):
    def __init__(self, classes: int):
        super().__init__()
        self.embed = nn.Embedding(4096, 32, padding_idx=0)
        self.head = nn.Linear(32, classes)

    def forward(self, x):
        mask = (x != 0).unsqueeze(-1).float()
        summed = (self.embed(x) * mask).sum(1)
        return self.head(summed / mask.sum(1).clamp(min=1.0))


class FlatByInt(Net):
    def forward(self, x):
        # int() makes the batch size a constant of the trace (a TracerWarning says so).
        return self.head(self.features(x).reshape(int(x.shape[0]), -1))


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
    torch.jit.script(IntOut(channels, classes)).save(f"{out}/intout.pt")
    torch.jit.script(TrainShape(channels, classes)).save(f"{out}/trainshape.pt")
    torch.jit.script(Tied(channels, classes)).save(f"{out}/tied.pt")
    torch.jit.script(Collide(channels, classes)).save(f"{out}/collide.pt")
    torch.jit.script(Narrow(channels, classes)).save(f"{out}/narrow.pt")
    torch.jit.script(Skip(channels, classes)).save(f"{out}/skip.pt")
    torch.jit.script(Bag(classes)).save(f"{out}/text.pt")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.trace(FlatByInt(channels, classes), torch.zeros(2, channels, 28, 28)).save(
            f"{out}/traced2.pt")


class Skip(nn.Module):
    """28x28 only: conv3x3 -> ReLU -> strided conv3x3, plus a strided 1x1 projection of the input."""

    def __init__(self, channels: int, classes: int):
        super().__init__()
        self.c1 = nn.Conv2d(channels, 16, 3, padding=1)
        self.proj = nn.Conv2d(channels, 16, 1, stride=2)
        self.c2 = nn.Conv2d(16, 16, 3, stride=2, padding=1)
        self.head = nn.Linear(16 * 14 * 14, classes)

    def forward(self, x):
        skip = self.proj(x)
        y = self.c2(torch.relu(self.c1(x)))
        return self.head((y + skip).flatten(1))


if __name__ == "__main__":
    main()
