"""A minimal FlatBuffers writer for the TensorFlow Lite schema (schema.fbs, version 3).

Written from the schema's field layout, nothing generated. Objects are laid out front to
back: a table's vtable right before it, its children after it, so every uoffset points
forward. Scalars are naturally aligned; buffer data is 16-byte aligned in the file.
"""
import struct

_SCALAR = {"bool": "<B", "u8": "<B", "i8": "<b", "i16": "<h", "u16": "<H", "i32": "<i", "u32": "<I",
           "f32": "<f", "i64": "<q"}


class Table:
    def __init__(self, **slots):
        # slots: name -> (slot index, kind, value); kind is a scalar kind or 'off'
        self.fields = [v for v in slots.values() if v is not None and v[2] is not None]


class Vector:
    def __init__(self, kind, items, align=4):
        self.kind, self.items, self.align = kind, list(items), align


class Bytes:
    def __init__(self, data, align=16):
        self.data, self.align = bytes(data), align


class String:
    def __init__(self, text):
        self.data = text.encode("utf-8")


class _Builder:
    def __init__(self):
        self.buf = bytearray()

    def pad_to(self, align, extra=0):
        while (len(self.buf) + extra) % align:
            self.buf.append(0)

    def put(self, fmt, value):
        pos = len(self.buf)
        self.buf += struct.pack(fmt, value)
        return pos

    def patch_uoffset(self, at, target):
        struct.pack_into("<I", self.buf, at, target - at)

    def write(self, obj):
        if isinstance(obj, Table):
            return self.table(obj)
        if isinstance(obj, String):
            self.pad_to(4)
            pos = self.put("<I", len(obj.data))
            self.buf += obj.data + b"\0"
            return pos
        if isinstance(obj, Bytes):
            self.pad_to(obj.align, 4)
            pos = self.put("<I", len(obj.data))
            self.buf += obj.data
            return pos
        if isinstance(obj, Vector):
            if obj.kind == "off":
                self.pad_to(4)
                pos = self.put("<I", len(obj.items))
                slots = [self.put("<I", 0) for _ in obj.items]
                for at, item in zip(slots, obj.items):
                    self.patch_uoffset(at, self.write(item))
                return pos
            fmt = _SCALAR[obj.kind]
            self.pad_to(max(obj.align, struct.calcsize(fmt)), 4)
            pos = self.put("<I", len(obj.items))
            for v in obj.items:
                self.put(fmt, v)
            return pos
        raise TypeError(obj)

    def table(self, t):
        fields = sorted(t.fields, key=lambda f: -(4 if f[1] == "off" else struct.calcsize(_SCALAR[f[1]])))
        nslots = max((f[0] for f in fields), default=-1) + 1
        self.pad_to(2)
        vt_pos = len(self.buf)
        self.buf += bytes(4 + 2 * nslots)
        self.pad_to(8 if any(f[1] == "i64" for f in fields) else 4)
        tpos = self.put("<i", 0)
        offsets, children = {}, []
        for slot, kind, value in fields:
            if kind == "off":
                self.pad_to(4)
                at = self.put("<I", 0)
                children.append((at, value))
            else:
                fmt = _SCALAR[kind]
                self.pad_to(struct.calcsize(fmt))
                at = self.put(fmt, value)
            offsets[slot] = at - tpos
        tsize = len(self.buf) - tpos
        struct.pack_into("<HH", self.buf, vt_pos, 4 + 2 * nslots, tsize)
        for slot, off in offsets.items():
            struct.pack_into("<H", self.buf, vt_pos + 4 + 2 * slot, off)
        struct.pack_into("<i", self.buf, tpos, tpos - vt_pos)
        for at, child in children:
            self.patch_uoffset(at, self.write(child))
        return tpos


def serialize(root, identifier=b"TFL3"):
    b = _Builder()
    b.put("<I", 0)
    b.buf += identifier
    b.patch_uoffset(0, b.table(root))
    b.pad_to(16)
    return bytes(b.buf)


# ---- the TensorFlow Lite schema, the parts we write ----
BUILTIN = {"CONV_2D": 3, "DEPTHWISE_CONV_2D": 4, "SOFTMAX": 25}
OPTIONS_TYPE = {"CONV_2D": 1, "DEPTHWISE_CONV_2D": 2, "SOFTMAX": 9}
TENSOR_TYPE = {"float32": 0, "int32": 2, "int8": 9}
ACTIVATION = {"none": 0, "relu": 1}
PADDING = {"same": 0, "valid": 1}


def tensor(shape, dtype, buffer, name, scale=None, zero_point=None, axis=0):
    quant = None
    if scale is not None:
        quant = Table(scale=(2, "off", Vector("f32", scale)), zero_point=(3, "off", Vector("i64", zero_point)),
                      quantized_dimension=(6, "i32", axis))
    return Table(shape=(0, "off", Vector("i32", shape)), type=(1, "i8", TENSOR_TYPE[dtype]), buffer=(2, "u32", buffer),
                 name=(3, "off", String(name)), quantization=(4, "off", quant))


def conv_options(stride, activation):
    return Table(padding=(0, "i8", PADDING["same"]), stride_w=(1, "i32", stride), stride_h=(2, "i32", stride),
                 act=(3, "i8", ACTIVATION[activation]), dw=(4, "i32", 1), dh=(5, "i32", 1))


def depthwise_options(stride, activation):
    return Table(padding=(0, "i8", PADDING["same"]), stride_w=(1, "i32", stride), stride_h=(2, "i32", stride),
                 depth_multiplier=(3, "i32", 1), act=(4, "i8", ACTIVATION[activation]), dw=(5, "i32", 1),
                 dh=(6, "i32", 1))


def softmax_options(beta=1.0):
    return Table(beta=(0, "f32", beta))


def operator(opcode_index, inputs, outputs, op, options):
    return Table(opcode_index=(0, "u32", opcode_index), inputs=(1, "off", Vector("i32", inputs)),
                 outputs=(2, "off", Vector("i32", outputs)), options_type=(3, "u8", OPTIONS_TYPE[op]),
                 options=(4, "off", options))


def model(opcodes, tensors, inputs, outputs, operators, buffers, description, metadata=()):
    """opcodes: [(name, version)]; buffers: [bytes] (index 0 must be empty);
    metadata: [(name, buffer index)]."""
    codes = [Table(dep=(0, "i8", min(BUILTIN[n], 127)), version=(2, "i32", v), code=(3, "i32", BUILTIN[n]))
             for n, v in opcodes]
    sub = Table(tensors=(0, "off", Vector("off", tensors)), inputs=(1, "off", Vector("i32", inputs)),
                outputs=(2, "off", Vector("i32", outputs)), operators=(3, "off", Vector("off", operators)),
                name=(4, "off", String("main")))
    bufs = [Table(data=(0, "off", Bytes(b) if len(b) else None)) for b in buffers]
    meta = [Table(name=(0, "off", String(n)), buffer=(1, "u32", i)) for n, i in metadata]
    root = Table(version=(0, "u32", 3), operator_codes=(1, "off", Vector("off", codes)),
                 subgraphs=(2, "off", Vector("off", [sub])), description=(3, "off", String(description)),
                 buffers=(4, "off", Vector("off", bufs)),
                 metadata=(6, "off", Vector("off", meta) if meta else None))
    return serialize(root)
