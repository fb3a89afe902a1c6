#pragma once
// An RGBA raster with the few drawing operations a chart needs (the role Agg plays under matplotlib): fills, grid
// lines, antialiased polylines, alpha-blended bands and a tiny bitmap font, plus PNG output for people to look at.
//
// Coordinates: integer operations address pixels, x to the right and y down from the top-left corner.
// Floating-point operations (line, polyline, fill_between) follow SVG: pixel (i, j) covers [i, i+1) x [j, j+1)
// and its centre is (i + 0.5, j + 0.5), so a chart's geometry means the same thing on the canvas and in an SVG.
// Everything is clipped to the canvas; nothing outside it is an error.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace memsoak::engine {

// A colour as 0xRRGGBBAA, the order of CSS hex colours: 0xff000080 is half-transparent red.
using Rgba = std::uint32_t;

constexpr std::uint8_t red_of(Rgba c) { return static_cast<std::uint8_t>(c >> 24); }
constexpr std::uint8_t green_of(Rgba c) { return static_cast<std::uint8_t>(c >> 16); }
constexpr std::uint8_t blue_of(Rgba c) { return static_cast<std::uint8_t>(c >> 8); }
constexpr std::uint8_t alpha_of(Rgba c) { return static_cast<std::uint8_t>(c); }

// A point in floating-point canvas coordinates. A NaN coordinate marks a gap: polylines break there.
struct PointF {
    double x;
    double y;
};

class Canvas {
public:
    // The built-in font: 5 x 7 pixel glyphs on a 6-pixel advance (one column of spacing), one row per line.
    // It has digits, A-Z (lower case is drawn as upper case), space and . , : - + / % ( ) _; any other character
    // is drawn as a hollow box so that a missing glyph is visible rather than silently dropped.
    static constexpr int glyph_width = 5;
    static constexpr int glyph_height = 7;
    static constexpr int glyph_advance = 6;

    // A canvas of width x height pixels filled with `background`. Throws engine::Error unless both sides are in
    // [1, 16384].
    Canvas(int width, int height, Rgba background);

    int width() const { return width_; }
    int height() const { return height_; }
    // Row-major, width() pixels per row, top row first.
    std::span<const Rgba> pixels() const { return pixels_; }
    // The pixel at (x, y); both must be inside the canvas.
    Rgba pixel(int x, int y) const { return pixels_[index_of(x, y)]; }

    // Heap bytes the canvas keeps alive: its pixel buffer (4 bytes per pixel).
    std::uint64_t retained_bytes() const { return pixels_.capacity() * sizeof(Rgba); }

    // Every pixel becomes `color` (no blending).
    void clear(Rgba color);

    // Integer operations. A colour with alpha < 255 is blended over what is there ("source over"); an opaque one
    // replaces it.
    void set_pixel(int x, int y, Rgba color);
    // The rectangle [x, x + width) x [y, y + height); empty when either side is <= 0.
    void fill_rect(int x, int y, int width, int height, Rgba color);
    // Inclusive of both ends, in either order.
    void hline(int x0, int x1, int y, Rgba color);
    void vline(int x, int y0, int y1, Rgba color);

    // A 1-pixel antialiased line (Xiaolin Wu's algorithm): each step along the major axis lights the two pixels
    // the ideal line passes between, weighted by distance, so lines at any slope look smooth at 1 pixel width.
    // Its limits: the end pixels get partial coverage (so joints of a polyline are blended twice), and there is
    // no line width other than 1. A segment with a non-finite coordinate is not drawn.
    void line(double x0, double y0, double x1, double y1, Rgba color);
    // Consecutive points joined by line(); a point with a NaN coordinate ends one run and starts the next.
    void polyline(std::span<const PointF> points, Rgba color);

    // Shades between two curves sampled at the same ascending x (e.g. Bollinger bands): every pixel column whose
    // centre lies within [xs.front(), xs.back()] gets the span between the linearly interpolated upper and lower
    // values, each pixel blended once. A pair of samples with a NaN leaves its columns unshaded. The three spans
    // must be of equal length.
    void fill_between(std::span<const double> xs, std::span<const double> upper, std::span<const double> lower,
                      Rgba color);

    // Draws `text` with its top-left corner at (x, y), one pixel per font dot, no wrapping.
    void draw_text(int x, int y, std::string_view text, Rgba color);
    // Width in pixels of `text` drawn with draw_text (no trailing spacing column).
    static int text_width(std::string_view text);

    // The canvas as a PNG file written by libpng: 8-bit RGB (RGBA when some pixel is not opaque), no interlace,
    // compressed; decoded, it gives back exactly pixels(). Throws engine::Error naming the path and the system's
    // reason when the file cannot be written.
    std::string to_png() const;
    void write_png(const std::filesystem::path& file) const;

private:
    // Where pixel (x, y) is in pixels_: y a row of the canvas, x a column or width() (the end of the row).
    std::size_t index_of(int x, int y) const {
        return static_cast<std::size_t>(y) * static_cast<std::size_t>(width_) + static_cast<std::size_t>(x);
    }
    // set_pixel with the colour's alpha scaled by `coverage` in [0, 1] (for antialiasing).
    void plot_coverage(int x, int y, Rgba color, double coverage);

    int width_;
    int height_;
    std::vector<Rgba> pixels_;
};

}  // namespace memsoak::engine
