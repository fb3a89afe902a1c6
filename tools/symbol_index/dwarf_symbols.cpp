#include "dwarf_symbols.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <fmt/format.h>

#include "memsoak/harness/error.hpp"

namespace memsoak::symbol_index_tool {
namespace {

using harness::Error;
using harness::SymbolIndexContents;
using harness::symbol_index::kNone;

bool is_function(int tag) {
    return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_entry_point;
}

// Scopes whose children can hold code: the DIEs BFD's scan of a unit finds functions under. Types are skipped
// (GCC puts the code of a member function at the unit's level, pointing at its declaration).
bool may_hold_code(int tag) {
    return is_function(tag) || tag == DW_TAG_namespace || tag == DW_TAG_lexical_block || tag == DW_TAG_try_block ||
           tag == DW_TAG_catch_block || tag == DW_TAG_module;
}

// A function's name as `addr2line -C` prints it: the linkage name (through DW_AT_abstract_origin and
// DW_AT_specification) demangled, else the plain name ("main"), else "??".
std::string function_name(Dwarf_Die* die, bool& has_linkage_name) {
    Dwarf_Attribute attribute;
    const char* name = nullptr;
    if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attribute) != nullptr) name = dwarf_formstring(&attribute);
    if (name == nullptr && dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attribute) != nullptr) {
        name = dwarf_formstring(&attribute);
    }
    has_linkage_name = name != nullptr;
    if (name == nullptr) name = dwarf_diename(die);
    return name == nullptr ? "??" : harness::demangle(name);
}

// One address range of one function, in the order BFD reads them (a later one wins a tie).
struct FunctionRange {
    Dwarf_Addr low = 0, high = 0;
    std::uint64_t order = 0;
    std::uint32_t function = 0;
};

// A row of a unit's line table as dwarf_getsrc_die() resolves an address: the last row at its address.
struct LineRow {
    Dwarf_Addr address = 0;
    bool end_sequence = false;
    std::uint64_t order = 0;  // the unit's, then the row's position in it
    std::string file;
    std::uint32_t line = 0;
};

// A code section and the symbols BFD may name its addresses after (_bfd_elf_maybe_function_sym), by value.
struct CodeSection {
    Dwarf_Addr start = 0, end = 0;
    std::vector<SymbolIndexContents::Symbol> symbols;
};

class Walker {
public:
    Walker(Dwarf_Addr code_start, Dwarf_Addr code_end, std::vector<CodeSection> sections)
        : code_start_(code_start), code_end_(code_end), sections_(std::move(sections)) {}

    void unit(Dwarf_Die* unit) {
        files_ = nullptr;
        std::size_t file_count = 0;
        if (dwarf_getsrcfiles(unit, &files_, &file_count) != 0) files_ = nullptr;
        read_lines(unit);
        std::vector<Pending> enclosing;
        walk_children(unit, enclosing);
    }

    SymbolIndexContents finish() &&;

private:
    // A function DIE on the path from the unit, its index made when something needs it.
    struct Pending {
        Dwarf_Die die;
        std::int64_t index = -1;
    };

    bool in_code(Dwarf_Addr low) const { return low >= code_start_ && low < code_end_; }

    void read_lines(Dwarf_Die* unit) {
        Dwarf_Lines* lines = nullptr;
        std::size_t count = 0;
        if (dwarf_getsrclines(unit, &lines, &count) != 0) return;
        for (std::size_t i = 0; i < count; ++i) {
            Dwarf_Line* line = dwarf_onesrcline(lines, i);
            Dwarf_Addr address = 0;
            if (line == nullptr || dwarf_lineaddr(line, &address) != 0) continue;
            // Rows of code the linker discarded (duplicate inline functions) keep address 0 and up: not ours.
            if (address < code_start_ || address > code_end_) continue;
            LineRow row;
            row.address = address;
            bool end = false;
            dwarf_lineendsequence(line, &end);
            row.end_sequence = end;
            row.order = ++line_order_;
            if (!end) {
                const char* file = dwarf_linesrc(line, nullptr, nullptr);
                int number = 0;
                dwarf_lineno(line, &number);
                row.file = file != nullptr ? file : "??";
                row.line = static_cast<std::uint32_t>(std::max(number, 0));
            }
            rows_.push_back(std::move(row));
        }
    }

