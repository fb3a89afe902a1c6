// libFuzzer target: arbitrary bytes as an OHLCV CSV file (engine.replay_csv). Whatever the input, reading ends in
// candles or in engine::Error; anything else (a crash, another exception type, undefined behaviour, a leak, a
// hang) is a bug. Candles that read are replayed for three passes, as a long scenario replays them, so the
// feed's time shift and price scaling see every accepted input.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_input_file.hpp"
#include "memsoak/engine/error.hpp"
#include "memsoak/engine/market_data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace engine = memsoak::engine;
    try {
        std::vector<engine::Candle> candles = engine::read_candles_csv(memsoak::fuzz::input_file(data, size));
        const std::size_t replayed = 3 * candles.size();
        engine::ReplayFeed feed(std::move(candles));
        for (std::size_t i = 0; i < replayed; ++i) feed.next();
    } catch (const engine::Error&) {
        // The documented outcome for a bad file.
    }
    return 0;
}
