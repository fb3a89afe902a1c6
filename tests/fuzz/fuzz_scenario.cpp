// libFuzzer target: arbitrary bytes as a scenario file. Whatever the input, loading ends in a Scenario or in
// harness::Error; anything else (a crash, another exception type, undefined behaviour, a leak, a hang) is a bug.
// A scenario that loads also goes through the checks `memsoak run` and `memsoak validate` make before running:
// the workload's indicators and the engine settings.

#include <cstddef>
#include <cstdint>

#include "fuzz_input_file.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/inputs/scenario.hpp"
#include "memsoak/harness/soak/engine_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace harness = memsoak::harness;
    try {
        const harness::Scenario scenario = harness::load_scenario(memsoak::fuzz::input_file(data, size));
        harness::check_workload_for_engine(scenario);
        harness::engine_config_for_run(scenario.engine, scenario.file, "/scenarios", scenario.seed,
                                       {"issue-1", "issue-3"});
    } catch (const harness::Error&) {
        // The documented outcome for a bad file.
    }
    return 0;
}