    std::uint32_t function_index(std::vector<Pending>& enclosing, std::size_t at) {
        Pending& pending = enclosing[at];
        if (pending.index >= 0) return static_cast<std::uint32_t>(pending.index);
        SymbolIndexContents::Function function;
        function.name = function_name(&pending.die, function.has_linkage_name);
        Dwarf_Addr base = 0, low = 0, high = 0;
        if (dwarf_ranges(&pending.die, 0, &base, &low, &high) > 0) function.first_low = low;
        if (dwarf_tag(&pending.die) == DW_TAG_inlined_subroutine && at > 0) {
            function.caller = function_index(enclosing, at - 1);
            Dwarf_Attribute attribute;
            Dwarf_Word value = 0;
            if (files_ != nullptr &&
                dwarf_formudata(dwarf_attr(&pending.die, DW_AT_call_file, &attribute), &value) == 0) {
                if (const char* file = dwarf_filesrc(files_, value, nullptr, nullptr); file != nullptr) {
                    function.call_file = file;
                }
            }
            if (dwarf_formudata(dwarf_attr(&pending.die, DW_AT_call_line, &attribute), &value) == 0) {
                function.call_line = static_cast<std::uint32_t>(value);
            }
        }
        pending.index = static_cast<std::int64_t>(functions_.size());
        functions_.push_back(std::move(function));
        return static_cast<std::uint32_t>(pending.index);
    }

    void walk_children(Dwarf_Die* parent, std::vector<Pending>& enclosing) {
        Dwarf_Die child;
        if (dwarf_child(parent, &child) != 0) return;
        do {
            const int tag = dwarf_tag(&child);
            if (!may_hold_code(tag)) continue;
            if (!is_function(tag)) {
                walk_children(&child, enclosing);
                continue;
            }
            enclosing.push_back(Pending{child, -1});
            ptrdiff_t offset = 0;
            Dwarf_Addr base = 0, low = 0, high = 0;
            while ((offset = dwarf_ranges(&child, offset, &base, &low, &high)) > 0) {
                if (high <= low || !in_code(low)) continue;
                ranges_.push_back(
                    FunctionRange{low, high, ++range_order_, function_index(enclosing, enclosing.size() - 1)});
            }
            walk_children(&enclosing.back().die, enclosing);
            enclosing.pop_back();
        } while (dwarf_siblingof(&child, &child) == 0);
    }

    Dwarf_Addr code_start_, code_end_;
    std::vector<CodeSection> sections_;
    Dwarf_Files* files_ = nullptr;
    std::vector<SymbolIndexContents::Function> functions_;
    std::vector<FunctionRange> ranges_;
    std::vector<LineRow> rows_;
    std::uint64_t range_order_ = 0, line_order_ = 0;
};

