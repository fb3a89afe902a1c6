#include "html_flame.hpp"

#include <algorithm>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "memsoak/harness/units.hpp"
#include "memsoak/reports/html.hpp"

namespace memsoak::reports::html_flame {
namespace {

constexpr double kWidth = 1000;  // the drawing's width in user units; the page scales it
constexpr double kRowHeight = 17;
constexpr double kMinBoxWidth = 0.5;  // narrower boxes are left out: invisible, and they bloat the page
constexpr double kCharWidth = 6.5;    // of the 11px monospace label, to know what fits

struct Node {
    double bytes = 0;
    std::map<std::string, std::unique_ptr<Node>> children;
};

std::size_t depth_of(const Node& node) {
    std::size_t deepest = 0;
    for (const auto& [name, child] : node.children) deepest = std::max(deepest, depth_of(*child) + 1);
    return deepest;
}

// Warm colours as flamegraph.pl draws, chosen from the name so that a frame keeps its colour between reports.
std::string colour_of(const std::string& name) {
    std::size_t hash = 0;
    for (const char c : name) hash = hash * 31 + static_cast<unsigned char>(c);
    return fmt::format("rgb({},{},{})", 205 + hash % 50, 80 + (hash / 50) % 120, 40 + (hash / 6000) % 40);
}

void draw(const Node& node, double x, std::size_t level, std::size_t rows, double total, std::string& out) {
    double child_x = x;
    for (const auto& [name, child] : node.children) {
        const double width = child->bytes / total * kWidth;
        if (width >= kMinBoxWidth) {
            const double y = static_cast<double>(rows - 1 - level) * kRowHeight;
            const std::size_t fits = static_cast<std::size_t>(std::max(0.0, (width - 6) / kCharWidth));
            std::string label = name.size() <= fits ? name : (fits > 2 ? name.substr(0, fits - 2) + ".." : "");
            out += fmt::format(
                R"(<g><title>{} ({}, {:.1f}%)</title><rect x="{:.2f}" y="{:.1f}" width="{:.2f}" height="{:.1f}" )"
                R"(fill="{}" rx="2"/>)",
                html_escape(name), html_escape(harness::format_bytes(child->bytes)), child->bytes / total * 100,
                child_x, y, width, kRowHeight - 1, colour_of(name));
            if (!label.empty()) {
                out += fmt::format(R"(<text x="{:.2f}" y="{:.1f}">{}</text>)", child_x + 3, y + kRowHeight - 5,
                                   html_escape(label));
            }
            out += "</g>";
            draw(*child, child_x, level + 1, rows, total, out);
        }
        child_x += width;
    }
}

}  // namespace

std::string render(const std::vector<harness::HeapGrowthStack>& stacks) {
    Node root;
    for (const harness::HeapGrowthStack& stack : stacks) {
        if (!(stack.bytes > 0)) continue;
        root.bytes += stack.bytes;
        Node* node = &root;
        for (const std::string& frame : stack.frames) {
            std::unique_ptr<Node>& child = node->children[frame];
            if (!child) child = std::make_unique<Node>();
            child->bytes += stack.bytes;
            node = child.get();
        }
    }
    if (root.bytes <= 0) return "";
    const std::size_t rows = depth_of(root);
    std::string out =
        fmt::format(R"(<svg class="flame" viewBox="0 0 {:.0f} {:.0f}" width="100%" role="img" )"
                    R"(font-family="monospace" font-size="11"><title>Heap growth by call stack, {} in all</title>)",
                    kWidth, static_cast<double>(rows) * kRowHeight, html_escape(harness::format_bytes(root.bytes)));
    draw(root, 0, 0, rows, root.bytes, out);
    return out + "</svg>";
}

}  // namespace memsoak::reports::html_flame
