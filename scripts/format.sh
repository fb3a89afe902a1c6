#!/usr/bin/env bash
# Formats memsoak's C++ sources (every tracked *.cpp, *.hpp and *.hpp.in) with clang-format 14 and the checked-in
# .clang-format. The version is pinned because another clang-format formats the same file differently.
# Usage: scripts/format.sh           rewrites the files in place
#        scripts/format.sh --check   changes nothing; lists each file that would change with its count of changed
#                                    lines, and exits 1 when there is any (0 when the tree is formatted)
# Exit codes: 0 formatted, 1 (--check) files to format, 2 bad usage or clang-format missing.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=apply
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  *) echo "usage: scripts/format.sh [--check]" >&2; exit 2 ;;
esac
clang_format=$(command -v clang-format-14 || true)
if [ -z "$clang_format" ]; then
  echo "format.sh: clang-format-14 is not installed (Debian: clang-format; scripts/install-deps.sh)" >&2
  exit 2
fi

mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.hpp.in')
if [ "$mode" = apply ]; then
  printf '%s\0' "${files[@]}" | xargs -0 -n 20 -P 2 "$clang_format" -i --style=file
  echo "format.sh: formatted ${#files[@]} files"
  exit 0
fi

changed_files=0
changed_lines=0
for f in "${files[@]}"; do
  differences=$("$clang_format" --style=file --assume-filename="$f" <"$f" | diff "$f" - || true)
  if [ -n "$differences" ]; then
    # Lines of the file that the formatted version replaces or removes (at least 1: a pure insertion counts).
    n=$(grep -c '^<' <<<"$differences" || true)
    n=$((n > 0 ? n : 1))
    echo "$f: $n lines to format"
    changed_files=$((changed_files + 1))
    changed_lines=$((changed_lines + n))
  fi
done
if [ "$changed_files" -gt 0 ]; then
  echo "format.sh: $changed_lines lines in $changed_files of ${#files[@]} files to format (scripts/format.sh applies it)"
  exit 1
fi
echo "format.sh: all ${#files[@]} files are formatted"
