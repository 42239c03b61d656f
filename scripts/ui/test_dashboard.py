"""Drives the dashboard in headless Chromium against real nnserve processes.

Checks that every page loads without console errors, that a running job's loss curve grows
live, that two jobs overlay on the comparison page, that the predict form answers with
probability bars (pasted JSON, pasted CSV, uploaded CSV), that an API error is shown readably,
and that the token prompt lets the page in on a server with NN_API_TOKEN. Saves a screenshot
of each page under $UI_ARTIFACTS and prints 'N passed, N failed'.
"""
import json
import os
import random
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "attack"))
from attacklib import Server, Tally  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service as ChromeService  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

ARTIFACTS = os.environ.get("UI_ARTIFACTS", "/tmp/nnserve-ui-artifacts")
tally = Tally("ui-tests")


def call(server, method, path, body=None, token=None, content_type="application/json"):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def make_dataset(server, token=None):
    """Four noisy clusters in 16 dimensions: big enough that an epoch takes a visible moment."""
    rng = random.Random(7)
    centres = [[rng.uniform(-1, 1) for _ in range(16)] for _ in range(4)]
    inputs, targets = [], []
    for i in range(3000):
        label = i % 4
        inputs.append([round(c + rng.gauss(0, 0.9), 4) for c in centres[label]])
        targets.append(label)
    return call(server, "POST", "/v1/datasets", {"name": "clusters", "inputs": inputs, "targets": targets}, token)


def start_job(server, dataset, epochs, learning_rate, token=None, width=256):
    body = {
        "model": {"input_shape": [16], "layers": [
            {"type": "dense", "units": width, "activation": "relu"},
            {"type": "dense", "units": width, "activation": "relu"},
            {"type": "dense", "units": 4}]},
        "dataset": dataset, "validation": {"split": 0.2}, "loss": "cross_entropy",
        "optimizer": {"type": "sgd", "learning_rate": learning_rate, "momentum": 0.9},
        "batch_size": 16, "epochs": epochs, "seed": 1}
    return call(server, "POST", "/v1/jobs", body, token)


def wait_job(server, job_id, token=None, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = call(server, "GET", f"/v1/jobs/{job_id}", token=token)
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.2)
    raise RuntimeError(f"job {job_id} did not end")


def browser():
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1300,1000", "--disable-extensions", "--no-first-run"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=ChromeService("/usr/bin/chromedriver"), options=options)


def wait_for(what, condition, timeout=20):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = condition()
            if last:
                return last
        except Exception as error:  # the element may not exist yet
            last = error
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def console_errors(driver, allow=()):
    """SEVERE browser-log entries, less the expected ones (e.g. a 401 before the token is given)."""
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and not any(a in e["message"] for a in allow)]


def no_console_errors(driver, what, allow=()):
    errors = console_errors(driver, allow)  # reading the log empties it: read it once
    return tally.check(not errors, what, errors)


def shot(driver, name):
    # Grow the window to the page's height so that the screenshot shows the whole page.
    height = driver.execute_script("return Math.max(document.body.scrollHeight, 700)")
    driver.set_window_size(1300, min(height + 140, 3000))
    path = os.path.join(ARTIFACTS, name + ".png")
    driver.save_screenshot(path)
    driver.set_window_size(1300, 1000)
    return path


def points(driver, chart_id):
    return int(driver.find_element(By.ID, chart_id).get_attribute("data-points") or 0)


def open_page(driver, base, fragment, ready_css):
    driver.get(base + "/ui/" + fragment)
    wait_for(fragment + " to render", lambda: driver.find_elements(By.CSS_SELECTOR, ready_css))


