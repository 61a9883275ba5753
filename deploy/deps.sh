#!/usr/bin/env bash
#  deploy/deps.sh - install the Debian 12 packages WalletFlow builds, tests and runs with
#
#  Idempotent: asks dpkg which packages are missing and installs only those; when nothing is
#  missing it changes nothing and does not touch the network. Runs apt-get as root, through sudo
#  when not root, never interactively (no stdin needed).
#
#  Installing postgresql, redis-server or rabbitmq-server may start their system services on
#  some machines; WalletFlow never uses them: deploy/stack.sh runs its own on other ports.
set -euo pipefail

PACKAGES=(
    build-essential cmake pkg-config clang libclang-rt-14-dev
    libzmq3-dev libczmq-dev libmsgpack-dev libwebsockets-dev libjwt-dev libjansson-dev
    libsodium-dev librabbitmq-dev libcmocka-dev libhiredis-dev libpq-dev
    postgresql redis-server rabbitmq-server
    chromium  # headless browser of tests/e2e/web.sh (playwright-core drives it)
    curl wrk iproute2 socat
    tshark  # tests/e2e/multihost.sh captures the hosts' traffic to show CURVE on the wire
    docker-compose python3-yaml  # deploy/check.sh validates the compose file and manifests
)
# Node may come from elsewhere (NodeSource, nvm): Debian's packages are only needed without it.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    PACKAGES+=(nodejs npm)
fi

s_installed () {
    dpkg -s "$1" 2>/dev/null | grep -qx 'Status: install ok installed'
}

missing=()
for package in "${PACKAGES[@]}"; do
    s_installed "$package" || missing+=("$package")
done

if (( ${#missing[@]} == 0 )); then
    printf 'deps: all %d packages present\n' "${#PACKAGES[@]}"
    exit 0
fi

printf 'deps: installing %s\n' "${missing[*]}"
if (( EUID == 0 )); then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    printf 'deps: error: need root or sudo to install: %s\n' "${missing[*]}" >&2
    exit 1
fi

# Wait for a dpkg lock held by someone else instead of failing at once.
apt_options=(-y -q -o DPkg::Lock::Timeout=300
             -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" update </dev/null
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" \
    install "${missing[@]}" </dev/null

still_missing=()
for package in "${missing[@]}"; do
    s_installed "$package" || still_missing+=("$package")
done
if (( ${#still_missing[@]} )); then
    printf 'deps: error: still missing after apt-get: %s\n' "${still_missing[*]}" >&2
    exit 1
fi
printf 'deps: installed %d packages\n' "${#missing[@]}"
