"""Shared pieces of the attack suite: start a real nnserve, speak raw HTTP to it, tally checks.

Each scripts/attack/*_attacks.py imports this module, starts its own servers (on port 0, in a
fresh data directory) and prints one closing line 'N passed, N failed'.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("NNSERVE_BIN", os.path.join(REPO, ".build", "release", "nnserve"))
DATASETS = os.path.join(REPO, "datasets")


class Server:
    """One nnserve process on a free loopback port with its own data directory."""

    def __init__(self, env=None, data_dir=None, args=()):
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="nnserve-attack-")
        self.log_path = os.path.join(self.data_dir, "server.log")
        merged = dict(os.environ)
        merged.update(env or {})
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [BINARY, "--port", "0", "--data-dir", self.data_dir, *args],
            env=merged, stdout=self.log, stderr=self.log, cwd=REPO)
        self.port = self._wait_for_port()

    def _wait_for_port(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            # The log first: a server that listened and then died (a job that crashes it at
            # start-up, on purpose in the crash-loop attack) still started, and its caller
            # checks what happened next.
            match = re.search(r"listening on [^ ]*:(\d+)", self.log_text())
            if match:
                return int(match.group(1))
            if self.process.poll() is not None:
                raise RuntimeError("nnserve exited at start-up:\n" + self.log_text())
            time.sleep(0.05)
        raise RuntimeError("nnserve did not report its port:\n" + self.log_text())

    def log_text(self):
        with open(self.log_path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")

    def alive(self):
        return self.process.poll() is None

    def rss_bytes(self):
        with open(f"/proc/{self.process.pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def connect(self, timeout=10):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        return sock

    def raw(self, data, timeout=10, shutdown_write=False):
        """Sends raw bytes on a new connection and returns everything read until close or timeout."""
        sock = self.connect(timeout)
        try:
            sock.sendall(data)
            if shutdown_write:
                sock.shutdown(socket.SHUT_WR)
            return read_all(sock)
        finally:
            sock.close()

    def request(self, method, path, body=b"", headers=None, timeout=30):
        """One request with Connection: close; returns (status, headers dict, body bytes)."""
        headers = dict(headers or {})
        if isinstance(body, str):
            body = body.encode()
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        if body or method in ("POST", "PUT", "PATCH"):
            headers.setdefault("Content-Length", str(len(body)))
        lines += [f"{k}: {v}" for k, v in headers.items()]
        data = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        return parse_response(self.raw(data, timeout))

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode


def read_all(sock):
    chunks = []
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except (socket.timeout, ConnectionResetError):
        pass
    return b"".join(chunks)


def parse_response(data):
    """Parses the first response in `data`: (status, lower-cased headers, body bytes)."""
    if not data:
        return (0, {}, b"")
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = body[: int(headers["content-length"])]
    return (status, headers, body)


class Tally:
    """Counts checks and prints the closing line that CI reads."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, condition, what, detail=""):
        if condition:
            self.passed += 1
            print(f"ok    {what}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL  {what} {detail}", flush=True)
        return condition

    def finish(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed else 0)
