"""FOMO decoding and scoring, the same rules as tools/detector.ts.

Decoding: a cell is positive for the digit whose probability is highest among the ten
digits when that probability is at least that digit's threshold (`class_thresholds`,
indexed by label with entry 0, background, null; `threshold` for a digit without one).
8-connected positive cells of the same digit form one object, reported at the
probability-weighted mean of the cell centres. Scoring: per class, detections (highest
score first) take the nearest unmatched truth of the same class whose centroid is within
8 px; each truth is matched at most once.
"""
import numpy as np

CELL = 8
MATCH_PX = 8.0


def thresholds_per_digit(threshold, class_thresholds=None):
    """[10] thresholds for digits 0..9 from the fallback and the per-label list."""
    per = [threshold] * 10
    if class_thresholds is not None:
        per = [threshold if t is None else t for t in class_thresholds[1:]]
    return np.asarray(per, np.float64)


def decode(probs, threshold, class_thresholds=None):
    """probs: [12,12,11] float. Returns [(x, y, digit, score)]."""
    g = probs.shape[0]
    digit = probs[:, :, 1:].argmax(-1)
    p = probs[:, :, 1:].max(-1)
    pos = p >= thresholds_per_digit(threshold, class_thresholds)[digit]
    seen = np.zeros_like(pos)
    out = []
    for r in range(g):
        for c in range(g):
            if not pos[r, c] or seen[r, c]:
                continue
            d = digit[r, c]
            stack, cells = [(r, c)], []
            seen[r, c] = True
            while stack:
                y, x = stack.pop()
                cells.append((y, x))
                for dy in (-1, 0, 1):
                    for dx in (-1, 0, 1):
                        yy, xx = y + dy, x + dx
                        if 0 <= yy < g and 0 <= xx < g and pos[yy, xx] and not seen[yy, xx] and digit[yy, xx] == d:
                            seen[yy, xx] = True
                            stack.append((yy, xx))
            w = np.array([p[y, x] for y, x in cells])
            ys = np.array([(y + 0.5) * CELL for y, _ in cells])
            xs = np.array([(x + 0.5) * CELL for _, x in cells])
            out.append((float((w * xs).sum() / w.sum()), float((w * ys).sum() / w.sum()), int(d), float(w.max())))
    return out


def score(dets_per_frame, truths_per_frame, classes=10):
    """Returns tp, fp, fn arrays per digit."""
    tp, fp, fn = np.zeros(classes, int), np.zeros(classes, int), np.zeros(classes, int)
    for dets, truths in zip(dets_per_frame, truths_per_frame):
        used = [False] * len(truths)
        for x, y, d, _s in sorted(dets, key=lambda t: -t[3]):
            best, bi = MATCH_PX, -1
            for i, (tx, ty, td) in enumerate(truths):
                if not used[i] and td == d:
                    dist = np.hypot(x - tx, y - ty)
                    if dist <= best:
                        best, bi = dist, i
            if bi >= 0:
                used[bi] = True
                tp[d] += 1
            else:
                fp[d] += 1
        for i, (_x, _y, td) in enumerate(truths):
            if not used[i]:
                fn[td] += 1
    return tp, fp, fn


def f1(tp, fp, fn):
    tp, fp, fn = int(np.sum(tp)), int(np.sum(fp)), int(np.sum(fn))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)
