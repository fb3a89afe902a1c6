#include "memsoak/harness/soak/symbol_index.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <type_traits>
#include <utility>

#include <cxxabi.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <unistd.h>

#include <fmt/format.h>

#include "memsoak/harness/error.hpp"

namespace memsoak::harness {
namespace {

using namespace symbol_index;

static_assert(sizeof(IndexHeader) == 136 && sizeof(IndexRange) == 16 && sizeof(IndexFunction) == 32 &&
                  sizeof(IndexLine) == 16 && sizeof(IndexSymbol) == 16,
              "the index's entries have no padding");
static_assert(std::is_trivially_copyable_v<IndexHeader>);

constexpr std::uint32_t kVersion = 2;

template <typename T>
void append(std::string& out, const T& value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

// The GNU build-id note among the notes of one PT_NOTE segment; empty when there is none.
std::string build_id_in_notes(const unsigned char* notes, std::size_t size) {
    const auto aligned = [](std::size_t n) { return (n + 3) & ~std::size_t{3}; };
    for (std::size_t at = 0; at + sizeof(ElfW(Nhdr)) <= size;) {
        ElfW(Nhdr) note;
        std::memcpy(&note, notes + at, sizeof note);
        const std::size_t name_at = at + sizeof note;
        const std::size_t description_at = name_at + aligned(note.n_namesz);
        const std::size_t next = description_at + aligned(note.n_descsz);
        if (next > size) break;
        if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 && std::memcmp(notes + name_at, "GNU", 4) == 0) {
            return std::string(reinterpret_cast<const char*>(notes + description_at), note.n_descsz);
        }
        at = next;
    }
    return "";
}

}  // namespace

std::string serialize_symbol_index(const SymbolIndexContents& contents) {
    if (contents.build_id.size() > sizeof(IndexHeader::build_id)) {
        throw Error(fmt::format("a build-id of {} bytes; the index holds at most {}", contents.build_id.size(),
                                sizeof(IndexHeader::build_id)));
    }
    std::string strings;
    std::map<std::string, std::uint32_t, std::less<>> string_offsets;
    const auto string_at = [&](const std::string& text) -> std::uint32_t {
        const auto [it, added] = string_offsets.try_emplace(text, static_cast<std::uint32_t>(strings.size()));
        if (added) {
            strings += text;
            strings += '\0';
        }
        return it->second;
    };
    std::string ranges, functions, lines, symbols;
    for (std::size_t i = 0; i < contents.ranges.size(); ++i) {
        const auto& range = contents.ranges[i];
        if (i > 0 && range.start <= contents.ranges[i - 1].start) throw Error("symbol index: ranges out of order");
        append(ranges, IndexRange{range.start, range.function, range.symbol});
    }
    for (const auto& function : contents.functions) {
        append(functions,
               IndexFunction{string_at(function.name), function.caller,
                             function.call_file.empty() ? kNone : string_at(function.call_file), function.call_line,
                             function.first_low, function.has_linkage_name ? 1u : 0u, 0});
    }
    for (const auto& symbol : contents.symbols) append(symbols, IndexSymbol{symbol.value, string_at(symbol.name), 0});
    for (std::size_t i = 0; i < contents.lines.size(); ++i) {
        const auto& line = contents.lines[i];
        if (i > 0 && line.address <= contents.lines[i - 1].address) throw Error("symbol index: lines out of order");
        append(lines, IndexLine{line.address, line.file.empty() ? kNone : string_at(line.file), line.line});
    }
    IndexHeader header{};
    std::memcpy(header.magic, kMagic, sizeof kMagic);
    header.version = kVersion;
    header.build_id_size = static_cast<std::uint32_t>(contents.build_id.size());
    std::memcpy(header.build_id, contents.build_id.data(), contents.build_id.size());
    header.ranges_offset = sizeof header;
    header.ranges_count = contents.ranges.size();
    header.functions_offset = header.ranges_offset + ranges.size();
    header.functions_count = contents.functions.size();
    header.lines_offset = header.functions_offset + functions.size();
    header.lines_count = contents.lines.size();
    header.strings_offset = header.lines_offset + lines.size();
    header.strings_size = strings.size();
    header.symbols_offset = header.strings_offset + strings.size();
    header.symbols_count = contents.symbols.size();
    std::string out;
    append(out, header);
    return out + ranges + functions + lines + strings + symbols;
}

std::string demangle(const char* symbol) {
    int status = 0;
    char* name = abi::__cxa_demangle(symbol, nullptr, nullptr, &status);
    std::string out = status == 0 && name != nullptr ? name : symbol;
    std::free(name);
    return out;
}

std::string executable_build_id() {
    std::string id;
    ::dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* out) {
            for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
                const ElfW(Phdr)& segment = info->dlpi_phdr[i];
                if (segment.p_type != PT_NOTE) continue;
                const auto* notes = reinterpret_cast<const unsigned char*>(info->dlpi_addr + segment.p_vaddr);
                std::string found = build_id_in_notes(notes, segment.p_memsz);
                if (!found.empty()) {
                    *static_cast<std::string*>(out) = std::move(found);
                    break;
                }
            }
            return 1;  // the first object is the executable
        },
        &id);
    return id;
}

