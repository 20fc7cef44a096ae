"""Compression of the detector: structured channel pruning, then knowledge distillation
with the full detector as teacher. Writes models/build/detector-small.pt (same format
as train.py's checkpoint, plus the pruned widths), which export_onnx.py exports.

    /usr/bin/python3 models/distill.py [--threads 2] [--workers 2]

Pruning: every layer the student keeps (--keep: all 13 by default, so the receptive
field stays the teacher's 71 px) keeps its channels with the largest L1 norm of
(batch-norm-folded) filter weights, down to --widths; a depthwise layer keeps its
input's channels. The student starts from the kept
weights. Distillation: the loss is (1 - alpha) x the training loss of train.py (soft
neighbour targets) + alpha x T^2 x KL(teacher || student) of the per-cell class
distributions at temperature T, weighted per cell as the targets are; frames, shifts and
photometric augmentation as in train.py.

On a busy machine (`--shift 0 --crop 56`): the teacher's outputs and the targets are
computed once per frame, and each batch trains on one cell-aligned crop of its frames
with the matching cells of those outputs and targets; photometric changes are drawn
every batch as before. The validation F1 (threshold 0.5, float) is measured after every
epoch and the checkpoint keeps the best epoch, so an interrupted run leaves its best
student; the thresholds are then chosen on it. Frames are kept in models/build/ between
runs (`frames-<seed>-<n>.pickle`).

The teacher is models/build/detector.pt (train.py's checkpoint) when present, else the
committed float model models/detector_float.tflite read back (the same network with
batch norm folded).
"""
import argparse
import math
import os
import pickle
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import decode
import net
import scenes
import train

HERE = os.path.dirname(os.path.abspath(__file__))
# output channels of the student's layers 0-12 (layer i of net.DEEP; depthwise entries follow
# their input) and the teacher's layers it keeps: all of them, narrower. These widths fit
# 24 KB only with per-tensor weights (export_onnx.py --per-tensor: 24 bytes less a channel)
WIDTHS = [12, 12, 24, 24, 24, 24, 48, 48, 48, 48, 48, 48, 48]
KEEP = list(range(13))


class Folded(nn.Module):
    """The teacher as the float model holds it: convolutions with bias, ReLU, the head."""

    def __init__(self, layers, head):
        super().__init__()
        self.layers = layers      # [(kind, stride, weight OIHW, bias)]
        self.head = head

    def forward(self, x):
        for kind, stride, w, b in self.layers:
            if w.shape[2] == 3 and stride == 2:
                x = F.pad(x, (0, 1, 0, 1))
            pad = 1 if (w.shape[2] == 3 and stride == 1) else 0
            x = F.relu(F.conv2d(x, w, b, stride, pad, groups=w.shape[0] if kind == "dw" else 1))
        w, b = self.head
        return F.conv2d(x, w, b)


