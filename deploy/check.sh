#!/usr/bin/env bash
# deploy/check.sh - validates the deployment files without a container engine
# or a cluster (ctest: deploy_files):
#   - deploy/check_deploy.py: structural checks of the Dockerfile, the compose
#     file and the Kubernetes manifests (what issue 8 asks of them);
#   - the compose file through a compose implementation when one is installed
#     (`docker compose config`, else Debian's `docker-compose config`);
#   - the manifests through `kubectl kustomize` when kubectl is installed
#     (offline: parses every resource; `kubectl apply --dry-run` needs a server).
# A missing tool is said, never silently passed over.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

# Debian's python3 has python3-yaml (deploy/deps.sh); another python3 on PATH may not.
PYTHON=python3
$PYTHON -c 'import yaml' 2>/dev/null || PYTHON=/usr/bin/python3
$PYTHON -c 'import yaml' 2>/dev/null || { echo "FAIL: no python3 with yaml (python3-yaml)"; exit 1; }
$PYTHON "$HERE/check_deploy.py" "$HERE"

export WF_JWT_SECRET=check-only-0123456789abcdef0123456789abcdef
if docker compose version >/dev/null 2>&1; then
    docker compose -f "$HERE/docker-compose.yml" config -q
    echo "ok - docker compose config"
elif command -v docker-compose >/dev/null 2>&1; then
    docker-compose -f "$HERE/docker-compose.yml" config -q
    echo "ok - docker-compose config ($(docker-compose version --short 2>/dev/null))"
else
    echo "skip - no compose implementation installed: compose file checked structurally only"
fi
# Without the secret, compose must refuse (the file requires it).
if command -v docker-compose >/dev/null 2>&1 &&
    WF_JWT_SECRET= docker-compose -f "$HERE/docker-compose.yml" config -q >/dev/null 2>&1; then
    echo "FAIL: the compose file accepts a missing WF_JWT_SECRET"
    exit 1
fi

if command -v kubectl >/dev/null 2>&1; then
    kubectl kustomize "$HERE/k8s" >/dev/null
    echo "ok - kubectl kustomize deploy/k8s ($(kubectl kustomize "$HERE/k8s" | grep -c '^kind:') resources)"
else
    echo "skip - kubectl not installed: manifests checked structurally only"
fi
