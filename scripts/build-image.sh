#!/usr/bin/env bash
# Build the Octopost server image (`make image`; the e2e suite runs it too).
#
# No container registry can be reached from the machines this project runs on, so the image
# is FROM scratch (build/Dockerfile) and everything in it comes from this machine: the
# static binary built here (CGO_ENABLED=0; its build information carries the commit, and
# VERSION, when set, the version `octopost version` prints), the machine's CA bundle, and
# the /data and /tmp directories, prepared in a private build context already owned by the
# image's user because scratch has no shell to chown with.
#
# The image is tagged by its content, octopost:c-<hash of the binary, the CA bundle and the
# Dockerfile>, and the build is skipped when that tag exists, so a second run with the same
# sources only relinks the binary; the tag octopost:latest is moved to it, and only the
# newest three content tags are kept. The image reference is the one line printed on
# stdout, for scripts and tests; progress goes to stderr.
set -euo pipefail

REPO_IMAGE="octopost"
UID_GID="10001:10001"
CA_BUNDLE="/etc/ssl/certs/ca-certificates.crt"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
"$here/ensure-docker.sh" >&2

if [ ! -s "$CA_BUNDLE" ]; then
  echo "build-image: no CA bundle at $CA_BUNDLE (install the ca-certificates package)" >&2
  exit 1
fi

# The version printed by `octopost version`: $VERSION, else the tag on HEAD, else none (the
# build information's "(devel)" and its commit then say what this is).
version="${VERSION:-}"
if [ -z "$version" ]; then
  version="$(git -C "$root" describe --tags --exact-match --dirty 2>/dev/null || true)"
fi

ctx="$(mktemp -d -t octopost-image.XXXXXX)"
trap 'rm -rf "$ctx"' EXIT

echo "build-image: building the static binary" >&2
# -buildvcs=auto overrides a GOFLAGS=-buildvcs=false: the commit is stamped whenever git
# can read the checkout, and left out (not an error) in a tree without one.
(cd "$root" && CGO_ENABLED=0 GOOS=linux go build -trimpath -buildvcs=auto \
  -ldflags "-s -w -X main.version=$version" -o "$ctx/octopost" ./cmd/octopost)

cp "$CA_BUNDLE" "$ctx/ca-certificates.crt"
# The directories the non-root user writes to; COPY --chown in the Dockerfile gives them
# to it. /tmp keeps the sticky world-writable mode it has everywhere else.
mkdir -p "$ctx/rootfs/data" "$ctx/rootfs/tmp"
chmod 0750 "$ctx/rootfs/data"
chmod 1777 "$ctx/rootfs/tmp"

key="$(cat "$ctx/octopost" "$ctx/ca-certificates.crt" "$root/build/Dockerfile" | sha256sum | cut -c1-16)"
image="$REPO_IMAGE:c-$key"

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "build-image: $image already present, nothing to build" >&2
else
  echo "build-image: building $image" >&2
  # --pull=false: FROM scratch needs no base image; never ask a registry for anything.
  docker build --pull=false -q -f "$root/build/Dockerfile" -t "$image" "$ctx" >/dev/null
fi
docker tag "$image" "$REPO_IMAGE:latest"

# Every change of the sources makes a new content tag: keep the newest few and untag the
# rest, so a working machine does not fill up. `docker rmi` without -f leaves an image a
# container still uses, so a running test keeps its own.
docker images "$REPO_IMAGE" --format '{{.Tag}}' | grep '^c-' | tail -n +4 | while read -r old; do
  [ "$REPO_IMAGE:$old" = "$image" ] || docker rmi "$REPO_IMAGE:$old" >/dev/null 2>&1 || true
done
echo "build-image: $image (also $REPO_IMAGE:latest)" >&2
echo "$image"
