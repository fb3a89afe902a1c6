#include "memsoak/engine/canvas.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "memsoak/engine/error.hpp"

namespace memsoak::engine {
namespace {

constexpr int kMaxSide = 16384;

// floor() for values well inside int range, without the libm call that the per-pixel loops would pay for.
int floor_to_int(double v) {
    const int truncated = static_cast<int>(v);
    return truncated - (v < truncated ? 1 : 0);
}

double fractional_part(double v) { return v - floor_to_int(v); }

// Blends `color`, its alpha scaled by coverage (0..255), over `pixel`. Straight (not premultiplied) "source over";
// exact for an opaque destination, which a chart always has. Small enough to inline into the drawing loops.
inline void blend_over(Rgba& pixel, Rgba color, unsigned coverage) {
    const unsigned alpha = coverage == 255 ? alpha_of(color) : (alpha_of(color) * coverage + 127) / 255;
    if (alpha == 255) {
        pixel = color | 0xffU;
        return;
    }
    if (alpha == 0) return;
    const Rgba under = pixel;
    const auto mix = [alpha](unsigned over_channel, unsigned under_channel) {
        return (over_channel * alpha + under_channel * (255 - alpha) + 127) / 255;
    };
    const unsigned out_alpha = alpha + (alpha_of(under) * (255 - alpha) + 127) / 255;
    pixel = (mix(red_of(color), red_of(under)) << 24) | (mix(green_of(color), green_of(under)) << 16) |
            (mix(blue_of(color), blue_of(under)) << 8) | out_alpha;
}

// Liang-Barsky: shortens the segment to the part inside [lo_x, hi_x] x [lo_y, hi_y]; false when none is inside.
bool clip_segment(double& x0, double& y0, double& x1, double& y1, double lo_x, double lo_y, double hi_x, double hi_y) {
    const double dx = x1 - x0;
    const double dy = y1 - y0;
    double t_enter = 0.0;
    double t_exit = 1.0;
    // Each boundary as p * t <= q: left, right, top, bottom.
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {x0 - lo_x, hi_x - x0, y0 - lo_y, hi_y - y0};
    for (int i = 0; i < 4; ++i) {
        if (p[i] == 0) {
            if (q[i] < 0) return false;  // parallel to this boundary and outside it
            continue;
        }
        const double t = q[i] / p[i];
        if (p[i] < 0) {
            t_enter = std::max(t_enter, t);
        } else {
            t_exit = std::min(t_exit, t);
        }
    }
    if (t_enter > t_exit) return false;
    const double start_x = x0 + t_enter * dx;
    const double start_y = y0 + t_enter * dy;
    x1 = x0 + t_exit * dx;
    y1 = y0 + t_exit * dy;
    x0 = start_x;
    y0 = start_y;
    return true;
}

}  // namespace

Canvas::Canvas(int width, int height, Rgba background) : width_(width), height_(height) {
    if (width < 1 || height < 1 || width > kMaxSide || height > kMaxSide) {
        throw Error(fmt::format("canvas of {} x {} pixels: expected each side in [1, {}]", width, height, kMaxSide));
    }
    pixels_.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(height));
    clear(background);
}

void Canvas::clear(Rgba color) {
    // One row filled, then copied to the others: memcpy runs at memory speed where an element-wise fill does not.
    const auto row_length = static_cast<std::size_t>(width_);
    std::fill_n(pixels_.begin(), row_length, color);
    for (std::size_t start = row_length; start < pixels_.size(); start += row_length) {
        std::memcpy(pixels_.data() + start, pixels_.data(), row_length * sizeof(Rgba));
    }
}

void Canvas::set_pixel(int x, int y, Rgba color) {
    if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
    blend_over(pixels_[index_of(x, y)], color, 255);
}

void Canvas::plot_coverage(int x, int y, Rgba color, double coverage) {
    // Rounded to 1/255; coverage in [0, 1] makes a level in [0, 255].
    const auto level = static_cast<unsigned>(std::lround(coverage * 255.0));
    if (level == 0 || x < 0 || y < 0 || x >= width_ || y >= height_) return;
    blend_over(pixels_[index_of(x, y)], color, level);
}

void Canvas::fill_rect(int x, int y, int width, int height, Rgba color) {
    const int x0 = std::max(x, 0);
    const int y0 = std::max(y, 0);
    // 64-bit ends so that a huge width or height cannot overflow.
    const int x1 = static_cast<int>(std::min<std::int64_t>(std::int64_t{x} + width, width_));
    const int y1 = static_cast<int>(std::min<std::int64_t>(std::int64_t{y} + height, height_));
    if (x0 >= x1 || y0 >= y1) return;
    for (int row = y0; row < y1; ++row) {
        if (alpha_of(color) == 255) {
            // [x0, x1) lies inside the row, so x1's index is at most one past the row's last pixel.
            std::fill(pixels_.begin() + static_cast<std::ptrdiff_t>(index_of(x0, row)),
                      pixels_.begin() + static_cast<std::ptrdiff_t>(index_of(x1, row)), color);
        } else {
            for (int column = x0; column < x1; ++column) blend_over(pixels_[index_of(column, row)], color, 255);
        }
    }
}

