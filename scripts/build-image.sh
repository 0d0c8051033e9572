#!/usr/bin/env bash
# Builds Cove's OCI image (the Containerfile) with buildah: `npm run image [-- OPTIONS]`.
#
#   --tag NAME        the image's name (default localhost/cove:<package.json version>)
#   --output DEST     also write it to DEST, any buildah push destination: oci-archive:PATH,
#                     oci:DIR, docker-archive:PATH, docker://... (the image stays in local storage)
#
# No base image can be pulled here (CI reaches the npm registry and Debian's packages only), so the
# image is FROM scratch and this script stages its root file system from the checkout: the project's
# Node.js, the libraries it links, dist/src, the page's files, and a pruned copy of the production
# node_modules (the working tree's node_modules is only read). buildah uses its usual storage
# (CONTAINERS_STORAGE_CONF picks another). The last line on stdout is the image's name; buildah's
# own output goes to stderr.
#
# Exit codes: 0 built; 1 buildah failed; 2 bad arguments; 3 buildah missing; 4 Cove not built or
# not installed in this checkout.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
say() { echo "build-image: $*" >&2; }

tag="" output=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) [ $# -ge 2 ] || { say "--tag needs a name"; exit 2; }; tag=$2; shift 2 ;;
    --output) [ $# -ge 2 ] || { say "--output needs a destination such as oci-archive:cove.tar"; exit 2; }; output=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) say "unknown argument '$1' (accepted: --tag NAME, --output DEST)"; exit 2 ;;
  esac
done

if ! command -v buildah >/dev/null 2>&1; then
  say "buildah is not installed. On Debian or Ubuntu: apt-get install buildah (or run scripts/install-test-tools.sh as root)"
  exit 3
fi
node="$root/node_modules/node/bin/node"
if [ ! -x "$node" ]; then
  say "the project's Node.js ($node) is missing: run \`npm install\` first"
  exit 4
fi
if [ ! -f "$root/dist/src/cli/index.js" ]; then
  say "Cove is not built (no dist/src/cli/index.js): run \`npm run build\` first"
  exit 4
fi
version=$("$node" -p 'require(process.argv[1]).version' "$root/package.json")
tag=${tag:-localhost/cove:$version}
revision=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

work=$(mktemp -d "${TMPDIR:-/tmp}/cove-image-XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 143' TERM INT
ctx="$work/context"
rootfs="$ctx/rootfs"
app="$rootfs/opt/cove"
# Cove's files are hard-linked into the context when it is on the same file system (buildah only
# reads them, and this leaves the working tree's files as they were), copied otherwise.
link=""
ln "$root/package.json" "$work/link-probe" 2>/dev/null && link="-l"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc" "$rootfs/var/lib" "$app" "$ctx/data/cove"
chmod 0700 "$ctx/data/cove"
install -d -m 1777 "$rootfs/tmp"

# The runtime: its debug symbols are 34 of its 150 MB, and nothing in a container reads them.
if command -v strip >/dev/null 2>&1; then
  strip --strip-all -o "$rootfs/usr/local/bin/node" "$node"
else
  say "strip (binutils) is missing: node goes in with its debug symbols (34 MB more)"
  cp "$node" "$rootfs/usr/local/bin/node"
fi
# Every shared library node links, at the path the dynamic linker will look for it.
for lib in $(ldd "$node" | grep -o '/[^ ]*'); do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
# getaddrinfo (a PostgreSQL or storage host name) reads these; glibc's files and dns modules are
# built into libc. A runtime mounts its own /etc/hosts and /etc/resolv.conf over the image's.
printf 'hosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$rootfs/etc/hosts"
printf 'root:x:0:0:root:/root:/sbin/nologin\ncove:x:10001:10001:Cove:/var/lib/cove:/sbin/nologin\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\ncove:x:10001:\n' > "$rootfs/etc/group"

# Cove itself: what `node bin/cove.js serve` reads, without the tests, source maps or sources.
mkdir -p "$app/bin" "$app/scripts" "$app/src/web"
cp "$root/package.json" "$app/"
cp "$root/bin/cove.js" "$app/bin/"
cp "$root/scripts/project-node.js" "$app/scripts/"
cp -a "$root/src/web/client" "$app/src/web/"
(cd "$root" && find dist/src -type f -name '*.js' ! -name '*.test.js' -exec cp $link --parents -t "$app" {} +)

# Production dependencies only: npm's own view of the tree without dev dependencies (no azurite,
# typescript or playwright), minus the `node` package whose binary is already in /usr/local/bin.
# A package's nested node_modules comes along with it (only that package resolves from there), so
# only paths under no other listed path are named. Left out: what node never loads (source maps,
# type declarations, read-mes; licences stay) and .bin links.
deps=$(cd "$root" && npm ls --omit=dev --all --parseable 2>/dev/null | sed "s|^$root/||" | grep '^node_modules/' |
  grep -v '^node_modules/node\(/\|$\)' | awk '
  { seen[$0] = 1; path[NR] = $0 }
  END { for (n = 1; n <= NR; n++) { up = path[n]; keep = 1
    while (match(up, /\/node_modules\/(@[^\/]+\/)?[^\/]+$/)) { up = substr(up, 1, RSTART - 1); if (up in seen) keep = 0 }
    if (keep) print path[n] } }' || true)
if [ -z "$deps" ]; then
  say "npm ls found no production dependencies in $root/node_modules: run \`npm install\` first"
  exit 4
fi
# shellcheck disable=SC2086 # one path per word: npm package paths hold no spaces
(cd "$root" && find $deps \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.md' -o -name .bin \) \
    ! -iname 'licen[cs]e*' -prune -o \( -type f -o -type l \) -exec cp $link -P --parents -t "$app" {} +)
say "staged $(du -sm "$rootfs" | cut -f1) MiB in $rootfs"

# A rebuild moves the tag; the image it leaves behind, now nameless, is removed below.
previous=$(buildah images --noheading --no-trunc --format '{{.ID}}' "$tag" 2>/dev/null | head -1 || true)
if ! buildah build --isolation chroot --layers=false -f "$root/Containerfile" \
    --build-arg "VERSION=$version" --build-arg "REVISION=$revision" -t "$tag" "$ctx" >&2; then
  say "buildah build failed (as a non-root user buildah needs subuid/subgid ranges; as root it needs none)"
  exit 1
fi
current=$(buildah images --noheading --no-trunc --format '{{.ID}}' "$tag" | head -1)
if [ -n "$previous" ] && [ "$previous" != "$current" ] &&
    [ -z "$(buildah images --noheading --format '{{.Name}}' --filter "id=$previous" | grep -v '<none>' || true)" ]; then
  buildah rmi "$previous" >/dev/null 2>&1 || say "the previous $tag ($previous) is still in use and was kept"
fi
# A file or layout without a reference of its own carries the tag, so `podman load` names the image.
case "$output" in oci-archive:*:*|docker-archive:*:*|oci:*:*) ;; oci-archive:*|docker-archive:*|oci:*) output="$output:$tag" ;; esac
if [ -n "$output" ] && ! buildah push "$tag" "$output" >&2; then
  say "the image was built as $tag but could not be written to $output"
  exit 1
fi
say "built $tag ($(buildah images --format '{{.Size}}' "$tag" | head -1))"
echo "$tag"