def read_float_tflite(path):
    """Weights of models/detector_float.tflite: [(kind, stride, OIHW, bias)] and the head."""
    buf = open(path, "rb").read()
    u32 = lambda at: struct.unpack_from("<I", buf, at)[0]
    i32 = lambda at: struct.unpack_from("<i", buf, at)[0]

    def field(table, slot):
        vt = table - i32(table)
        if 4 + 2 * slot >= struct.unpack_from("<H", buf, vt)[0]:
            return 0
        off = struct.unpack_from("<H", buf, vt + 4 + 2 * slot)[0]
        return table + off if off else 0

    def ref(table, slot):
        at = field(table, slot)
        return at + u32(at) if at else 0

    def vector(table, slot):
        at = ref(table, slot)
        return (u32(at), at + 4) if at else (0, 0)

    def tables(table, slot):
        n, at = vector(table, slot)
        return [at + 4 * i + u32(at + 4 * i) for i in range(n)]

    root = u32(0)
    buffers = tables(root, 4)
    sg = tables(root, 2)[0]
    tensors = tables(sg, 0)
    codes = [max(struct.unpack_from("<b", buf, field(c, 0))[0] if field(c, 0) else 0,
                 i32(field(c, 3)) if field(c, 3) else 0) for c in tables(root, 1)]

    def tensor(i):
        t = tensors[i]
        n, at = vector(t, 0)
        shape = [i32(at + 4 * k) for k in range(n)]
        b = u32(field(t, 2))
        n, at = vector(buffers[b], 0)
        return np.frombuffer(buf[at:at + n], np.float32).reshape(shape)

    layers = []
    for op in tables(sg, 3):
        code = codes[u32(field(op, 0))]
        n, at = vector(op, 1)
        ins = [i32(at + 4 * k) for k in range(n)]
        if code not in (3, 4):
            continue
        opts = ref(op, 4)
        stride = i32(field(opts, 1)) if field(opts, 1) else 1
        w, b = tensor(ins[1]), tensor(ins[2])
        if code == 4:   # [1, kh, kw, C] -> [C, 1, kh, kw]
            layers.append(("dw", stride, torch.from_numpy(w.transpose(3, 0, 1, 2).copy()), torch.from_numpy(b.copy())))
        else:           # [O, kh, kw, I] -> [O, I, kh, kw]
            layers.append(("conv" if w.shape[1] == 3 else "pw", stride, torch.from_numpy(w.transpose(0, 3, 1, 2).copy()), torch.from_numpy(b.copy())))
    head = layers.pop()
    return layers, (head[2], head[3])


def teacher_layers(args):
    """The teacher's folded layers and head, from the checkpoint or the float model."""
    if os.path.exists(args.teacher):
        ck = torch.load(args.teacher)
        model = net.Detector(ck.get("arch", "deep"))
        model.load_state_dict(ck["state_dict"])
        layers = []
        for m in model.body:
            bn = m.bn
            g = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach()
            layers.append((m.kind, m.stride, m.conv.weight.detach() * g[:, None, None, None],
                           (bn.bias - bn.running_mean * g).detach()))
        return layers, (model.head.weight.detach(), model.head.bias.detach()), f"checkpoint {args.teacher}"
    path = os.path.join(HERE, "detector_float.tflite")
    layers, head = read_float_tflite(path)
    return layers, head, f"float model {path}"


