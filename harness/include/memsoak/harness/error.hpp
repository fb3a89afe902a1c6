#pragma once
#include "memsoak/engine/error.hpp"

namespace memsoak::harness {

// memsoak's one exception type, with its kind (engine/error.hpp). Input errors name the file, the place (a JSON
// path or line) and what was expected: "scenarios/day.json:12:18: $.workload[2].every: expected a duration such
// as \"15m\", got \"fast\"".
using Error = engine::Error;
using engine::ErrorKind;

}  // namespace memsoak::harness
