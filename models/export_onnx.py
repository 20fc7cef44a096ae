"""The detector from PyTorch to the app: ONNX, then our converter (npx xs-tinyml convert)
does the rest (batch norm folding, calibration, int8, the flatbuffer).

    /usr/bin/python3 models/export_onnx.py [--checkpoint models/build/detector.pt] [--name detector]

1. The trained network (train.py's or distill.py's checkpoint; without one, the weights of
   the committed float model models/<name>_float.tflite, the same network with batch norm
   folded) is exported with torch.onnx.export (opset 13) to models/build/<name>.onnx, with a
   softmax over the labels at the end and short tensor names (the names travel into the
   .tflite).
2. The calibration frames (300 frames of seed 4 from training digits, as before) are
   written as PGM images to models/build/calibration/, and the description (labels, input
   meaning, output layout, decoding rule and the thresholds chosen on validation frames)
   to models/build/<name>-description.json.
3. `node dist/host-sim/node/cli.js convert` (build first: npx tsc -p .) writes
   models/<name>.tflite (int8, min/max calibration on those frames: the input is the pixel
   minus 128) and models/<name>_float.tflite, and its JSON report becomes the quantization
   part of models/<name>.json.
"""
import argparse
import json
import os
import subprocess

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

import net
import scenes

CALIB_SEED = 4
CALIB_FRAMES = 300
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


class WithSoftmax(nn.Module):
    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return F.softmax(self.body(x), 1)


def network(args):
    """(module, threshold, class_thresholds, where the weights came from)."""
    if args.checkpoint and os.path.exists(args.checkpoint):
        ck = torch.load(args.checkpoint)
        model = net.Detector(ck.get("arch", "small"), ck.get("widths"), ck.get("keep"))
        model.load_state_dict(ck["state_dict"])
        return model.eval(), ck["threshold"], ck.get("class_thresholds"), f"checkpoint {args.checkpoint}"
    import distill   # reads the committed float model back
    path = os.path.join(HERE, f"{args.name}_float.tflite")
    layers, head = distill.read_float_tflite(path)
    with open(os.path.join(HERE, f"{args.name}.json")) as f:
        dec = json.load(f)["decode"]
    return distill.Folded(layers, head).eval(), dec["threshold"], dec.get("class_thresholds"), f"float model {path}"


def short_names(path):
    """Value names t0, t1, ... and w0, w1, ... so the .tflite's tensor names stay short."""
    m = onnx.load(path)
    g = m.graph
    keep = {v.name for v in list(g.input) + list(g.output)}
    rename = {}
    for i, init in enumerate(g.initializer):
        rename[init.name] = f"w{i}"
    k = 0
    for node in g.node:
        for o in node.output:
            if o not in keep and o not in rename:
                rename[o] = f"t{k}"
                k += 1
    for init in g.initializer:
        init.name = rename[init.name]
    for node in g.node:
        node.input[:] = [rename.get(x, x) for x in node.input]
        node.output[:] = [rename.get(x, x) for x in node.output]
        node.name = ""
    for v in g.value_info:
        v.name = rename.get(v.name, v.name)
    onnx.checker.check_model(m)
    onnx.save(m, path)


