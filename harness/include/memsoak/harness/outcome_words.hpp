#pragma once
// How a child run ended, in words for people, defined once for every renderer (terminal, HTML, JUnit, Markdown)
// and for the selftest's problem lines.

#include <string>

#include "memsoak/harness/orchestration/suite.hpp"

namespace memsoak::harness {

// "pass", "budget failed", "bad input (exit 2)", "internal error (exit 3)", "interrupted (signal 15)",
// "crashed (signal 11)".
std::string outcome_words(const SuiteEntry& entry);

}  // namespace memsoak::harness
