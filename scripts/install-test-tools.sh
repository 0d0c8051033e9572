#!/usr/bin/env bash
# Installs the real, independently written clients the end-to-end tests drive (skopeo, podman,
# dig, curl, openssl, Debian's docker-registry for benchmarks) when they are missing. Needs root
# for apt-get; without root it only reports what is missing and the tests that need it say so.
set -euo pipefail
need=()
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v dig >/dev/null 2>&1 || need+=(bind9-dnsutils)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
# The benchmark's peer (npm run bench passes --bench).
if [ "${1:-}" = "--bench" ]; then command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry); fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ]; then
  echo "install-test-tools: missing ${need[*]} and not root; tests that need them will report it" >&2
  exit 0
fi
echo "install-test-tools: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