void Canvas::hline(int x0, int x1, int y, Rgba color) {
    if (x0 > x1) std::swap(x0, x1);
    fill_rect(x0, y, x1 - x0 + 1, 1, color);
}

void Canvas::vline(int x, int y0, int y1, Rgba color) {
    if (y0 > y1) std::swap(y0, y1);
    fill_rect(x, y0, 1, y1 - y0 + 1, color);
}

void Canvas::line(double x0, double y0, double x1, double y1, Rgba color) {
    if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) || !std::isfinite(y1)) return;
    // Wu's algorithm works in centre coordinates, where pixel (i, j) is the point (i, j).
    x0 -= 0.5;
    y0 -= 0.5;
    x1 -= 0.5;
    y1 -= 0.5;
    // One pixel of margin keeps the partial end pixels at the canvas border; the clip also bounds the loop below
    // and keeps every coordinate within int range.
    const auto inside = [this](double x, double y) { return x >= -1.0 && y >= -1.0 && x <= width_ && y <= height_; };
    if (!(inside(x0, y0) && inside(x1, y1)) && !clip_segment(x0, y0, x1, y1, -1.0, -1.0, width_, height_)) return;

    const bool steep = std::abs(y1 - y0) > std::abs(x1 - x0);
    if (steep) {
        std::swap(x0, y0);
        std::swap(x1, y1);
    }
    if (x0 > x1) {
        std::swap(x0, x1);
        std::swap(y0, y1);
    }
    const double gradient = x1 == x0 ? 0.0 : (y1 - y0) / (x1 - x0);
    // (major, minor) are (x, y), or (y, x) for a steep line.
    const auto plot = [&](int major, int minor, double coverage) {
        if (steep) {
            plot_coverage(minor, major, color, coverage);
        } else {
            plot_coverage(major, minor, color, coverage);
        }
    };
    // Each end pixel is weighted by how much of its column the segment covers.
    const auto plot_end = [&](double x, double y, double column_coverage) {
        const int major = floor_to_int(x + 0.5);  // x >= -1 after clipping, so this rounds half up
        const double minor = y + gradient * (major - x);
        const int first = floor_to_int(minor);
        plot(major, first, (1.0 - (minor - first)) * column_coverage);
        plot(major, first + 1, (minor - first) * column_coverage);
        return major;
    };
    const int first_major = plot_end(x0, y0, 1.0 - fractional_part(x0 + 0.5));
    const int last_major = plot_end(x1, y1, fractional_part(x1 + 0.5));
    for (int major = first_major + 1; major < last_major; ++major) {
        const double minor = y0 + gradient * (major - x0);
        const int first = floor_to_int(minor);
        plot(major, first, 1.0 - (minor - first));
        plot(major, first + 1, minor - first);
    }
}

void Canvas::polyline(std::span<const PointF> points, Rgba color) {
    for (std::size_t i = 1; i < points.size(); ++i) {
        line(points[i - 1].x, points[i - 1].y, points[i].x, points[i].y, color);
    }
}

void Canvas::fill_between(std::span<const double> xs, std::span<const double> upper, std::span<const double> lower,
                          Rgba color) {
    if (upper.size() != xs.size() || lower.size() != xs.size()) {
        throw Error(fmt::format("fill_between: {} x values, {} upper and {} lower: expected the same number of each",
                                xs.size(), upper.size(), lower.size()));
    }
    if (xs.size() < 2 || !std::isfinite(xs.front()) || !std::isfinite(xs.back())) return;
    const int first_column = std::max(0, static_cast<int>(std::ceil(std::max(xs.front() - 0.5, -1.0))));
    const int last_column = std::min(width_ - 1, static_cast<int>(std::floor(std::min(xs.back() - 0.5, 1.0 * width_))));
    std::size_t segment = 0;  // xs[segment] <= centre <= xs[segment + 1]
    for (int column = first_column; column <= last_column; ++column) {
        const double centre = column + 0.5;
        while (segment + 2 < xs.size() && xs[segment + 1] < centre) ++segment;
        const double x_left = xs[segment];
        const double x_right = xs[segment + 1];
        const double t = x_right > x_left ? (centre - x_left) / (x_right - x_left) : 0.0;
        const double up = upper[segment] + t * (upper[segment + 1] - upper[segment]);
        const double low = lower[segment] + t * (lower[segment + 1] - lower[segment]);
        if (!std::isfinite(up) || !std::isfinite(low)) continue;
        const double top = std::clamp(std::min(up, low), -1.0, 1.0 * height_);
        const double bottom = std::clamp(std::max(up, low), -1.0, 1.0 * height_);
        // Rows whose centre lies in [top, bottom]; a band thinner than that still shades the row it falls in.
        int first_row = static_cast<int>(std::ceil(top - 0.5));
        int last_row = static_cast<int>(std::floor(bottom - 0.5));
        if (first_row > last_row) first_row = last_row = static_cast<int>(std::floor((top + bottom) / 2));
        first_row = std::max(first_row, 0);
        last_row = std::min(last_row, height_ - 1);
        for (int row = first_row; row <= last_row; ++row) {
            blend_over(pixels_[index_of(column, row)], color, 255);
        }
    }
}

}  // namespace memsoak::engine
