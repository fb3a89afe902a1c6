#pragma once
// The short human summary printed after a run: what ran, how fast, each budget's verdict with its deciding
// limit, the components that grew, and the overall verdict.

#include <ostream>

#include "memsoak/harness/result.hpp"

namespace memsoak::reports {

struct TerminalStyle {
    bool color = false;  // ANSI colours: PASS green, FAIL red, NO DATA yellow
};

void print_summary(std::ostream& out, const harness::RunResult& result, const TerminalStyle& style);

// True when `fd` is a terminal and NO_COLOR is unset or empty (https://no-color.org: any non-empty value
// disables colour).
bool should_use_color(int fd);

}  // namespace memsoak::reports
