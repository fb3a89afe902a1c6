#pragma once
// Writing a file so that a reader sees either the old content or the new, never a partial file, even if the
// process is killed or the machine loses power part-way: reports are read by CI while runs are still going.

#include <filesystem>
#include <string_view>

namespace memsoak::reports {

// Writes `content` to a new temporary file in the target's folder (a hidden, uniquely named sibling created with
// O_CREAT|O_EXCL and mode 0644 less the umask), fsyncs it, renames it over `target`, then fsyncs the folder so
// the rename itself is durable. On failure removes the temporary and throws reports::Error naming `target` and
// the system's reason, e.g. "out/day.json: cannot create a temporary file in out: No such file or directory".
// The target's folder must exist; the target, if it exists, must be a file (its permissions become 0644).
void write_file_atomically(const std::filesystem::path& target, std::string_view content);

}  // namespace memsoak::reports
