"""Python client for nnserve, the HTTP service that trains neural networks and serves predictions.

    from nnserve import Client
    client = Client("http://127.0.0.1:8080", token=None)
    data = client.upload_dataset(X, y, name="xor")
    job = client.train(data, model={"input_shape": [2], "layers": [...]}, epochs=50).wait()
    job.predict(X).outputs
"""
from .client import Client, Job, Prediction, Sweep
from .errors import (BadRequest, Conflict, JobFailed, NNServeError, NotFound, SafetensorsError, ServerError,
                     TooManyRequests, Unauthorized, ValidationError)
from .safetensors import dump as dump_safetensors
from .safetensors import load as load_safetensors

__version__ = "0.1.0"
__all__ = ["Client", "Job", "Sweep", "Prediction", "NNServeError", "BadRequest", "Unauthorized", "NotFound", "Conflict",
           "ValidationError", "TooManyRequests", "ServerError", "JobFailed", "SafetensorsError",
           "load_safetensors", "dump_safetensors"]
