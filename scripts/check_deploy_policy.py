"""Checks the deployment files for the properties nnserve relies on.

The schema validators prove the manifests are well-formed; this checks what they cannot:
one replica with the Recreate strategy (SQLite on one volume), probes on the right paths,
resources, the restrictive security context, and that the pieces refer to each other
(Service selector and port, the claim the Deployment mounts, the image's user id and port).
The scale-out set (deploy/k8s/scale-out, and the compose file's `postgres` profile) is checked
for its own properties: API replicas behind readiness on /readyz with an autoscaler and a
disruption budget, workers in their role, and the database URL taken from a Secret.
Run by scripts/validate-yaml.sh; prints each failure and exits 1 if there is any.
"""
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
SCALE_OUT = K8S / "scale-out"
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def documents(path):
    with open(path, encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def by_kind(folder=K8S):
    found = {}
    for path in sorted(folder.glob("*.yaml")):
        for doc in documents(path):
            found.setdefault(doc.get("kind"), []).append(doc)
    return found


def dockerfile_facts():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    user = re.search(r"^USER\s+(\d+)(?::(\d+))?\s*$", text, re.MULTILINE)
    expose = re.search(r"^EXPOSE\s+(\d+)", text, re.MULTILINE)
    return {
        "uid": int(user.group(1)) if user else None,
        "gid": int(user.group(2)) if user and user.group(2) else None,
        "port": int(expose.group(1)) if expose else None,
        "stopsignal": re.search(r"^STOPSIGNAL\s+SIGTERM\s*$", text, re.MULTILINE) is not None,
        "exec_entrypoint": re.search(r"^ENTRYPOINT\s+\[", text, re.MULTILINE) is not None,
        "healthcheck": re.search(r"^HEALTHCHECK\s", text, re.MULTILINE) is not None,
    }


def check_deployment(deployment, claims, image):
    spec = deployment["spec"]
    check(spec.get("replicas") == 1, "Deployment: replicas must be 1 (one SQLite store)")
    check(spec.get("strategy", {}).get("type") == "Recreate", "Deployment: strategy must be Recreate")
    pod, container, labels, ports = check_pod(deployment, image)
    env = {item["name"]: item for item in container.get("env", [])}
    check(env.get("NN_HOST", {}).get("value") == "0.0.0.0", "container: NN_HOST must be 0.0.0.0")
    check(env.get("NN_DATA_DIR", {}).get("value") == "/data", "container: NN_DATA_DIR must be /data")

    mounts = {mount["mountPath"]: mount["name"] for mount in container.get("volumeMounts", [])}
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    data = volumes.get(mounts.get("/data"), {})
    claim = data.get("persistentVolumeClaim", {}).get("claimName")
    check(claim is not None, "Deployment: /data must be mounted from a PersistentVolumeClaim")
    check(claim in claims, f"Deployment: claim {claim!r} is not defined in deploy/k8s")
    check(all(not mount.get("readOnly") for mount in container.get("volumeMounts", []) if mount["mountPath"] == "/data"),
          "Deployment: /data must be writable")
    return labels, ports


def check_pod(deployment, image, probes=(("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"))):
    """The pod and container properties every nnserve Deployment shares; answers the pod spec,
    the container, the pod labels and the container ports."""
    spec = deployment["spec"]
    name = deployment["metadata"]["name"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"].get("labels", {})
    check(spec["selector"].get("matchLabels", {}).items() <= labels.items(),
          f"Deployment {name}: selector does not match the pod labels")

    pod_security = pod.get("securityContext", {})
    check(pod_security.get("runAsNonRoot") is True, "pod securityContext: runAsNonRoot must be true")
    check(pod_security.get("seccompProfile", {}).get("type") == "RuntimeDefault",
          "pod securityContext: seccompProfile must be RuntimeDefault")
    if image["uid"] is not None:
        check(pod_security.get("runAsUser") == image["uid"],
              f"pod securityContext: runAsUser should be the image's user {image['uid']}")
    check("fsGroup" in pod_security, "pod securityContext: fsGroup makes the data volume writable")

    containers = pod.get("containers", [])
    check(len(containers) == 1, "Deployment: expected exactly one container")
    container = containers[0]
    security = container.get("securityContext", {})
    check(security.get("allowPrivilegeEscalation") is False, "container: allowPrivilegeEscalation must be false")
    check(security.get("readOnlyRootFilesystem") is True, "container: readOnlyRootFilesystem must be true")
    check("ALL" in security.get("capabilities", {}).get("drop", []), "container: capabilities must drop ALL")
    check(security.get("privileged") in (None, False), "container: must not be privileged")

    for kind in ("requests", "limits"):
        values = container.get("resources", {}).get(kind, {})
        check("cpu" in values and "memory" in values, f"container: resources.{kind} needs cpu and memory")

    ports = {port.get("name"): port.get("containerPort") for port in container.get("ports", [])}
    if image["port"] is not None:
        check(image["port"] in ports.values(), f"container: must expose the image's port {image['port']}")
    for probe, path in probes:
        get = container.get(probe, {}).get("httpGet", {})
        check(get.get("path") == path, f"Deployment {name}: {probe} must GET {path}")
        check(get.get("port") in ports or get.get("port") in ports.values(),
              f"Deployment {name}: {probe} port {get.get('port')!r} is not a container port")
    return pod, container, labels, ports


def check_scale_out(image):
    """API replicas and workers on PostgreSQL: no volume, the URL from the example Secret."""
    kinds = by_kind(SCALE_OUT)
    secrets = {secret["metadata"]["name"]: secret for secret in kinds.get("Secret", [])}
    deployments = {d["metadata"]["name"]: d for d in kinds.get("Deployment", [])}
    api, worker = deployments.get("nnserve-api"), deployments.get("nnserve-worker")
    check(api is not None and worker is not None, "scale-out: needs Deployments nnserve-api and nnserve-worker")
    if api is None or worker is None:
        return
    check(api["spec"].get("replicas", 1) >= 3, "scale-out: the API runs at least 3 replicas")
    check(api["spec"].get("strategy", {}).get("rollingUpdate", {}).get("maxUnavailable") == 0,
          "scale-out: API rolling updates keep every replica serving (maxUnavailable 0)")
    for role, deployment in (("api", api), ("worker", worker)):
        pod, container, labels, ports = check_pod(deployment, image)
        env = {item["name"]: item for item in container.get("env", [])}
        check(env.get("NN_ROLE", {}).get("value") == role, f"scale-out: {role} pods need NN_ROLE={role}")
        reference = env.get("NN_DATABASE_URL", {}).get("valueFrom", {}).get("secretKeyRef", {})
        secret = secrets.get(reference.get("name"))
        check(secret is not None, f"scale-out: {role} takes NN_DATABASE_URL from a Secret defined in scale-out/")
        if secret is not None:
            check(reference.get("key") in {**secret.get("stringData", {}), **secret.get("data", {})},
                  f"scale-out: Secret {reference.get('name')} has no key {reference.get('key')!r}")
        check(not any("persistentVolumeClaim" in volume for volume in pod.get("volumes", [])),
              f"scale-out: {role} pods keep no state on a volume")
        if role == "api":
            api_labels, api_ports = labels, ports
        else:
            worker_labels = labels
    for secret in secrets.values():
        for value in secret.get("stringData", {}).values():
            check("change-me" in value, "scale-out: the example Secret holds placeholders only")
    for service in kinds.get("Service", []):
        check_service(service, api_labels, api_ports)
    hpas = kinds.get("HorizontalPodAutoscaler", [])
    check(any(hpa["spec"]["scaleTargetRef"].get("name") == "nnserve-api" and hpa["spec"].get("minReplicas", 1) >= 3
              and any(metric.get("resource", {}).get("name") == "cpu" for metric in hpa["spec"].get("metrics", []))
              for hpa in hpas), "scale-out: an autoscaler on CPU for nnserve-api, at least 3 replicas")
    budgets = [pdb["spec"].get("selector", {}).get("matchLabels", {}) for pdb in kinds.get("PodDisruptionBudget", [])]
    check(any(selector.items() <= api_labels.items() for selector in budgets),
          "scale-out: a PodDisruptionBudget for the API pods")
    check(any(selector.items() <= worker_labels.items() for selector in budgets),
          "scale-out: a PodDisruptionBudget for the worker pods")
    for kustomization in kinds.get("Kustomization", []):
        for resource in kustomization.get("resources", []):
            check((SCALE_OUT / resource).exists(), f"scale-out kustomization: {resource} does not exist")
            check("secret" not in resource, "scale-out kustomization: must not apply the example Secret")


def check_compose_postgres():
    services = documents(ROOT / "deploy" / "compose.yaml")[0]["services"]
    postgres = services.get("postgres", {})
    check("postgres" in postgres.get("profiles", []), "compose: a postgres service in the postgres profile")
    check("healthcheck" in postgres, "compose: the postgres service needs a healthcheck")
    for role in ("api", "worker"):
        service = services.get(role, {})
        check("postgres" in service.get("profiles", []), f"compose: {role} belongs to the postgres profile")
        env = service.get("environment", {})
        check(env.get("NN_ROLE") == role, f"compose: {role} needs NN_ROLE={role}")
        check(str(env.get("NN_DATABASE_URL", "")).startswith("postgres://"), f"compose: {role} needs NN_DATABASE_URL")
        check(service.get("depends_on", {}).get("postgres", {}).get("condition") == "service_healthy",
              f"compose: {role} waits for a healthy postgres")


def check_service(service, labels, ports):
    spec = service["spec"]
    check(spec.get("selector", {}).items() <= labels.items(), "Service: selector does not match the pod labels")
    for port in spec.get("ports", []):
        target = port.get("targetPort", port.get("port"))
        check(target in ports or target in ports.values(), f"Service: targetPort {target!r} is not a container port")


def check_compose(image):
    compose = documents(ROOT / "deploy" / "compose.yaml")[0]
    service = compose["services"]["nnserve"]
    check("/data" in " ".join(str(volume) for volume in service.get("volumes", [])), "compose: /data needs a volume")
    check("healthcheck" in service, "compose: needs a healthcheck")
    check(service.get("restart") in ("always", "unless-stopped", "on-failure"), "compose: needs a restart policy")
    check(service.get("env_file"), "compose: the token comes from an env file")
    env_files = [entry if isinstance(entry, str) else entry.get("path") for entry in service.get("env_file", [])]
    for name in env_files:
        check((ROOT / "deploy" / (name + ".example")).exists(), f"compose: ship deploy/{name}.example")
    if image["port"] is not None:
        check(any(str(port).endswith(f":{image['port']}") for port in service.get("ports", [])),
              f"compose: publish the image's port {image['port']}")


def main():
    image = dockerfile_facts()
    check(image["uid"] not in (None, 0), "Dockerfile: USER must be a numeric non-root id")
    check(image["stopsignal"], "Dockerfile: STOPSIGNAL SIGTERM")
    check(image["exec_entrypoint"], "Dockerfile: ENTRYPOINT in exec form")
    check(image["healthcheck"], "Dockerfile: HEALTHCHECK")

    kinds = by_kind()
    claims = {claim["metadata"]["name"] for claim in kinds.get("PersistentVolumeClaim", [])}
    deployments = kinds.get("Deployment", [])
    services = kinds.get("Service", [])
    check(len(deployments) == 1, "deploy/k8s: expected one Deployment")
    check(len(services) == 1, "deploy/k8s: expected one Service")
    if deployments:
        labels, ports = check_deployment(deployments[0], claims, image)
        for service in services:
            check_service(service, labels, ports)
    for kustomization in kinds.get("Kustomization", []):
        for resource in kustomization.get("resources", []):
            check((K8S / resource).exists(), f"kustomization: {resource} does not exist")
    check_compose(image)
    check_scale_out(image)
    check_compose_postgres()

    for failure in failures:
        print(f"policy: {failure}", file=sys.stderr)
    print(f"deployment policy: {'OK' if not failures else f'{len(failures)} failure(s)'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
