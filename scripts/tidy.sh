#!/usr/bin/env bash
# Runs clang-tidy 14 with the checked-in .clang-tidy over every memsoak source in a build's compile_commands.json
# (CMakeLists.txt exports it), two files at a time, and reports the findings in memsoak's own files (headers
# included) once each, with a count per check.
# Usage: scripts/tidy.sh [BUILD_DIR] [FILE...]   (default build; FILE... limits the run to those sources)
# Exit codes: 0 no finding, 1 findings (or a file clang-tidy could not parse), 2 bad usage or a tool missing.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$repo/build}")
shift || true

clang_tidy=$(command -v clang-tidy-14 || true)
if [ -z "$clang_tidy" ]; then
  echo "tidy.sh: clang-tidy-14 is not installed (Debian: clang-tidy; scripts/install-deps.sh)" >&2
  exit 2
fi
if [ ! -f "$build/compile_commands.json" ]; then
  echo "tidy.sh: $build/compile_commands.json: no such file (configure the build first, e.g." \
       "cmake -S . -B build -G Ninja)" >&2
  exit 2
fi

if [ $# -gt 0 ]; then
  files=()
  for f in "$@"; do files+=("$(realpath -m "$f")"); done
else
  # Sources of the repository, not generated ones in the build folder, each once (tools/ objects are shared).
  mapfile -t files < <(python3 - "$build/compile_commands.json" "$repo" "$build" <<'PY'
import json, os, sys
entries, repo, build = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
files = {os.path.realpath(os.path.join(e["directory"], e["file"])) for e in entries}
print("\n".join(sorted(f for f in files if f.startswith(repo + "/") and not f.startswith(build + "/"))))
PY
  )
fi

start=$SECONDS
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Findings in headers are reported by every file that includes them; only memsoak's own headers are checked.
header_filter="^$repo/(engine|harness|reports|history|tools|tests|bench)/"
status=0
printf '%s\n' "${files[@]}" |
  xargs -P 2 -I{} "$clang_tidy" -p "$build" --quiet --header-filter="$header_filter" {} >"$log" 2>/dev/null ||
  status=$?
# clang-tidy exits non-zero only when a file cannot be compiled (findings are warnings).
findings=$(grep -E '^/.*:[0-9]+:[0-9]+: (warning|error): ' "$log" | sort -u || true)
seconds=$((SECONDS - start))
if [ -n "$findings" ]; then
  # Each finding with the lines clang-tidy shows under it would repeat per includer; the first line says enough.
  echo "$findings" | sed "s#^$repo/##"
  echo "tidy.sh: findings per check:"
  echo "$findings" | grep -oE '\[[a-z0-9.,-]+\]$' | sort | uniq -c | sort -rn
  echo "tidy.sh: $(wc -l <<<"$findings") findings in ${#files[@]} files, $seconds s"
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "tidy.sh: clang-tidy failed (exit $status) on a file; run it on that file to see why" >&2
  exit 1
fi
echo "tidy.sh: no findings in ${#files[@]} files, $seconds s"
