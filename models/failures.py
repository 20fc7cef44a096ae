"""Breaks the float model's held-out errors down by cause (for the model card).

    /usr/bin/python3 models/failures.py [--checkpoint models/build/detector.pt]

False positives: wrong digit on a true digit (within 8 px of a truth of another class),
or on no digit at all (distractor strokes, clutter). Missed digits: by digit, by ink
contrast as seen in the frame, and whether a wrong-class detection sat on them.
"""
import argparse
import json
import os

import numpy as np
import torch

import decode
import net
import train

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=os.path.join(HERE, "build", "detector.pt"))
    args = ap.parse_args()
    ck = torch.load(args.checkpoint)
    model = net.Detector(ck.get("arch", "small"))
    model.load_state_dict(ck["state_dict"])
    doc = json.load(open(os.path.join(HERE, "data", "heldout.json")))
    frames = np.fromfile(os.path.join(HERE, "data", "heldout.bin"), np.uint8).reshape(-1, 96, 96)
    truths = [[tuple(t) for t in f] for f in doc["truths"]]
    probs = train.predict(model, frames)
    confusion, spurious, missed, missed_confused = {}, 0, 0, 0
    contrast_all, contrast_missed, missed_by_digit = [], [], [0] * 10
    for frame, p, tr in zip(frames, probs, truths):
        dets = decode.decode(p, ck["threshold"], ck.get("class_thresholds"))
        used = [False] * len(tr)
        for x, y, d, s in sorted(dets, key=lambda t: -t[3]):
            near = [(np.hypot(x - tx, y - ty), i) for i, (tx, ty, td) in enumerate(tr) if td == d and not used[i]]
            near = [n for n in near if n[0] <= decode.MATCH_PX]
            if near:
                used[min(near)[1]] = True
                continue
            other = [td for tx, ty, td in tr if td != d and np.hypot(x - tx, y - ty) <= decode.MATCH_PX]
            if other:
                confusion[(other[0], d)] = confusion.get((other[0], d), 0) + 1
            else:
                spurious += 1
        for i, (tx, ty, td) in enumerate(tr):
            contrast_all.append(ink_contrast(frame, tx, ty))
            if not used[i]:
                missed += 1
                missed_by_digit[td] += 1
                contrast_missed.append(contrast_all[-1])
                if any(np.hypot(x - tx, y - ty) <= decode.MATCH_PX for x, y, d, s in dets):
                    missed_confused += 1
    print(f"false positives: {sum(confusion.values())} wrong digit on a true digit, {spurious} on no digit")
    print("confusions (true -> reported): " + ", ".join(f"{a}->{b}: {n}" for (a, b), n in
                                                        sorted(confusion.items(), key=lambda kv: -kv[1])[:8]))
    print(f"missed digits: {missed}, of which {missed_confused} had a wrong-digit detection on them; "
          "by digit: " + ", ".join(f"{d}: {n}" for d, n in enumerate(missed_by_digit)))
    edges = [0, 40, 70, 100, 256]
    all_h, missed_h = np.histogram(contrast_all, edges)[0], np.histogram(contrast_missed, edges)[0]
    print("missed by ink contrast (frame median minus the darkest 5% within 8 px of the centroid): " +
          ", ".join(f"{lo}-{hi}: {m}/{a}" for lo, hi, m, a in zip(edges, edges[1:], missed_h, all_h)))


def ink_contrast(frame, x, y, r=8):
    """How much darker than the frame the digit's ink is, in grey levels, after the camera."""
    patch = frame[max(int(y) - r, 0):int(y) + r + 1, max(int(x) - r, 0):int(x) + r + 1]
    return float(np.median(frame)) - float(np.percentile(patch, 5))


if __name__ == "__main__":
    main()
