"""Size attacks of issue "Hardening" against a real nnserve with NN_API_TOKEN set: numbers whose
products overflow or ask for absurd memory, a job whose activations cannot fit, augmentation on
rows that are not images, a job that kills the process at every start, and the peak memory of a
large JSON and a large CSV upload. Bounded to about two minutes.

    python3 scripts/attack/size_attacks.py        (run by scripts/attack-tests.sh)
"""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attacklib import Server, Tally  # noqa: E402

TOKEN = "size-attack-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HUGE = 67108864
tally = Tally("size_attacks")
started = time.time()


def post(server, path, payload, content_type="application/json"):
    body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    status, _, data = server.request(
        "POST", path, body, headers={**AUTH, "Content-Type": content_type}, timeout=60)
    try:
        return status, json.loads(data or b"{}")
    except ValueError:
        return status, {}


def error(answer):
    return answer.get("error", {}) if isinstance(answer, dict) else {}


def restart(server, env):
    """A new process on the same data directory; the old log is set aside so that the new one
    reports the new port."""
    if server.alive():
        server.stop()
    os.replace(server.log_path, server.log_path + f".{time.time():.0f}")
    return Server(env=env, data_dir=server.data_dir)


def healthy(server):
    return server.alive() and server.request("GET", "/healthz")[0] == 200


def image_job(dataset, size, filters, channels):
    return {
        "model": {"input_shape": [size, size, channels], "layers": [
            {"type": "conv2d", "filters": filters, "kernel_size": 1},
            {"type": "conv2d", "filters": 1, "kernel_size": 1},
            {"type": "flatten"}, {"type": "dense", "units": 2}]},
        "dataset": dataset, "loss": "cross_entropy", "optimizer": {"type": "sgd", "learning_rate": 0.1},
        "epochs": 1, "batch_size": 1}


def image_dataset(server, size, channels):
    row = [[[0.5] * channels for _ in range(size)] for _ in range(size)]
    status, answer = post(server, "/v1/datasets", {"input_shape": [size, size, channels], "inputs": [row], "targets": [1]})
    tally.check(status == 201, f"a {size}x{size}x{channels} image data set is stored", f"{status} {answer}")
    return answer.get("id", "")


def overflow_and_budget_attacks():
    server = Server(env={"NN_API_TOKEN": TOKEN, "NN_MAX_PARAMS": "100000000"})
    try:
        status, answer = post(server, "/v1/datasets", {"input_shape": [HUGE, HUGE, HUGE], "inputs": [[1]], "targets": [0]})
        tally.check(status == 422 and error(answer).get("path") == "input_shape",
                    "JSON data set with input_shape 2^26 x 2^26 x 2^26 is a 422 naming input_shape", f"{status} {answer}")
        tally.check(healthy(server), "the server survives the overflowing JSON input_shape")

        status, answer = post(server, f"/v1/datasets?input_shape={HUGE},{HUGE},{HUGE}", "a,y\n1,0\n", "text/csv")
        tally.check(status == 422 and error(answer).get("path") == "input_shape",
                    "CSV data set with an overflowing input_shape query is a 422 naming input_shape", f"{status} {answer}")
        tally.check(healthy(server), "the server survives the overflowing CSV input_shape")

        status, model = post(server, "/v1/models", {"input_shape": [HUGE], "layers": [{"type": "dense", "units": 1}]})
        tally.check(status == 201, "a model with 2^26 inputs per row is created", f"{status} {model}")
        rows = ("{\"inputs\":[" + ",".join(["[1]"] * 100000) + "]}").encode()
        status, answer = post(server, f"/v1/models/{model.get('id', '')}/predict", rows)
        tally.check(status == 422 and error(answer).get("code") == "too_large",
                    "predict of 100,000 one-number rows for 2^26-wide rows is a 422 too_large", f"{status} {answer}")
        tally.check(healthy(server), "the server survives the oversized predict")

        dataset = image_dataset(server, 64, 2)
        status, answer = post(server, "/v1/jobs", image_job(dataset, 64, 1 << 20, 2))
        message = error(answer).get("message", "")
        tally.check(status == 422 and error(answer).get("code") == "too_large" and "NN_MAX_MEMORY" in message,
                    "a 1x1 conv with 2^20 filters on 64x64 images is a 422 too_large naming estimate and limit",
                    f"{status} {answer}")
        tally.check(healthy(server), "the server survives the huge-activation job")

        status, flat = post(server, "/v1/datasets", {"inputs": [[0, 1], [1, 0]], "targets": [0, 1]})
        status, answer = post(server, "/v1/jobs", {
            "model": {"input_shape": [2], "layers": [{"type": "dense", "units": 2}]}, "dataset": flat.get("id", ""),
            "loss": "cross_entropy", "optimizer": {"type": "sgd", "learning_rate": 0.1}, "epochs": 1,
            "augmentation": {"flip_horizontal": True}})
        tally.check(status == 422 and error(answer).get("code") == "incompatible_augmentation",
                    "augmentation on a data set without images is a 422 at submission", f"{status} {answer}")

        server.stop(signal.SIGKILL)
        again = restart(server, {"NN_API_TOKEN": TOKEN})
        try:
            time.sleep(1.5)
            status, _, body = again.request("GET", "/v1/jobs", headers=AUTH)
            items = json.loads(body or b"{}").get("items", [])
            tally.check(healthy(again) and status == 200 and items == [],
                        "after SIGKILL the server restarts, stays up, and no refused job was stored", f"{status} {items}")
        finally:
            again.stop()
    finally:
        if server.alive():
            server.stop()


