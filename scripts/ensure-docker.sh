#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine.
# Idempotent: does nothing when `docker info` already works. There is no systemd on the
# machines this project runs on, so the engine is installed from Debian's packages when
# missing and started in the background by hand.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-docker: docker is not reachable and we are not root; start Docker yourself" >&2
  exit 1
fi

# Install the engine (and client) only if it is not there yet.
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  echo "ensure-docker: installing docker.io" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y docker.io
fi

# A daemon may already be starting (e.g. a parallel run); only start one if none is running.
if ! pgrep -x dockerd >/dev/null 2>&1; then
  log_dir="$(mktemp -d -t octopost-dockerd.XXXXXX)"
  echo "ensure-docker: starting dockerd, log at $log_dir/dockerd.log" >&2
  # setsid + nohup: detach from this shell so the daemon outlives the script.
  setsid nohup dockerd >"$log_dir/dockerd.log" 2>&1 </dev/null &
else
  log_dir=""
fi

# Wait up to ~60 s for the engine to answer.
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    echo "ensure-docker: docker is ready" >&2
    exit 0
  fi
  sleep 1
done

echo "ensure-docker: docker did not answer within 60 s" >&2
if [ -n "$log_dir" ]; then
  echo "---- last lines of $log_dir/dockerd.log ----" >&2
  tail -n 40 "$log_dir/dockerd.log" >&2 || true
fi
exit 1
