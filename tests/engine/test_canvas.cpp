#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "memsoak/engine/canvas.hpp"
#include "memsoak/engine/error.hpp"
#include "support/errors.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::engine {
namespace {

constexpr Rgba kWhite = 0xffffffff;
constexpr Rgba kBlack = 0x000000ff;
// Black at half coverage over white: (0 * 128 + 255 * 127 + 127) / 255 = 127 per channel.
constexpr Rgba kHalfBlack = 0x7f7f7fff;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

int count_pixels(const Canvas& canvas, Rgba color) {
    int count = 0;
    for (const Rgba p : canvas.pixels()) count += p == color ? 1 : 0;
    return count;
}

TEST(Canvas, StartsFilledWithTheBackgroundAndCountsItsPixelBuffer) {
    const Canvas canvas(30, 20, 0x102030ff);
    EXPECT_EQ(canvas.width(), 30);
    EXPECT_EQ(canvas.height(), 20);
    EXPECT_EQ(count_pixels(canvas, 0x102030ff), 600);
    EXPECT_EQ(canvas.retained_bytes(), 600u * 4u);
}

TEST(Canvas, RejectsSizesOutsideItsLimits) {
    try {
        Canvas(0, 10, kWhite);
        FAIL() << "expected engine::Error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "canvas of 0 x 10 pixels: expected each side in [1, 16384]");
    }
    EXPECT_THROW(Canvas(10, 16385, kWhite), Error);
}

TEST(Canvas, FillRectCoversItsHalfOpenRectangleAndClips) {
    Canvas canvas(10, 10, kWhite);
    canvas.fill_rect(2, 3, 4, 2, kBlack);  // x 2..5, y 3..4
    EXPECT_EQ(count_pixels(canvas, kBlack), 8);
    EXPECT_EQ(canvas.pixel(2, 3), kBlack);
    EXPECT_EQ(canvas.pixel(5, 4), kBlack);
    EXPECT_EQ(canvas.pixel(6, 4), kWhite);
    EXPECT_EQ(canvas.pixel(5, 5), kWhite);
    EXPECT_EQ(canvas.pixel(1, 3), kWhite);

    canvas.fill_rect(8, -5, 100, 7, 0x00ff00ff);  // only x 8..9, y 0..1 are on the canvas
    EXPECT_EQ(count_pixels(canvas, 0x00ff00ff), 4);
    canvas.fill_rect(-3, -3, 2, 2, 0x0000ffff);  // entirely off the canvas
    canvas.fill_rect(4, 4, 0, 5, 0x0000ffff);    // empty
    EXPECT_EQ(count_pixels(canvas, 0x0000ffff), 0);
}

TEST(Canvas, TranslucentColoursBlendSourceOver) {
    Canvas canvas(4, 4, kWhite);
    canvas.fill_rect(0, 0, 2, 2, 0xff000080);
    // red: (255 * 128 + 255 * 127 + 127) / 255 = 255; green and blue: (255 * 127 + 127) / 255 = 127.
    EXPECT_EQ(canvas.pixel(0, 0), 0xff7f7fffU);
    EXPECT_EQ(canvas.pixel(1, 1), 0xff7f7fffU);
    EXPECT_EQ(canvas.pixel(2, 2), kWhite);
    canvas.set_pixel(3, 3, 0x00000000);  // fully transparent: no change
    EXPECT_EQ(canvas.pixel(3, 3), kWhite);
}

TEST(Canvas, HorizontalAndVerticalLinesIncludeBothEndsInEitherOrder) {
    Canvas canvas(10, 10, kWhite);
    canvas.hline(7, 3, 2, kBlack);
    canvas.vline(1, 8, 5, kBlack);
    EXPECT_EQ(count_pixels(canvas, kBlack), 5 + 4);
    EXPECT_EQ(canvas.pixel(3, 2), kBlack);
    EXPECT_EQ(canvas.pixel(7, 2), kBlack);
    EXPECT_EQ(canvas.pixel(8, 2), kWhite);
    EXPECT_EQ(canvas.pixel(1, 5), kBlack);
    EXPECT_EQ(canvas.pixel(1, 8), kBlack);
    EXPECT_EQ(canvas.pixel(1, 4), kWhite);
}

TEST(Canvas, AntialiasedHorizontalLineHasFullInteriorAndHalfEnds) {
    Canvas canvas(12, 10, kWhite);
    canvas.line(2.5, 5.5, 8.5, 5.5, kBlack);  // pixel centres (2, 5) to (8, 5)
    for (int x = 3; x <= 7; ++x) EXPECT_EQ(canvas.pixel(x, 5), kBlack) << "x " << x;
    EXPECT_EQ(canvas.pixel(2, 5), kHalfBlack);
    EXPECT_EQ(canvas.pixel(8, 5), kHalfBlack);
    EXPECT_EQ(canvas.pixel(1, 5), kWhite);
    EXPECT_EQ(canvas.pixel(9, 5), kWhite);
    EXPECT_EQ(count_pixels(canvas, kWhite), 120 - 7);
}

TEST(Canvas, AntialiasedLineSplitsCoverageBetweenTheTwoNearestPixels) {
    Canvas canvas(10, 6, kWhite);
    canvas.line(0.5, 0.5, 8.5, 4.5, kBlack);  // slope 1/2 between pixel centres (0, 0) and (8, 4)
    // At x = 1 the line is at y = 0.5: half on row 0, half on row 1. At x = 2 it is exactly on row 1.
    EXPECT_EQ(canvas.pixel(1, 0), kHalfBlack);
    EXPECT_EQ(canvas.pixel(1, 1), kHalfBlack);
    EXPECT_EQ(canvas.pixel(2, 1), kBlack);
    EXPECT_EQ(canvas.pixel(2, 0), kWhite);
    EXPECT_EQ(canvas.pixel(2, 2), kWhite);
    EXPECT_EQ(canvas.pixel(4, 2), kBlack);
    EXPECT_EQ(canvas.pixel(6, 3), kBlack);
}

TEST(Canvas, SteepLinesStepAlongY) {
    Canvas canvas(8, 10, kWhite);
    canvas.line(3.5, 1.5, 3.5, 6.5, kBlack);
    for (int y = 2; y <= 5; ++y) EXPECT_EQ(canvas.pixel(3, y), kBlack) << "y " << y;
    EXPECT_EQ(canvas.pixel(3, 1), kHalfBlack);
    EXPECT_EQ(canvas.pixel(3, 6), kHalfBlack);
    EXPECT_EQ(count_pixels(canvas, kWhite), 80 - 6);

    Canvas diagonal(6, 6, kWhite);
    diagonal.line(0.5, 0.5, 4.5, 4.5, kBlack);
    EXPECT_EQ(diagonal.pixel(2, 2), kBlack);
    EXPECT_EQ(diagonal.pixel(0, 0), kHalfBlack);
    EXPECT_EQ(diagonal.pixel(2, 3), kWhite);
}

TEST(Canvas, LinesLeavingTheCanvasAreClippedAndNonFiniteOnesSkipped) {
    Canvas canvas(10, 10, kWhite);
    canvas.line(-1e12, 4.5, 1e12, 4.5, kBlack);
    for (int x = 0; x < 10; ++x) EXPECT_EQ(canvas.pixel(x, 4), kBlack) << "x " << x;
    canvas.line(kNaN, 1.5, 5.5, 1.5, kBlack);
    canvas.line(50.5, 50.5, 80.5, 90.5, kBlack);
    EXPECT_EQ(count_pixels(canvas, kBlack), 10);
}

TEST(Canvas, PolylineBreaksAtNaNPoints) {
    Canvas canvas(12, 5, kWhite);
    const std::vector<PointF> points{{0.5, 2.5}, {4.5, 2.5}, {kNaN, kNaN}, {7.5, 2.5}, {11.5, 2.5}};
    canvas.polyline(points, kBlack);
    EXPECT_EQ(canvas.pixel(2, 2), kBlack);
    EXPECT_EQ(canvas.pixel(5, 2), kWhite);
    EXPECT_EQ(canvas.pixel(6, 2), kWhite);
    EXPECT_EQ(canvas.pixel(9, 2), kBlack);
}

TEST(Canvas, FillBetweenShadesEachColumnOnceBetweenTheCurves) {
    Canvas canvas(10, 8, kWhite);
    const std::vector<double> xs{0.5, 4.5, 9.5};
    const std::vector<double> upper{2.0, 2.0, 2.0};
    const std::vector<double> lower{6.0, 6.0, 6.0};
    canvas.fill_between(xs, upper, lower, 0x0000ff80);
    // Rows whose centres lie in [2, 6]: 2..5. Half blue over white: (127, 127, 255).
    for (int x = 0; x < 10; ++x) {
        EXPECT_EQ(canvas.pixel(x, 1), kWhite) << "x " << x;
        for (int y = 2; y <= 5; ++y) EXPECT_EQ(canvas.pixel(x, y), 0x7f7fffffU) << "x " << x << " y " << y;
        EXPECT_EQ(canvas.pixel(x, 6), kWhite) << "x " << x;
    }
}

TEST(Canvas, FillBetweenInterpolatesAndLeavesUndefinedSamplesUnshaded) {
    Canvas canvas(10, 10, kWhite);
    const std::vector<double> xs{0.5, 4.5, 9.5};
    const std::vector<double> upper{0.0, 4.0, kNaN};
    const std::vector<double> lower{10.0, 10.0, 10.0};
    canvas.fill_between(xs, upper, lower, kBlack);
    EXPECT_EQ(canvas.pixel(0, 0), kBlack);  // column 0: upper 0
    EXPECT_EQ(canvas.pixel(2, 1), kWhite);  // column 2: upper 2, rows from 2
    EXPECT_EQ(canvas.pixel(2, 2), kBlack);
    EXPECT_EQ(canvas.pixel(4, 3), kWhite);  // column 4: upper 4
    EXPECT_EQ(canvas.pixel(4, 4), kBlack);
    for (int x = 5; x < 10; ++x) EXPECT_EQ(canvas.pixel(x, 9), kWhite) << "x " << x;

    try {
        canvas.fill_between(xs, upper, std::vector<double>{1.0}, kBlack);
        FAIL() << "expected engine::Error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "fill_between: 3 x values, 3 upper and 1 lower: expected the same number of each");
    }
}

TEST(Canvas, TextDrawsTheBitmapGlyphs) {
    Canvas canvas(20, 10, kWhite);
    canvas.draw_text(1, 1, "1", kBlack);
    // '1': rows ..#.. / .##.. / ..#.. x4 / .###.
    EXPECT_EQ(canvas.pixel(3, 1), kBlack);
    EXPECT_EQ(canvas.pixel(2, 1), kWhite);
    EXPECT_EQ(canvas.pixel(2, 2), kBlack);
    EXPECT_EQ(canvas.pixel(3, 2), kBlack);
    EXPECT_EQ(canvas.pixel(3, 5), kBlack);
    EXPECT_EQ(canvas.pixel(2, 7), kBlack);
    EXPECT_EQ(canvas.pixel(4, 7), kBlack);
    EXPECT_EQ(canvas.pixel(5, 7), kWhite);
    EXPECT_EQ(count_pixels(canvas, kBlack), 10);

    EXPECT_EQ(Canvas::text_width(""), 0);
    EXPECT_EQ(Canvas::text_width("1"), 5);
    EXPECT_EQ(Canvas::text_width("12:30"), 29);
}

TEST(Canvas, TextDrawsLowerCaseAsUpperAndUnknownCharactersAsBoxes) {
    Canvas lower(8, 9, kWhite);
    Canvas upper(8, 9, kWhite);
    lower.draw_text(1, 1, "q", kBlack);
    upper.draw_text(1, 1, "Q", kBlack);
    EXPECT_TRUE(std::equal(lower.pixels().begin(), lower.pixels().end(), upper.pixels().begin()));
    EXPECT_GT(count_pixels(upper, kBlack), 0);

    Canvas unknown(8, 9, kWhite);
    unknown.draw_text(1, 1, "#", kBlack);
    EXPECT_EQ(count_pixels(unknown, kBlack), 5 + 5 * 2 + 5);  // a hollow 5 x 7 box
    EXPECT_EQ(unknown.pixel(1, 1), kBlack);
    EXPECT_EQ(unknown.pixel(3, 4), kWhite);
}

// --- PNG, checked with the test's own bitwise CRC-32 and Adler-32 ---

std::uint32_t reference_crc32(const std::string& bytes) {
    std::uint32_t crc = 0xFFFFFFFFU;
    for (const char c : bytes) {
        crc ^= static_cast<std::uint8_t>(c);
        for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320U & (0U - (crc & 1U)));
    }
    return ~crc;
}

