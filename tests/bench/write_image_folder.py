#!/usr/bin/python3
"""Fashion-MNIST (Debian's dataset-fashion-mnist) written out as an image folder.

  write_image_folder.py OUT [--per-class N] [--test-per-class M] [--size S]
                            [--format png|jpeg] [--rgb] [--quality Q]

OUT/train/<class>/<index>.<ext> and OUT/test/<class>/<index>.<ext>, the class folders named as
the classes ("T-shirt_top", "Trouser", ...); the first N training and M test images of each class
(all by default). --size S scales the 28x28 images to SxS by nearest neighbour (pixel repetition
when S is a multiple of 28). --rgb writes 3 channels (the gray value in each) instead of 8-bit
gray. PNGs are written with zlib alone (no PIL needed); --format jpeg uses PIL (python3-pil, a
dependency of python3-torchvision) at --quality (90), baseline, PIL's default 4:2:0 chroma
subsampling for RGB. The output is deterministic: the same arguments give the same bytes.
"""
import argparse
import gzip
import os
import struct
import zlib

import numpy as np

CLASSES = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle_boot"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def png(pixels):
    """An 8-bit PNG of pixels, a uint8 array of shape (H, W) (gray) or (H, W, 3) (RGB)."""
    height, width = pixels.shape[:2]
    colour = 2 if pixels.ndim == 3 else 0
    rows = pixels.reshape(height, -1)
    raw = np.concatenate([np.zeros((height, 1), np.uint8), rows], axis=1).tobytes()

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--per-class", type=int, default=0)
    p.add_argument("--test-per-class", type=int, default=0)
    p.add_argument("--size", type=int, default=28)
    p.add_argument("--format", choices=["png", "jpeg"], default="png")
    p.add_argument("--rgb", action="store_true", help="3 channels instead of 8-bit gray")
    p.add_argument("--quality", type=int, default=90, help="JPEG quality")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    a = p.parse_args()
    if a.format == "jpeg":
        from PIL import Image  # only for JPEG: PNGs need nothing beyond zlib
    ext = "png" if a.format == "png" else "jpg"
    for part, prefix, limit in [("train", "train", a.per_class), ("test", "t10k", a.test_per_class)]:
        (n, h, w), pixels = read_idx(f"{a.data}/{prefix}-images-idx3-ubyte.gz")
        _, labels = read_idx(f"{a.data}/{prefix}-labels-idx1-ubyte.gz")
        images = np.frombuffer(pixels, np.uint8).reshape(n, h, w)
        counts = [0] * 10
        for c in CLASSES:
            os.makedirs(f"{a.out}/{part}/{c}", exist_ok=True)
        ys = np.arange(a.size) * h // a.size  # nearest neighbour: source row and column
        xs = np.arange(a.size) * w // a.size
        for i in range(n):
            k = labels[i]
            if limit and counts[k] >= limit:
                continue
            counts[k] += 1
            img = images[i][np.ix_(ys, xs)]
            if a.rgb:
                img = np.repeat(img[:, :, None], 3, axis=2)
            path = f"{a.out}/{part}/{CLASSES[k]}/{i:05d}.{ext}"
            if a.format == "png":
                with open(path, "wb") as f:
                    f.write(png(np.ascontiguousarray(img)))
            else:
                Image.fromarray(np.ascontiguousarray(img), "RGB" if a.rgb else "L").save(
                    path, "JPEG", quality=a.quality)


if __name__ == "__main__":
    main()
