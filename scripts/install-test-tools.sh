#!/usr/bin/env bash
# Installs the real, independently written clients the end-to-end tests drive (skopeo, podman, buildah,
# dig, curl, openssl, sudo, containerd, az, chromium, Debian's docker-registry for benchmarks) when they are missing. Needs root
# for apt-get; without root it only reports what is missing and the tests that need it say so.
set -euo pipefail
need=()
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v podman >/dev/null 2>&1 || need+=(podman)
# `npm run image` and its test (test/image/) build Cove's OCI image with buildah.
command -v buildah >/dev/null 2>&1 || need+=(buildah)
# It strips node's debug symbols with binutils' strip (34 MB of the image's 214).
command -v strip >/dev/null 2>&1 || need+=(binutils)
command -v dig >/dev/null 2>&1 || need+=(bind9-dnsutils)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
# The lab (test/lab/, docs/lab.md): ip for namespaces, veths and routes; util-linux's nsenter above.
command -v ip >/dev/null 2>&1 || need+=(iproute2)
# The lab tests start a real containerd on a lab host, as an AKS node pulling through the endpoint.
command -v containerd >/dev/null 2>&1 || need+=(containerd)
# The README walkthrough is also run as a normal user, whose one root step goes through a real sudo
# (permitted only inside that test's private mount namespace; the machine's sudoers are not changed).
command -v sudo >/dev/null 2>&1 || need+=(sudo)
# The real Azure CLI for the `cove az` tests (test/az): Debian 12's package, az 2.45, what docs/az.md
# and the opt-in shim are written against.
command -v az >/dev/null 2>&1 || need+=(azure-cli)
# The networking page's browser tests (test/web): Debian's Chromium, driven by playwright-core.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# The PostgreSQL metadata driver's tests (test/support/postgres.ts) start throwaway clusters with
# Debian's initdb and pg_ctl (/usr/lib/postgresql/<version>/bin).
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
# The benchmarks' peers and load (npm run bench passes --bench): docker-registry for the registry
# bench, dnsmasq and dnsperf for the DNS bench.
if [ "${1:-}" = "--bench" ]; then
  command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
  command -v dnsmasq >/dev/null 2>&1 || need+=(dnsmasq-base)
  command -v dnsperf >/dev/null 2>&1 || need+=(dnsperf)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ]; then
  echo "install-test-tools: missing ${need[*]} and not root; tests that need them will report it" >&2
  exit 0
fi
echo "install-test-tools: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# postgresql-common's postinst would create and start a `main` cluster on port 5432: the tests make
# their own, so say no before it installs (only when we install it).
if [[ " ${need[*]} " == *" postgresql "* ]]; then
  mkdir -p /etc/postgresql-common
  grep -qs '^create_main_cluster *= *false' /etc/postgresql-common/createcluster.conf ||
    echo "create_main_cluster = false" >> /etc/postgresql-common/createcluster.conf
fi
apt-get update -qq >/dev/null
apt-get install -y -qq "${need[@]}" >/dev/null
