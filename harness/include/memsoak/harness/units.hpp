#pragma once
// Human-readable quantities in scenario and ledger files: sizes, event rates and growth rates.
//
// Sizes: a non-negative number and its unit, with or without a space: "2048 B", "512KiB",
// "50 MiB", "1.5 GB". Decimal units are powers of 1000 as in SI: B, KB (also kB), MB, GB; so "MB" is 10^6 bytes,
// not 2^20. Binary units are powers of 1024: KiB, MiB, GiB. Units are case-sensitive ("mb" would be millibits).
// The unit is required ("100" is refused: bytes or MiB?), and sizes and growth rates are at most 1 TiB (per hour).
//
// Each parser throws harness::Error whose message says what was expected and quotes the text:
// "expected a size such as \"50 MiB\" ..., got \"fast\"". Callers prefix the file and the JSON path.

#include <string>
#include <string_view>

namespace memsoak::harness {

// Bytes.
double parse_size(std::string_view text);

// Events per virtual second from "<count>/<period>": "10/s", "4/h", "96/d", "1/15m". The period is a unit of
// engine::parse_duration (us, ms, s, m, h, d, w) with an optional leading number. The count may be fractional and
// zero; the period must be positive.
double parse_rate(std::string_view text);

// Bytes per virtual hour from "<size>/<period>": "1 MiB/h", "500 KiB/d", "8 MB/h", "64 KiB/15m".
double parse_size_rate(std::string_view text);

// Binary units with one decimal: "48.3 MiB", "1.0 KiB"; whole bytes below 1 KiB: "512 B". GiB is the largest
// unit ("2048.0 GiB"). Negative values keep their sign (a shrinking growth rate); NaN and infinities give "n/a".
std::string format_bytes(double bytes);

// A growth rate in bytes per virtual hour, formatted as format_bytes does, with "/h": "10.2 MiB/h".
std::string format_size_rate(double bytes_per_hour);

}  // namespace memsoak::harness
