#!/usr/bin/python3
"""The peer of Runboard's image-folder loader (issue 15): what a user would otherwise run on
Debian's python3-torchvision 0.14 and python3-torch 1.13 with their default settings.

  /usr/bin/python3 tests/bench/peer_imagefolder.py ROOT [--epochs 2] [--threads 2] [--workers 2]

ROOT holds train/<class>/* and test/<class>/* (tests/bench/write_image_folder.py writes them).
torchvision.datasets.ImageFolder decodes every file with PIL each time it is read, in a
DataLoader(batch_size=128, shuffle=True, num_workers=2) with every other setting at its default
(no pin_memory, no persistent_workers, prefetch_factor 2, drop_last False).

The work per epoch is Runboard's with its default recipe on a folder, so that samples/s compare:
- the same split shape: data.val_share = 0.1 of train/ held out for validation (a seeded random
  permutation, not Runboard's own choice of files), evaluated after every epoch (batch 1000) and
  counted in the epoch's seconds, as Runboard's epoch seconds count its validation pass;
- the same model as Runboard's `cnn` (engine/models.cpp, CnnOptions): stages of 3x3 conv (no
  bias) -> BatchNorm -> ReLU, 32x2, 64x2, 128x1 channels, 2x2 max pooling after each stage,
  flatten, dropout 0.1, linear head on 128 x (S/8)^2 inputs (S = 28: 1,152; S = 64: 8,192), for
  1 or 3 input channels as the files are (ImageFolder's loader converts every file to RGB;
  for a gray folder transforms.Grayscale() turns it back to 1 channel, as tutorials do);
- the same optimizer and schedule (engine/config/config.cpp defaults): SGD lr 0.1, momentum 0.9,
  Nesterov, weight decay 5e-4 on weights only (not on biases and BatchNorm, as Runboard),
  torch's OneCycleLR (pct_start 0.25, div_factor 25, final_div_factor 1e4, momentum cycled
  0.85-0.95) times Runboard's linear warm-up floor min(1, (step+1)/50), label smoothing 0.1,
  seed 1;
- the same augmentation in torchvision's transforms (--no-augment: none): RandomHorizontalFlip,
  RandomCrop(S, padding=2) filled with the mean gray (Runboard shifts by up to 2 px and fills
  with the training mean), and RandomErasing(p=0.25, a patch of 4-25% of the area, aspect
  0.4-2.5, value 0 = the mean after normalisation; Runboard erases 20-50% of each side).
- Normalisation is FIXED, not computed: Fashion-MNIST's training-set mean 0.2860 and std 0.3530
  per channel (--mean/--std), as a user copies them from a tutorial; computing them would cost
  the peer a whole extra decoding pass. Runboard computes them from its scan.

Prints JSON lines: {"scan_seconds": ImageFolder's listing of train/ and test/}, then one per
epoch {"epoch", "samples", "seconds", "samples_per_s"}, then {"test_accuracy", "peak_rss_mb",
...}. Peak memory: ru_maxrss of this process, the largest of the reaped DataLoader workers
(RUSAGE_CHILDREN), their sum (self + workers x the largest worker: an upper bound, shared pages
are counted in every process) and the peak PSS of this process and its children sampled every
0.2 s from /proc (shared pages split between them: the fair total).
"""
import argparse
import copy
import json
import os
import resource
import threading
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision import transforms


def mlp(in_channels, size, classes, dropout=0.1, hidden=(512, 256)):
    """Runboard's mlp (engine/models.cpp): Linear-ReLU-Dropout per hidden layer, then the head."""
    layers, n = [nn.Flatten()], in_channels * size * size
    for h in hidden:
        layers += [nn.Linear(n, h), nn.ReLU(inplace=True), nn.Dropout(dropout)]
        n = h
    return nn.Sequential(*layers, nn.Linear(n, classes))


def cnn(in_channels, size, classes, dropout=0.1, channels=(32, 64, 128), convs=(2, 2, 1)):
    layers, c = [], in_channels
    for out, n in zip(channels, convs):
        for _ in range(n):
            layers += [nn.Conv2d(c, out, 3, padding=1, bias=False), nn.BatchNorm2d(out),
                       nn.ReLU(inplace=True)]
            c = out
        layers.append(nn.MaxPool2d(2))
        size //= 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Dropout(dropout),
                         nn.Linear(c * size * size, classes))


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    kids = [int(k) for k in f.read().split()]
                out += kids
                todo += kids
        except OSError:
            pass
    return out


class PssSampler(threading.Thread):
    def __init__(self, period=0.2):
        super().__init__(daemon=True)
        self.period, self.peak_kb, self.stop = period, 0, threading.Event()

    def run(self):
        me = os.getpid()
        while not self.stop.is_set():
            total = pss_kb(me) + sum(pss_kb(p) for p in descendants(me))
            self.peak_kb = max(self.peak_kb, total)
            self.stop.wait(self.period)