std::uint32_t reference_adler32(const std::string& bytes) {
    std::uint32_t a = 1;
    std::uint32_t b = 0;
    for (const char c : bytes) {
        a = (a + static_cast<std::uint8_t>(c)) % 65521;
        b = (b + a) % 65521;
    }
    return (b << 16) | a;
}

std::uint32_t big_endian(const std::string& s, std::size_t at) {
    return (std::uint32_t{static_cast<std::uint8_t>(s[at])} << 24) |
           (std::uint32_t{static_cast<std::uint8_t>(s[at + 1])} << 16) |
           (std::uint32_t{static_cast<std::uint8_t>(s[at + 2])} << 8) | static_cast<std::uint8_t>(s[at + 3]);
}

struct Chunk {
    std::string type;
    std::string data;
};

// Splits a PNG into chunks, checking the signature and every chunk's CRC on the way.
std::vector<Chunk> read_chunks(const std::string& png) {
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    std::vector<Chunk> chunks;
    std::size_t at = 8;
    while (at + 12 <= png.size()) {
        const std::uint32_t length = big_endian(png, at);
        Chunk chunk{png.substr(at + 4, 4), png.substr(at + 8, length)};
        EXPECT_EQ(big_endian(png, at + 8 + length), reference_crc32(chunk.type + chunk.data)) << chunk.type;
        chunks.push_back(std::move(chunk));
        at += 12 + length;
    }
    EXPECT_EQ(at, png.size());
    return chunks;
}

