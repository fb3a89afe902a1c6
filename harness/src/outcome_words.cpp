#include "memsoak/harness/outcome_words.hpp"

#include <fmt/format.h>

namespace memsoak::harness {

std::string outcome_words(const SuiteEntry& entry) {
    switch (entry.outcome) {
        case Outcome::pass: return "pass";
        case Outcome::fail: return "budget failed";
        case Outcome::bad_input: return fmt::format("bad input (exit {})", entry.exit_code);
        case Outcome::internal_error: return fmt::format("internal error (exit {})", entry.exit_code);
        case Outcome::interrupted:
            return entry.signal != 0 ? fmt::format("interrupted (signal {})", entry.signal) : "interrupted";
        case Outcome::crashed: return fmt::format("crashed (signal {})", entry.signal);
    }
    return "unknown";
}

}  // namespace memsoak::harness
