#include "memsoak/engine/transaction_archive.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <iterator>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "memsoak/engine/error.hpp"

namespace memsoak::engine {
namespace {

constexpr std::string_view kHeaderPrefix = "# memsoak transaction archive v";
constexpr std::string_view kHeader =
    "# memsoak transaction archive v1: crc32 id timestamp symbol side quantity price fee pnl order_id strategy "
    "note\n";
constexpr std::array<std::string_view, 11> kFieldNames{"id",  "timestamp", "symbol",   "side",     "quantity", "price",
                                                       "fee", "pnl",       "order_id", "strategy", "note"};
constexpr std::size_t kChecksumDigits = 8;
constexpr std::size_t kFieldsStart = kChecksumDigits + 1;  // the checksum and one space

// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of zlib, PNG and gzip.
constexpr std::array<std::uint32_t, 256> kCrcTable = [] {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t byte = 0; byte < 256; ++byte) {
        std::uint32_t crc = byte;
        for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        table[byte] = crc;
    }
    return table;
}();

std::uint32_t crc32(std::string_view bytes) {
    std::uint32_t crc = 0xFFFFFFFFu;
    for (char c : bytes) crc = kCrcTable[(crc ^ static_cast<unsigned char>(c)) & 0xFFu] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

std::string os_error(const std::filesystem::path& path, std::string_view what, int error_number) {
    return fmt::format("{}: {}: {}", path.string(), what, std::strerror(error_number));
}

// Closes the descriptor unless released, so that a failing open() leaves nothing open.
class UniqueFd {
public:
    explicit UniqueFd(int fd) : fd_(fd) {}
    ~UniqueFd() {
        if (fd_ >= 0) ::close(fd_);
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

std::string read_whole_file(int fd, const std::filesystem::path& path) {
    struct stat info {};
    if (::fstat(fd, &info) != 0) throw Error(os_error(path, "cannot stat archive", errno));
    std::string data(static_cast<std::size_t>(info.st_size), '\0');
    std::size_t filled = 0;
    while (filled < data.size()) {
        ssize_t n = ::pread(fd, data.data() + filled, data.size() - filled, static_cast<off_t>(filled));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(os_error(path, "cannot read archive", errno));
        if (n == 0) break;  // the file shrank while being read: what was read is what there is
        filled += static_cast<std::size_t>(n);
    }
    data.resize(filled);
    return data;
}

// Returns 0 or the errno of the failing write.
int write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return 0;
}

// A new file's directory entry must reach the disk too, or power loss can lose the whole file.
void sync_directory_of(const std::filesystem::path& path) {
    std::filesystem::path directory = path.parent_path().empty() ? "." : path.parent_path();
    UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
        throw Error(os_error(directory, "cannot sync the archive's directory", errno));
    }
}

void append_escaped(std::string& out, std::string_view text) {
    for (char c : text) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            default: out += c;
        }
    }
}

void append_record(std::string& out, const Transaction& t) {
    std::size_t line_start = out.size();
    out.append(kFieldsStart, ' ');  // the checksum goes here once the fields are written
    auto it = std::back_inserter(out);
    fmt::format_to(it, "{}\t{}\t", t.id, t.timestamp);
    append_escaped(out, t.symbol);
    // "{}" writes a double in the shortest form that std::from_chars reads back to the same value.
    fmt::format_to(it, "\t{}\t{}\t{}\t{}\t{}\t", to_string(t.side), t.quantity, t.price, t.fee, t.pnl);
    append_escaped(out, t.order_id);
    out += '\t';
    append_escaped(out, t.strategy);
    out += '\t';
    append_escaped(out, t.note);
    std::uint32_t checksum = crc32(std::string_view(out).substr(line_start + kFieldsStart));
    fmt::format_to(out.begin() + static_cast<std::ptrdiff_t>(line_start), "{:08x}", checksum);
    out += '\n';
}

// Reads the lines of one archive; every error names the archive and the line.
class ArchiveParser {
public:
    ArchiveParser(const std::filesystem::path& path, std::string_view data) : path_(path.string()), data_(data) {}

