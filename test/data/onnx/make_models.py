"""Exports the small PyTorch networks the converter's tests read (float parity with
onnxruntime, conversion, refusals). Deterministic: fixed seeds, the files are committed.

    /usr/bin/python3 test/data/onnx/make_models.py

Needs Debian's python3-torch (1.13) and python3-onnx. Each network is randomly
initialized (seeded) and its batch norms are given non-trivial statistics, so folding
them is tested; none is trained: parity does not need trained weights.
"""
import os

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


def randomize_bn(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = torch.rand(c, generator=gen) + 0.5
            m.bias.data = torch.randn(c, generator=gen) * 0.2
            m.running_mean.data = torch.randn(c, generator=gen) * 0.3
            m.running_var.data = torch.rand(c, generator=gen) + 0.5


class ConvNet(nn.Module):
    """Conv + BN + ReLU, an explicit zero Pad before a conv, max pooling, Flatten, Gemm."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.b1 = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 12, 3, stride=2)
        self.b2 = nn.BatchNorm2d(12)
        self.fc = nn.Linear(12 * 4 * 4, 10)

    def forward(self, x):
        x = F.relu(self.b1(self.c1(x)))
        x = F.max_pool2d(x, 2)                     # 16 -> 8
        x = F.pad(x, (0, 1, 0, 1))                 # explicit Pad, TFLite SAME: folded into the conv
        x = F.relu(self.b2(self.c2(x)))            # 9 -> 4
        return self.fc(torch.flatten(x, 1))


class DepthwiseNet(nn.Module):
    """Depthwise and pointwise convolutions with ReLU6 (Clip), a channel multiplier,
    average pooling, Resize nearest, Tanh and Sigmoid."""

    def __init__(self):
        super().__init__()
        self.c0 = nn.Conv2d(1, 8, 3, stride=2, padding=1, bias=False)
        self.b0 = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.bdw = nn.BatchNorm2d(8)
        self.pw = nn.Conv2d(8, 16, 1, bias=False)
        self.bpw = nn.BatchNorm2d(16)
        self.dwm = nn.Conv2d(16, 32, 3, stride=2, padding=1, groups=16)
        self.head = nn.Conv2d(32, 4, 1)

    def forward(self, x):
        x = F.relu6(self.b0(self.c0(x)))           # 24 -> 12
        x = F.relu6(self.bdw(self.dw(x)))
        x = F.relu6(self.bpw(self.pw(x)))
        x = torch.tanh(self.dwm(x))                # 12 -> 6, multiplier 2
        x = F.avg_pool2d(x, 2)                     # 6 -> 3
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return torch.sigmoid(self.head(x))


class ResidualNet(nn.Module):
    """A ResNet block pair: Add of two branches, a strided shortcut, Concat, Mul by a
    constant, GlobalAveragePool and a classifier."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bs = nn.BatchNorm2d(8)
        self.a1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.ba1 = nn.BatchNorm2d(8)
        self.a2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.ba2 = nn.BatchNorm2d(8)
        self.d1 = nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False)
        self.bd1 = nn.BatchNorm2d(16)
        self.d2 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bd2 = nn.BatchNorm2d(16)
        self.short = nn.Conv2d(8, 16, 1, stride=2)
        self.side = nn.Conv2d(16, 8, 1)
        self.fc = nn.Linear(24, 6)

    def forward(self, x):
        x = F.relu(self.bs(self.stem(x)))
        y = F.relu(self.ba1(self.a1(x)))
        x = F.relu(x + self.ba2(self.a2(y)))
        y = F.relu(self.bd1(self.d1(x)))
        x = F.relu(self.short(x) + self.bd2(self.d2(y)))
        x = torch.cat([x, self.side(x) * 0.5], 1)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


class ClassifierHead(nn.Module):
    """A flat feature vector through MatMul layers to a softmax (a keyword-spotting or
    anomaly-detection style head), with a Reshape from the features."""

    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(40, 32)
        self.l2 = nn.Linear(32, 16)
        self.l3 = nn.Linear(16, 5)

    def forward(self, x):
        x = x.reshape(x.shape[0], 40)
        x = F.relu(self.l1(x))
        x = torch.tanh(self.l2(x))
        return F.softmax(self.l3(x), dim=1)


NETS = [
    ("conv", ConvNet, [1, 3, 16, 16], 13),
    ("depthwise", DepthwiseNet, [1, 1, 24, 24], 11),
    ("residual", ResidualNet, [1, 3, 16, 16], 17),
    ("classifier", ClassifierHead, [1, 4, 10], 13),
]


def main():
    for i, (name, cls, shape, opset) in enumerate(NETS):
        gen = torch.Generator().manual_seed(100 + i)
        torch.manual_seed(100 + i)
        model = cls()
        randomize_bn(model, gen)
        model.eval()
        path = os.path.join(HERE, f"{name}.onnx")
        torch.onnx.export(model, torch.zeros(shape), path, opset_version=opset,
                          input_names=["input"], output_names=["output"], do_constant_folding=True)
        m = onnx.load(path)
        onnx.checker.check_model(m)
        ops = sorted({n.op_type for n in m.graph.node})
        print(f"{name}.onnx: opset {opset}, {os.path.getsize(path)} bytes, ops {' '.join(ops)}")


if __name__ == "__main__":
    main()