SymbolIndex::SymbolIndex(int fd, std::uint64_t offset, std::uint64_t size, const IndexHeader& header,
                         std::filesystem::path file)
    : fd_(fd), offset_(offset), size_(size), header_(header), file_(std::move(file)) {}

SymbolIndex::SymbolIndex(SymbolIndex&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      offset_(other.offset_),
      size_(other.size_),
      header_(other.header_),
      file_(std::move(other.file_)),
      named_(std::move(other.named_)) {}

SymbolIndex& SymbolIndex::operator=(SymbolIndex&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        offset_ = other.offset_;
        size_ = other.size_;
        header_ = other.header_;
        file_ = std::move(other.file_);
        named_ = std::move(other.named_);
    }
    return *this;
}

SymbolIndex::~SymbolIndex() {
    if (fd_ >= 0) ::close(fd_);
}

void SymbolIndex::read_at(std::uint64_t offset, void* out, std::size_t size) const {
    if (offset > size_ || size > size_ - offset) {
        throw Error(fmt::format("{}: the symbol index ends before byte {}", file_.string(), offset + size));
    }
    auto* bytes = static_cast<char*>(out);
    for (std::size_t done = 0; done < size;) {
        const ssize_t n = ::pread(fd_, bytes + done, size - done, static_cast<off_t>(offset_ + offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            throw Error(fmt::format("{}: cannot read the symbol index: {}", file_.string(),
                                    n < 0 ? std::strerror(errno) : "the file is shorter than its section"));
        }
        done += static_cast<std::size_t>(n);
    }
}

template <typename Entry>
Entry SymbolIndex::read_entry(std::uint64_t table_offset, std::uint64_t index) const {
    Entry entry;
    read_at(table_offset + index * sizeof(Entry), &entry, sizeof entry);
    return entry;
}

std::string SymbolIndex::read_string(std::uint32_t offset) const {
    std::string out;
    char buffer[256];  // most names are shorter; a long template name takes a few reads
    for (std::uint64_t at = offset; at < header_.strings_size;) {
        const std::size_t size =
            static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buffer, header_.strings_size - at));
        read_at(header_.strings_offset + at, buffer, size);
        const void* end = std::memchr(buffer, '\0', size);
        if (end != nullptr) return out.append(buffer, static_cast<std::size_t>(static_cast<const char*>(end) - buffer));
        out.append(buffer, size);
        at += size;
    }
    throw Error(fmt::format("{}: a name in the symbol index has no end", file_.string()));
}

