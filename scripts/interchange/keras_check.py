#!/usr/bin/env python3
"""Checks the Keras import with the installed Keras (torch backend), against a real nnserve:
each model's `to_json()` imports with Keras' trainable parameter count (plus PyTorch's second
recurrent bias), the Keras weights, moved into PyTorch's layouts, upload with
`PUT /weights`, and `/predict` then agrees with `model.predict` within 1e-5; one imported
model trains through the API. Prints 'keras: N passed, N failed'.
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from keras import layers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "attack"))
from attacklib import Server, Tally  # noqa: E402
from nnserve_torch import write_safetensors  # noqa: E402

MODELS = {
    "mlp": ([keras.Input((6,)), layers.Dense(8, activation="relu"), layers.BatchNormalization(),
             layers.Dropout(0.3), layers.Dense(3, activation="softmax")], 0),
    "cnn": ([keras.Input((11, 9, 2)), layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
             layers.Conv2D(3, (2, 3), padding="same", activation="tanh"), layers.BatchNormalization(epsilon=1e-2),
             layers.MaxPooling2D(), layers.AveragePooling2D(pool_size=(1, 2), strides=1), layers.Flatten(),
             layers.Dense(5, use_bias=False), layers.Activation("sigmoid")], 0),
    "recurrent": ([keras.Input((6, 4)), layers.LSTM(5, return_sequences=True),
                   layers.SimpleRNN(4, activation="relu", return_sequences=True), layers.SimpleRNN(3),
                   layers.Dense(2)], 4 * 5 + 4 + 3),
    "text": ([keras.Input((12,)), layers.Embedding(30, 6), layers.Conv1D(5, 3, padding="same", activation="relu"),
              layers.MaxPooling1D(), layers.AveragePooling1D(pool_size=2, strides=1),
              layers.Conv1D(4, 2, strides=2, activation="tanh"), layers.GlobalAveragePooling1D(),
              layers.Dense(3, activation="softmax")], 0),
    "tagger": ([keras.Input((7,)), layers.Embedding(9, 4), layers.LSTM(5, return_sequences=True),
                layers.Dense(3, activation="softmax")], 4 * 5),
    "global_pool_2d": ([keras.Input((5, 4, 3)), layers.Conv2D(4, 3, padding="same"), layers.GlobalAveragePooling2D(),
                        layers.Dense(2)], 0),
}


def state_dict(model):
    """Keras weights under nnserve's (PyTorch's) names and layouts. Keras' LSTM gates are
    i, f, c, o, PyTorch's i, f, g, o: the same order."""
    state = {}
    for index, layer in enumerate(model.layers):
        w = [torch.tensor(np.asarray(v)) for v in layer.get_weights()]
        prefix = f"layers.{index}."
        if isinstance(layer, layers.Dense):
            state[prefix + "weight"] = w[0].T.contiguous()
            if len(w) > 1:
                state[prefix + "bias"] = w[1]
        elif isinstance(layer, layers.Embedding):
            state[prefix + "weight"] = w[0]
        elif isinstance(layer, layers.Conv1D):
            state[prefix + "weight"] = w[0].permute(2, 1, 0).contiguous()
            state[prefix + "bias"] = w[1]
        elif isinstance(layer, layers.Conv2D):
            state[prefix + "weight"] = w[0].permute(3, 2, 0, 1).contiguous()
            state[prefix + "bias"] = w[1]
        elif isinstance(layer, layers.BatchNormalization):
            for name, value in zip(["weight", "bias", "running_mean", "running_var"], w):
                state[prefix + name] = value
            state[prefix + "num_batches_tracked"] = torch.tensor(0, dtype=torch.int64)
        elif isinstance(layer, (layers.SimpleRNN, layers.LSTM)):
            state[prefix + "weight_ih_l0"] = w[0].T.contiguous()
            state[prefix + "weight_hh_l0"] = w[1].T.contiguous()
            state[prefix + "bias_ih_l0"] = w[2]
            state[prefix + "bias_hh_l0"] = torch.zeros_like(w[2])
    return state


