#include "memsoak/harness/outcome_words.hpp"

#include <gtest/gtest.h>

namespace memsoak::harness {
namespace {

SuiteEntry ended(Outcome outcome, int exit_code, int signal) {
    SuiteEntry entry;
    entry.outcome = outcome;
    entry.exit_code = exit_code;
    entry.signal = signal;
    return entry;
}

// One wording for every renderer and for the selftest's problem lines (which used to say "exit code 2").
TEST(OutcomeWords, EveryOutcomeInWords) {
    EXPECT_EQ(outcome_words(ended(Outcome::pass, 0, 0)), "pass");
    EXPECT_EQ(outcome_words(ended(Outcome::fail, 1, 0)), "budget failed");
    EXPECT_EQ(outcome_words(ended(Outcome::bad_input, 2, 0)), "bad input (exit 2)");
    EXPECT_EQ(outcome_words(ended(Outcome::internal_error, 3, 0)), "internal error (exit 3)");
    EXPECT_EQ(outcome_words(ended(Outcome::interrupted, 130, 2)), "interrupted (signal 2)");
    EXPECT_EQ(outcome_words(ended(Outcome::interrupted, 130, 0)), "interrupted");
    EXPECT_EQ(outcome_words(ended(Outcome::crashed, -1, 11)), "crashed (signal 11)");
}

}  // namespace
}  // namespace memsoak::harness
