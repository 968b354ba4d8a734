# The data-parallel peer (issue 19): what a user would otherwise run, PyTorch's own
# DistributedDataParallel over Gloo on Debian's python3-torch, started as torchrun starts ranks
# (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT; OMP_NUM_THREADS = cores / ranks). The engine's
# default cnn, fp32 or bf16 autocast, each rank `--batch` samples a step from its DistributedSampler
# share. Rank 0 prints one line of JSON: the job's samples/s.
#   WORLD_SIZE=2 RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 /usr/bin/python3 peer_ddp.py
import argparse, gzip, json, os, time
import numpy as np, torch, torch.distributed as dist, torch.nn as nn, torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--precision", default="fp32")
p.add_argument("--steps", type=int, default=150); p.add_argument("--batch", type=int, default=64)
a = p.parse_args()
WARMUP = 10
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()

raw = gzip.open("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").read()
n = a.steps * a.batch * world
x_all = torch.tensor(np.frombuffer(raw, np.uint8, offset=16)[: n * 784].reshape(n, 1, 28, 28), dtype=torch.float32) / 255
x_all = (x_all - x_all.mean()) / x_all.std()
y_all = torch.tensor(np.frombuffer(gzip.open("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)[:n].astype(np.int64))

def block(i, o): return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]
torch.manual_seed(1)
model = nn.Sequential(*block(1, 32), *block(32, 32), nn.MaxPool2d(2), *block(32, 64), *block(64, 64), nn.MaxPool2d(2),
                      *block(64, 128), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.1), nn.Linear(128 * 9, 10))
model = nn.parallel.DistributedDataParallel(model)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
model.train()
g = torch.Generator().manual_seed(0)
perm = torch.randperm(n, generator=g)[rank::world]  # DistributedSampler's share
bf16 = a.precision == "bf16"
for s in range(a.steps):
    if s == WARMUP: t0 = time.perf_counter()
    idx = perm[s * a.batch:(s + 1) * a.batch]
    x, y = x_all[idx], y_all[idx]
    opt.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        logits = model(x)
    loss = F.cross_entropy(logits.float(), y, label_smoothing=0.1)
    loss.backward(); opt.step(); loss.item()
sps = (a.steps - WARMUP) * a.batch * world / (time.perf_counter() - t0)
if rank == 0:
    print(json.dumps({"mode": "python-ddp", "world": world, "precision": a.precision, "samples_per_s": round(sps, 1)}))
dist.destroy_process_group()
