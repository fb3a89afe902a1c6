#pragma once
// Adapts engine::Application to the harness's Target interface, so that the engine need not know the harness.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "memsoak/engine/config.hpp"
#include "memsoak/harness/inputs/scenario.hpp"
#include "memsoak/harness/target.hpp"

namespace memsoak::harness {

// Reads the scenario's engine object ($.engine of `scenario_file`, named in errors), uses `seed` for the market data
// unless the object sets its own, resolves a relative replay_csv against `base_folder` (the scenario's folder), and
// switches each named study issue ("issue-1".."issue-5") back to its leaky policy. Throws harness::Error for an unknown
// issue or a bad setting.
engine::Config engine_config_for_run(const nlohmann::json& engine_object, const std::string& scenario_file,
                                     const std::filesystem::path& base_folder, std::uint64_t seed,
                                     const std::vector<std::string>& leaks);

// Throws harness::Error "--leak NAME: expected one of issue-1, ..." for a name that is not a study issue.
void check_leak_names(const std::vector<std::string>& leaks);

// One --inject value, "ACTION:SHAPE:BYTES[:CAPACITY][@UNTIL]": an action name of the scenario format, a shape
// (per_call, staircase, bounded, mmap), sizes as in units.hpp ("48KiB", "48 KiB", "4096"), CAPACITY for bounded
// only, UNTIL a duration from the start of the run ("35m"). Throws harness::Error "--inject TEXT: expected ...".
engine::InjectedLeak parse_injection(std::string_view text);

// Appends each --inject value to the config's injected leaks; returns their canonical forms for the report
// ("toggle_indicator:per_call:49152"). Throws as parse_injection.
std::vector<std::string> apply_injections(engine::Config& config, const std::vector<std::string>& injections);

std::unique_ptr<Target> make_engine_target(const engine::Config& config);

// Checks what only the engine knows: every toggle_indicator names an indicator the chart can draw. Throws
// harness::Error naming the workload item, so a typo fails at load time rather than hours into a run.
void check_workload_for_engine(const Scenario& scenario);

}  // namespace memsoak::harness
