#!/usr/bin/env python3
"""Checks nnserve's interchange formats with the real tools, against a real nnserve process.

For one model of each layer type, for graphs (named layers, add, concatenate) and for the
reference workloads W1-W6:
- the model is created in one request from a safetensors file that PyTorch saved (its own
  state dict plus `nnserve.spec` and `nnserve.loss` in `__metadata__`);
- PyTorch loads the downloaded weights with `load_state_dict(strict=True)` and its forward
  pass agrees with `/predict` within 1e-5;
- the ONNX export passes `onnx.checker.check_model` (full check) and onnxruntime's output
  agrees with `/predict` within 1e-5.
Prints one closing line 'interchange: N passed, N failed'.
"""
import io
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "attack"))
from attacklib import Server, Tally  # noqa: E402
from nnserve_torch import Twin, read_safetensors, write_safetensors  # noqa: E402

TOLERANCE = 1e-5


def dense(units, activation="linear", **extra):
    return {"type": "dense", "units": units, "activation": activation, **extra}


def conv(filters, kernel, padding="valid", activation="linear", stride=1, **extra):
    return {"type": "conv2d", "filters": filters, "kernel_size": kernel, "padding": padding,
            "activation": activation, "stride": stride, **extra}


def basic_block(name, source, filters, stride, projects):
    """W6's ResNet basic block (see the project's benchmark definitions)."""
    bn = {"type": "batchnorm"}
    layers = [
        {"name": f"{name}_conv1", **conv(filters, 3, "same", stride=stride, use_bias=False), "inputs": [source]},
        {"name": f"{name}_bn1", **bn}, {"name": f"{name}_relu1", "type": "activation", "function": "relu"},
        {"name": f"{name}_conv2", **conv(filters, 3, "same", use_bias=False)}, {"name": f"{name}_bn2", **bn}]
    shortcut = source
    if projects:
        layers += [{"name": f"{name}_proj", **conv(filters, 1, stride=stride, use_bias=False), "inputs": [source]},
                   {"name": f"{name}_projbn", **bn}]
        shortcut = f"{name}_projbn"
    return layers + [{"name": f"{name}_sum", "type": "add", "inputs": [f"{name}_bn2", shortcut]},
                     {"name": name, "type": "activation", "function": "relu"}]


W6 = {"input_shape": [32, 32, 3], "layers": [
    {"name": "stem_conv", **conv(16, 3, "same", use_bias=False)}, {"name": "stem_bn", "type": "batchnorm"},
    {"name": "stem", "type": "activation", "function": "relu"}]
    + basic_block("block1", "stem", 16, 1, False) + basic_block("block2", "block1", 16, 1, False)
    + basic_block("block3", "block2", 32, 2, True) + basic_block("block4", "block3", 32, 1, False)
    + [{"name": "pool", "type": "avgpool2d", "pool_size": 16}, {"name": "flat", "type": "flatten"},
       {"name": "fc", **dense(10)}]}


