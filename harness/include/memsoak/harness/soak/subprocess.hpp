#pragma once
// Runs the helper programs that name code (addr2line, google-pprof) and collects what they print.

#include <string>
#include <string_view>
#include <vector>

namespace memsoak::harness {

// Runs `argv` (found on PATH) with `input` on its standard input and returns its standard output. Throws
// harness::Error when it cannot be started ("cannot run addr2line: not found (install the binutils package)",
// naming `package`), or when it fails: "<description> failed: <its error output>".
std::string run_program(const std::vector<std::string>& argv, std::string_view input, std::string_view package,
                        std::string_view description);

}  // namespace memsoak::harness