def main():
    tally = Tally("keras")
    server = Server()
    rng = np.random.default_rng(19)
    try:
        for name, (stack, extra) in MODELS.items():
            keras.utils.set_random_seed(7)
            model = keras.Sequential(stack)
            for layer in model.layers:  # statistics away from 0 and 1, so batch norm is really checked
                if isinstance(layer, layers.BatchNormalization):
                    gamma, beta, mean, var = layer.get_weights()
                    layer.set_weights([gamma + rng.uniform(-0.5, 0.5, gamma.shape).astype(np.float32),
                                       rng.uniform(-0.5, 0.5, beta.shape).astype(np.float32),
                                       rng.uniform(-0.5, 0.5, mean.shape).astype(np.float32),
                                       rng.uniform(0.5, 2, var.shape).astype(np.float32)])
            trainable = sum(int(np.asarray(w).size) for w in model.trainable_weights)
            status, _, body = server.request("POST", "/v1/models", model.to_json(),
                                             {"Content-Type": "application/json"})
            if not tally.check(status == 201, f"{name}: Keras' to_json() imports", body[:300]):
                continue
            created = json.loads(body)
            tally.check(created["params"] == trainable + extra,
                        f"{name}: {created['params']} parameters = Keras' {trainable} + {extra} second biases")
            status, _, body = server.request("PUT", f"/v1/models/{created['id']}/weights",
                                             write_safetensors(state_dict(model)),
                                             {"Content-Type": "application/octet-stream"})
            if not tally.check(status == 200, f"{name}: Keras' weights upload", body[:300]):
                continue
            if isinstance(model.layers[0], layers.Embedding):  # token ids
                x = rng.integers(0, model.layers[0].input_dim, (5, *model.input_shape[1:])).astype(np.float32)
            else:
                x = rng.standard_normal((5, *model.input_shape[1:])).astype(np.float32)
            expected = np.asarray(model.predict(x, verbose=0), dtype=np.float64)
            status, _, body = server.request("POST", f"/v1/models/{created['id']}/predict",
                                             json.dumps({"inputs": x.tolist()}), {"Content-Type": "application/json"})
            ours = np.asarray(json.loads(body)["outputs"], dtype=np.float64) if status == 200 else None
            error = float(np.max(np.abs(ours - expected))) if ours is not None and ours.shape == expected.shape \
                else float("inf")
            tally.check(error <= 1e-5, f"{name}: predict agrees with Keras' model.predict ({error:.1e})", body[:200])

        status, _, body = server.request("POST", "/v1/models", keras.Sequential(
            [keras.Input((5, 2)), layers.GRU(3)]).to_json(), {"Content-Type": "application/json"})
        tally.check(status == 422 and b"GRU" in body and b"config.layers[1].class_name" in body,
                    "an unsupported layer is a 422 naming it and its class", body[:300])

        model = keras.Sequential([keras.Input((2,)), layers.Dense(16, activation="tanh"),
                                  layers.Dense(1, activation="sigmoid")])
        status, _, body = server.request("POST", "/v1/models", model.to_json(), {"Content-Type": "application/json"})
        model_id = json.loads(body).get("id") if status == 201 else None
        points = rng.uniform(-1, 1, (400, 2))
        labels = (np.sum(points ** 2, axis=1) < 0.5).astype(int)
        csv = "x,y,label\n" + "".join(f"{a:.5f},{b:.5f},{c}\n" for (a, b), c in zip(points, labels))
        status, _, body = server.request("POST", "/v1/datasets?name=circle&target=label", csv,
                                         {"Content-Type": "text/csv"})
        dataset = json.loads(body).get("id") if status == 201 else None
        job = {"model_id": model_id, "dataset": dataset, "loss": "binary_cross_entropy", "epochs": 60,
               "batch_size": 32, "optimizer": {"type": "adam", "learning_rate": 0.05}, "seed": 1}
        status, _, body = server.request("POST", "/v1/jobs", json.dumps(job), {"Content-Type": "application/json"})
        job_id = json.loads(body).get("id") if status == 202 else None
        final = {}
        for _ in range(600):
            status, _, body = server.request("GET", f"/v1/jobs/{job_id}")
            final = json.loads(body) if status == 200 else {}
            if final.get("status") in ("succeeded", "failed", "cancelled"):
                break
            __import__("time").sleep(0.1)
        tally.check(final.get("status") == "succeeded", "an imported Keras model trains through the API",
                    str(final)[:300])
        status, _, body = server.request("POST", f"/v1/models/{model_id}/predict",
                                         json.dumps({"inputs": points.tolist()}), {"Content-Type": "application/json"})
        outputs = np.asarray(json.loads(body).get("outputs", []), dtype=np.float64).reshape(-1)
        accuracy = float(np.mean((outputs > 0.5) == labels)) if outputs.size == labels.size else 0.0
        tally.check(accuracy >= 0.9, f"the trained import separates the circle ({accuracy:.2f})")
    finally:
        server.stop()
    tally.finish()


if __name__ == "__main__":
    main()
