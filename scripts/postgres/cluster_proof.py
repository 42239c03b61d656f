#!/usr/bin/env python3
"""Proves nnserve's scale-out on a real PostgreSQL server: 2 `api` and 2 `worker` processes.

Run by scripts/postgres-tests.sh --cluster (which makes the throwaway cluster); standard library
only, plus the server's own `psql` to look inside the database. Against one reference process on
the SQLite default (NN_ROLE=all) running the same jobs, it checks that:

  1. 8 jobs submitted through one API replica all succeed, trained by both workers (their lease
     owners, sampled while they run), with weights files byte-identical (SHA-256) to the
     reference's;
  2. lists page the same whichever replica serves each page;
  3. after a job continues training a model, predictions through either replica answer the new
     weights (the replicas had cached the old ones), equal to the reference's;
  4. a worker SIGKILLed mid-job loses its lease and the other worker resumes the job from its
     last checkpoint: it succeeds with attempts 2 and crashes 1, every epoch recorded once, and
     per-epoch losses and weights identical to the reference's uninterrupted run; the API kept
     answering throughout;
  5. a 2x2 grid sweep submitted through one API replica and read through the other succeeds with
     exactly 4 trials, one job each (counted in the database), with the same statuses on both.
Exits 0 when every check holds, 1 otherwise; prints one line per check.
"""
import argparse
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

FAILURES = []


def check(condition, message):
    print(f"cluster: {'ok  ' if condition else 'FAIL'} {message}", flush=True)
    if not condition:
        FAILURES.append(message)