struct Inflated {
    std::string raw;
    int blocks = 0;
};

// Reads a zlib stream of stored deflate blocks, checking its header, each block's LEN/NLEN and the Adler-32.
Inflated inflate_stored(const std::string& stream) {
    Inflated out;
    EXPECT_EQ(static_cast<std::uint8_t>(stream[0]) & 0x0F, 8);  // deflate
    EXPECT_EQ((static_cast<std::uint8_t>(stream[0]) * 256 + static_cast<std::uint8_t>(stream[1])) % 31, 0);
    std::size_t at = 2;
    bool final_block = false;
    while (!final_block) {
        const auto header = static_cast<std::uint8_t>(stream.at(at));
        EXPECT_EQ(header >> 1, 0) << "stored blocks only";
        final_block = (header & 1) != 0;
        const unsigned length = static_cast<std::uint8_t>(stream[at + 1]) | static_cast<std::uint8_t>(stream[at + 2])
                                                                                << 8;
        const unsigned complement =
            static_cast<std::uint8_t>(stream[at + 3]) | static_cast<std::uint8_t>(stream[at + 4]) << 8;
        EXPECT_EQ(length ^ 0xFFFFU, complement);
        out.raw += stream.substr(at + 5, length);
        at += 5 + length;
        ++out.blocks;
    }
    EXPECT_EQ(stream.size(), at + 4);
    EXPECT_EQ(big_endian(stream, at), reference_adler32(out.raw));
    return out;
}

