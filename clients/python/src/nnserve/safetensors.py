"""Reading and writing safetensors files without the safetensors package.

The format (https://huggingface.co/docs/safetensors): an 8-byte little-endian unsigned header
length N, then N bytes of JSON {name: {"dtype", "shape", "data_offsets": [begin, end]},
"__metadata__": {...}}, then the tensors' raw little-endian bytes; offsets count from the end
of the header. Every size is checked against the file before it is used.
"""
from __future__ import annotations

import json
import struct
from typing import Dict

from .errors import SafetensorsError

_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
           "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "?"}
_MAX_HEADER = 100 * 1024 * 1024  # the reference implementation's limit


def _numpy():
    try:
        import numpy
    except ImportError as error:  # pragma: no cover - the message is the point
        raise ImportError("reading weights as arrays needs numpy: pip install numpy") from error
    return numpy


def parse_header(data: bytes) -> tuple:
    """(header dict without __metadata__, metadata dict, offset of the data) after checking sizes."""
    if len(data) < 8:
        raise SafetensorsError(f"a safetensors file has at least 8 bytes; this one has {len(data)}")
    (length,) = struct.unpack("<Q", data[:8])
    if length > _MAX_HEADER or 8 + length > len(data):
        raise SafetensorsError(f"the header claims {length} bytes but the file has {len(data) - 8} after the length")
    try:
        header = json.loads(data[8:8 + length].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise SafetensorsError(f"the header is not JSON: {error}") from None
    if not isinstance(header, dict):
        raise SafetensorsError("the header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    return header, metadata, 8 + length


def load(data: bytes) -> Dict[str, "object"]:
    """The tensors of a safetensors file as a dict of numpy arrays (copies, writable)."""
    np = _numpy()
    header, _, start = parse_header(data)
    body = len(data) - start
    tensors = {}
    for name, entry in header.items():
        try:
            dtype = np.dtype(_DTYPES[entry["dtype"]])
            shape = [int(d) for d in entry["shape"]]
            begin, end = (int(x) for x in entry["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise SafetensorsError(f"tensor {name!r}: dtype, shape or data_offsets missing or unknown") from None
        if any(d < 0 for d in shape):
            raise SafetensorsError(f"tensor {name!r}: negative dimension in shape {shape}")
        count = 1
        for d in shape:
            count *= d
        if not 0 <= begin <= end <= body:
            raise SafetensorsError(f"tensor {name!r}: data_offsets [{begin}, {end}] outside the {body} data bytes")
        if end - begin != count * dtype.itemsize:
            raise SafetensorsError(f"tensor {name!r}: shape {shape} of {entry['dtype']} needs "
                                   f"{count * dtype.itemsize} bytes, data_offsets give {end - begin}")
        array = np.frombuffer(data, dtype=dtype, count=count, offset=start + begin).reshape(shape)
        tensors[name] = array.astype(dtype.newbyteorder("="), copy=True)
    return tensors


def dump(tensors: Dict[str, "object"], metadata: Dict[str, str] = None) -> bytes:
    """A safetensors file of numpy arrays (float32 unless given otherwise), names sorted."""
    np = _numpy()
    reverse = {np.dtype(v).newbyteorder("<").str: k for k, v in _DTYPES.items()}
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        array = np.asarray(tensors[name])
        if array.dtype.kind == "f" and array.dtype.itemsize == 8:
            array = array.astype("<f4")  # the server keeps float32
        array = np.ascontiguousarray(array.astype(array.dtype.newbyteorder("<")))
        key = array.dtype.newbyteorder("<").str if array.dtype.itemsize > 1 else array.dtype.str
        if key not in reverse:
            raise SafetensorsError(f"tensor {name!r}: dtype {array.dtype} has no safetensors name")
        raw = array.tobytes()
        header[name] = {"dtype": reverse[key], "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # keeps the data 8-byte aligned, as the reference writer does
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)
