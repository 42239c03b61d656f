#!/usr/bin/env python3
"""The HTTP side of the hardening findings, tried against a real nnserve started with a token.

Each check does what an attacker would and asserts the safe outcome:
  - every encoded spelling of /v1 still needs the token; dot, empty and %2F segments are 400;
  - an unauthenticated 'Expect: 100-continue' upload of 500 MB gets 401, never 100 Continue;
  - three unauthenticated 1 GiB gzip bombs (about 1 MiB each on the wire) leave RSS flat;
  - a body trickled at 1 byte/s is cut off with 408 after the 10 s grace period;
  - one address cannot hold more than its share of connections (default 64);
  - 300 made-up methods do not add series to /metrics;
  - /healthz p99 stays under 50 ms on 8 polling connections while a 100,000-row predict runs.

Python 3 standard library only; bounded to about two minutes. Prints 'N passed, N failed'.
"""
import json
import multiprocessing
import os
import random
import select
import selectors
import socket
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attacklib import Server, Tally, parse_response, read_all  # noqa: E402

TOKEN = "attack-suite-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
tally = Tally("http_attacks")


def head_bytes(method, path, headers):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def rss_mib(server):
    return server.rss_bytes() / (1 << 20)


# --- One path, one decision -------------------------------------------------------------


def encoded_paths(server):
    for path in ["/%761/models", "/v%31/jobs", "/%76%31/datasets", "/v1/%6dodels", "/%76%31/%6D%6F%64%65%6C%73"]:
        status, _, _ = server.request("GET", path)
        tally.check(status == 401, f"GET {path} without the token is 401", f"(got {status})")
        status, _, _ = server.request("GET", path, headers=AUTH)
        tally.check(status == 200, f"GET {path} with the token is 200", f"(got {status})")
    status, _, _ = server.request("GET", "/%2576%31/models")
    tally.check(status == 404, "GET /%2576%31/models decodes once (the literal %76) and is 404", f"(got {status})")
    for path in ["/v1/models//", "/v1//models", "/v1/%2e%2e/healthz", "/v1/%2E%2e/v1/models", "/v1%2Fmodels",
                 "/v1/./models", "/v1/models/%zz"]:
        status, _, body = server.request("GET", path, headers=AUTH)
        ok = status == 400 and b'"invalid_path"' in body
        tally.check(ok, f"GET {path} is 400 invalid_path", f"(got {status} {body[:120]!r})")


# --- Auth from the head -----------------------------------------------------------------


def expect_continue_upload(server):
    sock = server.connect(timeout=5)
    try:
        sock.sendall(head_bytes("POST", "/v1/datasets", {
            "Content-Type": "application/json", "Expect": "100-continue", "Content-Length": "500000000"}))
        started = time.time()
        data = read_all(sock)
        elapsed = time.time() - started
    finally:
        sock.close()
    tally.check(data.startswith(b"HTTP/1.1 401 "), "unauthenticated Expect: 100-continue 500 MB upload gets 401",
                f"(got {data[:60]!r})")
    tally.check(b"100 Continue" not in data, "no 100 Continue is sent to it")
    tally.check(elapsed < 4, "the connection is closed instead of waiting for the body", f"({elapsed:.1f} s)")


def gzip_bomb(size=1 << 30):
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    parts = [compressor.compress(zeros) for _ in range(size >> 20)]
    parts.append(compressor.flush())
    return b"".join(parts)


def send_bomb(server, bomb):
    sock = server.connect(timeout=10)
    try:
        sock.sendall(head_bytes("POST", "/v1/datasets", {
            "Content-Type": "application/json", "Content-Encoding": "gzip", "Content-Length": str(len(bomb))}))
        try:
            sock.sendall(bomb)
        except OSError:
            pass  # the server answered from the head and stopped reading
        return parse_response(read_all(sock))[0]
    finally:
        sock.close()


def gzip_bombs(server):
    bomb = gzip_bomb()
    tally.check(len(bomb) < 2 << 20, f"a 1 GiB gzip bomb is {len(bomb) / (1 << 20):.2f} MiB on the wire")
    before = rss_mib(server)
    statuses = [send_bomb(server, bomb) for _ in range(3)]
    time.sleep(0.3)
    after = rss_mib(server)
    tally.check(statuses == [401, 401, 401], "three unauthenticated gzip bombs get 401", f"(got {statuses})")
    tally.check(after - before < 8, f"RSS grew {after - before:.1f} MiB over the bombs (limit 8 MiB)",
                f"({before:.1f} -> {after:.1f} MiB)")
    tally.check(server.alive(), "the server is alive after the bombs")


