#!/usr/bin/python3
"""The text classifier a user would otherwise write (issue 16): a plain PyTorch script on Debian's
python3-torch (LibTorch 1.13 underneath) that trains the same GRU as Runboard's `model = gru` on a
CSV of texts, so that run_text_bench.sh can set Runboard's samples/s beside it. Prints one JSON line.
  /usr/bin/python3 tests/bench/peer_text.py --csv fortunes.csv [--epochs 3] [--batch 128]
      [--threads N] [--precision fp32|bf16] [--bucketing] [--max-steps N]

What is the same as Runboard's (the defaults of engine/config/config.cpp):
  * the split: engine/data/splits.cpp's carveSplits re-implemented (std::mt19937_64 and
    Fisher-Yates, test 20% of the rows first, then validation 10% of the rest, split_seed 42), so
    that the script trains, validates and tests on exactly the rows a Runboard run does;
  * the tokens: engine/text/tokens.cpp's word mode re-implemented code point for code point (runs
    of ASCII letters and digits and of every code point above U+007F that is neither a space nor
    one of its punctuation ranges, ASCII-lower-cased; each other visible code point a token of its
    own; invalid UTF-8 one U+FFFD a byte; a UTF-8 BOM dropped, blank CSV lines skipped);
  * the vocabulary of the training rows only (engine/text/vocabulary.cpp): 0 <pad>, 1 <unk>, then
    by count, ties in byte order, 20000 entries at most, min_freq 1; samples cut at 256 tokens;
  * the model (engine/text_models.cpp): embedding 64 (padding_idx 0), a GRU of 128 over packed
    sequences, mean and max over each sample's valid positions concatenated, dropout 0.1, a linear
    head; PyTorch's default initialisation (LibTorch's is the same);
  * the recipe: SGD lr 0.1, momentum 0.9, Nesterov, weight decay 5e-4 on tensors of 2 or more
    dimensions only; OneCycleLR (pct_start 0.25, div 25, final div 1e4, momentum cycled 0.85-0.95)
    under Runboard's warm-up floor lr x min(1, (step + 1) / 50); cross-entropy with label
    smoothing 0.1; batch 128; torch.manual_seed(1). --precision bf16 wraps the forward pass in
    torch.autocast("cpu", bfloat16) as Runboard's precision = bf16 (auto on a CPU with native
    bf16) does.
What is a user's: a torch.utils.data.DataLoader with its defaults (shuffle=True, num_workers=0, the
last partial batch kept) and a collate_fn that pads each batch to its longest sample; torch's
default thread count unless --threads. --bucketing swaps the shuffle for length-grouped batches
built as Runboard's engine/text/bucketing.cpp does (a shuffle, mega-batches of 50 batches each
sorted longest first, the batches shuffled, the longest one first).

samples_per_s, as Runboard's train/samples_per_s: a step runs from asking for the batch (the
DataLoader's collate included) to the end of the optimizer step (loss.item() and the batch's
correct count included); samples/s = the samples of the timed steps / the sum of their seconds.
Timed are the steps after the first epoch (every batch of an epoch once: the mix of lengths is the
data's, with or without bucketing, which puts its longest batch first), or with --epochs 1 the
steps after the first 5. Evaluation is never timed. tokens_per_s: the real (non-pad) tokens of
the timed steps over the same seconds. padding: pad slots / all slots (batch x its longest) over
every training batch.

Memory: glibc's default malloc, as a user has it. Runboard sets mallopt(M_MMAP_THRESHOLD 32 MiB,
M_TRIM_THRESHOLD 1 GiB, M_TOP_PAD 64 MiB) (engine/runtime.cpp); without that, a long batch's
packed-GRU backward re-faults fresh mmap'd blocks every time step (a 128 x 256 bf16 step took
14-20 s here instead of 1.3-2 s). MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824
MALLOC_TOP_PAD_=67108864 in the environment give this script the same settings.
"""
import argparse
import codecs
import csv
import io
import json
import math
import random
import time
from collections import Counter

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

