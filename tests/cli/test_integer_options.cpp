// Every integer option is read by one parser, with one wording that names the option and what was expected.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/processes.hpp"

namespace memsoak::testing {
namespace {

const std::string kDay = std::string(MEMSOAK_SOURCE_DIR) + "/scenarios/production-day.json";
const std::string kSuite = std::string(MEMSOAK_SOURCE_DIR) + "/scenarios/nightly.json";

struct Case {
    std::vector<std::string> args;
    std::string message;  // the line memsoak prints, without its "memsoak COMMAND: " prefix
};

TEST(IntegerOptions, OneWordingNamingTheOptionAndTheRange) {
    const std::vector<Case> cases{
        {{"run", kDay, "--seed", "-1"}, "--seed: expected a whole number from 0 to 2^64 - 1, got \"-1\""},
        {{"fixcheck", kDay, "--seed", "1.5"}, "--seed: expected a whole number from 0 to 2^64 - 1, got \"1.5\""},
        {{"probe", kDay, "--rounds", "1"}, "--rounds: expected a whole number from 2 to 1000, got \"1\""},
        {{"selftest", "--scenarios", std::string(MEMSOAK_SOURCE_DIR) + "/scenarios", "--jobs", "0"},
         "--jobs: expected a whole number from 1 to 100000, got \"0\""},
        {{"calibrate", kSuite, "--jobs", "65"}, "--jobs: expected a whole number from 1 to 64, got \"65\""},
        {{"suite", kSuite, "--seeds", "1,x"},
         "--seeds: expected a whole number from 0 to 2^64 - 1, got \"x\" in \"1,x\" (a comma-separated list of "
         "seeds such as \"1,2,3\")"},
    };
    for (const Case& c : cases) {
        const ProcessResult r = run_memsoak(c.args);
        EXPECT_EQ(r.exit_code, 2) << c.args[0];
        EXPECT_EQ(r.output, "memsoak " + c.args[0] + ": " + c.message + "\n(see memsoak " + c.args[0] + " --help)\n");
    }
}

}  // namespace
}  // namespace memsoak::testing
