#!/usr/bin/env bash
# Build the local PostgreSQL image used by the Go tests (db/pgtest).
#
# No container registry can be reached from the machines this project runs on, so the image
# is made from Debian packages: debootstrap a minimal bookworm with postgresql-15, run initdb
# inside it (so a container is ready in about a second), and `docker import` the tree.
# The tag carries the recipe version: bump it (here AND in db/pgtest/pgtest.go, Image) when
# the recipe changes. The build is skipped when the tag already exists.
set -euo pipefail

IMAGE="octopost-postgres:15-r1"
PG_MAJOR=15
PGDATA=/var/lib/postgresql/data

if [ "${1:-}" = "--print-image" ]; then
  echo "$IMAGE"
  exit 0
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/ensure-docker.sh"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "build-postgres-image: $IMAGE already present, nothing to do" >&2
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "build-postgres-image: must run as root (debootstrap and chroot need it)" >&2
  exit 1
fi

# debootstrap (and the archive keyring it verifies with) come from Debian's packages.
if ! command -v debootstrap >/dev/null 2>&1 || [ ! -e /usr/share/keyrings/debian-archive-keyring.gpg ]; then
  echo "build-postgres-image: installing debootstrap" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y debootstrap debian-archive-keyring
fi

# The Debian mirror this machine is configured with, read at run time (never hard-coded):
# the first non-security URIs: line of the deb822 sources, else the first `deb` line.
mirror=""
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  mirror="$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)"
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  # Skip an optional "[ options ]" block after "deb".
  mirror="$(awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($i !~ /security/) { print $i; exit } }' /etc/apt/sources.list)"
fi
if [ -z "$mirror" ]; then
  echo "build-postgres-image: cannot find a Debian mirror in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list" >&2
  exit 1
fi

work="$(mktemp -d -t octopost-pgimage.XXXXXX)"
root="$work/rootfs"
cleanup() {
  # debootstrap mounts /proc and /sys inside the tree; unmount anything left before deleting.
  # (`|| true`: grep finding no mount must not abort the cleanup under set -e.)
  if command -v findmnt >/dev/null 2>&1; then
    { findmnt -rn -o TARGET | grep -F "$root" || true; } | sort -r | while read -r m; do umount -l "$m" || true; done
  fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

echo "build-postgres-image: debootstrap bookworm into $root (about a minute)" >&2
debootstrap --variant=minbase --include="postgresql-$PG_MAJOR,ca-certificates" \
  bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  echo "build-postgres-image: debootstrap failed; last lines of its log:" >&2
  tail -n 40 "$work/debootstrap.log" >&2
  exit 1
}

# Drop the cluster the Debian package created (unused: we run our own data dir) and bulk
# the tests never need, to keep the image small.
rm -rf "$root/var/lib/postgresql/$PG_MAJOR" "$root/etc/postgresql/$PG_MAJOR" \
  "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"* \
  "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/locale"

# initdb now, so containers skip it at start. Trust auth: a throwaway test server on a
# port mapped to localhost only.
mkdir -p "$root$PGDATA" "$root/run/postgresql"
chroot "$root" chown -R postgres:postgres "$PGDATA" /run/postgresql
chroot "$root" su postgres -s /bin/sh -c \
  "/usr/lib/postgresql/$PG_MAJOR/bin/initdb -D $PGDATA -A trust -U postgres -E UTF8 --locale=C.UTF-8" \
  >"$work/initdb.log" 2>&1 || {
  echo "build-postgres-image: initdb failed:" >&2
  cat "$work/initdb.log" >&2
  exit 1
}
echo "host all all all trust" >>"$root$PGDATA/pg_hba.conf"

echo "build-postgres-image: importing $IMAGE" >&2
# fsync/synchronous_commit/full_page_writes off: test data is disposable, speed matters.
tar --numeric-owner -C "$root" -c . | docker import \
  -c "ENV PATH=/usr/lib/postgresql/$PG_MAJOR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  -c "ENV PGDATA=$PGDATA" \
  -c "USER postgres" \
  -c "EXPOSE 5432" \
  -c "CMD [\"postgres\", \"-D\", \"$PGDATA\", \"-c\", \"listen_addresses=*\", \"-c\", \"fsync=off\", \"-c\", \"synchronous_commit=off\", \"-c\", \"full_page_writes=off\", \"-c\", \"max_connections=200\"]" \
  - "$IMAGE" >/dev/null

echo "build-postgres-image: built $IMAGE" >&2