WARMUP = 5  # steps left out of the timing when there is one epoch only
MASK64 = (1 << 64) - 1


# --- engine/data/splits.cpp -------------------------------------------------------------------

class MT19937_64:
    """std::mt19937_64, bit for bit (the 10000th draw of the default seed is 9981545732273789042)."""

    def __init__(self, seed=5489):
        self.mt = [0] * 312
        self.mt[0] = seed & MASK64
        for i in range(1, 312):
            prev = self.mt[i - 1]
            self.mt[i] = (6364136223846793005 * (prev ^ (prev >> 62)) + i) & MASK64
        self.index = 312

    def _twist(self):
        mt = self.mt
        for i in range(312):
            x = (mt[i] & 0xFFFFFFFF80000000) | (mt[(i + 1) % 312] & 0x7FFFFFFF)
            xa = x >> 1
            if x & 1:
                xa ^= 0xB5026F5AA96619E9
            mt[i] = mt[(i + 156) % 312] ^ xa
        self.index = 0

    def __call__(self):
        if self.index >= 312:
            self._twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & MASK64


def split_indices(n, held_out, seed):
    perm = list(range(n))
    rng = MT19937_64(seed)
    for i in range(n - 1, 0, -1):
        j = rng() % (i + 1)
        perm[i], perm[j] = perm[j], perm[i]
    return sorted(perm[held_out:]), sorted(perm[:held_out])


def share_of(n, share):
    if share <= 0 or n < 2:
        return 0
    return min(max(math.floor(n * share + 0.5), 1), n - 1)  # std::llround, clamped


def carve_splits(n, test_share=0.2, val_share=0.1, seed=42):
    rest, test = split_indices(n, share_of(n, test_share), seed)
    train_pos, val_pos = split_indices(len(rest), share_of(len(rest), val_share), seed + 1)
    return [rest[p] for p in train_pos], [rest[p] for p in val_pos], test


# --- engine/text/tokens.cpp, text_source.cpp ----------------------------------------------------

def _one_byte_replacement(err):
    # Runboard's validUtf8: each byte of an invalid sequence is one U+FFFD, then it resynchronises.
    return "\ufffd", err.start + 1


codecs.register_error("runboard_replace", _one_byte_replacement)


def is_space(c):
    return (c == 0x20 or 0x09 <= c <= 0x0D or c in (0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F,
                                                     0x205F, 0x3000, 0xFEFF)
            or 0x2000 <= c <= 0x200A)


def is_wide_symbol(c):
    return (0xA1 <= c <= 0xBF or c in (0xD7, 0xF7, 0xFFFD) or 0x2010 <= c <= 0x205E
            or 0x3001 <= c <= 0x303F or 0xFF01 <= c <= 0xFF0F or 0xFF1A <= c <= 0xFF20)


def tokenize(text):
    out, word = [], []
    for ch in text:
        c = ord(ch)
        if (c < 0x80 and ch.isascii() and ch.isalnum()) or (
                c > 0x7F and not is_space(c) and not is_wide_symbol(c)):
            word.append(ch.lower() if "A" <= ch <= "Z" else ch)
        else:
            if word:
                out.append("".join(word))
                word = []
            if not is_space(c):
                out.append(ch)
    if word:
        out.append("".join(word))
    return out


def read_table(path, text_column, label_column):
    raw = open(path, "rb").read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    rows = [r for r in csv.reader(io.StringIO(raw.decode("utf-8", "runboard_replace"), newline=""))
            if r and r != [""]]  # Runboard skips blank lines
    header = [h.strip(" \t\r") for h in rows[0]]
    t, l = header.index(text_column), header.index(label_column)
    texts = [r[t] for r in rows[1:]]
    labels = [r[l].strip(" \t\r") for r in rows[1:]]
    classes = sorted(set(labels))
    if all(c.lstrip("-").isdigit() and c != "-" and len(c) < 18 for c in classes):
        classes.sort(key=int)
    index = {c: i for i, c in enumerate(classes)}
    return texts, [index[x] for x in labels], classes