def describe(threshold, class_thresholds, name):
    from decode_rule import decode_rule
    return {
        "name": "xs-tinyml digit detector" + ("" if name == "detector" else f" ({name})"),
        "version": 1,
        "kind": "fomo",
        "labels": scenes.CLASSES,
        "input": {"shape": [1, scenes.SIZE, scenes.SIZE, 1], "layout": "NHWC",
                  "meaning": "grayscale frame, 0 black .. 255 white, row-major", "type": "int8", "range": [0, 1],
                  "encoding": "q = pixel - 128 (scale 1/255, zero point -128)"},
        "output": {"shape": [1, scenes.GRID, scenes.GRID, len(scenes.CLASSES)],
                   "meaning": "per cell class probabilities (softmax over labels); cell (row, col) covers "
                              "pixels [8*row, 8*row+8) x [8*col, 8*col+8)",
                   "cell_px": scenes.CELL},
        "decode": decode_rule(threshold, class_thresholds),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=None, help="default: models/build/<name>.pt")
    ap.add_argument("--name", default="detector", help="detector or detector-small")
    ap.add_argument("--method", default="minmax", help="calibration method of the converter")
    ap.add_argument("--per-tensor", action="store_true",
                    help="one weight scale per convolution (24 bytes less per channel), after cross-layer "
                         "equalization, with bias correction: convert --per-tensor --equalize --bias-correction")
    args = ap.parse_args()
    if args.checkpoint is None:
        args.checkpoint = os.path.join(HERE, "build", f"{args.name}.pt")
    build = os.path.join(HERE, "build")
    os.makedirs(build, exist_ok=True)
    model, threshold, class_thresholds, source = network(args)
    onnx_path = os.path.join(build, f"{args.name}.onnx")
    torch.onnx.export(WithSoftmax(model), torch.zeros(1, 1, scenes.SIZE, scenes.SIZE), onnx_path, opset_version=13,
                      input_names=["input"], output_names=["scores"], do_constant_folding=True)
    short_names(onnx_path)
    print(f"{onnx_path}: from the {source}")

    train_pool, _ = scenes.load_pools()
    calib, _ = scenes.make_set(CALIB_SEED, train_pool, CALIB_FRAMES)
    cal_dir = os.path.join(build, "calibration")
    os.makedirs(cal_dir, exist_ok=True)
    for i, frame in enumerate(calib):
        with open(os.path.join(cal_dir, f"frame{i:03d}.pgm"), "wb") as f:
            f.write(b"P5\n%d %d\n255\n" % (scenes.SIZE, scenes.SIZE) + frame.tobytes())
    doc = describe(threshold, class_thresholds, args.name)
    desc_path = os.path.join(build, f"{args.name}-description.json")
    with open(desc_path, "w") as f:
        json.dump(doc, f)

    cli = os.path.join(ROOT, "dist", "host-sim", "node", "cli.js")
    out = os.path.join(HERE, f"{args.name}.tflite")
    flt = os.path.join(HERE, f"{args.name}_float.tflite")
    tmp_float = os.path.join(build, f"{args.name}_float.tflite")
    r = subprocess.run(["node", cli, "convert", onnx_path, "--calibration", cal_dir, "--out", out, "--float", tmp_float,
                        "--method", args.method, "--description", desc_path, "--json"]
                       + (["--per-tensor", "--equalize", "--bias-correction"] if args.per_tensor else []),
                       check=True, capture_output=True, text=True)
    os.replace(tmp_float, flt)
    report = json.loads(r.stdout)
    print(f"{out}: {report['int8_bytes']} bytes, {report['macs']} MACs, arena {report['arena_bytes']} (32-bit); "
          f"output SQNR {report['outputs'][0]['sqnr_db']:.1f} dB; {flt}: {report['float_bytes']} bytes")
    sidecar = dict(doc)
    sidecar["files"] = {"int8": f"{args.name}.tflite", "float32": f"{args.name}_float.tflite"}
    sidecar["float_input"] = {**doc["input"], "type": "float32", "encoding": "pixel / 255"}
    sidecar["quantization"] = [{"tensor": l["tensor"], "op": l["op"], "output_scale": l["scale"],
                                "output_zero_point": l["zero_point"], "sqnr_db": round(l["sqnr_db"], 2)}
                               for l in report["layers"]]   # worst SQNR first
    sidecar["calibration"] = {"seed": CALIB_SEED, "frames": CALIB_FRAMES, "digits": "training pool",
                              "method": report["calibration"]["method"], "converter": "npx xs-tinyml convert"}
    if args.per_tensor:
        sidecar["calibration"].update({"weights": "per tensor", "equalized_pairs": report["calibration"]["equalized_pairs"],
                                       "bias_correction": True})
    sidecar["source"] = source
    with open(os.path.join(HERE, f"{args.name}.json"), "w") as f:
        json.dump(sidecar, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
