#pragma once
// The history library's one exception type: bad input (a report it cannot record, a database it cannot use, a
// selector that matches nothing). Messages name the file or database, the place and what was expected.

#include <stdexcept>

namespace memsoak::history {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace memsoak::history