TEST(CanvasPng, ReferenceChecksumsMatchPublishedValues) {
    // The test's own checksums, against values published with the standards' examples.
    EXPECT_EQ(reference_crc32("IEND"), 0xAE426082U);
    EXPECT_EQ(reference_crc32("123456789"), 0xCBF43926U);
    EXPECT_EQ(reference_adler32("Wikipedia"), 0x11E60398U);
}

TEST(CanvasPng, SmallImageHasHeaderDataAndEndWithValidChecksums) {
    Canvas canvas(3, 2, kWhite);
    canvas.fill_rect(0, 0, 1, 1, 0x112233ff);
    canvas.fill_rect(2, 1, 1, 1, 0xa0b0c0ff);
    const std::vector<Chunk> chunks = read_chunks(canvas.to_png());
    ASSERT_EQ(chunks.size(), 3u);
    EXPECT_EQ(chunks[0].type, "IHDR");
    ASSERT_EQ(chunks[0].data.size(), 13u);
    EXPECT_EQ(big_endian(chunks[0].data, 0), 3u);                                 // width
    EXPECT_EQ(big_endian(chunks[0].data, 4), 2u);                                 // height
    EXPECT_EQ(chunks[0].data.substr(8), std::string("\x08\x06\x00\x00\x00", 5));  // 8-bit RGBA, no interlace
    EXPECT_EQ(chunks[1].type, "IDAT");
    EXPECT_EQ(chunks[2].type, "IEND");
    EXPECT_TRUE(chunks[2].data.empty());

    const Inflated image = inflate_stored(chunks[1].data);
    EXPECT_EQ(image.blocks, 1);
    const std::string expected = std::string("\x00\x11\x22\x33\xff\xff\xff\xff\xff\xff\xff\xff\xff", 13) +
                                 std::string("\x00\xff\xff\xff\xff\xff\xff\xff\xff\xa0\xb0\xc0\xff", 13);
    EXPECT_EQ(image.raw, expected);
}

