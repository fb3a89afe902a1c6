#pragma once
// The terminal renderers' shared table printing (internal to the reports library): cells that may be painted,
// columns as wide as their widest cell, two spaces apart, no line ending in blanks.

#include <algorithm>
#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include <fmt/color.h>
#include <fmt/format.h>

#include "memsoak/reports/terminal.hpp"

namespace memsoak::reports::terminal {

// One table cell; a cell with a foreground colour is painted when colour is on. Padding is computed on the
// unpainted text so that escape sequences do not shift the columns.
struct Cell {
    std::string text;
    fmt::text_style style{};
};
using Row = std::vector<Cell>;

inline std::vector<std::size_t> column_widths(const std::vector<Row>& rows) {
    std::vector<std::size_t> widths;
    for (const Row& row : rows) {
        widths.resize(std::max(widths.size(), row.size()), 0);
        for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].text.size());
    }
    return widths;
}

inline fmt::text_style colour(fmt::terminal_color color) { return fmt::fg(color); }

class Printer {
public:
    Printer(std::ostream& out, const TerminalStyle& style) : out_(out), style_(style) {}

    std::string paint(const std::string& text, const fmt::text_style& style) const {
        if (!style_.color || !style.has_foreground()) return text;
        return fmt::format(style, "{}", text);
    }

    void line(const std::string& text) { out_ << text << '\n'; }

    // Columns are separated by two spaces; the last column is not padded and empty last cells are dropped, so no
    // line ends in blanks.
    void row(const Row& cells, const std::vector<std::size_t>& widths, std::size_t indent) {
        std::string text(indent, ' ');
        for (std::size_t c = 0; c < cells.size(); ++c) {
            text += paint(cells[c].text, cells[c].style);
            if (c + 1 < cells.size()) text.append(widths[c] - cells[c].text.size() + 2, ' ');
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();  // empty last cells
        line(text);
    }

    // Every row at its columns' widths.
    void table(const std::vector<Row>& rows, std::size_t indent) {
        const std::vector<std::size_t> widths = column_widths(rows);
        for (const Row& r : rows) row(r, widths, indent);
    }

private:
    std::ostream& out_;
    const TerminalStyle& style_;
};

// Plain text rows as a table (no colour).
inline std::vector<Row> plain_rows(const std::vector<std::vector<std::string>>& texts) {
    std::vector<Row> rows;
    rows.reserve(texts.size());
    for (const auto& texts_of_row : texts) {
        Row& row = rows.emplace_back();
        for (const std::string& text : texts_of_row) row.push_back({text});
    }
    return rows;
}

}  // namespace memsoak::reports::terminal
