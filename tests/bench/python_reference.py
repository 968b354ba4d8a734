# The reference a user would otherwise run: the same models trained by a plain PyTorch script on
# Debian's python3-torch (LibTorch 1.13.1 underneath) with PyTorch's default settings: no thread
# or BLAS tuning, default allocator. Prints one line of JSON like engine_bench.
#   /usr/bin/python3 tests/bench/python_reference.py --model cnn --precision fp32
import argparse, gzip, json, time
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--model", default="cnn"); p.add_argument("--precision", default="fp32")
p.add_argument("--steps", type=int, default=150); p.add_argument("--batch", type=int, default=128)
a = p.parse_args()
WARMUP = 10

raw = gzip.open("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").read()
n = a.steps * a.batch
x_all = torch.tensor(np.frombuffer(raw, np.uint8, offset=16)[: n * 784].reshape(n, 1, 28, 28), dtype=torch.float32) / 255
x_all = (x_all - x_all.mean()) / x_all.std()
y_all = torch.tensor(np.frombuffer(gzip.open("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)[:n].astype(np.int64))

def block(i, o): return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]
if a.model == "cnn":  # the engine's default CnnOptions: stages 32x2, 64x2, 128x1
    model = nn.Sequential(*block(1, 32), *block(32, 32), nn.MaxPool2d(2), *block(32, 64), *block(64, 64), nn.MaxPool2d(2),
                          *block(64, 128), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.1), nn.Linear(128 * 9, 10))
else:  # MlpOptions: 784-512-256-10
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(inplace=True), nn.Dropout(0.1),
                          nn.Linear(512, 256), nn.ReLU(inplace=True), nn.Dropout(0.1), nn.Linear(256, 10))
torch.manual_seed(1)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
model.train()
perm = torch.randperm(n)
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
sps = (a.steps - WARMUP) * a.batch / (time.perf_counter() - t0)
print(json.dumps({"mode": "python", "model": a.model, "precision": a.precision, "samples_per_s": round(sps, 1)}))
