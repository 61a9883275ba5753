#!/usr/bin/env python3
"""check_deploy.py - structural checks of the deployment files, without an engine.

  python3 deploy/check_deploy.py [DEPLOY_DIR]

Checks what issue 8 asks of them and what an engine would only find out when it
runs them:
- Dockerfile: multi-stage, every stage on Debian 12, the final stage runs as a
  non-root user, the runtime stage installs no -dev package.
- docker-compose.yml: PostgreSQL 16, Redis 7, RabbitMQ 3 with management, each
  with a health check; WalletFlow split into front (broker + front + health),
  identity, account and events (relay, notifier, amqp...) containers, each with
  a health check, all from deploy/Dockerfile; every actor runs somewhere; the
  endpoints one container binds are the ones the others connect to.
- k8s/*.yaml: every document has apiVersion, kind and metadata.name; there are
  Deployments, Services and a Secret holding WF_JWT_SECRET; each Deployment's
  selector matches its pod labels and its containers have probes; each Service
  selects some pods; every secretKeyRef / configMapRef names an object of the
  set; every actor runs somewhere; kustomization.yaml lists every file.
- systemd/: walletflow@.service runs the binary from its instance's env file,
  stops with SIGTERM (the graceful drain) and restarts; no unit runs as root.
Prints one line per failed check and exits 1, or "deploy files: N checks passed".
"""
import os
import re
import sys

import yaml

ACTORS = {"broker", "front", "health", "identity", "account", "relay", "query", "notifier",
          "amqp", "system"}
failures = []
checks = 0


def check(condition, message):
    global checks
    checks += 1
    if not condition:
        failures.append(message)


def actors_of(args):
    """The actor set of a walletflow argument list (--actors X or --actors=X)."""
    args = [str(a) for a in args or []]
    for i, arg in enumerate(args):
        if arg == "--actors" and i + 1 < len(args):
            return set(args[i + 1].split(","))
        if arg.startswith("--actors="):
            return set(arg.split("=", 1)[1].split(","))
    return set(ACTORS)


def flag(args, name):
    args = [str(a) for a in args or []]
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
    return None


def check_dockerfile(path):
    text = open(path).read()
    stages = re.findall(r"^FROM\s+(\S+)", text, re.M)
    check(len(stages) >= 2, "Dockerfile: not multi-stage")
    check(all(s.startswith("debian:12") or s.startswith("debian:bookworm") for s in stages),
          f"Dockerfile: a stage is not Debian 12: {stages}")
    final = text[text.rfind("\nFROM "):]
    users = re.findall(r"^USER\s+(\S+)", final, re.M)
    check(users and users[-1].split(":")[0] not in ("root", "0"),
          "Dockerfile: the final stage does not run as a non-root user")
    check(not re.search(r"\s\S+-dev\b", final.split("USER")[0]),
          "Dockerfile: the runtime stage installs a -dev package")
    check("ENTRYPOINT" in final, "Dockerfile: no ENTRYPOINT in the final stage")


def check_compose(path):
    doc = yaml.safe_load(open(path))
    services = doc.get("services", {})
    images = {name: str(s.get("image", "")) for name, s in services.items()}
    for name, prefix in (("postgres", "postgres:16"), ("redis", "redis:7"),
                         ("rabbitmq", "rabbitmq:3")):
        check(images.get(name, "").startswith(prefix),
              f"compose: {name} is not {prefix} ({images.get(name)})")
        check("healthcheck" in services.get(name, {}), f"compose: {name} has no health check")
    check("management" in images.get("rabbitmq", ""), "compose: RabbitMQ without management")
    running = set()
    for name in ("front", "identity", "account", "events"):
        service = services.get(name)
        check(service is not None, f"compose: no {name} container")
        if not service:
            continue
        check("healthcheck" in service, f"compose: {name} has no health check")
        build = service.get("build", {})
        check(build.get("dockerfile") == "deploy/Dockerfile",
              f"compose: {name} is not built from deploy/Dockerfile")
        env = service.get("environment", {})
        check(str(env.get("WF_JWT_SECRET", "")).startswith("${WF_JWT_SECRET:?"),
              f"compose: {name} does not require WF_JWT_SECRET from the environment")
        running |= actors_of(service.get("command"))
    check(running >= ACTORS, f"compose: actors running nowhere: {sorted(ACTORS - running)}")
    front = services.get("front", {}).get("command", [])
    check({"broker", "front"} <= actors_of(front), "compose: front does not run broker and front")
    env = services.get("identity", {}).get("environment", {})
    bind = flag(front, "--broker-bind") or ""
    check(bind.endswith(":" + str(env.get("WF_BROKER", "")).rsplit(":", 1)[-1]),
          f"compose: workers connect to {env.get('WF_BROKER')}, the broker binds {bind}")
    events = services.get("events", {}).get("command", [])
    notifier = flag(events, "--notifier-endpoint") or ""
    check(notifier.rsplit(":", 1)[-1] == str(env.get("WF_NOTIFIER_ENDPOINT", "")).rsplit(":", 1)[-1],
          "compose: the notifier binds another port than the fronts connect to")


