"""PyTorch twins of nnserve models, and a small safetensors reader and writer.

`Twin(spec)` builds a torch.nn.Module whose state dict has exactly the names, shapes and
dtypes that nnserve's weights download carries (`layers.{name}.weight`, `layers.{name}.weight_ih_l0`,
`layers.{name}.num_batches_tracked`, ..., a layer's name being its index unless the spec names
it), and whose forward pass on channels-last data computes what nnserve's `predict` answers,
following each layer's `inputs` through `add` and `concatenate` layers. The safetensors helpers avoid a dependency on the
`safetensors` package: the format is an 8-byte little-endian header length, a JSON header and
the raw little-endian data (see its specification in the huggingface/safetensors repository).
"""
import json
import math
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": (torch.float32, 4), "I64": (torch.int64, 8)}


def write_safetensors(tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for name, tensor in tensors.items():
        tensor = tensor.detach().contiguous().cpu()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[tensor.dtype]
        data = tensor.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def read_safetensors(data):
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    metadata = header.pop("__metadata__", {})
    base = 8 + length
    tensors = {}
    for name, info in header.items():
        dtype, _ = DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        raw = bytearray(data[base + begin : base + end])
        tensors[name] = torch.frombuffer(raw, dtype=dtype).reshape(info["shape"]).clone() if raw else torch.zeros(
            info["shape"], dtype=dtype)
    return tensors, metadata


def same_pad(size, kernel, stride):
    """Keras' 'same' rule, which nnserve follows: the odd row or column goes bottom/right."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


ACTIVATIONS = {"linear": lambda x: x, "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
               "softmax": lambda x: torch.softmax(x, dim=-1)}


class Twin(nn.Module):
    """A PyTorch model with nnserve's names and semantics for one spec (channels-last data)."""

    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        # A ModuleDict keyed by the layer names gives `layers.{name}.…` state-dict names
        # (`layers.{i}.…` for unnamed layers, as an nn.ModuleList would).
        self.layers = nn.ModuleDict()
        self.steps = []
        self.names = [layer.get("name", str(i)) for i, layer in enumerate(spec["layers"])]
        self.sources = [layer.get("inputs", ["input" if i == 0 else self.names[i - 1]])
                        for i, layer in enumerate(spec["layers"])]
        shapes = {"input": list(spec["input_shape"])}
        for index, layer in enumerate(spec["layers"]):
            kind = layer["type"]
            shape = list(shapes[self.sources[index][0]])
            module, step = nn.Identity(), None
            if kind == "dense":
                module = nn.Linear(shape[-1], layer["units"], bias=layer.get("use_bias", True))
                shape = shape[:-1] + [layer["units"]]  # per step on [steps, features]
            elif kind == "embedding":
                module = nn.Embedding(layer["input_dim"], layer["output_dim"])
                shape = shape + [layer["output_dim"]]
            elif kind == "conv1d":
                kernel, stride = layer["kernel_size"], layer.get("stride", 1)
                module = nn.Conv1d(shape[1], layer["filters"], kernel, stride)
                if layer.get("padding", "valid") == "same":
                    step = same_pad(shape[0], kernel, stride)
                    shape = [math.ceil(shape[0] / stride), layer["filters"]]
                else:
                    step = (0, 0)
                    shape = [(shape[0] - kernel) // stride + 1, layer["filters"]]
            elif kind in ("maxpool1d", "avgpool1d"):
                pool = layer.get("pool_size", 2)
                stride = layer.get("stride", pool)
                shape = [(shape[0] - pool) // stride + 1, shape[1]]
                step = (pool, stride)
            elif kind == "global_avgpool":
                shape = [shape[-1]]
            elif kind == "conv2d":
                kernel, stride = pair(layer["kernel_size"]), pair(layer.get("stride", 1))
                module = nn.Conv2d(shape[2], layer["filters"], kernel, stride, bias=layer.get("use_bias", True))
                if layer.get("padding", "valid") == "same":
                    pads = [same_pad(shape[0], kernel[0], stride[0]), same_pad(shape[1], kernel[1], stride[1])]
                    shape = [math.ceil(shape[0] / stride[0]), math.ceil(shape[1] / stride[1]), layer["filters"]]
                else:
                    pads = [(0, 0), (0, 0)]
                    shape = [(shape[0] - kernel[0]) // stride[0] + 1, (shape[1] - kernel[1]) // stride[1] + 1,
                             layer["filters"]]
                step = pads
            elif kind in ("maxpool2d", "avgpool2d"):
                pool = pair(layer.get("pool_size", 2))
                stride = pair(layer.get("stride", pool))
                shape = [(shape[0] - pool[0]) // stride[0] + 1, (shape[1] - pool[1]) // stride[1] + 1, shape[2]]
                step = (pool, stride)
            elif kind == "flatten":
                shape = [math.prod(shape)]
            elif kind == "batchnorm":
                # nnserve's momentum m is PyTorch's 1 - m; inference reads only the running statistics.
                module = nn.BatchNorm1d(shape[-1], eps=layer.get("epsilon", 1e-5),
                                        momentum=1 - layer.get("momentum", 0.9))
            elif kind == "rnn":
                module = nn.RNN(shape[-1], layer["units"], nonlinearity=layer.get("activation", "tanh"),
                                batch_first=True)
                shape = [shape[0], layer["units"]] if layer.get("return_sequences", False) else [layer["units"]]
            elif kind == "lstm":
                module = nn.LSTM(shape[-1], layer["units"], batch_first=True)
                shape = [shape[0], layer["units"]] if layer.get("return_sequences", False) else [layer["units"]]
            elif kind == "concatenate":
                axis = layer.get("axis", -1)
                axis = axis if axis >= 0 else len(shape) + axis
                shape[axis] = sum(shapes[name][axis] for name in self.sources[index])
                step = axis + 1
            self.layers[self.names[index]] = module
            self.steps.append(step)
            shapes[self.names[index]] = shape

    def forward(self, x, loss=None):
        """predict's answer: probabilities for cross_entropy (softmax) and binary_cross_entropy (sigmoid)."""
        count = len(self.spec["layers"])
        outputs = {"input": x}
        for index, (layer, step) in enumerate(zip(self.spec["layers"], self.steps)):
            module, kind = self.layers[self.names[index]], layer["type"]
            inputs = [outputs[name] for name in self.sources[index]]
            x = inputs[0]
            activation = layer.get("function") if kind == "activation" else layer.get("activation", "linear")
            if kind in ("rnn", "lstm"):
                activation = "linear"
            if kind == "dense":
                x = module(x)
            elif kind == "conv2d":
                (top, bottom), (left, right) = step
                z = F.pad(x.permute(0, 3, 1, 2), (left, right, top, bottom))
                x = module(z).permute(0, 2, 3, 1)
            elif kind == "maxpool2d":
                x = F.max_pool2d(x.permute(0, 3, 1, 2), step[0], step[1]).permute(0, 2, 3, 1)
            elif kind == "avgpool2d":
                x = F.avg_pool2d(x.permute(0, 3, 1, 2), step[0], step[1]).permute(0, 2, 3, 1)
            elif kind == "embedding":
                x = module(x.long())
            elif kind == "conv1d":
                x = module(F.pad(x.permute(0, 2, 1), step)).permute(0, 2, 1)
            elif kind == "maxpool1d":
                x = F.max_pool1d(x.permute(0, 2, 1), step[0], step[1]).permute(0, 2, 1)
            elif kind == "avgpool1d":
                x = F.avg_pool1d(x.permute(0, 2, 1), step[0], step[1]).permute(0, 2, 1)
            elif kind == "global_avgpool":
                x = x.reshape(x.shape[0], -1, x.shape[-1]).mean(dim=1)
            elif kind == "flatten":
                x = x.reshape(x.shape[0], -1)
            elif kind == "batchnorm":
                x = F.batch_norm(x.reshape(-1, x.shape[-1]), module.running_mean, module.running_var,
                                 module.weight, module.bias, False, 0.0, module.eps).reshape(x.shape)
            elif kind in ("rnn", "lstm"):
                out = module(x)[0]
                x = out if layer.get("return_sequences", False) else out[:, -1, :]
            elif kind == "add":
                x = sum(inputs[1:], inputs[0])
            elif kind == "concatenate":
                x = torch.cat(inputs, dim=step)
            last = index == count - 1
            if last and loss == "cross_entropy" and activation == "softmax":
                activation = "linear"
            if last and loss == "binary_cross_entropy" and activation == "sigmoid":
                activation = "linear"
            x = ACTIVATIONS[activation or "linear"](x)
            outputs[self.names[index]] = x
        if loss == "cross_entropy":
            x = torch.softmax(x, dim=-1)
        elif loss == "binary_cross_entropy":
            x = torch.sigmoid(x)
        return x
