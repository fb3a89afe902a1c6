#pragma once
// The build-time half of the symbol index (memsoak/harness/soak/symbol_index.hpp): what addr2line would answer for
// every address of an executable, read from its DWARF with elfutils' libdw once, when it is linked.

#include <filesystem>

#include "memsoak/harness/soak/symbol_index.hpp"

namespace memsoak::symbol_index_tool {

// Walks every compilation unit of `executable`. Throws harness::Error when it cannot be read, has no debug
// information or no GNU build-id.
harness::SymbolIndexContents read_dwarf_symbols(const std::filesystem::path& executable);

}  // namespace memsoak::symbol_index_tool