    ArchiveContents parse() {
        ArchiveContents contents;
        if (data_.empty()) return contents;  // created, but the header never reached the disk
        std::size_t header_end = data_.find('\n');
        if (header_end == std::string_view::npos) {
            if (!kHeader.starts_with(data_)) not_an_archive();
            contents.torn_tail = TornTail{0, 1, "incomplete header: no newline at end of file"};
            return contents;
        }
        check_header(data_.substr(0, header_end + 1));

        std::size_t line_number = 1;
        for (std::size_t start = header_end + 1; start < data_.size();) {
            ++line_number;
            std::size_t end = data_.find('\n', start);
            if (end == std::string_view::npos) {
                contents.torn_tail = TornTail{start, line_number, "no newline at end of file"};
                break;
            }
            std::string_view line = data_.substr(start, end - start);
            bool is_last_line = end + 1 == data_.size();
            if (std::optional<std::string> damage = find_damage(line)) {
                if (!is_last_line) {
                    throw Error(fmt::format("{}:{}: {}; the archive is corrupt before its last record", path_,
                                            line_number, *damage));
                }
                contents.torn_tail = TornTail{start, line_number, *damage};
                break;
            }
            contents.records.push_back(parse_fields(line.substr(kFieldsStart), line_number));
            start = end + 1;
        }
        return contents;
    }

private:
    [[noreturn]] void not_an_archive() const {
        throw Error(fmt::format("{}:1: not a memsoak transaction archive: expected a first line starting with \"{}\"",
                                path_, kHeaderPrefix));
    }

    void check_header(std::string_view header) const {
        if (!header.starts_with(kHeaderPrefix)) not_an_archive();
        std::string_view rest = header.substr(kHeaderPrefix.size());
        int version = 0;
        auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), version);
        if (ec != std::errc() || *end != ':') {
            throw Error(fmt::format("{}:1: expected a format version after \"{}\"", path_, kHeaderPrefix));
        }
        if (version != TransactionArchive::kFormatVersion) {
            throw Error(fmt::format("{}:1: archive format version {} is not supported; this build reads version {}",
                                    path_, version, TransactionArchive::kFormatVersion));
        }
        if (header != kHeader) {
            throw Error(fmt::format("{}:1: expected the header \"{}\"", path_, kHeader.substr(0, kHeader.size() - 1)));
        }
    }

    // Why the line is not a whole record as written, or nothing if its checksum holds.
    static std::optional<std::string> find_damage(std::string_view line) {
        std::uint32_t stored = 0;
        if (line.size() < kFieldsStart || line[kChecksumDigits] != ' ' ||
            std::from_chars(line.data(), line.data() + kChecksumDigits, stored, 16).ptr !=
                line.data() + kChecksumDigits) {
            return "malformed record: expected 8 hex digits of CRC-32, a space and the fields";
        }
        std::uint32_t computed = crc32(line.substr(kFieldsStart));
        if (stored != computed)
            return fmt::format("checksum mismatch: stored {:08x}, computed {:08x}", stored, computed);
        return std::nullopt;
    }

    Transaction parse_fields(std::string_view fields, std::size_t line_number) const {
        std::array<std::string_view, kFieldNames.size()> field{};
        std::size_t count = 0;
        for (std::size_t start = 0;;) {
            std::size_t tab = fields.find('\t', start);
            if (count < field.size()) field[count] = fields.substr(start, tab - start);
            ++count;
            if (tab == std::string_view::npos) break;
            start = tab + 1;
        }
        if (count != field.size()) {
            throw Error(fmt::format("{}:{}: expected {} tab-separated fields, got {}", path_, line_number, field.size(),
                                    count));
        }
        Where where{line_number, 0};
        Transaction t;
        t.id = number<std::uint64_t>(field[0], where.at(0));
        t.timestamp = number<std::int64_t>(field[1], where.at(1));
        t.symbol = unescape(field[2], where.at(2));
        t.side = side(field[3], where.at(3));
        t.quantity = number<double>(field[4], where.at(4));
        t.price = number<double>(field[5], where.at(5));
        t.fee = number<double>(field[6], where.at(6));
        t.pnl = number<double>(field[7], where.at(7));
        t.order_id = unescape(field[8], where.at(8));
        t.strategy = unescape(field[9], where.at(9));
        t.note = unescape(field[10], where.at(10));
        return t;
    }

    struct Where {
        std::size_t line;
        std::size_t field;
        Where at(std::size_t f) const { return {line, f}; }
    };

    [[noreturn]] void bad_field(Where where, std::string_view expected, std::string_view got) const {
        throw Error(fmt::format("{}:{}: field '{}': expected {}, got \"{}\"", path_, where.line,
                                kFieldNames[where.field], expected, got));
    }

    template <typename Number>
    Number number(std::string_view text, Where where) const {
        Number value{};
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
            bad_field(where, std::is_floating_point_v<Number> ? "a number" : "an integer", text);
        }
        return value;
    }

    TradeAction side(std::string_view text, Where where) const {
        for (TradeAction action : {TradeAction::buy, TradeAction::sell, TradeAction::hold}) {
            if (to_string(action) == text) return action;
        }
        bad_field(where,
                  fmt::format("\"{}\", \"{}\" or \"{}\"", to_string(TradeAction::buy), to_string(TradeAction::sell),
                              to_string(TradeAction::hold)),
                  text);
    }

    std::string unescape(std::string_view text, Where where) const {
        std::string out;
        out.reserve(text.size());
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] != '\\') {
                out += text[i];
                continue;
            }
            char escaped = i + 1 < text.size() ? text[i + 1] : '\0';
            switch (escaped) {
                case '\\': out += '\\'; break;
                case 't': out += '\t'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                default: bad_field(where, "only the escapes \\\\ \\t \\n \\r", text);
            }
            ++i;
        }
        return out;
    }

    std::string path_;
    std::string_view data_;
};

}  // namespace