std::optional<SymbolIndex> SymbolIndex::open(int fd, std::uint64_t offset, std::uint64_t size,
                                             const std::filesystem::path& file, std::string_view build_id,
                                             std::string& why_not) {
    IndexHeader header{};
    SymbolIndex index(fd, offset, size, header, file);
    try {
        index.read_at(0, &header, sizeof header);
    } catch (const Error& e) {
        why_not = e.what();
        return std::nullopt;
    }
    if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0 || header.version != kVersion) {
        why_not = fmt::format("{}: {} is not a symbol index of this version", file.string(), kSymbolIndexSection);
        return std::nullopt;
    }
    const auto table_fits = [size](std::uint64_t at, std::uint64_t count, std::uint64_t entry) {
        return at <= size && count <= (size - at) / entry;
    };
    if (header.build_id_size > sizeof header.build_id || !table_fits(header.ranges_offset, header.ranges_count, 16) ||
        !table_fits(header.functions_offset, header.functions_count, 32) ||
        !table_fits(header.symbols_offset, header.symbols_count, 16) ||
        !table_fits(header.lines_offset, header.lines_count, 16) ||
        !table_fits(header.strings_offset, header.strings_size, 1)) {
        why_not = fmt::format("{}: the symbol index's tables do not fit in it", file.string());
        return std::nullopt;
    }
    const std::string_view indexed(reinterpret_cast<const char*>(header.build_id), header.build_id_size);
    if (build_id.empty() || indexed != build_id) {
        why_not = fmt::format("{}: the symbol index is another build's (build-id {:02x}, this one {:02x})",
                              file.string(), fmt::join(indexed, ""), fmt::join(build_id, ""));
        return std::nullopt;
    }
    index.header_ = header;
    return index;
}

std::optional<SymbolIndex> SymbolIndex::from_file(const std::filesystem::path& file, std::string_view build_id,
                                                  std::string& why_not) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        why_not = fmt::format("{}: {}", file.string(), std::strerror(errno));
        return std::nullopt;
    }
    const off_t size = ::lseek(fd, 0, SEEK_END);
    if (size < 0) {
        why_not = fmt::format("{}: {}", file.string(), std::strerror(errno));
        ::close(fd);
        return std::nullopt;
    }
    return open(fd, 0, static_cast<std::uint64_t>(size), file, build_id, why_not);
}

std::optional<SymbolIndex> SymbolIndex::from_executable(const std::filesystem::path& executable,
                                                        std::string_view build_id, std::string& why_not) {
    const int fd = ::open(executable.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        why_not = fmt::format("{}: {}", executable.string(), std::strerror(errno));
        return std::nullopt;
    }
    // The section headers and their names: two reads of a few KiB.
    const off_t file_size = ::lseek(fd, 0, SEEK_END);
    SymbolIndex file(fd, 0, file_size < 0 ? 0 : static_cast<std::uint64_t>(file_size), IndexHeader{}, executable);
    try {
        ElfW(Ehdr) elf;
        file.read_at(0, &elf, sizeof elf);
        if (std::memcmp(elf.e_ident, ELFMAG, SELFMAG) != 0 ||
            elf.e_ident[EI_CLASS] != (sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32) ||
            elf.e_shentsize != sizeof(ElfW(Shdr)) || elf.e_shstrndx >= elf.e_shnum) {
            why_not = fmt::format("{}: not an ELF file of this machine's kind", executable.string());
            return std::nullopt;
        }
        std::vector<ElfW(Shdr)> sections(elf.e_shnum);
        file.read_at(elf.e_shoff, sections.data(), sections.size() * sizeof(ElfW(Shdr)));
        const ElfW(Shdr)& names = sections[elf.e_shstrndx];
        std::string name_table(names.sh_size, '\0');
        file.read_at(names.sh_offset, name_table.data(), name_table.size());
        for (const ElfW(Shdr) & section : sections) {
            if (section.sh_name >= name_table.size() ||
                std::string_view(name_table.c_str() + section.sh_name) != kSymbolIndexSection) {
                continue;
            }
            file.fd_ = -1;  // handed to the index
            return open(fd, section.sh_offset, section.sh_size, executable, build_id, why_not);
        }
    } catch (const Error& e) {
        why_not = e.what();
        return std::nullopt;
    }
    why_not = fmt::format("{} has no {} section (not the memsoak-tcmalloc build, or stripped)", executable.string(),
                          kSymbolIndexSection);
    return std::nullopt;
}