# (name, loss, spec): every layer type and option, then W1-W5 of the project's benchmark.
CASES = [
    ("dense", "mse", {"input_shape": [7], "layers": [dense(5, "tanh"), dense(3, use_bias=False)]}),
    ("dense_sigmoid_bce", "binary_cross_entropy", {"input_shape": [4], "layers": [dense(6, "relu"),
                                                                                  dense(1, "sigmoid")]}),
    ("conv_same_stride2", "cross_entropy", {"input_shape": [7, 6, 2], "layers": [
        conv(3, [3, 2], "same", "relu", [2, 2]), {"type": "flatten"}, dense(4)]}),
    ("conv_valid_stride", None, {"input_shape": [9, 8, 3], "layers": [
        conv(4, 3, "valid", "sigmoid", [2, 1]), conv(2, [2, 3], "same", "tanh"), {"type": "flatten"}]}),
    ("pools", "cross_entropy", {"input_shape": [9, 10, 2], "layers": [
        conv(3, 3, "same", "relu"), {"type": "maxpool2d", "pool_size": 2},
        {"type": "avgpool2d", "pool_size": [2, 3], "stride": [1, 2]}, {"type": "flatten"},
        dense(3, "softmax")]}),
    ("dropout_batchnorm", "cross_entropy", {"input_shape": [6], "layers": [
        dense(8), {"type": "batchnorm", "momentum": 0.8, "epsilon": 0.001}, {"type": "activation", "function": "relu"},
        {"type": "dropout", "rate": 0.3}, dense(3)]}),
    ("batchnorm_image", None, {"input_shape": [5, 4, 3], "layers": [
        {"type": "batchnorm"}, {"type": "activation", "function": "sigmoid"}, {"type": "flatten"}]}),
    ("activations", "mse", {"input_shape": [5], "layers": [
        {"type": "activation", "function": "tanh"}, {"type": "activation", "function": "softmax"},
        dense(4, "sigmoid"), {"type": "activation", "function": "relu"}]}),
    ("rnn_sequences", None, {"input_shape": [6, 3], "layers": [
        {"type": "rnn", "units": 5, "activation": "relu", "return_sequences": True},
        {"type": "rnn", "units": 4, "return_sequences": True}, {"type": "batchnorm"}]}),
    ("lstm", "cross_entropy", {"input_shape": [5, 4], "layers": [
        {"type": "lstm", "units": 6, "return_sequences": True}, {"type": "lstm", "units": 3},
        dense(2)]}),
    ("text_classifier", "cross_entropy", {"input_shape": [12], "layers": [
        {"type": "embedding", "input_dim": 30, "output_dim": 6},
        {"type": "conv1d", "filters": 5, "kernel_size": 4, "padding": "same", "activation": "relu"},
        {"type": "maxpool1d", "pool_size": 3, "stride": 2}, {"type": "conv1d", "filters": 4, "kernel_size": 2,
                                                              "stride": 2, "activation": "tanh"},
        {"type": "avgpool1d", "pool_size": 1}, {"type": "global_avgpool"}, dense(3)]}),
    ("conv1d_same_stride", None, {"input_shape": [9, 3], "layers": [
        {"type": "conv1d", "filters": 4, "kernel_size": 3, "stride": 2, "padding": "same"},
        {"type": "avgpool1d", "pool_size": 2, "stride": 1}, dense(2, "sigmoid")]}),
    ("global_avgpool_2d", "binary_cross_entropy", {"input_shape": [5, 4, 3], "layers": [
        conv(4, 3, "same", "relu"), {"type": "global_avgpool"}, dense(2)]}),
    ("lstm_tagger", "cross_entropy", {"input_shape": [7], "layers": [
        {"type": "embedding", "input_dim": 9, "output_dim": 4},
        {"type": "lstm", "units": 5, "return_sequences": True}, dense(3, "softmax")]}),
    ("graph_dense", "binary_cross_entropy", {"input_shape": [6], "layers": [
        {"name": "a", **dense(4, "tanh")}, {"name": "b", **dense(4), "inputs": ["input"]},
        {"name": "sum", "type": "add", "inputs": ["a", "b", "a"]},
        {"name": "cat", "type": "concatenate", "inputs": ["sum", "input"]}, dense(1, "sigmoid")]}),
    ("graph_inception", "cross_entropy", {"input_shape": [8, 8, 3], "layers": [
        {"name": "stem", **conv(4, 3, "same", "relu")},
        {"name": "one", **conv(3, 1, activation="relu"), "inputs": ["stem"]},
        {"name": "three", **conv(3, 3, "same", "relu"), "inputs": ["stem"]},
        {"name": "wide", "type": "concatenate", "axis": 1, "inputs": ["one", "three"]},
        {"name": "pool", "type": "maxpool2d", "pool_size": [1, 2]},
        {"name": "deep", "type": "concatenate", "inputs": ["pool", "three", "stem"]},
        {"name": "out", "type": "activation", "function": "relu", "inputs": ["deep"]},
        {"type": "flatten"}, dense(3)]}),
    ("graph_output_merge", None, {"input_shape": [4, 4, 2], "layers": [
        {"name": "c", **conv(2, 3, "same", use_bias=False)}, {"name": "n", "type": "batchnorm"},
        {"name": "r", "type": "add", "inputs": ["n", "input", "input"]}]}),
    ("W1", "cross_entropy", {"input_shape": [784], "layers": [dense(256, "relu"), dense(128, "relu"), dense(10)]}),
    ("W2", "cross_entropy", {"input_shape": [28, 28, 1], "layers": [
        conv(6, 5, "same", "relu"), {"type": "maxpool2d", "pool_size": 2}, conv(16, 5, "valid", "relu"),
        {"type": "maxpool2d", "pool_size": 2}, {"type": "flatten"}, dense(120, "relu"), dense(84, "relu"),
        dense(10)]}),
    ("W3", "cross_entropy", {"input_shape": [50, 16], "layers": [{"type": "lstm", "units": 64}, dense(10)]}),
    ("W4", "cross_entropy", {"input_shape": [32, 32, 3], "layers": [
        conv(32, 3, "same"), {"type": "batchnorm"}, {"type": "activation", "function": "relu"},
        {"type": "maxpool2d", "pool_size": 2}, conv(64, 3, "same"), {"type": "batchnorm"},
        {"type": "activation", "function": "relu"}, {"type": "maxpool2d", "pool_size": 2}, {"type": "flatten"},
        {"type": "dropout", "rate": 0.5}, dense(10)]}),
    ("W5", "cross_entropy", {"input_shape": [50, 16], "layers": [
        {"type": "rnn", "units": 64, "activation": "tanh"}, dense(10)]}),
    ("W6", "cross_entropy", W6),
]