# --- Slow clients -----------------------------------------------------------------------


def trickled_body(server):
    sock = server.connect(timeout=20)
    sock.settimeout(1.2)
    answer = b""
    started = time.time()
    try:
        sock.sendall(head_bytes("POST", "/v1/datasets", dict(AUTH, **{
            "Content-Type": "application/json", "Content-Length": "1000"})))
        # One byte a second, well under 1 KiB/s; the 10 s grace period is the real default.
        while time.time() - started < 16 and not answer:
            try:
                sock.sendall(b" ")
            except OSError:
                pass
            try:
                answer = sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
        elapsed = time.time() - started
    finally:
        sock.close()
    status = parse_response(answer)[0]
    tally.check(status == 408, "a body trickled at 1 byte/s is cut off with 408", f"(got {answer[:60]!r})")
    tally.check(9 <= elapsed <= 13, f"... after {elapsed:.1f} s (grace 10 s)")


def per_client_cap(server, cap):
    """One address opens cap + 1 connections: one of them (the last one the server accepts,
    which on a loaded machine need not be the last one opened) is answered 429 and closed."""
    held = []
    try:
        for _ in range(cap + 1):
            held.append(server.connect(timeout=5))
        answers = {}
        deadline = time.time() + 5
        while time.time() < deadline and not answers:
            ready, _, _ = select.select(held, [], [], 0.2)
            for sock in ready:
                answers[sock] = read_all(sock)
        refused = [parse_response(data) for data in answers.values()]
        status, headers, body = refused[0] if refused else (0, {}, b"")
        tally.check(len(refused) == 1 and status == 429 and b"too_many_connections" in body,
                    f"connection {cap + 1} from one address gets 429",
                    f"(got {len(refused)} answers, first {status} {body[:80]!r})")
        tally.check(headers.get("retry-after") is not None, "... with Retry-After")
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.5)
    status, _, _ = server.request("GET", "/healthz")
    tally.check(status == 200, "closed connections free the address's slots", f"(got {status})")


# --- Metrics ----------------------------------------------------------------------------


def metric_series(server):
    """The label sets of the request counters and latency histograms (buckets not counted)."""
    _, _, body = server.request("GET", "/metrics")
    return {line.split(" ")[0] for line in body.decode().splitlines()
            if line.startswith("nnserve_http_requests_total{")
            or line.startswith("nnserve_http_request_duration_seconds_count{")}


def made_up_methods(server):
    server.request("GET", "/healthz")
    before = metric_series(server)
    for index in range(300):
        path = "/healthz" if index % 2 == 0 else f"/nowhere-{index}"
        server.request(f"M{index}X{random.randrange(1 << 30)}", path)
    after = metric_series(server)
    added = after - before
    # At most: route /healthz with method other (405), route other (404) and its histogram.
    tally.check(len(added) <= 4, f"300 made-up methods added {len(added)} series to /metrics (limit 4)",
                f"({sorted(added)[:8]})")


# --- Nothing slow on an event loop --------------------------------------------------------


def poll_healthz(port, connections, interval, stop, results):
    """Keep-alive connections in one process, each asking /healthz `interval` s after its last answer."""
    selector = selectors.DefaultSelector()
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    samples = []
    state = {}
    for _ in range(connections):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setblocking(False)
        state[sock] = {"sent": None, "buffer": b"", "next": time.monotonic()}
        selector.register(sock, selectors.EVENT_READ)
    while not stop.is_set():
        now = time.monotonic()
        for sock, entry in state.items():
            if entry["sent"] is None and now >= entry["next"]:
                entry["sent"] = time.monotonic()
                sock.send(request)
        for key, _ in selector.select(timeout=0.002):
            sock = key.fileobj
            entry = state[sock]
            entry["buffer"] += sock.recv(65536)
            if b"\r\n\r\n" in entry["buffer"] and entry["buffer"].endswith(b"}"):
                done = time.monotonic()
                latency = done - entry["sent"]
                samples.append((entry["sent"], latency))
                # A stalled connection asks nothing while it waits, so it would give one slow
                # sample where a steady poller would have seen many: add the requests it would
                # have sent every `interval` meanwhile (the coordinated-omission correction).
                missed = latency - interval
                while missed > 0:
                    samples.append((done - missed, missed))
                    missed -= interval
                entry.update(sent=None, buffer=b"", next=done + interval)
    for sock in state:
        sock.close()
    results.put(samples)


