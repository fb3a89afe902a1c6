#include <gtest/gtest.h>
#include <png.h>

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
    testing::expect_error<Error>([&] { Canvas(0, 10, kWhite); },
                                 "canvas of 0 x 10 pixels: expected each side in [1, 16384]");
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

    testing::expect_error<Error>([&] { canvas.fill_between(xs, upper, std::vector<double>{1.0}, kBlack); },
                                 "fill_between: 3 x values, 3 upper and 1 lower: expected the same number of each");
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

// --- PNG, decoded with libpng's reader ---

struct DecodedPng {
    png_uint_32 width = 0;
    png_uint_32 height = 0;
    png_uint_32 format = 0;  // as stored in the file: PNG_FORMAT_RGB, PNG_FORMAT_RGBA, ...
    std::vector<Rgba> pixels;
};

// Decodes `png` into 0xRRGGBBAA pixels; ADD_FAILURE with libpng's message when it cannot.
DecodedPng decode_png(const std::string& png) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    DecodedPng decoded;
    if (png_image_begin_read_from_memory(&image, png.data(), png.size()) == 0) {
        ADD_FAILURE() << "libpng cannot read the PNG: " << image.message;
        return decoded;
    }
    decoded.width = image.width;
    decoded.height = image.height;
    decoded.format = image.format;
    image.format = PNG_FORMAT_RGBA;
    std::vector<std::uint8_t> bytes(PNG_IMAGE_SIZE(image));
    if (png_image_finish_read(&image, nullptr, bytes.data(), 0, nullptr) == 0) {
        ADD_FAILURE() << "libpng cannot decode the PNG: " << image.message;
        return decoded;
    }
    for (std::size_t at = 0; at + 3 < bytes.size(); at += 4) {
        decoded.pixels.push_back(Rgba{bytes[at]} << 24 | Rgba{bytes[at + 1]} << 16 | Rgba{bytes[at + 2]} << 8 |
                                 Rgba{bytes[at + 3]});
    }
    return decoded;
}

void expect_decodes_to_its_pixels(const Canvas& canvas, const DecodedPng& decoded) {
    EXPECT_EQ(decoded.width, static_cast<png_uint_32>(canvas.width()));
    EXPECT_EQ(decoded.height, static_cast<png_uint_32>(canvas.height()));
    const std::vector<Rgba> expected(canvas.pixels().begin(), canvas.pixels().end());
    EXPECT_TRUE(decoded.pixels == expected) << "the decoded pixels differ from the canvas";
}

// Every pixel a different colour.
Canvas gradient_canvas(int width, int height) {
    Canvas canvas(width, height, kWhite);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            canvas.set_pixel(x, y,
                             static_cast<Rgba>((x * 7) & 0xff) << 24 | static_cast<Rgba>((y * 5) & 0xff) << 16 |
                                 static_cast<Rgba>((x + y) & 0xff) << 8 | 0xffU);
        }
    }
    return canvas;
}

TEST(CanvasPng, OpaqueCanvasesAreWrittenAsRgbAndDecodeToTheSamePixels) {
    Canvas small(3, 2, kWhite);
    small.fill_rect(0, 0, 1, 1, 0x112233ff);
    small.fill_rect(2, 1, 1, 1, 0xa0b0c0ff);
    const std::string png = small.to_png();
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    const DecodedPng decoded = decode_png(png);
    EXPECT_EQ(decoded.format, PNG_FORMAT_RGB);
    expect_decodes_to_its_pixels(small, decoded);

    const Canvas gradient = gradient_canvas(64, 48);
    const DecodedPng gradient_decoded = decode_png(gradient.to_png());
    EXPECT_EQ(gradient_decoded.format, PNG_FORMAT_RGB);
    expect_decodes_to_its_pixels(gradient, gradient_decoded);
}

TEST(CanvasPng, TransparentPixelsKeepTheirAlpha) {
    Canvas canvas(40, 30, 0x00000000);
    for (int x = 0; x < 40; ++x) {
        for (int y = 0; y < 30; ++y) canvas.set_pixel(x, y, static_cast<Rgba>(x * 6) << 24 | static_cast<Rgba>(y * 8));
    }
    canvas.fill_rect(1, 1, 2, 2, 0xff000080);
    const DecodedPng decoded = decode_png(canvas.to_png());
    EXPECT_EQ(decoded.format, PNG_FORMAT_RGBA);
    expect_decodes_to_its_pixels(canvas, decoded);
}

TEST(CanvasPng, IsCompressed) {
    // One flat colour: what used to take 4 bytes a pixel (over 1.8 MB at the chart's production size) takes a few
    // hundred bytes.
    const Canvas flat(900, 500, 0x336699ff);
    EXPECT_LT(flat.to_png().size(), 4000u);
    const Canvas gradient = gradient_canvas(300, 200);
    EXPECT_LT(gradient.to_png().size(), 300u * 200u * 3u);
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
