// libFuzzer target: arbitrary bytes as a budget ledger. Whatever the input, loading ends in a Ledger or in
// harness::Error; anything else (a crash, another exception type, undefined behaviour, a leak, a hang) is a bug.
// A ledger that loads is also looked up by each of its budget names, as a run does.

#include <cstddef>
#include <cstdint>

#include "fuzz_input_file.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/inputs/ledger.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace harness = memsoak::harness;
    try {
        const harness::Ledger ledger = harness::load_ledger(memsoak::fuzz::input_file(data, size));
        for (const harness::BudgetSpec& budget : ledger.budgets) {
            if (ledger.find(budget.name) != &budget) __builtin_trap();  // a budget the ledger cannot find
        }
    } catch (const harness::Error&) {
        // The documented outcome for a bad file.
    }
    return 0;
}