TransactionArchive::~TransactionArchive() { close(); }

TransactionArchive::TransactionArchive(TransactionArchive&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      end_offset_(other.end_offset_),
      recovery_(std::move(other.recovery_)) {}

TransactionArchive& TransactionArchive::operator=(TransactionArchive&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
        end_offset_ = other.end_offset_;
        recovery_ = std::move(other.recovery_);
    }
    return *this;
}

void TransactionArchive::close() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

const ArchiveRecovery& TransactionArchive::open(const std::filesystem::path& path) {
    close();
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (fd.get() < 0) throw Error(os_error(path, "cannot open archive", errno));
    std::string data = read_whole_file(fd.get(), path);
    ArchiveContents found = ArchiveParser(path, data).parse();

    ArchiveRecovery recovery;
    recovery.records = found.records.size();
    std::uint64_t valid_length = data.size();
    if (found.torn_tail) {
        valid_length = found.torn_tail->byte_offset;
        recovery.discarded_bytes = data.size() - valid_length;
        recovery.torn_tail = std::move(found.torn_tail);
        if (::ftruncate(fd.get(), static_cast<off_t>(valid_length)) != 0) {
            throw Error(os_error(path, "cannot truncate the torn end of the archive", errno));
        }
    }
    bool needs_header = valid_length == 0;
    if (needs_header) {
        if (int error = write_all(fd.get(), kHeader)) throw Error(os_error(path, "cannot write archive header", error));
        valid_length = kHeader.size();
    }
    if ((needs_header || recovery.torn_tail) && ::fdatasync(fd.get()) != 0) {
        throw Error(os_error(path, "cannot sync archive", errno));
    }
    if (needs_header) sync_directory_of(path);

    fd_ = fd.release();
    path_ = path;
    end_offset_ = valid_length;
    recovery_ = std::move(recovery);
    return recovery_;
}

void TransactionArchive::append(std::span<const Transaction> batch) {
    if (!is_open()) throw Error("transaction archive: append() before open()");
    if (batch.empty()) return;
    std::string text;
    constexpr std::size_t kTypicalLineBytes = 256;
    text.reserve(batch.size() * kTypicalLineBytes);
    for (const Transaction& t : batch) append_record(text, t);

    int error = write_all(fd_, text);
    std::string_view failed_step = "cannot append to archive";
    if (error == 0 && ::fdatasync(fd_) != 0) {
        error = errno;
        failed_step = "cannot sync archive";
    }
    if (error != 0) {
        // Cut the unacknowledged batch off so that a retry does not write it twice. If even that fails, the end
        // of the file is unknown: close, so no later batch is glued to a partial one.
        if (::ftruncate(fd_, static_cast<off_t>(end_offset_)) != 0) close();
        throw Error(os_error(path_, failed_step, error));
    }
    end_offset_ += text.size();
}

ArchiveContents TransactionArchive::read_all(const std::filesystem::path& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) throw Error(os_error(path, "cannot open archive", errno));
    std::string data = read_whole_file(fd.get(), path);
    return ArchiveParser(path, data).parse();
}

}  // namespace memsoak::engine
