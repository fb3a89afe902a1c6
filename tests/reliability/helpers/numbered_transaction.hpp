#pragma once
// The trade with a given id, the same in the archive writer and in the test that checks what it wrote: a record
// read back can be compared field by field (doubles bit for bit) with what was appended, so a misread record is
// caught, not only a missing one. Lengths vary with the id and the note carries every character the archive
// escapes (tab, newline, carriage return, backslash).

#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "memsoak/engine/transactions.hpp"

namespace memsoak::reliability {

inline engine::Transaction numbered_transaction(std::uint64_t id) {
    engine::Transaction t;
    t.id = id;
    t.timestamp = 1609459200 + static_cast<std::int64_t>(id) * 60;
    t.symbol = id % 2 == 0 ? "BTCUSDT" : "ETHUSDT";
    t.side = id % 3 == 0 ? engine::TradeAction::sell : engine::TradeAction::buy;
    t.quantity = 0.001 * static_cast<double>(1 + id % 997) / 3.0;  // thirds: doubles without a short decimal form
    t.price = 28000.0 + static_cast<double>(id % 1009) * 1.37;
    t.fee = t.quantity * t.price * 0.001;
    t.pnl = (static_cast<double>(id % 11) - 5.0) * 7.25;
    t.order_id = fmt::format("ORD-{:012}", id * 7919);
    t.strategy = "reliability";
    t.note = fmt::format("trade {}\twith tab\nnewline\rreturn \\ backslash; {}", id, std::string(id % 97, 'x'));
    return t;
}

}  // namespace memsoak::reliability
