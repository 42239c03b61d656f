"""The client against a live nnserve: data sets, training with progress, metrics, predictions,
weights, and the typed errors."""
import io
import json
import os
import struct

import numpy as np
import pytest

import nnserve
from nnserve import Client, load_safetensors, dump_safetensors
from conftest import TOKEN

XOR_X = [[0, 0], [0, 1], [1, 0], [1, 1]]
XOR_Y = [0, 1, 1, 0]
SPEC = {"input_shape": [2], "layers": [{"type": "dense", "units": 8, "activation": "tanh"}, {"type": "dense", "units": 2}]}


def blobs(n=400, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    centres = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    x = centres[y] + rng.normal(0, 0.5, size=(n, 2))
    return x.astype(np.float32), y


@pytest.fixture(scope="module")
def trained(server):
    """A model trained on three blobs, with its job and data."""
    client = Client(server.url)
    x, y = blobs()
    data = client.upload_dataset(x, y, name="blobs")
    job = client.train(data, model={"input_shape": [2], "layers": [
        {"type": "dense", "units": 16, "activation": "relu"}, {"type": "dense", "units": 3}]},
        epochs=8, batch_size=32, validation=0.2, optimizer={"type": "adam", "learning_rate": 0.05})
    job.wait(progress=False, timeout=120)
    return client, job, x, y


def test_upload_from_lists_numpy_and_csv(client, repo, tmp_path):
    from_lists = client.upload_dataset(XOR_X, XOR_Y, name="xor")
    assert from_lists["rows"] == 4 and from_lists["input_shape"] == [2]
    assert from_lists["target"] == {"classes": 2, "kind": "classes"}

    images = np.zeros((6, 4, 4, 1), dtype=np.float32)
    from_numpy = client.upload_dataset(images, np.arange(6) % 2, name="images")
    assert from_numpy["input_shape"] == [4, 4, 1], "the shape of a numpy batch is sent as input_shape"

    circle = os.path.join(repo, "datasets", "circle.csv")
    from_path = client.upload_dataset(csv=circle, target="label", drop=["split"])
    assert from_path["name"] == "circle" and from_path["input_shape"] == [2]
    with open(circle) as handle:
        assert from_path["rows"] == sum(1 for _ in handle) - 1

    text = b"a,b,y\n0.5,1.5,2.0\n1.0,2.0,3.5\n"
    from_bytes = client.upload_dataset(csv=text, name="reg", task="regression")
    assert from_bytes["target"]["kind"] == "values"
    from_file = client.upload_dataset(csv=io.BytesIO(text), name="reg2", task="regression")
    assert from_file["rows"] == 2
    ids = {d["id"] for d in client.datasets()}
    assert {from_lists["id"], from_numpy["id"], from_path["id"], from_bytes["id"], from_file["id"]} <= ids


def test_train_waits_with_text_progress_fed_by_events(client):
    data = client.upload_dataset(XOR_X, XOR_Y)
    job = client.train(data["id"], model=SPEC, epochs=5, batch_size=4, optimizer={"type": "sgd", "learning_rate": 0.1})
    assert job.status in ("queued", "running") and job.id.startswith("job_")
    out = io.StringIO()
    assert job.wait(progress="text", stream=out, timeout=60) is job
    assert job.status == "succeeded" and job.epoch == 5 and job.done
    lines = out.getvalue().splitlines()
    assert any("epoch 5/5" in line and "succeeded" in line for line in lines), lines
    assert all(line.startswith(job.id) for line in lines)


def test_metrics_as_lists_history_and_dataframe(trained):
    _, job, _, _ = trained
    epochs = job.metrics()
    assert [e["epoch"] for e in epochs] == list(range(1, 9))
    assert set(epochs[0]["grad_norms"]) == {"layers.0", "layers.1"}
    history = job.history()
    assert len(history["loss"]) == 8 and len(history["val_accuracy"]) == 8
    assert history["loss"][-1] < history["loss"][0]
    pd = pytest.importorskip("pandas")
    frame = job.metrics_frame()
    assert isinstance(frame, pd.DataFrame) and list(frame.index) == list(range(1, 9))
    assert "grad_norm/layers.1" in frame.columns and frame["loss"].iloc[-1] == history["loss"][-1]


def test_predict_from_numpy_and_lists(trained):
    client, job, x, y = trained
    prediction = job.predict(x[:50])
    assert isinstance(prediction.outputs, np.ndarray) and prediction.outputs.shape == (50, 3)
    np.testing.assert_allclose(prediction.outputs.sum(axis=1), 1, rtol=1e-4)
    assert (prediction.classes == y[:50]).mean() > 0.9
    as_lists = client.predict(job.model_id, x[:3].tolist())
    np.testing.assert_allclose(as_lists.outputs, prediction.outputs[:3], rtol=1e-5, atol=1e-7)


def test_predict_without_numpy_gives_lists(trained, monkeypatch):
    client, job, x, _ = trained
    import nnserve.client as module
    monkeypatch.setattr(module, "np", None)
    prediction = client.predict(job.model_id, [[2.0, 0.0]])
    assert isinstance(prediction.outputs, list) and len(prediction.outputs[0]) == 3
    assert prediction.classes == [0]


def test_weights_as_numpy_round_trip_and_checkpoints(trained):
    client, job, x, _ = trained
    weights = job.weights()
    assert sorted(weights) == ["layers.0.bias", "layers.0.weight", "layers.1.bias", "layers.1.weight"]
    assert weights["layers.0.weight"].shape == (16, 2) and weights["layers.0.weight"].dtype == np.float32
    # The safetensors layout is PyTorch's: logits = relu(x W0^T + b0) W1^T + b1.
    hidden = np.maximum(x[:5] @ weights["layers.0.weight"].T + weights["layers.0.bias"], 0)
    logits = hidden @ weights["layers.1.weight"].T + weights["layers.1.bias"]
    probabilities = np.exp(logits - logits.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    np.testing.assert_allclose(job.predict(x[:5]).outputs, probabilities, atol=1e-5)

    # The server keeps the 3 newest checkpoints and the best one; the oldest kept is not the last.
    kept = [c["epoch"] for c in client.checkpoints(job.model_id)]
    assert kept[-1] == 8 and 3 <= len(kept) <= 4
    first = client.weights(job.model_id, epoch=kept[0])
    assert not np.array_equal(first["layers.0.weight"], weights["layers.0.weight"])

    other = client.create_model(job.client.model(job.model_id)["spec"])
    client.upload_weights(other["id"], weights)
    # A model created without training has no loss, so it answers the last layer's values: logits.
    np.testing.assert_allclose(client.predict(other["id"], x[:5]).outputs, logits, atol=1e-4)


def test_load_into_torch_module(trained):
    torch = pytest.importorskip("torch")
    client, job, x, _ = trained
    module = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    client.load_into(job.model_id, module, key_map={"layers.1.weight": "2.weight", "layers.1.bias": "2.bias"})
    with torch.no_grad():
        probabilities = torch.softmax(module(torch.from_numpy(x[:5])), dim=1).numpy()
    np.testing.assert_allclose(job.predict(x[:5]).outputs, probabilities, atol=1e-5)


def test_typed_errors_carry_code_message_and_path(client):
    with pytest.raises(nnserve.ValidationError) as caught:
        client.upload_dataset([[0, 0], [0]], [0, 1])
    error = caught.value
    assert error.status == 422 and error.path == "inputs[1]" and error.code and error.message
    assert isinstance(error, nnserve.NNServeError) and "inputs[1]" in str(error)

    with pytest.raises(nnserve.NotFound) as caught:
        client.job("job_0000000000000000")
    assert caught.value.status == 404 and caught.value.code == "not_found"

    with pytest.raises(nnserve.ValidationError) as caught:
        client.train("ds_0000000000000000", model=SPEC)
    assert caught.value.path == "dataset"

    model = client.create_model(SPEC)
    with pytest.raises(nnserve.Conflict) as caught:
        client.predict(model["id"], [[0, 1]])
    assert caught.value.status == 409

    with pytest.raises(ValueError):
        client.predict(model["id"], [[float("nan"), 1]])  # JSON has no NaN: refused before sending


def test_a_diverging_job_raises_job_failed(client):
    data = client.upload_dataset([[1.0, 2.0], [3.0, 4.0]], [10.0, 20.0], task="regression")
    linear = {"input_shape": [2], "layers": [{"type": "dense", "units": 1}]}
    job = client.train(data, model=linear, loss="mse", epochs=50, batch_size=2,
                       optimizer={"type": "sgd", "learning_rate": 1e6})
    with pytest.raises(nnserve.JobFailed) as caught:
        job.wait(progress=False, timeout=60)
    assert caught.value.code == "diverged" and caught.value.job.status == "failed"
    assert "learning rate" in caught.value.message
    assert job.wait(progress=False, raise_on_failure=False).status == "failed"


def test_cancel(client):
    x, y = blobs(4000, seed=1)
    data = client.upload_dataset(x, y)
    job = client.train(data, model=SPEC | {"layers": [{"type": "dense", "units": 64, "activation": "relu"},
                                                       {"type": "dense", "units": 3}]}, epochs=1000, batch_size=4)
    job.cancel()
    assert job.status == "cancelled"
    with pytest.raises(nnserve.JobFailed) as caught:
        job.wait(progress=False, timeout=30)
    assert caught.value.code == "cancelled"


def test_sweep_runs_its_grid_and_ranks_the_trials(client):
    x, y = blobs(300, seed=2)
    data = client.upload_dataset(x, y)
    job = {"model": {"input_shape": [2], "layers": [{"type": "dense", "units": 8, "activation": "relu"},
                                                    {"type": "dense", "units": 3}]},
           "dataset": data["id"], "validation": {"split": 0.2}, "loss": "cross_entropy",
           "optimizer": {"type": "sgd", "learning_rate": 0.1}, "epochs": 3}
    sweep = client.start_sweep(job, {"optimizer.learning_rate": {"values": [0.001, 0.3]},
                                     "batch_size": {"values": [8, 32]}}, search="grid", parallel=2,
                               metric="val_accuracy", name="blobs-grid")
    assert sweep.status == "running" and sweep.trial_count == 4
    sweep.wait(timeout=120)
    assert sweep.status == "succeeded"
    metrics = [t["metric"] for t in sweep.trials]
    assert metrics == sorted(metrics, reverse=True)
    best = sweep.best_job()
    assert best.id == sweep.trials[0]["job_id"] and f"sweep:{sweep.id}" in best.tags
    assert [s.id for s in client.sweeps()] == [sweep.id]
    with pytest.raises(nnserve.ValidationError) as caught:
        client.start_sweep(job, {"model.layers[5].units": {"values": [4]}})
    assert caught.value.path == "parameters.model.layers[5].units"


def test_token(token_server):
    with pytest.raises(nnserve.Unauthorized) as caught:
        Client(token_server.url, token="").datasets()
    assert caught.value.status == 401 and caught.value.code == "unauthorized"
    with pytest.raises(nnserve.Unauthorized):
        Client(token_server.url, token="wrong").datasets()
    client = Client(token_server.url, token=TOKEN)
    data = client.upload_dataset(XOR_X, XOR_Y)
    job = client.train(data, model=SPEC, epochs=2, batch_size=4).wait(progress=False, timeout=60)
    assert len(job.metrics()) == 2 and client.predict(job.model_id, XOR_X).outputs.shape == (4, 2)


def test_safetensors_round_trip_and_hostile_files():
    tensors = {"b": np.arange(3, dtype=np.float32), "a": np.ones((2, 3), dtype=np.float64), "n": np.array([1, 2])}
    data = dump_safetensors(tensors, metadata={"format": "pt"})
    back = load_safetensors(data)
    assert back["a"].dtype == np.float32 and back["a"].shape == (2, 3), "float64 is stored as float32"
    np.testing.assert_array_equal(back["b"], tensors["b"])
    assert back["n"].dtype == np.int64
    (length,) = struct.unpack("<Q", data[:8])
    assert (8 + length) % 8 == 0
    header = json.loads(data[8:8 + length])

    def rebuilt(mutate):
        h = json.loads(json.dumps(header))
        mutate(h)
        text = json.dumps(h).encode()
        return struct.pack("<Q", len(text)) + text + data[8 + length:]

    hostile = {
        "short": data[:5],
        "huge header length": struct.pack("<Q", 2 ** 63) + data[8:],
        "header past the end": struct.pack("<Q", len(data)) + data[8:],
        "not JSON": struct.pack("<Q", 4) + b"{{{{",
        "not an object": struct.pack("<Q", 2) + b"[]",
        "offsets past the end": rebuilt(lambda h: h["b"].update(data_offsets=[0, 10 ** 12])),
        "offsets reversed": rebuilt(lambda h: h["b"].update(data_offsets=[12, 0])),
        "shape does not fit": rebuilt(lambda h: h["b"].update(shape=[4])),
        "negative dimension": rebuilt(lambda h: h["b"].update(shape=[-3])),
        "unknown dtype": rebuilt(lambda h: h["b"].update(dtype="F8E4")),
        "no shape": rebuilt(lambda h: h["b"].pop("shape")),
    }
    for what, bad in hostile.items():
        with pytest.raises(nnserve.SafetensorsError):
            load_safetensors(bad)
            pytest.fail(what)


def test_load_into_maps_names_onto_a_module_with_a_stand_in_for_torch(trained, monkeypatch):
    """load_into's renaming (a `layers.` prefix dropped for nn.Sequential, key_map applied), with a
    stand-in torch module so that it runs where torch is not installed."""
    import sys
    import types

    client, job, _, _ = trained
    fake = types.ModuleType("torch")
    fake.from_numpy = lambda array: ("tensor", array)
    monkeypatch.setitem(sys.modules, "torch", fake)

    class Module:
        loaded = None

        def state_dict(self):
            return {"0.weight": None, "0.bias": None, "2.weight": None, "2.bias": None}

        def load_state_dict(self, state, strict=True):
            Module.loaded = (state, strict)
            return "result"

    module = Module()
    assert client.load_into(job.model_id, module, key_map={"layers.1.weight": "2.weight", "layers.1.bias": "2.bias"},
                            strict=False) == "result"
    state, strict = Module.loaded
    assert sorted(state) == ["0.bias", "0.weight", "2.bias", "2.weight"] and strict is False
    np.testing.assert_array_equal(state["2.weight"][1], job.weights()["layers.1.weight"])


def test_event_parser_handles_split_chunks_crlf_comments_and_bad_data():
    from nnserve.events import parse_events

    stream = b'event: status\r\ndata: {"status": "running"}\r\n\r\n: keep-alive\n\nevent: epoch\ndata: {"ep'
    stream += b'och": 1}\n\ndata: not json\n\nevent: lonely\n\n\xff\xfe\n\nevent: epoch\ndata: {"epoch": 2}\n\n'
    chunks = [stream[i:i + 7] for i in range(0, len(stream), 7)]  # split mid-line and mid-character
    events = list(parse_events(chunks))
    assert events == [("status", {"status": "running"}), ("epoch", {"epoch": 1}), ("message", "not json"),
                      ("epoch", {"epoch": 2})]
