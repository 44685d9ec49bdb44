"""tensor_variants.py IN_DIR OUT_DIR: held-out evaluation tensors for the quantize test.

For each [1,3,H,W] .npy tensor in IN_DIR (written by `cross_pictures preprocess`,
ImageNet-normalized) writes OUT_DIR/<name>.<variant>.npy: the tensor itself, its
mirror image, shifts by 1/8 of the side (edge pixels repeated), and brightness
and contrast changes made in pixel space. numpy only (run in .venv-quant).
"""
import os
import sys

import numpy as np

MEAN = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)


def pixels(t, fn):
    return ((np.clip(fn(t * STD + MEAN), 0, 1) - MEAN) / STD).astype(np.float32)


def shift(t, dy, dx):
    h, w = t.shape[2:]
    p = np.pad(t, ((0, 0), (0, 0), (abs(dy), abs(dy)), (abs(dx), abs(dx))), mode="edge")
    return np.ascontiguousarray(p[:, :, abs(dy) - dy:abs(dy) - dy + h, abs(dx) - dx:abs(dx) - dx + w])


def variants(t):
    s = t.shape[2] // 8
    yield "orig", t
    yield "flip", np.ascontiguousarray(t[:, :, :, ::-1])
    for name, (dy, dx) in {"up": (-s, 0), "down": (s, 0), "left": (0, -s), "right": (0, s)}.items():
        yield name, shift(t, dy, dx)
    yield "dark", pixels(t, lambda x: x * 0.75)
    yield "bright", pixels(t, lambda x: x * 1.2 + 0.05)
    yield "lowcontrast", pixels(t, lambda x: (x - 0.5) * 0.7 + 0.5)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    os.makedirs(dst, exist_ok=True)
    for name in sorted(n for n in os.listdir(src) if n.endswith(".npy")):
        for variant, t in variants(np.load(os.path.join(src, name))):
            np.save(os.path.join(dst, f"{name[:-4]}.{variant}.npy"), t)


if __name__ == "__main__":
    main()
