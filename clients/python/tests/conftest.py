"""Fixtures: a real nnserve (the release build, or $NNSERVE_BIN) on a free port with a fresh data
directory, one without a token and one with."""
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BINARY = os.environ.get("NNSERVE_BIN", os.path.join(REPO, ".build", "release", "nnserve"))
TOKEN = "client-test-token"


class Server:
    def __init__(self, env=None):
        if not os.access(BINARY, os.X_OK):
            pytest.fail(f"no nnserve at {BINARY}: build it with swift build -c release (or set NNSERVE_BIN)")
        self.data_dir = tempfile.mkdtemp(prefix="nnserve-client-")
        self.log_path = os.path.join(self.data_dir, "server.log")
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen([BINARY, "--port", "0", "--data-dir", self.data_dir],
                                        env=dict(os.environ, NN_THREADS="1", **(env or {})),
                                        stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("nnserve exited at start-up:\n" + self.log_text())
            match = re.search(r"listening on [^ ]*:(\d+)", self.log_text())
            if match:
                self.url = f"http://127.0.0.1:{match.group(1)}"
                return
            time.sleep(0.05)
        raise RuntimeError("nnserve did not report its port:\n" + self.log_text())

    def log_text(self):
        with open(self.log_path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def token_server():
    s = Server(env={"NN_API_TOKEN": TOKEN})
    yield s
    s.stop()


@pytest.fixture
def client(server):
    from nnserve import Client
    return Client(server.url)


@pytest.fixture(scope="session")
def repo():
    return REPO
