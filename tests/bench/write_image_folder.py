#!/usr/bin/python3
"""Fashion-MNIST (Debian's dataset-fashion-mnist) written out as an image folder of PNG files.

  write_image_folder.py OUT [--per-class N] [--test-per-class M] [--size S]

OUT/train/<class>/<index>.png and OUT/test/<class>/<index>.png, 8-bit gray, the class folders
named as the classes ("T-shirt_top", "Trouser", ...); the first N training and M test images of
each class (all by default). --size S upscales by pixel repetition (for a larger-image run).
PNGs are written with zlib alone: no PIL needed.
"""
import argparse
import gzip
import os
import struct
import zlib

CLASSES = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle_boot"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def png(width, height, rows):
    raw = b"".join(b"\x00" + r for r in rows)

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--per-class", type=int, default=0)
    p.add_argument("--test-per-class", type=int, default=0)
    p.add_argument("--size", type=int, default=28)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    a = p.parse_args()
    for part, prefix, limit in [("train", "train", a.per_class), ("test", "t10k", a.test_per_class)]:
        (n, h, w), pixels = read_idx(f"{a.data}/{prefix}-images-idx3-ubyte.gz")
        _, labels = read_idx(f"{a.data}/{prefix}-labels-idx1-ubyte.gz")
        counts = [0] * 10
        for c in CLASSES:
            os.makedirs(f"{a.out}/{part}/{c}", exist_ok=True)
        scale = max(1, a.size // w)
        for i in range(n):
            k = labels[i]
            if limit and counts[k] >= limit:
                continue
            counts[k] += 1
            img = pixels[i * h * w:(i + 1) * h * w]
            rows = []
            for y in range(h):
                row = bytes(v for v in img[y * w:(y + 1) * w] for _ in range(scale))
                rows.extend([row] * scale)
            with open(f"{a.out}/{part}/{CLASSES[k]}/{i:05d}.png", "wb") as f:
                f.write(png(w * scale, h * scale, rows))


if __name__ == "__main__":
    main()
