"""Our own int8 export: models/build/detector.pt -> models/detector.tflite (int8),
models/detector_float.tflite (float32, the same graph) and models/detector.json.

    /usr/bin/python3 models/export_tflite.py [--check]

- batch norm folded into each convolution's weights and bias;
- weights int8 per output channel, symmetric (zero point 0, range -127..127);
  biases int32 with scale input_scale * weight_scale[c];
- activations int8 per tensor, asymmetric, range calibrated (min/max) on calibration
  frames built from training digits with their own seed; the input is the raw pixel
  (scale 1/255, zero point -128: q = pixel - 128); SOFTMAX output 1/256, -128 as TFLite
  requires;
- written with models/tflite_writer.py: CONV_2D, DEPTHWISE_CONV_2D, SOFTMAX only;
- the decoding thresholds chosen on validation frames (one, and one per digit when the
  checkpoint has them) go into the description and the sidecar.

--check runs the committed core (build/host/xtml) on calibration frames and compares
its int8 output with a numpy simulation of TFLite's integer arithmetic.
"""
import argparse
import json
import os
import subprocess
import tempfile

import numpy as np
import torch

import net
import scenes
import tflite_writer as tw

CALIB_SEED = 4
CALIB_FRAMES = 300
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def fold(model):
    """[(kind, stride, weight OIHW float64, bias float64, relu)] with batch norm folded."""
    layers = []
    for m in model.body:
        w = m.conv.weight.detach().double().numpy()
        bn = m.bn
        g = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach().double().numpy()
        b = (bn.bias.detach().double().numpy() - bn.running_mean.detach().double().numpy() * g)
        layers.append((m.kind, m.stride, w * g[:, None, None, None], b, True))
    h = model.head
    layers.append(("pw", 1, h.weight.detach().double().numpy(), h.bias.detach().double().numpy(), False))
    return layers