SymbolIndexContents Walker::finish() && {
    SymbolIndexContents out;
    out.functions = std::move(functions_);

    // Ranges -> a partition of the address space: at each address, BFD's best fit among the ranges holding it,
    // the shortest range, the one read last on a tie (lookup_address_in_function_table).
    struct Event {
        Dwarf_Addr at;
        bool opens;
        std::size_t range;
    };
    std::vector<Event> events;
    events.reserve(ranges_.size() * 2);
    for (std::size_t i = 0; i < ranges_.size(); ++i) {
        events.push_back({ranges_[i].low, true, i});
        events.push_back({ranges_[i].high, false, i});
    }
    // Where the symbol before an address changes: every symbol, and the ends of the sections.
    constexpr std::size_t kNoRange = std::numeric_limits<std::size_t>::max();
    for (const CodeSection& section : sections_) {
        events.push_back({section.start, false, kNoRange});
        events.push_back({section.end, false, kNoRange});
        for (const auto& symbol : section.symbols) events.push_back({symbol.value, false, kNoRange});
        for (const auto& symbol : section.symbols) out.symbols.push_back(symbol);
    }
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.at < b.at; });
    // The symbol at or before an address: the last one at or below it in the section holding it.
    const auto symbol_before = [this](Dwarf_Addr at) -> std::uint32_t {
        std::uint32_t first = 0;
        for (const CodeSection& section : sections_) {
            if (at >= section.start && at < section.end) {
                const auto after =
                    std::upper_bound(section.symbols.begin(), section.symbols.end(), at,
                                     [](Dwarf_Addr a, const SymbolIndexContents::Symbol& s) { return a < s.value; });
                if (after == section.symbols.begin()) return kNone;
                return first + static_cast<std::uint32_t>(after - section.symbols.begin() - 1);
            }
            first += static_cast<std::uint32_t>(section.symbols.size());
        }
        return kNone;
    };
    const auto better = [this](std::size_t a, std::size_t b) {
        const Dwarf_Addr length_a = ranges_[a].high - ranges_[a].low, length_b = ranges_[b].high - ranges_[b].low;
        return length_a != length_b ? length_a < length_b : ranges_[a].order > ranges_[b].order;
    };
    std::set<std::size_t, decltype(better)> open(better);
    for (std::size_t i = 0; i < events.size();) {
        const Dwarf_Addr at = events[i].at;
        for (; i < events.size() && events[i].at == at; ++i) {
            if (events[i].range == kNoRange) continue;
            if (events[i].opens) {
                open.insert(events[i].range);
            } else {
                open.erase(events[i].range);
            }
        }
        const std::uint32_t function = open.empty() ? kNone : ranges_[*open.begin()].function;
        const std::uint32_t symbol = symbol_before(at);
        if (out.ranges.empty() || out.ranges.back().function != function || out.ranges.back().symbol != symbol) {
            out.ranges.push_back({at, function, symbol});
        }
    }

    // Line rows -> one per address: dwarf_getsrc_die's answer there, the last row at the address (an end of
    // sequence sorts before a row at the same address, so a row that starts the next sequence wins). Consecutive
    // rows with the same answer are merged.
    std::stable_sort(rows_.begin(), rows_.end(), [](const LineRow& a, const LineRow& b) {
        if (a.address != b.address) return a.address < b.address;
        if (a.end_sequence != b.end_sequence) return a.end_sequence;
        return a.order < b.order;
    });
    for (std::size_t i = 0; i < rows_.size(); ++i) {
        if (i + 1 < rows_.size() && rows_[i + 1].address == rows_[i].address) continue;
        const LineRow& row = rows_[i];
        SymbolIndexContents::Line line{row.address, row.end_sequence ? "" : row.file, row.end_sequence ? 0 : row.line};
        if (!out.lines.empty() && out.lines.back().file == line.file && out.lines.back().line == line.line) continue;
        out.lines.push_back(std::move(line));
    }
    return out;
}

// The executable's GNU build-id, the span of its code sections, and those sections with their symbols.
struct ElfFacts {
    std::string build_id;
    Dwarf_Addr code_start = std::numeric_limits<Dwarf_Addr>::max(), code_end = 0;
    std::vector<CodeSection> sections;
};

// The symbols of .symtab BFD may name code after, per code section (by section index): not objects, sections,
// files or thread-local ones, nor annobin's hidden local markers; one per value (a function rather than another
// kind, the first in the table on a tie).
void read_code_symbols(Elf* elf, const std::map<std::size_t, std::size_t>& code_section_at, ElfFacts& facts) {
    for (Elf_Scn* section = elf_nextscn(elf, nullptr); section != nullptr; section = elf_nextscn(elf, section)) {
        GElf_Shdr header;
        if (gelf_getshdr(section, &header) == nullptr || header.sh_type != SHT_SYMTAB) continue;
        Elf_Data* data = elf_getdata(section, nullptr);
        const std::size_t count = header.sh_entsize == 0 ? 0 : header.sh_size / header.sh_entsize;
        std::vector<std::map<Dwarf_Addr, std::pair<bool, std::string>>> by_value(facts.sections.size());
        for (std::size_t i = 0; data != nullptr && i < count; ++i) {
            GElf_Sym symbol;
            if (gelf_getsym(data, static_cast<int>(i), &symbol) == nullptr) continue;
            const int type = GELF_ST_TYPE(symbol.st_info);
            const auto in = code_section_at.find(symbol.st_shndx);
            if (in == code_section_at.end() || type == STT_OBJECT || type == STT_SECTION || type == STT_FILE ||
                type == STT_TLS) {
                continue;
            }
            if (symbol.st_size == 0 && GELF_ST_BIND(symbol.st_info) == STB_LOCAL && type == STT_NOTYPE &&
                GELF_ST_VISIBILITY(symbol.st_other) == STV_HIDDEN) {
                continue;
            }
            const char* name = elf_strptr(elf, header.sh_link, symbol.st_name);
            if (name == nullptr || *name == '\0') continue;
            auto [it, added] =
                by_value[in->second].try_emplace(symbol.st_value, type == STT_FUNC, harness::demangle(name));
            if (!added && !it->second.first && type == STT_FUNC) it->second = {true, harness::demangle(name)};
        }
        for (std::size_t s = 0; s < by_value.size(); ++s) {
            for (auto& [value, kind_and_name] : by_value[s]) {
                facts.sections[s].symbols.push_back({value, std::move(kind_and_name.second)});
            }
        }
        return;
    }
}

