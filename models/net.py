"""The detector: FOMO-style, fully convolutional, 96x96x1 -> 12x12x11 class scores.

Every convolution is followed by batch norm (folded away at export) and ReLU, except the
1x1 head. Stride-2 layers pad like TFLite's SAME (nothing before, one after), so the
exported graph computes exactly what this one does.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

# (kind, in, out, stride): 'conv' full 3x3, 'dw' depthwise 3x3, 'pw' 1x1


def mobilenet(c24, c12, blocks12):
    """A full 3x3 conv to 48x48x16, a depthwise /2 to 24x24, c24 channels there for one block,
    a depthwise /2 to 12x12, then c12 channels for `blocks12` more blocks (depthwise 3x3 then
    pointwise, each)."""
    layers = [
        ("conv", 1, 16, 2),     # 48x48
        ("dw", 16, 16, 2),      # 24x24
        ("pw", 16, c24, 1),
        ("dw", c24, c24, 1),
        ("pw", c24, c24, 1),
        ("dw", c24, c24, 2),    # 12x12
        ("pw", c24, c12, 1),
    ]
    for _ in range(blocks12):
        layers += [("dw", c12, c12, 1), ("pw", c12, c12, 1)]
    return layers


SMALL = mobilenet(32, 64, 2)
# wider after the first layer; 40 channels at 24x24 keeps the arena under 64 KB
WIDE = mobilenet(40, 80, 2)
# 40 channels at 24x24 and a third, wider block at 12x12 (80 channels): more capacity for
# reading the digit where it is cheap in arena (12x12x80 = 11.5 KB); the 48x48 tensor,
# which sets the peak, is unchanged
DEEP = mobilenet(40, 80, 3)
ARCHS = {"small": SMALL, "wide": WIDE, "deep": DEEP}
NUM_CLASSES = 11


class ConvBN(nn.Module):
    def __init__(self, kind, cin, cout, stride):
        super().__init__()
        self.kind, self.stride = kind, stride
        k = 1 if kind == "pw" else 3
        groups = cin if kind == "dw" else 1
        pad = 1 if (k == 3 and stride == 1) else 0
        self.conv = nn.Conv2d(cin, cout, k, stride, pad, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        if self.conv.kernel_size[0] == 3 and self.stride == 2:
            x = F.pad(x, (0, 1, 0, 1))   # TFLite SAME padding for even sizes, stride 2
        return F.relu(self.bn(self.conv(x)))


def with_widths(layers, widths, keep=None):
    """The layers of an architecture with other output widths (a pruned network): widths[i]
    is layer i's output channels (a depthwise layer keeps its input's); keep (optional) is
    the list of layer indices to keep, dropping whole blocks."""
    out, cin = [], layers[0][1]
    for i, (kind, _, cout, stride) in enumerate(layers):
        if keep is not None and i not in keep:
            continue
        cout = cin if kind == "dw" else widths[i]
        out.append((kind, cin, cout, stride))
        cin = cout
    return out


class Detector(nn.Module):
    def __init__(self, arch="small", widths=None, keep=None):
        super().__init__()
        layers = ARCHS[arch] if widths is None else with_widths(ARCHS[arch], widths, keep)
        self.layers = layers
        self.body = nn.Sequential(*[ConvBN(*spec) for spec in layers])
        self.head = nn.Conv2d(layers[-1][2], NUM_CLASSES, 1)

    def forward(self, x):
        """x: [N,1,96,96] pixels / 255. Returns logits [N,11,12,12]."""
        return self.head(self.body(x))
