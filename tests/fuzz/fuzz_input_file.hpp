#pragma once
// The fuzz input as a file: memsoak's readers take paths, and reading the file is part of what is fuzzed (the
// JSON readers turn a syntax error's byte offset into a line and column). The bytes go into one memfd, rewritten
// for each input, and the readers open it through /proc/self/fd: no disk I/O, no temporary files left behind.

#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace memsoak::fuzz {

// The path of a file that holds exactly `data`, valid until the next call. Aborts if the memfd cannot be made or
// written: that is a broken fuzzing set-up, not a finding.
const std::filesystem::path& input_file(const std::uint8_t* data, std::size_t size);

}  // namespace memsoak::fuzz