def check_k8s(folder):
    docs = []
    files = sorted(f for f in os.listdir(folder) if f.endswith(".yaml") and f != "kustomization.yaml")
    for name in files:
        for doc in yaml.safe_load_all(open(os.path.join(folder, name))):
            if doc:
                docs.append((name, doc))
    for name, doc in docs:
        check(doc.get("apiVersion") and doc.get("kind") and doc.get("metadata", {}).get("name"),
              f"k8s {name}: a document without apiVersion, kind or metadata.name")
    kinds = {}
    for _, doc in docs:
        kinds.setdefault(doc.get("kind"), {})[doc["metadata"]["name"]] = doc
    for kind in ("Deployment", "Service", "Secret"):
        check(kind in kinds, f"k8s: no {kind}")
    secrets = kinds.get("Secret", {})
    check(any("WF_JWT_SECRET" in {**s.get("data", {}), **s.get("stringData", {})}
              for s in secrets.values()), "k8s: no Secret holds WF_JWT_SECRET")
    configmaps = kinds.get("ConfigMap", {})
    pods = []
    running = set()
    for kind in ("Deployment", "StatefulSet"):
        for name, d in kinds.get(kind, {}).items():
            spec = d.get("spec", {})
            selector = spec.get("selector", {}).get("matchLabels", {})
            labels = spec.get("template", {}).get("metadata", {}).get("labels", {})
            check(selector and selector.items() <= labels.items(),
                  f"k8s {kind}/{name}: selector does not match the pod labels")
            pods.append(labels)
            for c in spec.get("template", {}).get("spec", {}).get("containers", []):
                check(c.get("image"), f"k8s {kind}/{name}: a container without image")
                check("readinessProbe" in c, f"k8s {kind}/{name}: no readinessProbe")
                for e in c.get("env", []):
                    ref = e.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        s = secrets.get(ref["name"], {})
                        keys = {**s.get("data", {}), **s.get("stringData", {})}
                        check(ref["key"] in keys, f"k8s {kind}/{name}: secret {ref} not in the set")
                for e in c.get("envFrom", []):
                    ref = e.get("configMapRef")
                    if ref:
                        check(ref["name"] in configmaps, f"k8s {kind}/{name}: no ConfigMap {ref}")
                if str(c.get("image", "")).startswith("walletflow"):
                    running |= actors_of(c.get("args"))
                    sc = d["spec"]["template"]["spec"].get("securityContext", {})
                    check(sc.get("runAsNonRoot") is True, f"k8s {kind}/{name}: may run as root")
    for name, s in kinds.get("Service", {}).items():
        selector = s.get("spec", {}).get("selector", {})
        check(any(selector.items() <= labels.items() for labels in pods),
              f"k8s Service/{name}: selects no pod of the set")
    check(running >= ACTORS, f"k8s: actors running nowhere: {sorted(ACTORS - running)}")
    kustomization = yaml.safe_load(open(os.path.join(folder, "kustomization.yaml")))
    check(sorted(kustomization.get("resources", [])) == files,
          "k8s: kustomization.yaml does not list every manifest")


def check_systemd(folder):
    units = {name: open(os.path.join(folder, name)).read() for name in os.listdir(folder)}
    main_unit = units.get("walletflow@.service", "")
    check(main_unit, "systemd: no walletflow@.service")
    for key in ("ExecStart=/usr/local/bin/walletflow", "KillSignal=SIGTERM", "Restart=",
                "EnvironmentFile=/etc/walletflow/%i.env"):
        check(key in main_unit, f"systemd: walletflow@.service lacks {key}")
    for name, text in units.items():
        if name.endswith(".service"):
            user = re.search(r"^User=(\S+)", text, re.M)
            check(user and user.group(1) not in ("root", "0"), f"systemd: {name} runs as root")


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    check_dockerfile(os.path.join(folder, "Dockerfile"))
    check_compose(os.path.join(folder, "docker-compose.yml"))
    check_k8s(os.path.join(folder, "k8s"))
    check_systemd(os.path.join(folder, "systemd"))
    for failure in failures:
        print("FAIL:", failure)
    if failures:
        sys.exit(1)
    print(f"deploy files: {checks} checks passed")


if __name__ == "__main__":
    main()