def check_open_server(driver):
    server = Server(env={"NN_WORKERS": "2", "NN_THREADS": "1"})
    try:
        base = f"http://127.0.0.1:{server.port}"
        driver.get(base + "/")
        tally.check(driver.current_url == base + "/ui/", "GET / redirects the browser to /ui/", driver.current_url)
        wait_for("jobs table", lambda: driver.find_elements(By.ID, "jobs-table"))
        no_console_errors(driver, "empty jobs page loads without console errors")

        dataset = make_dataset(server)
        slow = start_job(server, dataset["id"], epochs=40, learning_rate=0.02)
        open_page(driver, base, "#/jobs/" + slow["id"], "#chart-loss")
        first = wait_for("two points on the loss curve", lambda: points(driver, "chart-loss") >= 2 and
                         points(driver, "chart-loss"), timeout=60)
        status = call(server, "GET", "/v1/jobs/" + slow["id"])["status"]
        later = wait_for("the loss curve to grow", lambda: points(driver, "chart-loss") > first + 1 and
                         points(driver, "chart-loss"), timeout=60)
        tally.check(status == "running" and later > first,
                    f"the running job's loss curve grows live over the event stream ({first} -> {later} points)")
        shot(driver, "job-live")
        done = wait_job(server, slow["id"])
        wait_for("the final status on the page", lambda: "succeeded" in driver.find_element(By.ID, "job-status").text)
        tally.check(points(driver, "chart-loss") == 2 * done["epochs"],
                    "after the job ends the loss chart holds every epoch (loss and val loss)",
                    points(driver, "chart-loss"))
        tally.check(points(driver, "chart-grad") == 3 * done["epochs"],
                    "the gradient-norm chart has one series per layer", points(driver, "chart-grad"))
        tally.check(points(driver, "chart-lr") == done["epochs"], "the learning-rate chart is drawn")
        no_console_errors(driver, "the job page has no console errors")
        shot(driver, "job")

        fast = start_job(server, dataset["id"], epochs=12, learning_rate=0.05, width=64)
        wait_job(server, fast["id"])
        open_page(driver, base, "#/jobs", "#jobs-table tr[data-job]")
        for job_id in (slow["id"], fast["id"]):
            driver.find_element(By.CSS_SELECTOR, f"input[data-job='{job_id}']").click()
        driver.find_element(By.ID, "compare-selected").click()
        wait_for("the comparison chart", lambda: driver.find_elements(By.CSS_SELECTOR, "#compare-loss path"))
        series = [p.get_attribute("data-series") for p in driver.find_elements(By.CSS_SELECTOR, "#compare-loss path")]
        labels = [j["id"][4:12] for j in (slow, fast)]
        tally.check(len(series) == 4 and all(any(s.startswith(l) for s in series) for l in labels),
                    "two jobs overlay on the comparison page (loss and val loss of each)", series)
        no_console_errors(driver, "the comparison page has no console errors")
        shot(driver, "compare")
        open_page(driver, base, "#/jobs", "#jobs-table tr[data-job]")
        shot(driver, "jobs")

        model_id = slow["model_id"]
        open_page(driver, base, "#/models", "#models-table")
        tally.check(len(driver.find_elements(By.CSS_SELECTOR, "#models-table a[href^='#/models/']")) == 2,
                    "the models page lists both models")
        shot(driver, "models")
        open_page(driver, base, "#/models/" + model_id, "#model-checkpoints")
        rows = driver.find_elements(By.CSS_SELECTOR, "#model-summary tr")
        checkpoints = driver.find_elements(By.CSS_SELECTOR, "#model-checkpoints tr")
        tally.check(len(rows) == 4 and len(checkpoints) > 1,
                    "a model's page shows its layer summary and checkpoints", (len(rows), len(checkpoints)))
        shot(driver, "model")
        open_page(driver, base, "#/datasets", "#datasets-table")
        text = driver.find_element(By.ID, "datasets-table").text
        tally.check("clusters" in text and "3,000" in text and "[16]" in text and "4 classes" in text,
                    "the data sets page shows name, rows, shape and classes", text)
        no_console_errors(driver, "models and data sets pages have no console errors")
        shot(driver, "datasets")

        sweep = call(server, "POST", "/v1/sweeps", {
            "name": "ui-sweep", "search": "grid", "parallel": 2, "metric": "val_accuracy",
            "job": {"model": {"input_shape": [16], "layers": [{"type": "dense", "units": 16, "activation": "relu"},
                                                              {"type": "dense", "units": 4}]},
                    "dataset": dataset["id"], "validation": {"split": 0.2}, "loss": "cross_entropy",
                    "optimizer": {"type": "sgd", "learning_rate": 0.05}, "batch_size": 64, "epochs": 3},
            "parameters": {"optimizer.learning_rate": {"values": [0.001, 0.05, 0.2]}}})
        open_page(driver, base, "#/sweeps/" + sweep["id"], "#trials-table")
        wait_for("the sweep to end on the page", lambda: "succeeded" in driver.find_element(By.ID, "sweep-status").text,
                 timeout=60)
        metrics = [float(row.find_elements(By.TAG_NAME, "td")[2].text)
                   for row in driver.find_elements(By.CSS_SELECTOR, "#trials-table tr[data-trial]")]
        tally.check(len(metrics) == 3 and metrics == sorted(metrics, reverse=True),
                    "a sweep's page follows it to the end and lists its trials best first", metrics)
        shot(driver, "sweep")
        open_page(driver, base, "#/sweeps", "#sweeps-table tr[data-sweep]")
        tally.check("ui-sweep" in driver.find_element(By.ID, "sweeps-table").text, "the sweeps page lists the sweep")
        no_console_errors(driver, "the sweep pages have no console errors")
        shot(driver, "sweeps")

        open_page(driver, base, "#/predict?model=" + model_id, "#predict-form")
        row = [0.1] * 16
        driver.find_element(By.ID, "predict-input").send_keys(json.dumps(row))
        driver.find_element(By.ID, "predict-run").click()
        wait_for("a prediction", lambda: driver.find_elements(By.CSS_SELECTOR, ".prediction .bar"))
        bars = driver.find_elements(By.CSS_SELECTOR, ".prediction .bar")
        expected = call(server, "POST", f"/v1/models/{model_id}/predict", {"inputs": [row]})
        heading = driver.find_element(By.CSS_SELECTOR, ".prediction h3").text
        tally.check(len(bars) == 4 and f"class {expected['classes'][0]}" in heading,
                    "predict from a pasted JSON row shows four probability bars and the API's class", heading)
        no_console_errors(driver, "the predict page has no console errors")
        shot(driver, "predict")

        csv_path = os.path.join(tempfile.mkdtemp(prefix="nnserve-ui-"), "rows.csv")
        with open(csv_path, "w") as handle:
            handle.write(",".join(f"x{i}" for i in range(16)) + "\n")
            for k in range(3):
                handle.write(",".join(str(0.1 * k) for _ in range(16)) + "\n")
        driver.find_element(By.ID, "predict-file").send_keys(csv_path)
        wait_for("the file in the text box", lambda: "x0" in driver.find_element(By.ID, "predict-input")
                 .get_attribute("value"))
        driver.find_element(By.ID, "predict-run").click()
        wait_for("three predictions", lambda: len(driver.find_elements(By.CSS_SELECTOR, ".prediction")) == 3)
        tally.check(True, "predict from an uploaded CSV file (header skipped) shows one block per row")

        box = driver.find_element(By.ID, "predict-input")
        box.clear()
        box.send_keys("[1, 2, 3]")
        driver.find_element(By.ID, "predict-run").click()
        error = wait_for("the error banner", lambda: driver.find_element(By.ID, "error").is_displayed() and
                         driver.find_element(By.ID, "error").text)
        tally.check("422" in error and "inputs[0]" in error, "an API error is shown with its status, code and path",
                    error)
        shot(driver, "predict-error")
        no_console_errors(driver, "no console errors but the expected 422", allow=("422",))
    finally:
        server.stop()


