// The SVG back end: the figure's drawing as vector shapes in one self-contained document (no external fonts,
// styles or images), so that a person can zoom into a chart.

#include <fmt/format.h>
#include <cmath>
#include <iterator>
#include <utility>

#include "chart_renderer.hpp"
#include "memsoak/engine/chart.hpp"

namespace memsoak::engine {
namespace {

// fill="#rrggbb" plus the opacity attribute when the colour is not opaque.
std::string paint(std::string_view attribute, Rgba color) {
    std::string out =
        fmt::format(" {}=\"#{:02x}{:02x}{:02x}\"", attribute, red_of(color), green_of(color), blue_of(color));
    if (alpha_of(color) != 255) out += fmt::format(" {}-opacity=\"{:.3f}\"", attribute, alpha_of(color) / 255.0);
    return out;
}

void append_escaped(std::string& out, std::string_view text) {
    for (const char c : text) {
        switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
}

}  // namespace

SvgRenderer::SvgRenderer(int width, int height) {
    fmt::format_to(std::back_inserter(svg_),
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
                   "shape-rendering=\"crispEdges\">\n",
                   width, height);
}

void SvgRenderer::clear(Rgba color) {
    fmt::format_to(std::back_inserter(svg_), "<rect width=\"100%\" height=\"100%\"{}/>\n", paint("fill", color));
}

void SvgRenderer::fill_rect(const PixelRect& rect, Rgba color) {
    if (rect.width <= 0 || rect.height <= 0) return;
    fmt::format_to(std::back_inserter(svg_), "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"{}/>\n", rect.x, rect.y,
                   rect.width, rect.height, paint("fill", color));
}

void SvgRenderer::polyline(std::string_view id, std::span<const PointF> points, Rgba color) {
    fmt::format_to(std::back_inserter(svg_), "<path id=\"{}\" fill=\"none\"{} shape-rendering=\"auto\" d=\"", id,
                   paint("stroke", color));
    bool pen_down = false;
    for (const PointF& p : points) {
        if (std::isnan(p.x) || std::isnan(p.y)) {
            pen_down = false;
            continue;
        }
        fmt::format_to(std::back_inserter(svg_), "{}{:.2f} {:.2f}", pen_down ? 'L' : 'M', p.x, p.y);
        pen_down = true;
    }
    svg_ += "\"/>\n";
}

void SvgRenderer::fill_between(std::string_view id, std::span<const double> xs, std::span<const double> upper,
                               std::span<const double> lower, Rgba color) {
    // One closed outline per run of samples where both curves are defined: along the upper, back along the lower.
    fmt::format_to(std::back_inserter(svg_), "<path id=\"{}\"{} shape-rendering=\"auto\" d=\"", id,
                   paint("fill", color));
    std::size_t run_start = 0;
    const auto close_run = [&](std::size_t run_end) {
        if (run_end - run_start >= 2) {
            for (std::size_t i = run_start; i < run_end; ++i) {
                fmt::format_to(std::back_inserter(svg_), "{}{:.2f} {:.2f}", i == run_start ? 'M' : 'L', xs[i],
                               upper[i]);
            }
            for (std::size_t i = run_end; i-- > run_start;) {
                fmt::format_to(std::back_inserter(svg_), "L{:.2f} {:.2f}", xs[i], lower[i]);
            }
            svg_ += 'Z';
        }
    };
    for (std::size_t i = 0; i < xs.size(); ++i) {
        if (std::isnan(upper[i]) || std::isnan(lower[i])) {
            close_run(i);
            run_start = i + 1;
        }
    }
    close_run(xs.size());
    svg_ += "\"/>\n";
}

void SvgRenderer::text(int x, int y, std::string_view text, Rgba color) {
    // A monospace character is about 0.6 em wide, so 10 px matches the raster font's 6-pixel advance. The raster
    // glyphs are 7 pixels tall with no descenders: the baseline is their bottom edge.
    constexpr int kFontSize = 10;
    fmt::format_to(std::back_inserter(svg_), "<text x=\"{}\" y=\"{}\" font-family=\"monospace\" font-size=\"{}\"{}>", x,
                   y + Canvas::glyph_height, kFontSize, paint("fill", color));
    append_escaped(svg_, text);
    svg_ += "</text>\n";
}

std::string SvgRenderer::finish() {
    svg_ += "</svg>\n";
    return std::move(svg_);
}

std::string Figure::to_svg() const {
    SvgRenderer svg(width(), height());
    draw(svg);
    return svg.finish();
}

}  // namespace memsoak::engine