TEST(CanvasPng, LargeImageSpansSeveralStoredBlocks) {
    Canvas canvas(200, 100, 0x336699ff);
    canvas.fill_rect(150, 90, 50, 10, 0xff0000ff);
    const std::vector<Chunk> chunks = read_chunks(canvas.to_png());
    ASSERT_EQ(chunks.size(), 3u);
    const Inflated image = inflate_stored(chunks[1].data);
    // 100 rows of 1 filter byte + 800 pixel bytes = 80100 bytes: one full 65535-byte block and the rest.
    EXPECT_EQ(image.blocks, 2);
    ASSERT_EQ(image.raw.size(), 80100u);
    EXPECT_EQ(image.raw.substr(801 * 99, 5), std::string("\x00\x33\x66\x99\xff", 5));
    EXPECT_EQ(image.raw.substr(801 * 100 - 4), std::string("\xff\x00\x00\xff", 4));
}

TEST(CanvasPng, WritePngWritesTheSameBytesAndNamesThePathOnFailure) {
    Canvas canvas(5, 4, 0x123456ff);
    const testing::TempDir dir;
    canvas.write_png(dir / "canvas.png");
    EXPECT_EQ(testing::read_text(dir / "canvas.png"), canvas.to_png());

    testing::expect_error<Error>(
        [&] { canvas.write_png("/nonexistent-memsoak-dir/chart.png"); },
        "cannot open '/nonexistent-memsoak-dir/chart.png' for writing: No such file or directory");
}

}  // namespace
}  // namespace memsoak::engine