ElfFacts elf_facts(Elf* elf) {
    ElfFacts facts;
    std::map<std::size_t, std::size_t> code_section_at;  // section index -> facts.sections
    for (Elf_Scn* section = elf_nextscn(elf, nullptr); section != nullptr; section = elf_nextscn(elf, section)) {
        GElf_Shdr header;
        if (gelf_getshdr(section, &header) == nullptr) continue;
        if ((header.sh_flags & SHF_EXECINSTR) != 0 && header.sh_size > 0) {
            facts.code_start = std::min<Dwarf_Addr>(facts.code_start, header.sh_addr);
            facts.code_end = std::max<Dwarf_Addr>(facts.code_end, header.sh_addr + header.sh_size);
            code_section_at[elf_ndxscn(section)] = facts.sections.size();
            facts.sections.push_back({header.sh_addr, header.sh_addr + header.sh_size, {}});
        }
        if (header.sh_type != SHT_NOTE || !facts.build_id.empty()) continue;
        Elf_Data* data = elf_getdata(section, nullptr);
        GElf_Nhdr note;
        std::size_t name_at = 0, description_at = 0;
        for (std::size_t at = 0;
             data != nullptr && (at = gelf_getnote(data, at, &note, &name_at, &description_at)) > 0;) {
            if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 &&
                std::string_view(static_cast<const char*>(data->d_buf) + name_at, 3) == "GNU") {
                facts.build_id.assign(static_cast<const char*>(data->d_buf) + description_at, note.n_descsz);
                break;
            }
        }
    }
    read_code_symbols(elf, code_section_at, facts);
    return facts;
}

}  // namespace

harness::SymbolIndexContents read_dwarf_symbols(const std::filesystem::path& executable) {
    elf_version(EV_CURRENT);
    const int fd = ::open(executable.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(fmt::format("{}: cannot be read", executable.string()));
    Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
    Dwarf* dwarf = elf == nullptr ? nullptr : dwarf_begin_elf(elf, DWARF_C_READ, nullptr);
    const auto close_all = [&] {
        if (dwarf != nullptr) dwarf_end(dwarf);
        if (elf != nullptr) elf_end(elf);
        ::close(fd);
    };
    if (dwarf == nullptr) {
        close_all();
        throw Error(
            fmt::format("{}: no debug information (build it with -g): {}", executable.string(), dwarf_errmsg(-1)));
    }
    ElfFacts facts = elf_facts(elf);
    if (facts.build_id.empty() || facts.code_end == 0) {
        close_all();
        throw Error(fmt::format("{}: {}", executable.string(),
                                facts.build_id.empty() ? "no GNU build-id (link with --build-id)" : "no code"));
    }
    Walker walker(facts.code_start, facts.code_end, std::move(facts.sections));
    Dwarf_Off offset = 0, next = 0;
    std::size_t header_size = 0;
    while (dwarf_nextcu(dwarf, offset, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
        Dwarf_Die unit;
        if (dwarf_offdie(dwarf, offset + header_size, &unit) != nullptr) walker.unit(&unit);
        offset = next;
    }
    SymbolIndexContents contents = std::move(walker).finish();
    contents.build_id = facts.build_id;
    close_all();
    return contents;
}

}  // namespace memsoak::symbol_index_tool
