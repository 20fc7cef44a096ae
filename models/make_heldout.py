"""Writes the held-out test set: frames built only from held-out digits, own seed.

    /usr/bin/python3 models/make_heldout.py

models/data/heldout.bin   N frames of 96x96 uint8 grayscale, row-major, concatenated
models/data/heldout.json  {seed, frames, width, height, classes, truths: per frame
                           [[x, y, digit], ...] with x, y the ink centroid in pixels}
"""
import json
import os

import scenes

HELDOUT_SEED = 3
FRAMES = 200
HERE = os.path.dirname(os.path.abspath(__file__))

if __name__ == "__main__":
    _, held_pool = scenes.load_pools()
    frames, truths = scenes.make_set(HELDOUT_SEED, held_pool, FRAMES)
    os.makedirs(os.path.join(HERE, "data"), exist_ok=True)
    frames.tofile(os.path.join(HERE, "data", "heldout.bin"))
    doc = {"seed": HELDOUT_SEED, "frames": FRAMES, "width": scenes.SIZE, "height": scenes.SIZE,
           "classes": scenes.CLASSES,
           "truths": [[[round(x, 2), round(y, 2), d] for x, y, d in t] for t in truths]}
    with open(os.path.join(HERE, "data", "heldout.json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    print(f"{FRAMES} frames, {sum(len(t) for t in truths)} digits")
