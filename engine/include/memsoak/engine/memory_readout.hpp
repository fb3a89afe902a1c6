#pragma once
// The status-bar memory read-out the leak study recommends ("Add Memory Monitoring to GUI").

#include <cstdint>
#include <string>

namespace memsoak::engine {

// Resident set size of this process in bytes: resident pages from /proc/self/statm times the page size.
// Throws engine::Error naming /proc/self/statm and the OS error if it cannot be read.
std::uint64_t current_rss_bytes();

// "Memory: 43.2 MB", one decimal, where MB is 1024 * 1024 bytes as in the study's psutil code
// (rss / 1024 / 1024).
std::string format_memory(std::uint64_t bytes);

}  // namespace memsoak::engine