def evaluate(model, loader):
    model.eval()
    correct = seen = 0
    loss_sum = 0.0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)
            loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
    model.train()
    return loss_sum / max(seen, 1), correct / max(seen, 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("root")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--model", choices=("cnn", "mlp"), default="cnn",
                   help="mlp: a model so fast that the loader sets the pace")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (0: torch's default)")
    p.add_argument("--workers", type=int, default=2, help="DataLoader num_workers")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--eval-batch", type=int, default=1000)
    p.add_argument("--val-share", type=float, default=0.1)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--warmup-steps", type=int, default=50)
    p.add_argument("--mean", type=float, default=0.2860)
    p.add_argument("--std", type=float, default=0.3530)
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    sampler = PssSampler()
    sampler.start()

    t0 = time.perf_counter()
    # One listing of train/: the validation view shares it (a second ImageFolder would list the
    # folder twice); only the transform differs.
    val_view = torchvision.datasets.ImageFolder(os.path.join(a.root, "train"))
    test_set = torchvision.datasets.ImageFolder(os.path.join(a.root, "test"))
    scan = time.perf_counter() - t0
    print(json.dumps({"scan_seconds": round(scan, 3), "train_files": len(val_view),
                      "test_files": len(test_set)}), flush=True)

    with open(val_view.samples[0][0], "rb") as f:
        from PIL import Image
        first = Image.open(f)
        size, channels = first.size[0], len(first.getbands())
    mean, std = [a.mean] * channels, [a.std] * channels
    # ImageFolder's loader converts every image to RGB: gray folders get transforms.Grayscale(),
    # as the tutorials do, so that the model takes 1 channel as Runboard's does.
    gray = [transforms.Grayscale()] if channels == 1 else []
    plain = transforms.Compose(gray + [transforms.ToTensor(), transforms.Normalize(mean, std)])
    if a.no_augment:
        train_tf = plain
    else:
        train_tf = transforms.Compose(gray + [
            transforms.RandomHorizontalFlip(),
            transforms.RandomCrop(size, padding=2, fill=round(a.mean * 255)),
            transforms.ToTensor(), transforms.Normalize(mean, std),
            transforms.RandomErasing(p=0.25, scale=(0.04, 0.25), ratio=(0.4, 2.5), value=0)])
    val_view.transform = plain
    test_set.transform = plain
    train_view = copy.copy(val_view)
    train_view.transform = train_tf

    n = len(val_view)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(42)).tolist()
    n_val = int(round(n * a.val_share))
    val_idx, train_idx = perm[:n_val], perm[n_val:]
    train_loader = torch.utils.data.DataLoader(torch.utils.data.Subset(train_view, train_idx),
                                               batch_size=a.batch, shuffle=True,
                                               num_workers=a.workers)
    val_loader = torch.utils.data.DataLoader(torch.utils.data.Subset(val_view, val_idx),
                                             batch_size=a.eval_batch, num_workers=a.workers)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=a.eval_batch,
                                              num_workers=a.workers)

    model = (mlp if a.model == "mlp" else cnn)(channels, size, len(val_view.classes))
    decay = [q for q in model.parameters() if q.dim() > 1]
    no_decay = [q for q in model.parameters() if q.dim() <= 1]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": 5e-4},
                           {"params": no_decay, "weight_decay": 0.0}],
                          lr=a.lr, momentum=0.9, nesterov=True)
    total_steps = a.epochs * len(train_loader)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=total_steps,
                                                pct_start=0.25, div_factor=25,
                                                final_div_factor=1e4)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)

    def warmup(step):
        if step < a.warmup_steps:
            for g in opt.param_groups:
                g["lr"] *= (step + 1) / a.warmup_steps

    model.train()
    step = 0
    warmup(step)
    for epoch in range(1, a.epochs + 1):
        t = time.perf_counter()
        seen = correct = 0
        loss_sum = 0.0
        for x, y in train_loader:
            opt.zero_grad()
            logits = model(x)
            loss = criterion(logits, y)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            warmup(step)
            loss_sum += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
        val_loss, val_acc = evaluate(model, val_loader) if n_val else (float("nan"),) * 2
        secs = time.perf_counter() - t
        print(json.dumps({"epoch": epoch, "samples": seen, "seconds": round(secs, 3),
                          "samples_per_s": round(seen / secs, 1),
                          "train_loss": round(loss_sum / seen, 4),
                          "train_accuracy": round(correct / seen, 4),
                          "val_loss": round(val_loss, 4), "val_accuracy": round(val_acc, 4)}),
              flush=True)
    test_loss, test_acc = evaluate(model, test_loader)
    sampler.stop.set()
    sampler.join()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"test_loss": round(test_loss, 4), "test_accuracy": round(test_acc, 4),
                      "train_samples": len(train_idx), "val_samples": n_val,
                      "test_samples": len(test_set), "image": [channels, size, size],
                      "threads": torch.get_num_threads(), "workers": a.workers,
                      "peak_rss_self_mb": round(own, 1), "peak_rss_worker_mb": round(worker, 1),
                      "peak_rss_mb": round(own + a.workers * worker, 1),
                      "peak_pss_mb": round(sampler.peak_kb / 1024, 1)}), flush=True)


if __name__ == "__main__":
    main()
