#!/usr/bin/env bash
# Installs memsoak's build and test dependencies from Debian 12's packages. Safe to run twice: it installs only
# what is missing. Needs root (CI and the project's machines run as root).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost-program-options-dev nlohmann-json3-dev libfmt-dev libmimalloc-dev libgoogle-perftools-dev
  libgtest-dev libbenchmark-dev
  clang libclang-rt-14-dev valgrind
  libsqlite3-dev libpq-dev
)
# google-pprof (heap profile diffs) without its ~30 recommended packages; the PostgreSQL server (the history
# tests start their own, docs/history.md) without its recommended extras.
lean_packages=(google-perftools postgresql)

missing=()
for p in "${packages[@]}" "${lean_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
for p in "${missing[@]}"; do
  if [[ " ${lean_packages[*]} " == *" $p "* ]]; then
    apt-get install -y -qq --no-install-recommends "$p" >/dev/null
  else
    apt-get install -y -qq "$p" >/dev/null
  fi
done
echo "install-deps: done"