def check_token_server(driver):
    token = "ui-test-token"
    server = Server(env={"NN_API_TOKEN": token, "NN_THREADS": "1"})
    try:
        base = f"http://127.0.0.1:{server.port}"
        dataset = make_dataset(server, token)
        job = start_job(server, dataset["id"], epochs=2, learning_rate=0.05, token=token, width=16)
        wait_job(server, job["id"], token)
        driver.get(base + "/ui/#/jobs")
        dialog = wait_for("the token prompt", lambda: driver.find_element(By.ID, "token-dialog").is_displayed()
                          and driver.find_element(By.ID, "token-dialog"))
        tally.check(bool(dialog), "a server with a token: the page asks for the token")
        shot(driver, "token-prompt")
        driver.find_element(By.ID, "token-input").send_keys("wrong-token")
        driver.find_element(By.ID, "token-save").click()
        wait_for("the refusal", lambda: "refused" in driver.find_element(By.ID, "token-reason").text)
        tally.check(driver.find_element(By.ID, "token-dialog").is_displayed(),
                    "a wrong token is refused and the prompt says so")
        driver.find_element(By.ID, "token-input").send_keys(token)
        driver.find_element(By.ID, "token-save").click()
        wait_for("the jobs table", lambda: driver.find_elements(By.CSS_SELECTOR, f"tr[data-job='{job['id']}']"))
        tally.check(not driver.find_element(By.ID, "token-dialog").is_displayed(),
                    "with the right token the jobs page loads")
        open_page(driver, base, "#/jobs/" + job["id"], "#chart-loss")
        wait_for("the job's curve", lambda: points(driver, "chart-loss") == 4)
        tally.check(True, "the job page reads metrics with the token")
        stored = driver.execute_script("return sessionStorage.getItem('nnserve.token')")
        tally.check(stored == token, "the token is kept in sessionStorage")
        no_console_errors(driver, "no console errors but the expected 401s", allow=("401",))
        shot(driver, "token-jobs")
    finally:
        server.stop()


def main():
    os.makedirs(ARTIFACTS, exist_ok=True)
    started = time.time()
    driver = browser()
    try:
        for check in (check_open_server, check_token_server):
            try:
                check(driver)
            except Exception as error:  # one failed step fails its group, the others still run
                tally.check(False, f"{check.__name__} ran to the end", f"{type(error).__name__}: {error}")
                try:
                    shot(driver, check.__name__ + "-failure")
                except Exception:
                    pass
    finally:
        driver.quit()
    print(f"ui-tests took {time.time() - started:.1f} s; screenshots in {ARTIFACTS}", flush=True)
    tally.finish()


if __name__ == "__main__":
    main()