def randomize(model):
    """PyTorch's own initialisation, plus batch-norm statistics and affine terms away from 1 and 0."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm1d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
                module.num_batches_tracked.fill_(11)


def worst(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b))) if a.shape == b.shape else float("inf")


def check_case(server, tally, name, loss, spec):
    torch.manual_seed(sum(map(ord, name)))
    twin = Twin(spec).eval()
    randomize(twin)
    metadata = {"nnserve.spec": json.dumps(spec)}
    if loss:
        metadata["nnserve.loss"] = loss
    status, _, body = server.request("POST", "/v1/models", write_safetensors(twin.state_dict(), metadata),
                                     {"Content-Type": "application/octet-stream"})
    if not tally.check(status == 201, f"{name}: PyTorch's state dict creates the model", body[:300]):
        return
    model = json.loads(body)["id"]
    first = spec["layers"][0]
    if first["type"] == "embedding":
        x = torch.randint(0, first["input_dim"], (4, *spec["input_shape"])).float()  # token ids
    else:
        x = torch.randn(4, *spec["input_shape"])
    status, _, body = server.request("POST", f"/v1/models/{model}/predict",
                                     json.dumps({"inputs": x.tolist()}), {"Content-Type": "application/json"})
    if not tally.check(status == 200, f"{name}: predict", body[:300]):
        return
    predicted = np.array(json.loads(body)["outputs"], dtype=np.float64)

    status, _, weights = server.request("GET", f"/v1/models/{model}/weights")
    tensors, meta = read_safetensors(weights)
    fresh = Twin(spec).eval()
    try:
        fresh.load_state_dict(tensors, strict=True)
        loaded = True
    except RuntimeError as error:
        loaded = tally.check(False, f"{name}: load_state_dict(strict=True)", str(error)[:300])
    if loaded:
        tally.check(meta.get("nnserve.loss") == loss and json.loads(meta["nnserve.spec"])["input_shape"]
                    == spec["input_shape"], f"{name}: the download describes itself", str(meta)[:200])
        with torch.no_grad():
            ours = fresh(x, loss).double().numpy()
        error = worst(ours, predicted)
        tally.check(error <= TOLERANCE, f"{name}: PyTorch on the download agrees with predict ({error:.1e})")

    status, headers, exported = server.request("GET", f"/v1/models/{model}/export?format=onnx")
    if not tally.check(status == 200, f"{name}: export", exported[:300]):
        return
    try:
        proto = onnx.load_model(io.BytesIO(exported))
        onnx.checker.check_model(proto, full_check=True)
        tally.check(proto.opset_import[0].version >= 17, f"{name}: onnx.checker accepts the export (opset 17+)")
    except Exception as error:  # the checker raises its own ValidationError subclasses
        tally.check(False, f"{name}: onnx.checker accepts the export", str(error)[:400])
        return
    session = onnxruntime.InferenceSession(exported, providers=["CPUExecutionProvider"])
    inputs, outputs = session.get_inputs(), session.get_outputs()
    tally.check([i.name for i in inputs] == ["input"] and [o.name for o in outputs] == ["output"]
                and isinstance(inputs[0].shape[0], str), f"{name}: one input 'input' with a symbolic batch, "
                "one output 'output'", str(inputs[0].shape))
    (result,) = session.run(["output"], {"input": x.numpy()})
    error = worst(result, predicted)
    tally.check(error <= TOLERANCE, f"{name}: onnxruntime agrees with predict ({error:.1e})")
    (single,) = session.run(["output"], {"input": x.numpy()[:1]})
    tally.check(worst(single, predicted[:1]) <= TOLERANCE, f"{name}: a batch of one runs too")


def main():
    tally = Tally("interchange")
    server = Server()
    try:
        for name, loss, spec in CASES:
            check_case(server, tally, name, loss, spec)
        status, _, body = server.request("GET", "/v1/models/nope/export?format=onnx")
        tally.check(status == 404, "export of an unknown model is 404", body[:200])
        status, _, body = server.request("GET", "/v1/models/nope/export?format=tflite")
        tally.check(status == 400 and b"format" in body, "an unknown format is 400 naming 'format'", body[:200])
    finally:
        server.stop()
    tally.finish()


if __name__ == "__main__":
    main()
