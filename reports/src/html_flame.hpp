#pragma once
// An inline SVG flame graph of heap growth for the HTML report (internal to the reports library): each frame a box
// as wide as the bytes its stacks added, callers below callees, root at the bottom. Self-contained: no script;
// each box's <title> names the frame, its bytes and share on hover. All text is escaped.

#include <string>
#include <vector>

#include "memsoak/harness/result.hpp"

namespace memsoak::reports::html_flame {

// The SVG of the stacks that grew (bytes > 0); "" when none did.
std::string render(const std::vector<harness::HeapGrowthStack>& stacks);

}  // namespace memsoak::reports::html_flame
