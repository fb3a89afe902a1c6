#pragma once
// Internal to the engine: writes the chart's PNG and SVG files.

#include <filesystem>
#include <string_view>

namespace memsoak::engine {

// Creates or truncates `file` and writes `bytes` to it. Throws engine::Error naming the path and the system's
// reason: "cannot open '/x/chart.png' for writing: No such file or directory", "cannot write '...': ...".
void write_whole_file(const std::filesystem::path& file, std::string_view bytes);

}  // namespace memsoak::engine
