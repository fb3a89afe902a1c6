#pragma once
// The symbol index: growth sites named without reading DWARF at run time (Breakpad's dump_syms idea). At build
// time tools/symbol_index walks the debug information of memsoak-tcmalloc once and writes what `addr2line -f -C -i`
// would answer for any address, as three sorted tables, into the executable's own non-allocated section
// .memsoak_symbols (objcopy, after the link): never loaded into memory, and it travels with the binary when it is
// copied. At run time a growth site's address costs a few binary searches with pread; no debug information is
// mapped and no helper process runs. The index names the build it was made from (its GNU build-id): an index of
// another build is refused, and symbolization falls back to addr2line.
//
// Layout (native byte order; offsets from the index's start), every table sorted by address:
//   header       IndexHeader
//   ranges       IndexRange[]: from `start` up to the next entry's start, addresses belong to `function` (the
//                function BFD's addr2line picks there: the smallest address range holding the address, the one
//                read last on a tie) or to none (kNone), and `symbol` is the ELF symbol at or before them
//   functions    IndexFunction[]: a name as addr2line -C prints it; an inlined function also its caller (the
//                function it was inlined into) and the call's file and line
//   symbols      IndexSymbol[]: the function symbols of .symtab, demangled: BFD names a function that has no
//                linkage name in the DWARF (anonymous namespaces, some templates and lambdas) after the symbol
//                before the address the first time it is the innermost frame, and after its plain name later
//   lines        IndexLine[]: from `address` up to the next row, the line table's file:line (file kNone: no line)
//   strings      NUL-terminated names and paths, each once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memsoak/harness/soak/heap_sample.hpp"

namespace memsoak::harness {

inline constexpr const char* kSymbolIndexSection = ".memsoak_symbols";

namespace symbol_index {

inline constexpr char kMagic[8] = {'M', 'S', 'Y', 'M', 'I', 'D', 'X', '1'};
inline constexpr std::uint32_t kNone = 0xffffffff;

struct IndexHeader {
    char magic[8];
    std::uint32_t version;
    std::uint32_t build_id_size;
    unsigned char build_id[40];
    std::uint64_t ranges_offset, ranges_count;
    std::uint64_t functions_offset, functions_count;
    std::uint64_t lines_offset, lines_count;
    std::uint64_t strings_offset, strings_size;
    std::uint64_t symbols_offset, symbols_count;
};
struct IndexRange {
    std::uint64_t start;
    std::uint32_t function;
    std::uint32_t symbol;  // kNone: none before it in its section
};
struct IndexFunction {
    std::uint32_t name;       // string offset
    std::uint32_t caller;     // function index, kNone for an out-of-line function
    std::uint32_t call_file;  // string offset, kNone when unknown
    std::uint32_t call_line;
    std::uint64_t first_low;  // where its first address range starts
    std::uint32_t has_linkage_name;
    std::uint32_t unused;
};
struct IndexSymbol {
    std::uint64_t value;
    std::uint32_t name;
    std::uint32_t unused;
};
struct IndexLine {
    std::uint64_t address;
    std::uint32_t file;  // string offset, kNone: no line here
    std::uint32_t line;
};

}  // namespace symbol_index

// What the build tool collected, in the form it is written.
struct SymbolIndexContents {
    std::string build_id;  // the raw bytes of the executable's GNU build-id
    struct Function {
        std::string name;  // "??" when the debug information has none
        std::uint32_t caller = symbol_index::kNone;
        std::string call_file;
        std::uint32_t call_line = 0;
        std::uint64_t first_low = 0;
        bool has_linkage_name = false;
    };
    std::vector<Function> functions;
    struct Symbol {
        std::uint64_t value = 0;
        std::string name;  // demangled
    };
    std::vector<Symbol> symbols;
    struct Range {
        std::uint64_t start = 0;
        std::uint32_t function = symbol_index::kNone;
        std::uint32_t symbol = symbol_index::kNone;
    };
    std::vector<Range> ranges;  // sorted by start
    struct Line {
        std::uint64_t address = 0;
        std::string file;  // empty: no line from here on
        std::uint32_t line = 0;
    };
    std::vector<Line> lines;  // sorted by address
};

// The index's bytes. Throws harness::Error when a table is not sorted or a build-id is longer than 40 bytes.
std::string serialize_symbol_index(const SymbolIndexContents& contents);

// This process's executable's GNU build-id (raw bytes), read from its note in memory; empty when it has none.
std::string executable_build_id();

// A C++ symbol as addr2line -C names it; the symbol itself when it is not a mangled name. Shared by the run-time
// naming (heap_sample.cpp) and the build-time index writer, so that both name a frame alike.
std::string demangle(const char* symbol);

// An index opened for lookups; reads it with pread, a few dozen small reads per address. Like one addr2line
// process, it remembers which functions it named: BFD's name for a function without a linkage name depends on
// the addresses asked before (see frames()).
class SymbolIndex {
public:
    // The index in `executable`'s .memsoak_symbols section, made for the build `build_id`. nullopt, with the reason
    // in `why_not`, when the file has no such section or it is another build's or not an index.
    static std::optional<SymbolIndex> from_executable(const std::filesystem::path& executable,
                                                      std::string_view build_id, std::string& why_not);
    // The same from a file holding the index alone (what tools/symbol_index writes before objcopy attaches it).
    static std::optional<SymbolIndex> from_file(const std::filesystem::path& file, std::string_view build_id,
                                                std::string& why_not);

    SymbolIndex(SymbolIndex&& other) noexcept;
    SymbolIndex& operator=(SymbolIndex&& other) noexcept;
    SymbolIndex(const SymbolIndex&) = delete;
    SymbolIndex& operator=(const SymbolIndex&) = delete;
    ~SymbolIndex();

    // The frames at a link-time address, innermost (inlined) first, as parse_addr2line() reads `addr2line -f -C -i`
    // for it when it was asked the same addresses in the same order before: {"??", "", 0} where the debug
    // information says nothing. Throws harness::Error when the index cannot be read.
    std::vector<SourceFrame> frames(std::uint64_t address);

private:
    SymbolIndex(int fd, std::uint64_t offset, std::uint64_t size, const symbol_index::IndexHeader& header,
                std::filesystem::path file);
    static std::optional<SymbolIndex> open(int fd, std::uint64_t offset, std::uint64_t size,
                                           const std::filesystem::path& file, std::string_view build_id,
                                           std::string& why_not);
    template <typename Entry>
    Entry read_entry(std::uint64_t table_offset, std::uint64_t index) const;
    std::string read_string(std::uint32_t offset) const;
    void read_at(std::uint64_t offset, void* out, std::size_t size) const;

    int fd_ = -1;
    std::uint64_t offset_ = 0, size_ = 0;
    symbol_index::IndexHeader header_{};
    std::filesystem::path file_;
    // BFD's state per function named so far: it looked for a symbol for it once, and maybe took its name.
    struct Named {
        std::optional<std::uint32_t> symbol_name;
    };
    std::map<std::uint32_t, Named> named_;
};

}  // namespace memsoak::harness