def same_pad(x, k, stride):
    """NHWC zero padding as TFLite SAME."""
    if k == 1:
        return x
    n, hgt, wid, c = x.shape
    out = -(-hgt // stride)
    total = max((out - 1) * stride + k - hgt, 0)
    before = total // 2
    return np.pad(x, ((0, 0), (before, total - before), (before, total - before), (0, 0)))


def patches(x, k, stride):
    """NHWC -> [n, oh, ow, k, k, c] windows (x already padded)."""
    n, hgt, wid, c = x.shape
    oh, ow = (hgt - k) // stride + 1, (wid - k) // stride + 1
    s = x.strides
    return np.lib.stride_tricks.as_strided(x, (n, oh, ow, k, k, c), (s[0], s[1] * stride, s[2] * stride, s[1], s[2], s[3]))


def conv_acc(x, kind, stride, w):
    """Generic conv on NHWC with weights OIHW (dw: [C,1,k,k]); dtype follows x."""
    k = w.shape[2]
    p = patches(same_pad(x, k, stride), k, stride)
    if kind == "dw":
        return np.einsum("nhwijc,cij->nhwc", p, w[:, 0], optimize=True)
    return np.einsum("nhwijc,ocij->nhwo", p, w, optimize=True)


def float_forward(layers, x, record=None):
    """x: NHWC float64 pixels/255. Returns logits NHWC."""
    for i, (kind, stride, w, b, relu) in enumerate(layers):
        x = conv_acc(x, kind, stride, w) + b
        if relu:
            x = np.maximum(x, 0)
        if record is not None:
            record.append(x)
    return x


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# ---- TFLite's integer arithmetic (reference kernels) ----
def quantize_multiplier(m):
    if m == 0:
        return 0, 0
    q, shift = np.frexp(m)
    qf = int(round(q * (1 << 31)))
    if qf == 1 << 31:
        qf //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return qf, int(shift)


def srdhm(a, b):
    ab = a.astype(np.int64) * np.int64(b)
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    return np.where(s >= 0, s // (1 << 31), -((-s) // (1 << 31)))   # C division truncates


def rdbpot(x, e):
    if e == 0:
        return x
    mask = (1 << e) - 1
    rem = x & mask
    thr = (mask >> 1) + (x < 0)
    return (x >> e) + (rem > thr)


def requantize(acc, mults, shifts):
    out = np.empty_like(acc)
    for c in range(acc.shape[-1]):
        a = acc[..., c]
        left = max(shifts[c], 0)
        out[..., c] = rdbpot(srdhm(a * (1 << left), mults[c]), max(-shifts[c], 0))
    return out


def f32(x):
    return float(np.float32(x))


def quantize_model(layers, calib):
    """Calibrate and quantize. Returns the int8 description of every layer."""
    record = []
    float_forward(layers, calib, record)
    q_layers = []
    in_scale, in_zp = f32(1 / 255), -128
    for (kind, stride, w, b, relu), act in zip(layers, record):
        lo, hi = (0.0, float(act.max())) if relu else (float(min(act.min(), 0)), float(max(act.max(), 0)))
        out_scale = f32((hi - lo) / 255)
        out_zp = int(np.clip(round(-128 - lo / out_scale), -128, 127))
        amax = np.abs(w).reshape(w.shape[0], -1).max(1)
        w_scale = np.array([f32(max(a, 1e-12) / 127) for a in amax])
        wq = np.clip(np.rint(w / w_scale[:, None, None, None]), -127, 127).astype(np.int8)
        bq = np.rint(b / (np.float64(in_scale) * w_scale)).astype(np.int64)
        assert np.all(np.abs(bq) < 2 ** 31)
        mults, shifts = zip(*[quantize_multiplier(in_scale * s / out_scale) for s in w_scale])
        q_layers.append(dict(kind=kind, stride=stride, relu=relu, w=wq, w_scale=w_scale, b=bq.astype(np.int32),
                             in_scale=in_scale, in_zp=in_zp, out_scale=out_scale, out_zp=out_zp,
                             mults=mults, shifts=shifts, w_float=w, b_float=b))
        in_scale, in_zp = out_scale, out_zp
    return q_layers


def int8_forward(q_layers, pixels):
    """pixels uint8 [n,96,96]. Returns (int8 logits NHWC, softmax probabilities from them)."""
    x = (pixels.astype(np.int64) - 128)[..., None]
    for L in q_layers:
        xin = x - L["in_zp"]
        acc = conv_acc(xin, L["kind"], L["stride"], L["w"].astype(np.int64)) + L["b"].astype(np.int64)
        y = requantize(acc, L["mults"], L["shifts"]) + L["out_zp"]
        x = np.clip(y, L["out_zp"] if L["relu"] else -128, 127)
    last = q_layers[-1]
    return x, softmax((x - last["out_zp"]) * last["out_scale"])


def write_tflite(q_layers, description, quantized):
    """Builds the flatbuffer; quantized=False writes the float32 graph (folded weights)."""
    tensors, buffers, ops = [], [b""], []
    dtype = "int8" if quantized else "float32"

    def add_tensor(shape, dt, name, data=None, **quant):
        buf = 0
        if data is not None:
            buffers.append(data.tobytes())
            buf = len(buffers) - 1
        tensors.append(tw.tensor(shape, dt, buf, name, **quant))
        return len(tensors) - 1

    size = scenes.SIZE
    inp = add_tensor([1, size, size, 1], dtype, "input",
                     **(dict(scale=[1 / 255], zero_point=[-128]) if quantized else {}))
    x, hw, cin = inp, size, 1
    for i, L in enumerate(q_layers):
        kind, stride = L["kind"], L["stride"]
        cout = L["w"].shape[0]
        k = L["w"].shape[2]
        hw = -(-hw // stride)
        name = f"{'head' if i == len(q_layers) - 1 else 'layer%d' % i}_{kind}"
        if kind == "dw":   # TFLite depthwise filter: [1, kh, kw, channels], channel axis 3
            wq = L["w"].transpose(1, 2, 3, 0) if quantized else L["w_float"].transpose(1, 2, 3, 0)
            axis = 3
        else:              # [out, kh, kw, in], channel axis 0
            wq = L["w"].transpose(0, 2, 3, 1) if quantized else L["w_float"].transpose(0, 2, 3, 1)
            axis = 0
        if quantized:
            wt = add_tensor(list(wq.shape), "int8", f"{name}/weights", np.ascontiguousarray(wq),
                            scale=list(L["w_scale"]), zero_point=[0] * cout, axis=axis)
            bt = add_tensor([cout], "int32", f"{name}/bias", L["b"],
                            scale=[L["in_scale"] * s for s in L["w_scale"]], zero_point=[0] * cout)
            out = add_tensor([1, hw, hw, cout], "int8", name, scale=[L["out_scale"]], zero_point=[L["out_zp"]])
        else:
            wt = add_tensor(list(wq.shape), "float32", f"{name}/weights", np.ascontiguousarray(wq, dtype=np.float32))
            bt = add_tensor([cout], "float32", f"{name}/bias", L["b_float"].astype(np.float32))
            out = add_tensor([1, hw, hw, cout], "float32", name)
        act = "relu" if L["relu"] else "none"
        if kind == "dw":
            ops.append(tw.operator(1, [x, wt, bt], [out], "DEPTHWISE_CONV_2D", tw.depthwise_options(stride, act)))
        else:
            ops.append(tw.operator(0, [x, wt, bt], [out], "CONV_2D", tw.conv_options(stride, act)))
        x, cin = out, cout
    probs = add_tensor([1, hw, hw, cin], dtype, "scores",
                       **(dict(scale=[1 / 256], zero_point=[-128]) if quantized else {}))
    ops.append(tw.operator(2, [x], [probs], "SOFTMAX", tw.softmax_options(1.0)))
    versions = [("CONV_2D", 3), ("DEPTHWISE_CONV_2D", 3), ("SOFTMAX", 2)] if quantized else \
               [("CONV_2D", 1), ("DEPTHWISE_CONV_2D", 1), ("SOFTMAX", 1)]
    buffers.append(description.encode("utf-8"))
    meta = [("xs-tinyml.detector", len(buffers) - 1)]
    return tw.model(versions, tensors, [inp], [probs], ops, buffers, description, meta)


def describe(threshold, quantized, class_thresholds=None):
    return {
        "name": "xs-tinyml digit detector",
        "version": 1,
        "kind": "fomo",
        "labels": scenes.CLASSES,
        "input": {"shape": [1, scenes.SIZE, scenes.SIZE, 1], "layout": "NHWC",
                  "meaning": "grayscale frame, 0 black .. 255 white, row-major",
                  "type": "int8" if quantized else "float32",
                  "encoding": "q = pixel - 128 (scale 1/255, zero point -128)" if quantized else "pixel / 255"},
        "output": {"shape": [1, scenes.GRID, scenes.GRID, len(scenes.CLASSES)],
                   "meaning": "per cell class probabilities (softmax over labels); cell (row, col) covers "
                              "pixels [8*row, 8*row+8) x [8*col, 8*col+8)",
                   "cell_px": scenes.CELL},
        "decode": decode_rule(threshold, class_thresholds),
    }


def decode_rule(threshold, class_thresholds):
    if class_thresholds is None:
        return {"threshold": threshold, "connectivity": 8,
                "rule": "a cell is positive for the most probable digit when its probability >= threshold; "
                        "8-connected positive cells of one digit are one object at their probability-weighted "
                        "centre"}
    return {"threshold": threshold, "class_thresholds": class_thresholds, "connectivity": 8,
            "rule": "a cell is positive for the most probable digit when its probability >= that digit's entry "
                    "in class_thresholds (indexed by label; threshold if null); 8-connected positive cells of "
                    "one digit are one object at their probability-weighted centre"}


def run_core(model_path, frames):
    xtml = os.path.join(ROOT, "build", "host", "xtml")
    subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "native"), "host"], check=True, stdout=subprocess.DEVNULL)
    outs = []
    with tempfile.TemporaryDirectory() as tmp:
        for f in frames:
            (f.astype(np.int16) - 128).astype(np.int8).tofile(os.path.join(tmp, "in.bin"))
            subprocess.run([xtml, "run", model_path, "--input", os.path.join(tmp, "in.bin"),
                            "--output", os.path.join(tmp, "out.bin")], check=True)
            outs.append(np.fromfile(os.path.join(tmp, "out.bin"), np.int8))
    return np.stack(outs).reshape(len(frames), scenes.GRID, scenes.GRID, len(scenes.CLASSES))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=os.path.join(HERE, "build", "detector.pt"))
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--out-dir", default=HERE)
    args = ap.parse_args()
    ck = torch.load(args.checkpoint)
    model = net.Detector(ck.get("arch", "small"))
    model.load_state_dict(ck["state_dict"])
    model.eval()
    layers = fold(model)

    train_pool, _ = scenes.load_pools()
    calib, _ = scenes.make_set(CALIB_SEED, train_pool, CALIB_FRAMES)
    x = calib[:8].astype(np.float64)[..., None] / 255
    with torch.no_grad():
        ref = model(torch.from_numpy(calib[:8]).float().div(255).unsqueeze(1)).permute(0, 2, 3, 1).numpy()
    err = np.abs(float_forward(layers, x) - ref).max()
    print(f"folded float graph vs PyTorch: max |logit difference| {err:.2e}")
    assert err < 1e-3

    q_layers = quantize_model(layers, calib.astype(np.float64)[..., None] / 255)
    threshold, class_thresholds = ck["threshold"], ck.get("class_thresholds")
    for quantized, name in ((True, "detector.tflite"), (False, "detector_float.tflite")):
        doc = describe(threshold, quantized, class_thresholds)
        blob = write_tflite(q_layers, json.dumps(doc, separators=(",", ":")), quantized)
        with open(os.path.join(args.out_dir, name), "wb") as f:
            f.write(blob)
        print(f"{name}: {len(blob)} bytes")
    sidecar = describe(threshold, True, class_thresholds)
    sidecar["files"] = {"int8": "detector.tflite", "float32": "detector_float.tflite"}
    sidecar["float_input"] = describe(threshold, False)["input"]
    sidecar["quantization"] = [{"layer": i, "kind": L["kind"], "stride": L["stride"], "output_scale": L["out_scale"],
                                "output_zero_point": L["out_zp"]} for i, L in enumerate(q_layers)]
    sidecar["calibration"] = {"seed": CALIB_SEED, "frames": CALIB_FRAMES, "digits": "training pool"}
    with open(os.path.join(args.out_dir, "detector.json"), "w") as f:
        json.dump(sidecar, f, indent=2)
        f.write("\n")

    if args.check:
        frames = calib[:16]
        core = run_core(os.path.join(args.out_dir, "detector.tflite"), frames).astype(np.int64)
        _, probs = int8_forward(q_layers, frames)
        sim = np.clip(np.rint(probs * 256) - 128, -128, 127)
        diff = np.abs(core - sim)
        print(f"core vs numpy int8 simulation (softmax of simulated int8 logits) on {len(frames)} frames: "
              f"max |diff| {int(diff.max())} LSB, mean {diff.mean():.4f}, "
              f"same argmax {np.mean(core.argmax(-1) == sim.argmax(-1)):.4f}")
        fl = softmax(float_forward(layers, frames.astype(np.float64)[..., None] / 255))
        print(f"core int8 vs float probabilities: max |diff| {np.abs((core + 128) / 256 - fl).max():.3f}")


if __name__ == "__main__":
    main()