def prune(layers, head, widths, keep):
    """The student, initialized from the teacher's strongest channels (L1 norm)."""
    kept = [layers[i] for i in keep]
    student = net.Detector("deep", widths + [0] * (len(net.DEEP) - len(widths)), keep)
    prev = torch.arange(1)   # input channels of the next layer
    for (kind, stride, w, b), m in zip(kept, student.body):
        if kind == "dw":
            sel = prev
            wk = w[sel]
        else:
            cout = m.conv.out_channels
            sel = torch.argsort(w.abs().sum((1, 2, 3)), descending=True)[:cout].sort().values
            wk = w[sel][:, prev]
        m.conv.weight.data.copy_(wk)
        m.bn.weight.data.fill_(1.0)
        m.bn.bias.data.copy_(b[sel])
        m.bn.running_mean.data.zero_()
        m.bn.running_var.data.fill_(1.0 - m.bn.eps)
        prev = sel
    student.head.weight.data.copy_(head[0][:, prev])
    student.head.bias.data.copy_(head[1])
    return student


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-frames", type=int, default=30000)
    ap.add_argument("--val-frames", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--widths", default=",".join(map(str, WIDTHS)),
                    help="output channels of the teacher's layers 0, 1, ... (depthwise entries follow their input)")
    ap.add_argument("--keep", default=",".join(map(str, KEEP)), help="the teacher's layers the student keeps")
    ap.add_argument("--schedule", default="cosine", choices=["cosine", "onecycle"],
                    help="learning rate: cosine decay after a linear warm-up, or one-cycle")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--alpha", type=float, default=0.7, help="weight of the distillation term")
    ap.add_argument("--temperature", type=float, default=2.0)
    ap.add_argument("--shift", type=int, default=7,
                    help="random shift of each training frame, up to this many pixels; 0: no shifts, and the "
                         "teacher's outputs and the targets are computed once per frame (on the frame without "
                         "photometric changes), which saves the teacher's pass on every batch")
    ap.add_argument("--crop", type=int, default=0,
                    help="with --shift 0: train on random crops of this many pixels (a multiple of 8) at "
                         "cell boundaries, with the matching cells of the whole frame's targets and teacher "
                         "outputs: about (96/crop)^2 times cheaper per frame, and the teacher saw the whole frame")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--teacher", default=os.path.join(HERE, "build", "detector.pt"))
    ap.add_argument("--out", default=os.path.join(HERE, "build", "detector-small.pt"))
    ap.add_argument("--init", default=None,
                    help="start from this student checkpoint (same widths) instead of the pruned teacher: "
                         "continues an earlier run with a new schedule")
    args = ap.parse_args()
    args.widths = [int(v) for v in args.widths.split(",")]
    args.keep = [int(v) for v in args.keep.split(",")]
    if args.crop and (args.shift or args.crop % scenes.CELL or not 0 < args.crop <= scenes.SIZE):
        ap.error("--crop needs --shift 0 and a multiple of 8 up to 96")
    torch.set_num_threads(args.threads)
    torch.manual_seed(train.TORCH_SEED)

    layers, head, source = teacher_layers(args)
    teacher = Folded(layers, head).eval()
    student = prune(layers, head, args.widths, args.keep).to(memory_format=torch.channels_last)
    if args.init:
        student.load_state_dict(torch.load(args.init)["state_dict"])
        source += f"; student from {args.init}"
    print(f"teacher: {source}; student widths {args.widths}, layers {args.keep}, "
          f"{sum(p.numel() for p in student.parameters())} parameters", flush=True)

    t0 = time.time()
    frames, truths = cached_frames(args.train_frames, train.TRAIN_SEED, args.workers)
    val_frames, val_truths = cached_frames(args.val_frames, train.VAL_SEED, args.workers)
    print(f"generated {len(frames)} training and {len(val_frames)} validation frames in {time.time() - t0:.0f} s", flush=True)
    p, r, f = decode.f1(*train.evaluate(train.predict(student, val_frames), val_truths, 0.5))
    print(f"{'initial' if args.init else 'pruned'}, before fine-tuning: val F1 {f:.3f}", flush=True)

    opt = torch.optim.AdamW(student.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * (len(frames) // args.batch)
    if args.schedule == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    else:
        warm = max(1, steps // 20)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda k: (k + 1) / warm if k < warm else 0.5 * (1 + math.cos(math.pi * (k - warm) / (steps - warm))))
    best = -1.0
    order_rng = np.random.default_rng(train.TORCH_SEED)
    aug_rng = np.random.default_rng(train.TORCH_SEED + 1)
    aug_gen = torch.Generator().manual_seed(train.TORCH_SEED + 2)
    T = args.temperature
    if not args.shift:
        t1 = time.time()
        with torch.no_grad():
            teacher_soft = torch.cat([F.softmax(teacher(train.to_input(frames[i:i + 250])) / T, 1)
                                      for i in range(0, len(frames), 250)])
        targets = [train.soft_targets(truths[i:i + 250], 2.0) for i in range(0, len(frames), 250)]
        targets_p, targets_w = torch.cat([a for a, _ in targets]), torch.cat([b for _, b in targets])
        print(f"teacher outputs and targets of {len(frames)} frames in {time.time() - t1:.0f} s", flush=True)
    for epoch in range(args.epochs):
        student.train()
        order = order_rng.permutation(len(frames))
        total, t1 = 0.0, time.time()
        for b in range(len(frames) // args.batch):
            idx = order[b * args.batch:(b + 1) * args.batch]
            if args.shift:
                batch, batch_truths = train.shifted_batch(frames[idx], [truths[i] for i in idx], aug_rng, args.shift)
                x = train.photometric(train.to_input(batch), aug_gen)
                probs_t, w = train.soft_targets(batch_truths, 2.0)
                with torch.no_grad():
                    soft = F.softmax(teacher(x) / T, 1)
            else:
                t_idx = torch.from_numpy(idx)
                probs_t, w, soft = targets_p[t_idx], targets_w[t_idx], teacher_soft[t_idx]
                if args.crop and args.crop < scenes.SIZE:
                    # one cell-aligned crop per batch: the stride-2 layers pad only after, so the
                    # cells inside a crop at a multiple of 8 see what they see in the whole frame
                    # except near the crop's edges
                    cells, k = args.crop // scenes.CELL, scenes.GRID - args.crop // scenes.CELL + 1
                    cy, cx = (int(v) for v in aug_rng.integers(0, k, 2))
                    y, x0 = cy * scenes.CELL, cx * scenes.CELL
                    batch = frames[idx, y:y + args.crop, x0:x0 + args.crop]
                    probs_t, w, soft = (v[..., cy:cy + cells, cx:cx + cells] for v in (probs_t, w, soft))
                else:
                    batch = frames[idx]
                x = train.photometric(train.to_input(np.ascontiguousarray(batch)), aug_gen)
            logits = student(x)
            hard = (-(probs_t * F.log_softmax(logits, 1)).sum(1) * w).sum() / w.sum()
            kd = ((soft * (torch.log(soft + 1e-9) - F.log_softmax(logits / T, 1))).sum(1) * w).sum() / w.sum()
            loss = (1 - args.alpha) * hard + args.alpha * T * T * kd
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
            if (b + 1) % 50 == 0:
                print(f"  batch {b + 1}/{len(frames) // args.batch} loss {total / (b + 1):.4f} "
                      f"({time.time() - t1:.0f} s)", flush=True)
        p, r, f = decode.f1(*train.evaluate(train.predict(student, val_frames), val_truths, 0.5))
        print(f"epoch {epoch + 1}/{args.epochs} loss {total / (b + 1):.4f} val P {p:.3f} R {r:.3f} F1 {f:.3f} "
              f"({time.time() - t1:.0f} s){'  best' if f > best else ''}", flush=True)
        if f > best:   # the best epoch on validation frames is what an interrupted run leaves
            best = f
            save(args, student, 0.5, f, epoch=epoch + 1)
    ck = torch.load(args.out)
    student.load_state_dict(ck["state_dict"])
    print(f"best epoch {ck['epoch']} (val F1 {best:.3f} at 0.5)", flush=True)
    probs = train.predict(student, val_frames)
    threshold, class_thresholds, val_f1 = train.choose_thresholds(probs, val_truths)
    print(f"threshold {threshold}, per digit {class_thresholds[1:]}: validation F1 {val_f1:.3f}; total {time.time() - t0:.0f} s")
    save(args, student, threshold, val_f1, class_thresholds, epoch=ck["epoch"])


def cached_frames(n, seed, workers):
    """train.generate's frames and truths, kept in models/build/ so that a second run
    (another student, another schedule) does not generate them again."""
    path = os.path.join(HERE, "build", f"frames-{seed}-{n}.pickle")
    build = os.path.join(HERE, "build")
    larger = [int(f.split("-")[2].split(".")[0]) for f in os.listdir(build)
              if f.startswith(f"frames-{seed}-") and f.endswith(".pickle")] if os.path.isdir(build) else []
    larger = [m for m in larger if m >= n and (m == n or n % train.CHUNK == 0)]
    if larger:   # chunk i always has the same seed, so the first n frames of a larger set are these
        with open(os.path.join(build, f"frames-{seed}-{min(larger)}.pickle"), "rb") as f:
            frames, truths = pickle.load(f)
        return frames[:n], truths[:n]
    frames, _, truths = train.generate(n, seed, workers)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "wb") as f:
        pickle.dump((frames, truths), f, protocol=4)
    os.replace(path + ".tmp", path)
    return frames, truths


def save(args, model, threshold, val_f1, class_thresholds=None, epoch=None):
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    torch.save({"state_dict": model.state_dict(), "arch": "deep", "widths": args.widths, "keep": args.keep,
                "threshold": threshold, "class_thresholds": class_thresholds, "val_f1": val_f1, "epoch": epoch,
                "args": vars(args), "distilled_from": args.teacher}, args.out)


if __name__ == "__main__":
    main()
