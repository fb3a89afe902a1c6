#pragma once
// memsoak's one exception type, with its kind (engine/error.hpp). The history library throws it for bad input (a
// report it cannot record, a database it cannot use, a selector that matches nothing); messages name the file or
// database, the place and what was expected.

#include "memsoak/engine/error.hpp"

namespace memsoak::history {

using Error = engine::Error;
using engine::ErrorKind;

}  // namespace memsoak::history
