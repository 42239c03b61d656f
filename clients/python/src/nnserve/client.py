"""The client: one `Client` per server; `Job` objects for training runs."""
from __future__ import annotations

import io
import os
import time
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import requests

from . import safetensors
from .errors import JobFailed, NNServeError, error_from_response
from .events import parse_events
from .progress import make_progress

try:  # numpy is optional: without it, arrays are plain lists
    import numpy as np
except ImportError:  # pragma: no cover - exercised by setting np = None in the tests
    np = None

ENDED = ("succeeded", "failed", "cancelled")


def _tolist(value):
    """Nested lists of Python numbers from numpy arrays, lists or tuples (JSON has no NaN: the
    server refuses them with a 400 naming the place)."""
    if np is not None and isinstance(value, np.ndarray):
        return value.tolist()
    if np is not None and isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_tolist(v) for v in value]
    return value


def _array(value):
    return np.asarray(value, dtype=np.float32) if np is not None else value


class Prediction:
    """`outputs` (a numpy array when numpy is installed) and, for classifiers, `classes`."""

    def __init__(self, body: dict):
        self.outputs = _array(body["outputs"])
        classes = body.get("classes")
        self.classes = (np.asarray(classes) if np is not None and classes is not None else classes)

    def __repr__(self):
        return f"Prediction(outputs={self.outputs!r}, classes={self.classes!r})"


