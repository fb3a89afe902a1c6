// PNG output for the canvas without zlib: the image data goes into deflate "stored" blocks, which any PNG reader
// accepts, with our own CRC-32 (chunks) and Adler-32 (zlib stream). Files are about 4 bytes per pixel; nothing
// here runs in the soak's hot path, only when a person asks for a picture.

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "canvas_file.hpp"
#include "memsoak/engine/canvas.hpp"

namespace memsoak::engine {
namespace {

// CRC-32 as PNG specifies it (ISO 3309, reflected polynomial 0xEDB88320), one table lookup per byte.
constexpr std::array<std::uint32_t, 256> make_crc_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t n = 0; n < 256; ++n) {
        std::uint32_t c = n;
        for (int bit = 0; bit < 8; ++bit) c = (c & 1U) ? 0xEDB88320U ^ (c >> 1) : c >> 1;
        table[n] = c;
    }
    return table;
}

constexpr std::array<std::uint32_t, 256> kCrcTable = make_crc_table();

std::uint32_t crc32(std::string_view bytes) {
    std::uint32_t c = 0xFFFFFFFFU;
    for (const char byte : bytes) c = kCrcTable[(c ^ static_cast<std::uint8_t>(byte)) & 0xFFU] ^ (c >> 8);
    return c ^ 0xFFFFFFFFU;
}

// Adler-32 as zlib (RFC 1950) specifies it. The sums are reduced only every 5552 bytes, the most that cannot
// overflow 32 bits.
std::uint32_t adler32(std::string_view bytes) {
    constexpr std::uint32_t kModulus = 65521;
    constexpr std::size_t kMaxRun = 5552;
    std::uint32_t a = 1;
    std::uint32_t b = 0;
    for (std::size_t start = 0; start < bytes.size(); start += kMaxRun) {
        const std::string_view run = bytes.substr(start, kMaxRun);
        for (const char byte : run) {
            a += static_cast<std::uint8_t>(byte);
            b += a;
        }
        a %= kModulus;
        b %= kModulus;
    }
    return (b << 16) | a;
}

void append_u32_big_endian(std::string& out, std::uint32_t value) {
    out += static_cast<char>(value >> 24);
    out += static_cast<char>(value >> 16);
    out += static_cast<char>(value >> 8);
    out += static_cast<char>(value);
}

void append_u16_little_endian(std::string& out, std::uint16_t value) {
    out += static_cast<char>(value & 0xFFU);
    out += static_cast<char>(value >> 8);
}

// A chunk: length, type, data, CRC-32 of type and data.
void append_chunk(std::string& png, std::string_view type, std::string_view data) {
    append_u32_big_endian(png, static_cast<std::uint32_t>(data.size()));
    const std::size_t type_start = png.size();
    png += type;
    png += data;
    append_u32_big_endian(png, crc32(std::string_view(png).substr(type_start)));
}

// Scanlines as PNG filters them, each preceded by its filter type; 0 ("None") keeps the bytes as they are.
std::string scanlines(const Canvas& canvas) {
    const auto width = static_cast<std::size_t>(canvas.width());
    const std::size_t row_bytes = 1 + 4 * width;
    std::string raw(static_cast<std::size_t>(canvas.height()) * row_bytes, '\0');
    const std::span<const Rgba> pixels = canvas.pixels();
    for (std::size_t row = 0; row < static_cast<std::size_t>(canvas.height()); ++row) {
        char* out = raw.data() + row * row_bytes + 1;  // after the filter byte, left at 0
        for (const Rgba pixel : pixels.subspan(row * width, width)) {
            *out++ = static_cast<char>(red_of(pixel));
            *out++ = static_cast<char>(green_of(pixel));
            *out++ = static_cast<char>(blue_of(pixel));
            *out++ = static_cast<char>(alpha_of(pixel));
        }
    }
    return raw;
}

// A zlib stream (RFC 1950) of deflate stored blocks (RFC 1951, BTYPE 00) of at most 65535 bytes each.
std::string zlib_stored(std::string_view raw) {
    constexpr std::size_t kMaxBlock = 65535;
    std::string stream;
    stream.reserve(raw.size() + (raw.size() / kMaxBlock + 1) * 5 + 6);
    stream += '\x78';  // CMF: deflate, 32 KiB window
    stream += '\x01';  // FLG: no dictionary, fastest level; 0x7801 is a multiple of 31 as the check requires
    std::size_t offset = 0;
    do {
        const std::size_t length = std::min(kMaxBlock, raw.size() - offset);
        const bool final_block = offset + length == raw.size();
        stream += static_cast<char>(final_block ? 1 : 0);  // BFINAL, BTYPE 00
        append_u16_little_endian(stream, static_cast<std::uint16_t>(length));
        append_u16_little_endian(stream, static_cast<std::uint16_t>(~length));
        stream += raw.substr(offset, length);
        offset += length;
    } while (offset < raw.size());
    append_u32_big_endian(stream, adler32(raw));
    return stream;
}

}  // namespace

std::string Canvas::to_png() const {
    std::string header;
    append_u32_big_endian(header, static_cast<std::uint32_t>(width_));
    append_u32_big_endian(header, static_cast<std::uint32_t>(height_));
    header += '\x08';  // bit depth
    header += '\x06';  // colour type: RGBA
    header += '\x00';  // compression: deflate
    header += '\x00';  // filter method: adaptive
    header += '\x00';  // no interlace

    const std::string image_data = zlib_stored(scanlines(*this));
    std::string png;
    png.reserve(image_data.size() + 64);
    png += "\x89PNG\r\n\x1a\n";
    append_chunk(png, "IHDR", header);
    append_chunk(png, "IDAT", image_data);
    append_chunk(png, "IEND", {});
    return png;
}

void Canvas::write_png(const std::filesystem::path& file) const { write_whole_file(file, to_png()); }

}  // namespace memsoak::engine
