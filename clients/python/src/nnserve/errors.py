"""Errors: every non-2xx answer of the API becomes an NNServeError carrying the API's error body
({"error": {"code", "message", "path"}}), as a subclass chosen by the HTTP status."""
from __future__ import annotations

from typing import Optional


class NNServeError(Exception):
    """An error answer of the API (or a failed job): `status`, `code`, `message` and `path`."""

    def __init__(self, status: int, code: str, message: str, path: Optional[str] = None):
        self.status = status
        self.code = code
        self.message = message
        self.path = path
        where = f" (at {path})" if path else ""
        super().__init__(f"{status} {code}: {message}{where}")


class BadRequest(NNServeError):
    """400: malformed request (bad JSON, a bad query value)."""


class Unauthorized(NNServeError):
    """401: the server has an API token and it was missing or wrong: pass Client(url, token=...)."""


class NotFound(NNServeError):
    """404: no such id or route."""


class Conflict(NNServeError):
    """409: the request conflicts with the current state (e.g. predicting with an untrained model)."""


class ValidationError(NNServeError):
    """422: well-formed but invalid; `path` names the field at fault."""


class TooManyRequests(NNServeError):
    """429 (or 503): overloaded; `retry_after` is the server's Retry-After in seconds, if given."""

    def __init__(self, status, code, message, path=None, retry_after: Optional[float] = None):
        super().__init__(status, code, message, path)
        self.retry_after = retry_after


class ServerError(NNServeError):
    """5xx: a fault in the server; its log names the request id."""


class JobFailed(NNServeError):
    """A training job ended `failed` (status is the job's, e.g. code `diverged`) or `cancelled`."""

    def __init__(self, job, code: str, message: str):
        self.job = job
        super().__init__(0, code, message, None)


class SafetensorsError(ValueError):
    """A weights file that is not a well-formed safetensors file."""


_BY_STATUS = {400: BadRequest, 401: Unauthorized, 404: NotFound, 409: Conflict, 422: ValidationError,
              429: TooManyRequests, 503: TooManyRequests}


def error_from_response(response) -> NNServeError:
    """The typed error for a `requests` response with a non-2xx status."""
    status = response.status_code
    code, message, path = f"http_{status}", response.reason or "request failed", None
    try:
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            error = body["error"]
            code = str(error.get("code", code))
            message = str(error.get("message", message))
            path = error.get("path")
    except ValueError:
        text = response.text.strip()
        if text:
            message = text[:500]
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else NNServeError)
    if cls is TooManyRequests:
        retry = response.headers.get("Retry-After")
        try:
            retry_after = float(retry) if retry is not None else None
        except ValueError:
            retry_after = None
        return cls(status, code, message, path, retry_after=retry_after)
    return cls(status, code, message, path)