std::vector<SourceFrame> SymbolIndex::frames(std::uint64_t address) {
    // The last entry at or before `address` in a table sorted by its first field.
    const auto last_at_or_before = [this, address](std::uint64_t table,
                                                   std::uint64_t count) -> std::optional<std::uint64_t> {
        std::uint64_t low = 0, high = count;  // the answer is below high
        while (low < high) {
            const std::uint64_t middle = low + (high - low) / 2;
            std::uint64_t start = 0;
            read_at(table + middle * 16, &start, sizeof start);
            if (start <= address) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        if (low == 0) return std::nullopt;
        return low - 1;
    };
    std::string file;
    int line = 0;
    if (const auto row = last_at_or_before(header_.lines_offset, header_.lines_count)) {
        const auto entry = read_entry<IndexLine>(header_.lines_offset, *row);
        if (entry.file != kNone) {
            file = read_string(entry.file);
            line = static_cast<int>(entry.line);
        }
    }
    IndexRange range{0, kNone, kNone};
    if (const auto at = last_at_or_before(header_.ranges_offset, header_.ranges_count)) {
        range = read_entry<IndexRange>(header_.ranges_offset, *at);
    }
    const auto symbol = [&]() -> std::optional<IndexSymbol> {
        if (range.symbol == kNone || range.symbol >= header_.symbols_count) return std::nullopt;
        return read_entry<IndexSymbol>(header_.symbols_offset, range.symbol);
    };
    if (range.function == kNone || range.function >= header_.functions_count) {
        // No function in the DWARF: BFD takes the symbol's name.
        const auto found = symbol();
        return {addr2line_frame(found ? read_string(found->name) : "??", file, line)};
    }
    // The name BFD gives a function it has named before: its symbol's, if it took it, else its own.
    const auto current_name = [this](std::uint32_t index, const IndexFunction& function) {
        const auto named = named_.find(index);
        if (named != named_.end() && named->second.symbol_name) return read_string(*named->second.symbol_name);
        return read_string(function.name);
    };
    auto entry = read_entry<IndexFunction>(header_.functions_offset, range.function);
    std::string innermost;
    if (entry.has_linkage_name != 0 || named_.contains(range.function)) {
        innermost = current_name(range.function, entry);
    } else {
        // BFD's first look at a function without a linkage name: the name of the symbol at or before the address,
        // which the function keeps when the symbol starts where it does (_bfd_dwarf2_find_nearest_line).
        Named& named = named_[range.function];
        if (const auto found = symbol()) {
            innermost = read_string(found->name);
            if (found->value == entry.first_low) named.symbol_name = found->name;
        } else {
            innermost = read_string(entry.name);
        }
    }
    std::vector<SourceFrame> out{addr2line_frame(innermost, file, line)};
    // Each inlined function's caller, at the call's file:line; a bound on the depth in case of a cycle.
    for (int depth = 0; entry.caller != kNone && entry.caller < header_.functions_count && depth < 100; ++depth) {
        const std::string call_file = entry.call_file == kNone ? "" : read_string(entry.call_file);
        const int call_line = static_cast<int>(entry.call_line);
        const std::uint32_t caller = entry.caller;
        entry = read_entry<IndexFunction>(header_.functions_offset, caller);
        out.push_back(addr2line_frame(current_name(caller, entry), call_file, call_line));
    }
    return out;
}

}  // namespace memsoak::harness
