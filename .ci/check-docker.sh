#!/usr/bin/env bash
# Builds the Dockerfile and runs the image's memsoak on a short scenario, where a container engine works here.
# Skips (exit 77, ctest's SKIP_RETURN_CODE) with the reason when none does: no docker or podman, no daemon, or no
# debian:12 base image (this machine reaches Debian's and npm's package registries only, not an image registry).
set -uo pipefail
cd "$(dirname "$0")/.."
engine=""
for candidate in docker podman; do
  if command -v "$candidate" >/dev/null && "$candidate" info >/dev/null 2>&1; then
    engine=$candidate
    break
  fi
done
if [ -z "$engine" ]; then
  echo "check-docker: SKIPPED: no working container engine (docker: $(command -v docker || echo absent)," \
       "$(docker info 2>&1 | grep -m1 -i 'cannot connect\|error' || true); podman: $(command -v podman || echo absent))"
  exit 77
fi
if ! "$engine" image inspect debian:12 >/dev/null 2>&1 && ! "$engine" pull debian:12 >/dev/null 2>&1; then
  echo "check-docker: SKIPPED: $engine works but the debian:12 base image is neither present nor pullable"
  exit 77
fi
set -e
tag=memsoak-ci-check:$$
"$engine" build --build-arg MEMSOAK_COMMIT=0123456789ab -t "$tag" .
trap '"$engine" rmi -f "$tag" >/dev/null 2>&1' EXIT
"$engine" run --rm "$tag" build/tools/memsoak --version | tee /dev/stderr | grep -q "commit 0123456789ab"
"$engine" run --rm "$tag" build/tools/memsoak-tcmalloc run scenarios/gui-hour.json --quiet --out /tmp/r.json
echo "check-docker: the image builds and runs"