class Process:
    """One nnserve process; its port is read from its start-up log line."""

    def __init__(self, name, binary, env, args=()):
        self.name = name
        self.lines = []
        self.port = None
        full_env = dict(os.environ, NN_PORT="0", NN_THREADS="1", NN_LOG_LEVEL="warn", **env)
        self.process = subprocess.Popen([binary, *args], env=full_env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stderr:
            self.lines.append(line.rstrip())
            found = re.search(r"(?:listening on|health and metrics on) [0-9.]+:(\d+)", line)
            if found and self.port is None:
                self.port = int(found.group(1))

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline and self.port is None:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: " + "\n".join(self.lines[-20:]))
            time.sleep(0.05)
        if self.port is None:
            raise RuntimeError(f"{self.name} did not start within {timeout} s")
        return self

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def http(port, method, path, body=None, content_type="application/json"):
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def http_json(port, method, path, body=None):
    status, raw = http(port, method, path, body)
    return status, (json.loads(raw) if raw else {})


def csv_dataset(rows, features, seed):
    generator = random.Random(seed)
    lines = [",".join(f"x{i}" for i in range(features)) + ",label"]
    for _ in range(rows):
        values = [generator.uniform(-1, 1) for _ in range(features)]
        # Ten classes, each present, loosely tied to the first two features.
        label = (int(values[0] > 0) + 2 * int(values[1] > 0) + 4 * generator.randrange(3)) % 10
        lines.append(",".join(f"{value:.4f}" for value in values) + f",{label}")
    return ("\n".join(lines) + "\n").encode()


def upload(port, csv):
    status, raw = http(port, "POST", "/v1/datasets?target=label", csv, "text/csv")
    if status != 201:
        raise RuntimeError(f"upload failed: {status} {raw[:300]!r}")
    return json.loads(raw)["id"]


def job_body(dataset, seed, epochs, units=(16,), features=8):
    layers = [{"type": "dense", "units": units_count, "activation": "relu"} for units_count in units]
    layers.append({"type": "dense", "units": 10})
    return {"model": {"input_shape": [features], "layers": layers}, "dataset": dataset, "loss": "cross_entropy",
            "optimizer": {"type": "adam", "learning_rate": 0.01}, "batch_size": 16, "epochs": epochs, "seed": seed}


def submit(port, body):
    status, answer = http_json(port, "POST", "/v1/jobs", body)
    if status != 202:
        raise RuntimeError(f"POST /v1/jobs on :{port}: {status} {answer}")
    return answer["id"]


def wait_job(port, job_id, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        status, job = http_json(port, "GET", f"/v1/jobs/{job_id}")
        if status == 200 and job.get("status") in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.1)
    raise RuntimeError(f"job {job_id} did not end within {timeout} s")


def weights_hash(port, model_id):
    status, raw = http(port, "GET", f"/v1/models/{model_id}/weights")
    return hashlib.sha256(raw).hexdigest() if status == 200 else f"HTTP {status}"


class Psql:
    def __init__(self, binary, url):
        self.binary = binary
        self.url = url

    def rows(self, sql):
        result = subprocess.run([self.binary, self.url, "-X", "-At", "-F", "\t", "-c", sql], capture_output=True,
                                text=True, timeout=30)
        if result.returncode != 0:
            raise RuntimeError(f"psql: {result.stderr.strip()}")
        return [line.split("\t") for line in result.stdout.splitlines() if line]


class OwnerSampler(threading.Thread):
    """Samples which worker holds each running job's lease."""

    def __init__(self, psql):
        super().__init__(daemon=True)
        self.psql = psql
        self.owners = {}
        self.running = True

    def run(self):
        while self.running:
            try:
                for job_id, owner in self.psql.rows("SELECT id, lease_owner FROM jobs WHERE status = 'running'"):
                    if owner:
                        self.owners.setdefault(job_id, set()).add(owner)
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
            time.sleep(0.05)


def owner_pid(owner):
    # TrainingWorker owners are "host/pid/loop".
    parts = owner.split("/")
    return int(parts[-2]) if len(parts) >= 3 and parts[-2].isdigit() else None


def page_ids(ports, path):
    ids, after, turn = [], None, 0
    while turn < 50:
        query = path + ("&after=" + after if after else "")
        status, page = http_json(ports[turn % len(ports)], "GET", query)
        if status != 200:
            raise RuntimeError(f"GET {query}: {status} {page}")
        ids += [item["id"] for item in page["items"]]
        after = page.get("next")
        turn += 1
        if not after:
            break
    return ids


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--nnserve", required=True)
    parser.add_argument("--psql", default="psql")
    options = parser.parse_args()
    started = time.time()
    psql = Psql(options.psql, options.database_url)
    data_dir = tempfile.mkdtemp(prefix="nnserve-reference-")
    processes = []
    try:
        reference = Process("reference", options.nnserve, {"NN_DATA_DIR": data_dir, "NN_WORKERS": "1"})
        shared = {"NN_DATABASE_URL": options.database_url}
        # The first API replica creates the schema; the others start once it exists.
        apis = [Process("api-0", options.nnserve, dict(shared, NN_ROLE="api")).wait_ready()]
        apis.append(Process("api-1", options.nnserve, dict(shared, NN_ROLE="api")))
        workers = [Process(f"worker-{i}", options.nnserve, dict(shared, NN_WORKERS="1"), ["worker"])
                   for i in range(2)]
        processes = [reference, *apis, *workers]
        for process in processes:
            process.wait_ready()
        worker_pids = {worker.process.pid for worker in workers}
        print(f"cluster: reference (SQLite) :{reference.port}; api :{apis[0].port} :{apis[1].port}; "
              f"workers pid {sorted(worker_pids)}", flush=True)
        api0, api1 = apis[0].port, apis[1].port

        # 1. Eight jobs through one replica, on both workers, identical to SQLite.
        # Jobs of about a third of a second each, longer than a worker's 0.25 s idle poll, so that
        # both workers claim some of the eight (with tiny jobs one worker may take them all).
        small = csv_dataset(960, 8, seed=1)
        cluster_data, reference_data = upload(api0, small), upload(reference.port, small)
        sampler = OwnerSampler(psql)
        sampler.start()
        cluster_jobs = [submit(api0, job_body(cluster_data, seed, 30)) for seed in range(8)]
        reference_jobs = [submit(reference.port, job_body(reference_data, seed, 30)) for seed in range(8)]
        finished = [wait_job(api1, job_id) for job_id in cluster_jobs]
        expected = [wait_job(reference.port, job_id) for job_id in reference_jobs]
        sampler.running = False
        check(all(job["status"] == "succeeded" for job in finished), "8 jobs through api-0 all succeeded")
        pids = {owner_pid(owner) for owners in sampler.owners.values() for owner in owners}
        check(pids == worker_pids, f"both workers trained: lease owners seen {sorted(p for p in pids if p)}")
        same = [weights_hash(api1, a["model_id"]) == weights_hash(reference.port, b["model_id"])
                for a, b in zip(finished, expected)]
        check(all(same), f"weights identical to the SQLite default's for {sum(same)}/8 jobs (SHA-256)")

        # 2. Lists page the same on both replicas.
        for path in ("/v1/jobs?limit=3", "/v1/jobs?limit=3&sort=-loss", "/v1/models?limit=5&sort=created_at"):
            alternating, single = page_ids([api0, api1], path), page_ids([api1], path)
            check(alternating == single and len(single) >= 8, f"{path} pages alike on both replicas ({len(single)})")

        # 3. Predictions answer the newest weights on either replica.
        model, reference_model = finished[0]["model_id"], expected[0]["model_id"]
        rows = {"inputs": [[round(random.Random(9).uniform(-1, 1), 3) for _ in range(8)] for _ in range(4)]}
        before = [http_json(port, "POST", f"/v1/models/{model}/predict", rows)[1] for port in (api0, api1)]
        more = {key: value for key, value in job_body(cluster_data, 11, 3).items() if key != "model"}
        status, continued = http_json(api1, "POST", "/v1/jobs", dict(more, model_id=model))
        check(status == 202, f"a job continuing model {model} accepted ({status})")
        wait_job(api0, continued["id"])
        reference_more = dict(more, dataset=reference_data, model_id=reference_model)
        wait_job(reference.port, submit(reference.port, reference_more))
        after = [http_json(port, "POST", f"/v1/models/{model}/predict", rows)[1] for port in (api0, api1)]
        wanted = http_json(reference.port, "POST", f"/v1/models/{reference_model}/predict", rows)[1]
        check(before[0] == before[1] and before[0] != after[0], "the replicas' cached predictions changed")
        check(after[0]["outputs"] == wanted["outputs"] and after[1]["outputs"] == wanted["outputs"],
              "both replicas answer the new weights, equal to the reference's")

        # 5. A grid sweep through one replica, read through the other: every trial once.
        sweep_body = {"job": job_body(cluster_data, 1, 3), "search": "grid", "parallel": 2, "metric": "loss",
                      "parameters": {"optimizer.learning_rate": {"values": [0.01, 0.05]},
                                     "batch_size": {"values": [8, 32]}}}
        status, sweep = http_json(api0, "POST", "/v1/sweeps", sweep_body)
        check(status == 202, f"a 2x2 grid sweep accepted through api-0 ({status})")
        sweep_id = sweep.get("id", "")
        deadline = time.time() + 180
        while time.time() < deadline:
            sweep = http_json(api1, "GET", f"/v1/sweeps/{sweep_id}")[1]
            if sweep.get("status") != "running":
                break
            time.sleep(0.2)
        trials = sweep.get("trials", [])
        other = http_json(api0, "GET", f"/v1/sweeps/{sweep_id}")[1]
        check(sweep.get("status") == "succeeded" and len(trials) == 4,
              f"the sweep read through api-1 succeeded with 4 trials ({sweep.get('status')}, {len(trials)})")
        linked = psql.rows(f"SELECT COUNT(*), COUNT(DISTINCT job_id) FROM sweep_trials WHERE sweep_id = '{sweep_id}'")
        tagged = psql.rows(f"SELECT COUNT(*) FROM jobs WHERE tags::jsonb ? 'sweep:{sweep_id}'")
        check(linked == [["4", "4"]] and tagged == [["4"]],
              f"exactly 4 trial jobs in the database (trials/jobs {linked}, tagged {tagged})")
        def states(answer):
            return [(t.get("trial"), t.get("status"), t.get("job_id")) for t in answer.get("trials", [])]
        check(other.get("status") == sweep.get("status") and states(other) == states(sweep),
              "both replicas answer the same sweep and trial statuses")

        # 4. SIGKILL of a worker mid-job: the other resumes it, bit-identically.
        big = csv_dataset(3000, 32, seed=2)
        big_cluster, big_reference = upload(api0, big), upload(reference.port, big)
        body = job_body(big_cluster, 5, 16, units=(256, 128), features=32)
        job_id = submit(api0, body)
        reference_id = submit(reference.port, dict(body, dataset=big_reference))
        victim = None
        deadline = time.time() + 120
        while time.time() < deadline and victim is None:
            rows_now = psql.rows(f"SELECT epoch, lease_owner FROM jobs WHERE id = '{job_id}' AND status = 'running'")
            if rows_now and int(rows_now[0][0]) >= 2 and rows_now[0][1]:
                victim = owner_pid(rows_now[0][1])
                killed_at = int(rows_now[0][0])
            time.sleep(0.05)
        check(victim in worker_pids, f"job {job_id} ran on worker {victim}, killed at epoch {killed_at if victim else '?'}")
        if victim in worker_pids:
            before_kill = dict(map(tuple, psql.rows(f"SELECT epoch, data FROM metrics WHERE job_id = '{job_id}'")))
            os.kill(victim, signal.SIGKILL)
            survivor = (worker_pids - {victim}).pop()
            check(http(api1, "GET", "/healthz")[0] == 200, "the API answers while the worker is dead")
            done = wait_job(api1, job_id, timeout=300)
            reference_done = wait_job(reference.port, reference_id, timeout=300)
            counts = psql.rows(f"SELECT attempts, crashes, lease_owner IS NULL FROM jobs WHERE id = '{job_id}'")[0]
            check(done["status"] == "succeeded", f"the killed job succeeded ({done['status']})")
            check(counts[:2] == ["2", "1"], f"attempts 2, crashes 1 (got {counts[:2]})")
            history = http_json(api0, "GET", f"/v1/jobs/{job_id}/metrics")[1]["epochs"]
            reference_history = http_json(reference.port, "GET", f"/v1/jobs/{reference_id}/metrics")[1]["epochs"]
            check([entry["epoch"] for entry in history] == list(range(1, 17)), "every epoch recorded exactly once")
            # A record of an epoch that was trained again would differ in its wall-clock `seconds`.
            after_kill = dict(map(tuple, psql.rows(f"SELECT epoch, data FROM metrics WHERE job_id = '{job_id}'")))
            kept = [epoch for epoch in sorted(before_kill, key=int) if after_kill.get(epoch) == before_kill[epoch]]
            check(len(kept) >= 1 and kept == sorted(before_kill, key=int)[:len(kept)],
                  f"resumed from a checkpoint: epochs {', '.join(kept)} kept their first run's records")
            check([entry["loss"] for entry in history] == [entry["loss"] for entry in reference_history],
                  "per-epoch losses identical to the uninterrupted SQLite run")
            check(weights_hash(api0, done["model_id"]) == weights_hash(reference.port, reference_done["model_id"]),
                  "resumed weights identical to the SQLite run's (SHA-256)")
            check(workers[0].process.poll() is not None or workers[1].process.poll() is not None,
                  "the killed worker is gone")
            check(any(worker.process.pid == survivor and worker.process.poll() is None for worker in workers),
                  f"worker {survivor} is still running")
    finally:
        for process in processes:
            process.stop()
        subprocess.run(["rm", "-rf", data_dir], check=False)
    print(f"cluster proof: {'OK' if not FAILURES else f'{len(FAILURES)} failure(s)'} in {time.time() - started:.0f} s",
          flush=True)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