def crash_loop_attack():
    """With the budget lifted, a job whose first allocation cannot succeed kills whatever trains
    it at every start. Under the default role the trainer is a worker process: the API never
    dies, and the third worker death fails the job with `crashed`. Training in the server's own
    process (NN_WORKERS=0), the server dies instead, and after its third death and restart the
    job is failed the same way and the server stays up."""
    with open("/proc/sys/vm/overcommit_memory") as handle:
        if handle.read().strip() == "1":
            print("skip  crash loop: overcommit_memory=1 would let the allocation through")
            return
    base = {"NN_API_TOKEN": TOKEN, "NN_MAX_MEMORY": "1T", "SWIFT_BACKTRACE": "enable=no"}

    def submit(server):
        # 256x256 outputs x 2^20 filters x 4 bytes = 256 GiB for one sample: refused by the kernel.
        dataset = image_dataset(server, 256, 3)
        status, job = post(server, "/v1/jobs", image_job(dataset, 256, 1 << 20, 3))
        tally.check(status == 202, "with NN_MAX_MEMORY=1T the job that cannot allocate is accepted",
                    f"{status} {job}")
        return job.get("id", "")

    def job_record(server, job_id):
        status, _, body = server.request("GET", f"/v1/jobs/{job_id}", headers=AUTH)
        return json.loads(body or b"{}") if status == 200 else {}

    def crashed(record):
        return (record.get("status") == "failed" and (record.get("error") or {}).get("code") == "crashed"
                and record.get("attempts") == 3)

    # Worker processes (the default): the API answers throughout.
    server = Server(env=base)
    try:
        job_id = submit(server)
        deadline, record, always_up = time.time() + 90, {}, True
        while time.time() < deadline:
            always_up = always_up and server.alive() and healthy(server)
            record = job_record(server, job_id)
            if record.get("status") in ("failed", "succeeded", "cancelled"):
                break
            time.sleep(0.2)
        tally.check(always_up, "worker processes: the API stayed up while the job killed its workers")
        tally.check(crashed(record), "worker processes: the third worker death fails the job with code crashed "
                    "(attempts 3)", f"{record}")
        tally.check(server.alive() and healthy(server), "worker processes: the server stays up after failing the job")
    finally:
        server.stop()

    # Training in the server's own process: the process dies, and restarts count.
    env = dict(base, NN_WORKERS="0")
    server = Server(env=env)
    job_id = submit(server)
    deaths = 0
    for _ in range(4):
        deadline = time.time() + 20
        while server.alive() and time.time() < deadline:
            time.sleep(0.1)
        if server.alive():
            break
        deaths += 1
        server = restart(server, env)
    try:
        time.sleep(1)
        record = job_record(server, job_id)
        tally.check(deaths == 3, "in-process training: the process died three times, once per start of the job",
                    f"deaths={deaths}")
        tally.check(crashed(record), "in-process training: the third death fails the job with code crashed "
                    "(attempts 3)", f"{record}")
        tally.check(healthy(server), "in-process training: the server stays up after failing the job")
    finally:
        server.stop()


def upload_memory_figure(kind):
    """Peak memory growth of one large JSON or CSV data set upload (rows of 784 values), which is
    parsed as it arrives. UPLOAD_MAX_RATIO bounds it against the stored floats: they are held
    once, and SQLite builds its record of the row from them once more."""
    mib = int(os.environ.get("UPLOAD_MIB", "150"))
    server = Server(env={"NN_API_TOKEN": TOKEN})
    try:
        values = [f"{(i * 37 % 1000) / 1000:.3f}" for i in range(784)]
        if kind == "json":
            row = "[" + ",".join(values) + "]"
            count = max(1, mib * 1048576 // (len(row) + 1))
            body = ('{"name":"big","inputs":[' + ",".join([row] * count) + '],"targets":['
                    + ",".join(str(i % 10) for i in range(count)) + "]}").encode()
            content_type = "application/json"
        else:
            line = ",".join(values)
            count = max(1, mib * 1048576 // (len(line) + 3))
            body = (",".join(f"f{i}" for i in range(784)) + ",y\n"
                    + "".join(f"{line},{i % 10}\n" for i in range(count))).encode()
            content_type = "text/csv"
        stored = count * 785 * 4
        before = server.rss_bytes()
        start = time.time()
        status, answer = post(server, "/v1/datasets", body, content_type)
        seconds = time.time() - start
        with open(f"/proc/{server.process.pid}/status") as handle:
            peak = next(int(line.split()[1]) * 1024 for line in handle if line.startswith("VmHWM:"))
        growth = peak - before
        print(f"info  upload of {len(body) / 1048576:.0f} MiB {kind.upper()} ({count} rows, {stored / 1048576:.0f} MiB "
              f"of floats): {seconds:.2f} s ({len(body) / 1048576 / seconds:.0f} MiB/s), peak memory "
              f"+{growth / 1048576:.0f} MiB ({growth / stored:.2f}x the stored floats)")
        tally.check(status == 201, f"the large {kind.upper()} data set is stored", f"{status} {answer}")
        limit = float(os.environ.get("UPLOAD_MAX_RATIO", "2"))
        if limit:
            tally.check(growth <= limit * stored,
                        f"{kind.upper()} upload peak memory growth at most {limit}x the stored floats",
                        f"{growth / stored:.2f}x")
    finally:
        server.stop()


# ONLY=upload (or attacks, crash) runs one part, e.g. to measure the upload alone.
only = os.environ.get("ONLY", "")
if only in ("", "attacks"):
    overflow_and_budget_attacks()
if only in ("", "crash"):
    crash_loop_attack()
if only == "upload" or (only == "" and time.time() - started < 60):
    upload_memory_figure("json")
    upload_memory_figure("csv")
tally.finish()
