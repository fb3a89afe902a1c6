#pragma once
// Internal to the engine: the drawing back ends a Figure draws through, like matplotlib's renderers (Agg, SVG).
// The figure's drawing code runs once per output and does not know which back end it feeds, so the PNG and the
// SVG of a figure show the same geometry. Coordinates are the canvas's (see canvas.hpp).

#include <span>
#include <string>
#include <string_view>

#include "memsoak/engine/canvas.hpp"
#include "memsoak/engine/chart.hpp"

namespace memsoak::engine {

class ChartRenderer {
public:
    virtual ~ChartRenderer() = default;
    virtual void clear(Rgba color) = 0;
    virtual void fill_rect(const PixelRect& rect, Rgba color) = 0;
    // `id` names the artist in outputs that keep objects apart (SVG); a NaN point breaks the line.
    virtual void polyline(std::string_view id, std::span<const PointF> points, Rgba color) = 0;
    virtual void fill_between(std::string_view id, std::span<const double> xs, std::span<const double> upper,
                              std::span<const double> lower, Rgba color) = 0;
    // Text in the canvas's 5 x 7 font metrics, top-left corner at (x, y).
    virtual void text(int x, int y, std::string_view text, Rgba color) = 0;
};

// Draws straight onto a canvas.
class RasterRenderer final : public ChartRenderer {
public:
    explicit RasterRenderer(Canvas& canvas) : canvas_(canvas) {}
    void clear(Rgba color) override { canvas_.clear(color); }
    void fill_rect(const PixelRect& rect, Rgba color) override {
        canvas_.fill_rect(rect.x, rect.y, rect.width, rect.height, color);
    }
    void polyline(std::string_view, std::span<const PointF> points, Rgba color) override {
        canvas_.polyline(points, color);
    }
    void fill_between(std::string_view, std::span<const double> xs, std::span<const double> upper,
                      std::span<const double> lower, Rgba color) override {
        canvas_.fill_between(xs, upper, lower, color);
    }
    void text(int x, int y, std::string_view text, Rgba color) override { canvas_.draw_text(x, y, text, color); }

private:
    Canvas& canvas_;
};

// Builds an SVG document of the given size; finish() returns it.
class SvgRenderer final : public ChartRenderer {
public:
    SvgRenderer(int width, int height);
    void clear(Rgba color) override;
    void fill_rect(const PixelRect& rect, Rgba color) override;
    void polyline(std::string_view id, std::span<const PointF> points, Rgba color) override;
    void fill_between(std::string_view id, std::span<const double> xs, std::span<const double> upper,
                      std::span<const double> lower, Rgba color) override;
    void text(int x, int y, std::string_view text, Rgba color) override;
    std::string finish();

private:
    std::string svg_;
};

}  // namespace memsoak::engine
