"""Progress display for Job.wait(): tqdm when it is installed, else one plain text line that is
rewritten in place (a new line per epoch when the output is not a terminal or a notebook)."""
from __future__ import annotations

import sys


def _fmt(value):
    return "-" if value is None else f"{value:.4g}"


def describe(job: dict) -> str:
    latest = job.get("latest") or {}
    parts = [f"loss {_fmt(latest.get('loss'))}"]
    if latest.get("val_loss") is not None:
        parts.append(f"val_loss {_fmt(latest.get('val_loss'))}")
    if latest.get("accuracy") is not None:
        parts.append(f"acc {_fmt(latest.get('accuracy'))}")
    if latest.get("val_accuracy") is not None:
        parts.append(f"val_acc {_fmt(latest.get('val_accuracy'))}")
    return ", ".join(parts)


class TextProgress:
    def __init__(self, total: int, label: str, stream=None):
        self.total = max(total, 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.in_place = bool(getattr(self.stream, "isatty", lambda: False)()) or "ipykernel" in sys.modules
        self.last = None

    def update(self, job: dict):
        epoch = int(job.get("epoch") or 0)
        width = 24
        filled = int(width * min(epoch, self.total) / self.total)
        line = (f"{self.label} [{'#' * filled}{'.' * (width - filled)}] epoch {epoch}/{self.total} "
                f"{job.get('status', '')}  {describe(job)}")
        if line == self.last:
            return
        self.last = line
        if self.in_place:
            self.stream.write("\r" + line.ljust(100))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self):
        if self.in_place and self.last is not None:
            self.stream.write("\n")
            self.stream.flush()


class TqdmProgress:
    def __init__(self, tqdm, total: int, label: str, stream=None):
        self.bar = tqdm(total=total, desc=label, unit="epoch", file=stream)
        self.done = 0

    def update(self, job: dict):
        epoch = int(job.get("epoch") or 0)
        if epoch > self.done:
            self.bar.update(epoch - self.done)
            self.done = epoch
        self.bar.set_postfix_str(f"{job.get('status', '')} {describe(job)}", refresh=True)

    def close(self):
        self.bar.close()


def make_progress(kind, total: int, label: str, stream=None):
    """kind: True (tqdm if installed, else text), "text", "tqdm", or False/None (nothing)."""
    if not kind:
        return None
    if kind in (True, "tqdm"):
        try:
            from tqdm.auto import tqdm
            return TqdmProgress(tqdm, total, label, stream)
        except ImportError:
            if kind == "tqdm":
                raise
    return TextProgress(total, label, stream)
