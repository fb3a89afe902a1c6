// A program with one deliberate defect per mode, to show that the checkers CI relies on are really there: the
// sanitizer builds' ctest, scripts/ci-sanitizers.sh and scripts/ci-valgrind.sh run it and require the report.
// Without this, a build that silently lost its -fsanitize flags, or a valgrind run that no longer reports leaks,
// would pass every check while checking nothing.
//   leak      a heap block whose last pointer is dropped (LeakSanitizer, memcheck "definitely lost")
//   overflow  a read one past the end of a heap array (AddressSanitizer, memcheck "Invalid read")
//   ub        a signed integer overflow (UndefinedBehaviorSanitizer)
//   race      two threads incrementing one plain int (ThreadSanitizer)
// Exit code 0 when the defect went unnoticed; the checkers make it fail and say why.

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace {

// volatile: keeps the compiler from proving the defect away.
volatile int* volatile g_sink = nullptr;
int g_shared_counter = 0;

int leak() {
    g_sink = static_cast<int*>(std::malloc(64 * sizeof(int)));
    g_sink[0] = 1;
    g_sink = nullptr;
    return 0;
}

int overflow() {
    int* block = static_cast<int*>(std::malloc(4 * sizeof(int)));
    std::memset(block, 0, 4 * sizeof(int));
    // Through a volatile pointer: UBSan's object-size check would otherwise see the bound first and report it
    // itself; this is the AddressSanitizer's case.
    int* volatile hidden = block;
    volatile int past_the_end = 4;
    const int value = hidden[past_the_end];
    std::free(block);
    return value == 12345 ? 1 : 0;
}

int undefined_behaviour() {
    volatile int largest = INT_MAX;
    const int wrapped = largest + 1;
    return wrapped > 0 ? 1 : 0;
}

int race() {
    auto increment = [] {
        for (int i = 0; i < 10000; ++i) ++g_shared_counter;
    };
    std::thread first(increment);
    std::thread second(increment);
    first.join();
    second.join();
    return g_shared_counter > 20000 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    const char* mode = argc == 2 ? argv[1] : "";
    if (std::strcmp(mode, "leak") == 0) return leak();
    if (std::strcmp(mode, "overflow") == 0) return overflow();
    if (std::strcmp(mode, "ub") == 0) return undefined_behaviour();
    if (std::strcmp(mode, "race") == 0) return race();
    std::fprintf(stderr, "usage: memsoak_checker_canary leak|overflow|ub|race\n");
    return 2;
}