class Client:
    """A connection to one nnserve server.

    >>> client = Client("http://127.0.0.1:8080", token=None)
    """

    def __init__(self, url: str = "http://127.0.0.1:8080", token: Optional[str] = None, timeout: float = 60.0,
                 session: Optional[requests.Session] = None):
        self.url = url.rstrip("/")
        self.token = token if token is not None else os.environ.get("NN_API_TOKEN") or None
        self.timeout = timeout
        self.session = session or requests.Session()

    def __repr__(self):
        return f"Client({self.url!r}{', token=...' if self.token else ''})"

    # ---- HTTP ----------------------------------------------------------------------------------

    def _headers(self, extra: Optional[dict] = None) -> dict:
        headers = dict(extra or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def request(self, method: str, path: str, *, json: Any = None, data: Optional[bytes] = None,
                params: Optional[dict] = None, headers: Optional[dict] = None, stream: bool = False,
                timeout=None) -> requests.Response:
        """One API call; a non-2xx answer raises the matching NNServeError subclass."""
        if json is not None:
            headers = dict(headers or {}, **{"Content-Type": "application/json"})
            import json as _json
            data = _json.dumps(json, allow_nan=False).encode()
        response = self.session.request(method, self.url + path, data=data, params=params,
                                        headers=self._headers(headers), stream=stream,
                                        timeout=timeout if timeout is not None else self.timeout)
        if response.status_code >= 400:
            try:
                raise error_from_response(response)
            finally:
                response.close()
        return response

    def _json(self, method: str, path: str, **kwargs):
        response = self.request(method, path, **kwargs)
        return None if response.status_code == 204 or not response.content else response.json()

    def _list(self, path: str, params: Optional[dict] = None) -> List[dict]:
        items, after = [], None
        while True:
            query = dict(params or {}, limit=1000)
            if after:
                query["after"] = after
            page = self._json("GET", path, params=query)
            items.extend(page["items"])
            after = page.get("next")
            if not after:
                return items

    # ---- Data sets -----------------------------------------------------------------------------

    def upload_dataset(self, inputs=None, targets=None, *, name: Optional[str] = None,
                       input_shape: Optional[Sequence[int]] = None, task: Optional[str] = None,
                       csv: Union[str, bytes, os.PathLike, io.IOBase, None] = None, target: Optional[str] = None,
                       drop: Optional[Sequence[str]] = None) -> dict:
        """Stores a data set and returns its description (with `id`).

        From arrays or lists: `upload_dataset(X, y, name=...)`, X one row per sample (flat or
        shaped like `input_shape`), y class indices (classification) or numbers (regression).
        From CSV: `upload_dataset(csv="data.csv", target="label", drop=["split"])`; `csv` is a
        path, the CSV text as bytes, or an open file.
        """
        if csv is not None:
            if inputs is not None or targets is not None:
                raise ValueError("give either inputs and targets, or csv, not both")
            if isinstance(csv, bytes):
                body = csv
            elif hasattr(csv, "read"):
                body = csv.read()
                body = body.encode() if isinstance(body, str) else body
            else:
                with open(csv, "rb") as handle:
                    body = handle.read()
                name = name or os.path.splitext(os.path.basename(os.fspath(csv)))[0]
            params = {"name": name, "target": target, "task": task,
                      "drop": ",".join(drop) if drop else None,
                      "input_shape": ",".join(str(d) for d in input_shape) if input_shape else None}
            return self._json("POST", "/v1/datasets", data=body, headers={"Content-Type": "text/csv"},
                              params={k: v for k, v in params.items() if v is not None})
        if inputs is None or targets is None:
            raise ValueError("give inputs and targets (arrays or lists), or csv=")
        body = {"inputs": _tolist(inputs), "targets": _tolist(targets)}
        if name is not None:
            body["name"] = name
        if input_shape is not None:
            body["input_shape"] = [int(d) for d in input_shape]
        elif np is not None and isinstance(inputs, np.ndarray) and inputs.ndim > 2:
            body["input_shape"] = list(inputs.shape[1:])
        if task is not None:
            body["task"] = task
        return self._json("POST", "/v1/datasets", json=body)

    def datasets(self) -> List[dict]:
        return self._list("/v1/datasets")

    def dataset(self, dataset_id: str) -> dict:
        return self._json("GET", f"/v1/datasets/{dataset_id}")

    def delete_dataset(self, dataset_id: str) -> None:
        self._json("DELETE", f"/v1/datasets/{dataset_id}")

    # ---- Models --------------------------------------------------------------------------------

    def create_model(self, spec: dict) -> dict:
        """An untrained model from a spec ({"input_shape": [...], "layers": [...]})."""
        return self._json("POST", "/v1/models", json=spec)

    def models(self) -> List[dict]:
        return self._list("/v1/models")

    def model(self, model_id: str) -> dict:
        return self._json("GET", f"/v1/models/{model_id}")

    def delete_model(self, model_id: str) -> None:
        self._json("DELETE", f"/v1/models/{model_id}")

    def checkpoints(self, model_id: str) -> List[dict]:
        return self._list(f"/v1/models/{model_id}/checkpoints")

    def predict(self, model_id: str, inputs, epoch: Optional[int] = None) -> Prediction:
        """Predictions for a batch of rows (a numpy array or nested lists, one row per sample)."""
        params = {"epoch": epoch} if epoch is not None else None
        return Prediction(self._json("POST", f"/v1/models/{model_id}/predict", json={"inputs": _tolist(inputs)},
                                     params=params))

    def weights_bytes(self, model_id: str, epoch: Optional[int] = None) -> bytes:
        """The model's weights as a safetensors file (the current ones, or checkpoint `epoch`)."""
        params = {"epoch": epoch} if epoch is not None else None
        return self.request("GET", f"/v1/models/{model_id}/weights", params=params).content

    def weights(self, model_id: str, epoch: Optional[int] = None) -> Dict[str, Any]:
        """The weights as {"layers.0.weight": numpy array, ...}, in PyTorch's names and layouts."""
        return safetensors.load(self.weights_bytes(model_id, epoch))

    def upload_weights(self, model_id: str, weights: Union[bytes, Dict[str, Any]]) -> dict:
        """Replaces the model's weights with a safetensors file or a dict of arrays."""
        body = weights if isinstance(weights, (bytes, bytearray)) else safetensors.dump(weights)
        return self._json("PUT", f"/v1/models/{model_id}/weights", data=bytes(body),
                          headers={"Content-Type": "application/octet-stream"})

    def load_into(self, model_id: str, module, epoch: Optional[int] = None, strict: bool = True,
                  key_map: Optional[Dict[str, str]] = None):
        """Loads the weights into a torch.nn.Module (needs torch). Tensor names are nnserve's
        (`layers.{i}.weight`, with `i` the layer's index in the spec); `key_map` renames them, and
        when the module has no `layers.` prefix (a plain nn.Sequential) the prefix is dropped."""
        import torch

        tensors = self.weights(model_id, epoch)
        wanted = set(module.state_dict().keys())
        state = {}
        for name, array in tensors.items():
            key = (key_map or {}).get(name, name)
            if key not in wanted and key.startswith("layers.") and key[len("layers."):] in wanted:
                key = key[len("layers."):]
            state[key] = torch.from_numpy(array)
        return module.load_state_dict(state, strict=strict)

    # ---- Jobs ----------------------------------------------------------------------------------

    def train(self, dataset: Union[str, dict], model: Union[dict, str, None] = None, *, epochs: int = 10,
              batch_size: int = 32, loss: str = "cross_entropy", optimizer: Optional[dict] = None,
              validation: Union[float, str, dict, None] = None, seed: int = 0, **options) -> "Job":
        """Starts a training job and returns it at once; `job.wait()` follows it to the end.

        `dataset` is a data set id (or description); `model` a spec (a new model) or a model id
        (continue training it). `validation` is a fraction (held out), a data set id, or the
        API's object. Other options of POST /v1/jobs pass through (early_stopping,
        lr_schedule, gradient_clip, augmentation, checkpoint_every, shuffle, ...).
        """
        body: Dict[str, Any] = {"dataset": dataset["id"] if isinstance(dataset, dict) else dataset,
                                "loss": loss, "epochs": epochs, "batch_size": batch_size, "seed": seed,
                                "optimizer": optimizer or {"type": "adam", "learning_rate": 0.001}}
        if isinstance(model, str):
            body["model_id"] = model
        elif isinstance(model, dict) and "id" in model and "spec" in model:
            body["model_id"] = model["id"]
        elif model is not None:
            body["model"] = model
        else:
            raise ValueError("give model= a spec dict or a model id")
        if isinstance(validation, float):
            body["validation"] = {"split": validation}
        elif isinstance(validation, str):
            body["validation"] = {"dataset": validation}
        elif validation is not None:
            body["validation"] = validation
        body.update(options)
        return Job(self, self._json("POST", "/v1/jobs", json=body))

    def job(self, job_id: str) -> "Job":
        return Job(self, self._json("GET", f"/v1/jobs/{job_id}"))

    def jobs(self, status: Optional[str] = None) -> List["Job"]:
        return [Job(self, j) for j in self._list("/v1/jobs", {"status": status} if status else None)]

    def events(self, job_id: str, read_timeout: float = 60.0) -> Iterator[Tuple[str, Any]]:
        """The job's server-sent events as (name, data): `status` (the job) and `epoch` (its
        metrics). Ends after the job's final status; raises requests' ReadTimeout when the server
        sends nothing for `read_timeout` seconds."""
        response = self.request("GET", f"/v1/jobs/{job_id}/events", headers={"Accept": "text/event-stream"},
                                stream=True, timeout=(self.timeout, read_timeout))
        with response:
            yield from parse_events(response.iter_content(chunk_size=None))


    # ---- Sweeps --------------------------------------------------------------------------------

    def start_sweep(self, job: dict, parameters: dict, *, search: str = "random", trials: Optional[int] = None,
                    parallel: int = 1, metric: Optional[str] = None, goal: Optional[str] = None,
                    early_termination: Optional[dict] = None, seed: int = 0, name: Optional[str] = None) -> "Sweep":
        """Starts a hyperparameter sweep and returns it at once; `sweep.wait()` follows it to the end.

        `job` is a body of POST /v1/jobs (with an inline `model`); `parameters` maps field paths
        of it to {"values": [...]} or a range {"uniform" | "log_uniform" | "int_uniform": [low, high]}:

        >>> client.start_sweep(job, {"optimizer.learning_rate": {"log_uniform": [1e-4, 1e-1]},
        ...                          "model.layers[0].units": {"values": [32, 64]}}, trials=8,
        ...                    early_termination={"type": "asha", "min_epochs": 2})
        """
        body: Dict[str, Any] = {"job": job, "parameters": parameters, "search": search, "parallel": parallel,
                                "seed": seed}
        for key, value in (("trials", trials), ("metric", metric), ("goal", goal),
                           ("early_termination", early_termination), ("name", name)):
            if value is not None:
                body[key] = value
        return Sweep(self, self._json("POST", "/v1/sweeps", json=body))

    def sweep(self, sweep_id: str) -> "Sweep":
        return Sweep(self, self._json("GET", f"/v1/sweeps/{sweep_id}"))

    def sweeps(self) -> List["Sweep"]:
        """Every sweep, oldest first (without their trials: `refresh()` one to read them)."""
        return [Sweep(self, s) for s in self._list("/v1/sweeps")]

    def sweep_events(self, sweep_id: str, read_timeout: float = 60.0) -> Iterator[Tuple[str, Any]]:
        """The sweep's server-sent events as (name, data): `status` (the sweep) and `trial` (one
        trial that changed). Ends after the sweep's final status."""
        response = self.request("GET", f"/v1/sweeps/{sweep_id}/events", headers={"Accept": "text/event-stream"},
                                stream=True, timeout=(self.timeout, read_timeout))
        with response:
            yield from parse_events(response.iter_content(chunk_size=None))


class Sweep:
    """A hyperparameter sweep. Attributes mirror the API's sweep object (`trials` best first,
    `best`); `refresh()` re-reads it."""

    def __init__(self, client: Client, data: dict):
        self.client = client
        self.data = data

    def __repr__(self):
        return f"Sweep({self.id!r}, status={self.status!r}, trials={self.trial_count})"

    def __getattr__(self, name):
        data = self.__dict__.get("data") or {}
        if name in data:
            return data[name]
        raise AttributeError(name)

    @property
    def done(self) -> bool:
        return self.data["status"] != "running"

    def refresh(self) -> "Sweep":
        self.data = self.client._json("GET", f"/v1/sweeps/{self.id}")
        return self

    def cancel(self) -> "Sweep":
        self.data = self.client._json("POST", f"/v1/sweeps/{self.id}/cancel", data=b"")
        return self

    def wait(self, timeout: Optional[float] = None) -> "Sweep":
        """Follows the sweep's event stream until every trial has ended (or `timeout` seconds,
        then TimeoutError), and returns it with its trials best first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"sweep {self.id} did not end within {timeout} s")
            read_timeout = 30.0 if deadline is None else max(1.0, min(30.0, deadline - time.monotonic()))
            try:
                for name, data in self.client.sweep_events(self.id, read_timeout=read_timeout):
                    if name == "status" and isinstance(data, dict):
                        self.data = data
                    if deadline is not None and time.monotonic() > deadline:
                        break
            except (requests.ConnectionError, requests.Timeout):
                pass  # a quiet or dropped stream: read the sweep and listen again
            self.refresh()
        return self.refresh()

    def best_job(self) -> Optional[Job]:
        """The best trial's job, or None before any trial has a metric."""
        best = self.data.get("best")
        return self.client.job(best["job_id"]) if best else None


class Job:
    """A training job. Attributes mirror the API's job object; `refresh()` re-reads it."""

    def __init__(self, client: Client, data: dict):
        self.client = client
        self.data = data

    def __repr__(self):
        return f"Job({self.id!r}, status={self.status!r}, epoch={self.epoch}/{self.epochs})"

    def __getattr__(self, name):
        data = self.__dict__.get("data") or {}
        if name in data:
            return data[name]
        raise AttributeError(name)

    @property
    def done(self) -> bool:
        return self.data["status"] in ENDED

    def refresh(self) -> "Job":
        self.data = self.client._json("GET", f"/v1/jobs/{self.id}")
        return self

    def cancel(self) -> "Job":
        self.data = self.client._json("POST", f"/v1/jobs/{self.id}/cancel", data=b"")
        return self

    def wait(self, progress: Union[bool, str] = True, timeout: Optional[float] = None, raise_on_failure: bool = True,
             stream=None) -> "Job":
        """Follows the job's event stream until it ends, showing progress (tqdm if installed,
        else a text line; progress=False for none). Raises JobFailed if it failed or was
        cancelled (unless raise_on_failure=False) and TimeoutError after `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        bar = make_progress(progress, int(self.data.get("epochs") or 1), self.id, stream)
        try:
            while not self.done:
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"job {self.id} did not end within {timeout} s")
                read_timeout = 30.0 if deadline is None else max(1.0, min(30.0, deadline - time.monotonic()))
                try:
                    for name, data in self.client.events(self.id, read_timeout=read_timeout):
                        if name == "status" and isinstance(data, dict):
                            self.data = data
                        elif name == "epoch" and isinstance(data, dict):
                            self.data = dict(self.data, epoch=max(self.data.get("epoch", 0), data["epoch"]),
                                             latest={k: data.get(k) for k in
                                                     ("loss", "val_loss", "accuracy", "val_accuracy")})
                        if bar:
                            bar.update(self.data)
                        if deadline is not None and time.monotonic() > deadline:
                            break
                except (requests.ConnectionError, requests.Timeout):
                    pass  # a quiet or dropped stream: read the job and listen again
                self.refresh()
            if bar:
                bar.update(self.data)
        finally:
            if bar:
                bar.close()
        if raise_on_failure and self.data["status"] != "succeeded":
            error = self.data.get("error") or {}
            raise JobFailed(self, error.get("code", self.data["status"]),
                            error.get("message", f"job {self.id} ended {self.data['status']}"))
        return self

    def metrics(self) -> List[dict]:
        """One dict per finished epoch: epoch, loss, val_loss, accuracy, val_accuracy,
        learning_rate, grad_norm, grad_norms (per layer), seconds."""
        return self.client._json("GET", f"/v1/jobs/{self.id}/metrics")["epochs"]

    def history(self) -> Dict[str, list]:
        """The metrics as lists by name (Keras' History.history shape): {"loss": [...], ...}."""
        epochs = self.metrics()
        keys = [k for k in ("epoch", "loss", "val_loss", "accuracy", "val_accuracy", "learning_rate", "grad_norm",
                            "seconds") if any(e.get(k) is not None for e in epochs)]
        return {k: [e.get(k) for e in epochs] for k in keys}

    def metrics_frame(self):
        """The metrics as a pandas DataFrame indexed by epoch, one `grad_norm/<layer>` column per
        layer (needs pandas)."""
        import pandas as pd

        rows = []
        for e in self.metrics():
            row = {k: v for k, v in e.items() if k != "grad_norms"}
            row.update({f"grad_norm/{layer}": v for layer, v in (e.get("grad_norms") or {}).items()})
            rows.append(row)
        return pd.DataFrame(rows).set_index("epoch") if rows else pd.DataFrame()

    def predict(self, inputs, epoch: Optional[int] = None) -> Prediction:
        return self.client.predict(self.data["model_id"], inputs, epoch=epoch)

    def weights(self, epoch: Optional[int] = None) -> Dict[str, Any]:
        return self.client.weights(self.data["model_id"], epoch)


__all__ = ["Client", "Job", "Sweep", "Prediction", "NNServeError"]