def build_vocabulary(training, max_size=20000, min_count=1):
    counts = Counter(tok for sample in training for tok in sample)
    # Ties in byte order: UTF-8's byte order is code point order, Python's string order.
    ranked = sorted((p for p in counts.items() if p[1] >= min_count), key=lambda p: (-p[1], p[0]))
    tokens = ["<pad>", "<unk>"]
    for token, _ in ranked:
        if max_size > 0 and len(tokens) >= max_size:
            break
        if token not in ("<pad>", "<unk>"):
            tokens.append(token)
    return tokens


# --- engine/text_models.cpp ---------------------------------------------------------------------

class Gru(nn.Module):
    def __init__(self, vocab, classes, embedding=64, hidden=128, dropout=0.1):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding, padding_idx=0)
        self.gru = nn.GRU(embedding, hidden, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(self.embedding(x), lengths, batch_first=True,
                                      enforce_sorted=False)
        out, _ = self.gru(packed)
        padded, _ = pad_packed_sequence(out, batch_first=True)  # [B, T, H], zero past each length
        valid = torch.arange(padded.size(1)).unsqueeze(0) < lengths.unsqueeze(1)
        mean = padded.sum(1) / lengths.unsqueeze(1).to(padded.dtype)
        top = padded.masked_fill(~valid.unsqueeze(2), float("-inf")).max(1).values
        return self.head(self.dropout(torch.cat([mean, top], 1)))


# --- the script ---------------------------------------------------------------------------------

def collate(batch):
    ids = [b[0] for b in batch]
    lengths = torch.tensor([len(i) for i in ids])
    return pad_sequence(ids, batch_first=True), lengths, torch.tensor([b[1] for b in batch])


class LengthGroupedBatches(torch.utils.data.Sampler):
    """Smart padding as engine/text/bucketing.cpp: every sample once an epoch, similar lengths."""

    def __init__(self, lengths, batch, mega=50):
        self.lengths, self.batch, self.mega = lengths, batch, mega

    def __len__(self):
        return math.ceil(len(self.lengths) / self.batch)

    def __iter__(self):
        rng = random.Random(int(torch.randint(0, 2**62, ()).item()))
        order = list(range(len(self.lengths)))
        rng.shuffle(order)
        size = self.batch * self.mega
        batches = []
        for at in range(0, len(order), size):
            group = sorted(order[at:at + size], key=lambda i: -self.lengths[i])  # stable
            batches += [group[i:i + self.batch] for i in range(0, len(group), self.batch)]
        rng.shuffle(batches)
        longest = max(range(len(batches)), key=lambda b: max(self.lengths[i] for i in batches[b]))
        batches.insert(0, batches.pop(longest))
        return iter(batches)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--csv", required=True)
    p.add_argument("--text", default="text")
    p.add_argument("--label", default="category")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=0, help="0 = torch's default")
    p.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    p.add_argument("--bucketing", action="store_true")
    p.add_argument("--max-steps", type=int, default=0,
                   help="stop after N training steps (0 = all epochs); for a quick look only")
    p.add_argument("--max-len", type=int, default=256)
    p.add_argument("--vocab-size", type=int, default=20000)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)

    start = time.perf_counter()
    texts, labels, classes = read_table(a.csv, a.text, a.label)
    train_rows, val_rows, test_rows = carve_splits(len(texts))
    tokens = [tokenize(t) for t in texts]
    vocab = build_vocabulary([tokens[r] for r in train_rows], a.vocab_size)
    index = {t: i for i, t in enumerate(vocab)}
    if not all(tokens):
        raise SystemExit(f"{a.csv}: a text has no tokens (only spaces?)")  # as Runboard refuses it
    encoded = [torch.tensor([index.get(t, 1) for t in s[:a.max_len]]) for s in tokens]

    def part(rows):
        return [(encoded[r], labels[r]) for r in rows]

    train, val, test = part(train_rows), part(val_rows), part(test_rows)
    prep_seconds = time.perf_counter() - start

    torch.manual_seed(1)
    if a.bucketing:
        loader = torch.utils.data.DataLoader(
            train, batch_sampler=LengthGroupedBatches([len(x) for x, _ in train], a.batch),
            collate_fn=collate)
    else:
        loader = torch.utils.data.DataLoader(train, batch_size=a.batch, shuffle=True,
                                             collate_fn=collate)
    model = Gru(len(vocab), len(classes))
    decay = [q for q in model.parameters() if q.dim() > 1]
    no_decay = [q for q in model.parameters() if q.dim() <= 1]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": 5e-4},
                           {"params": no_decay, "weight_decay": 0.0}],
                          lr=0.1, momentum=0.9, nesterov=True)
    total_steps = len(loader) * a.epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=total_steps,
                                                pct_start=0.25, div_factor=25,
                                                final_div_factor=1e4)
    bf16 = a.precision == "bf16"

    def evaluate(data):
        model.eval()
        right = 0
        with torch.no_grad():
            for x, lengths, y in torch.utils.data.DataLoader(data, batch_size=1000,
                                                             collate_fn=collate):
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    logits = model(x, lengths)
                right += (logits.float().argmax(1) == y).sum().item()
        model.train()
        return right / max(1, len(data))

    step, timed_steps, timed_seconds, timed_samples, timed_tokens = 0, 0, 0.0, 0, 0
    pad_slots, all_slots = 0, 0
    val_accuracy, epochs_done = None, 0
    train_start = time.perf_counter()
    model.train()
    for epoch in range(a.epochs):
        stopped = False
        it = iter(loader)
        while True:
            if a.max_steps and step >= a.max_steps:
                stopped = True
                break
            t0 = time.perf_counter()
            try:
                x, lengths, y = next(it)
            except StopIteration:
                break
            for g, lr in zip(opt.param_groups, sched.get_last_lr()):
                g["lr"] = lr * min(1.0, (step + 1) / 50)  # Runboard's warm-up floor
            opt.zero_grad(set_to_none=True)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = model(x, lengths)
            loss = F.cross_entropy(logits.float(), y, label_smoothing=0.1)
            loss.backward()
            opt.step()
            sched.step()
            loss.item()
            (logits.detach().argmax(1) == y).sum().item()
            seconds = time.perf_counter() - t0
            step += 1
            tokens_in = int(lengths.sum())
            pad_slots += x.numel() - tokens_in
            all_slots += x.numel()
            if (epoch > 0) if a.epochs > 1 else step > WARMUP:
                timed_seconds += seconds
                timed_samples += len(y)
                timed_tokens += tokens_in
                timed_steps += 1
        if stopped:
            break
        epochs_done = epoch + 1
        val_accuracy = evaluate(val)  # not timed
    train_seconds = time.perf_counter() - train_start
    test_accuracy = evaluate(test) if epochs_done == a.epochs else None
    sps = round(timed_samples / timed_seconds, 1) if timed_seconds > 0 else None
    tps = round(timed_tokens / timed_seconds, 1) if timed_seconds > 0 else None
    r4 = lambda v: None if v is None else round(v, 4)
    print(json.dumps({
        "mode": "python", "model": "gru", "bucketing": a.bucketing, "precision": a.precision,
        "threads": torch.get_num_threads(), "batch": a.batch, "epochs": epochs_done,
        "steps": step, "timed_steps": timed_steps,
        "samples_per_s": sps, "tokens_per_s": tps,
        "padding": round(pad_slots / all_slots, 4) if all_slots else None,
        "seconds": round(train_seconds, 2), "prep_seconds": round(prep_seconds, 2),
        "train_rows": len(train), "val_rows": len(val), "test_rows": len(test),
        "vocabulary": len(vocab), "val_accuracy": r4(val_accuracy),
        "test_accuracy": r4(test_accuracy)}))


if __name__ == "__main__":
    main()