def train_small_model(server):
    rng = random.Random(7)
    inputs = [[rng.uniform(-1, 1) for _ in range(4)] for _ in range(256)]
    targets = [int(row[0] + row[1] > 0) for row in inputs]
    status, _, body = server.request("POST", "/v1/datasets", json.dumps({"inputs": inputs, "targets": targets}),
                                     headers=dict(AUTH, **{"Content-Type": "application/json"}))
    dataset = json.loads(body).get("id") if status == 201 else None
    # Small rows (a short upload), a wide network: the predict's time is compute on the server.
    layers = [{"type": "dense", "units": 512, "activation": "relu"},
              {"type": "dense", "units": 512, "activation": "relu"},
              {"type": "dense", "units": 2}]
    job = {"model": {"input_shape": [4], "layers": layers},
           "dataset": dataset, "loss": "cross_entropy", "epochs": 1, "batch_size": 32,
           "optimizer": {"type": "sgd", "learning_rate": 0.1}}
    status, _, body = server.request("POST", "/v1/jobs", json.dumps(job),
                                     headers=dict(AUTH, **{"Content-Type": "application/json"}))
    job_id = json.loads(body).get("id") if status == 202 else None
    deadline = time.time() + 30
    while job_id and time.time() < deadline:
        _, _, body = server.request("GET", f"/v1/jobs/{job_id}", headers=AUTH)
        described = json.loads(body)
        if described.get("status") in ("succeeded", "failed", "cancelled"):
            return described.get("model_id") if described["status"] == "succeeded" else None
        time.sleep(0.1)
    return None


def healthz_under_predict(server):
    model = train_small_model(server)
    if not tally.check(model is not None, "a small model trained for the predict"):
        return
    rng = random.Random(11)
    rows = ",".join("[%.3f,%.3f,%.3f,%.3f]" % tuple(rng.uniform(-1, 1) for _ in range(4)) for _ in range(100_000))
    body = ('{"inputs":[' + rows + "]}").encode()
    results = multiprocessing.Queue()
    stop = multiprocessing.Event()
    poller = multiprocessing.Process(target=poll_healthz, args=(server.port, 8, 0.01, stop, results))
    poller.start()
    time.sleep(1.0)
    started = time.monotonic()
    status, _, answer = server.request("POST", f"/v1/models/{model}/predict", body,
                                       headers=dict(AUTH, **{"Content-Type": "application/json"}), timeout=60)
    finished = time.monotonic()
    predicted = len(json.loads(answer).get("outputs", [])) if status == 200 else 0
    tally.check(predicted == 100_000, f"the 100,000-row predict answered in {finished - started:.2f} s",
                f"(got {status} {answer[:120]!r})")
    stop.set()
    samples = results.get(timeout=30)
    poller.join(5)
    during = sorted(latency for sent, latency in samples if started <= sent <= finished)
    if not tally.check(len(during) >= 20, f"{len(during)} /healthz answers during the predict"):
        return
    p50 = during[len(during) // 2] * 1000
    p99 = during[min(len(during) - 1, int(len(during) * 0.99))] * 1000
    worst = during[-1] * 1000
    print(f"healthz during predict: n={len(during)} p50={p50:.2f} ms p99={p99:.2f} ms max={worst:.2f} ms",
          flush=True)
    tally.check(p99 < 50, f"/healthz p99 {p99:.2f} ms under a 100,000-row predict (limit 50 ms)")


def main():
    started = time.time()
    server = Server(env={"NN_API_TOKEN": TOKEN})
    try:
        encoded_paths(server)
        expect_continue_upload(server)
        gzip_bombs(server)
        made_up_methods(server)
        per_client_cap(server, 64)
        trickled_body(server)
        healthz_under_predict(server)
        tally.check(server.alive(), "the server survived every attack")
    finally:
        status = server.stop()
    tally.check(status == 0, "SIGTERM stops the server cleanly", f"(exit {status})")
    capped = Server(env={"NN_API_TOKEN": TOKEN, "NN_MAX_CONNECTIONS_PER_CLIENT": "4"})
    try:
        per_client_cap(capped, 4)
    finally:
        capped.stop()
    print(f"http_attacks took {time.time() - started:.1f} s", flush=True)
    tally.finish()


if __name__ == "__main__":
    main()
