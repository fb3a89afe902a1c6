#include "memsoak/harness/soak/heap_sample.hpp"

#include "memsoak/harness/analysis/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>
#include <unordered_map>

#include <dlfcn.h>
#include <link.h>

#include <fmt/format.h>
// Only the class declaration: its member functions are virtual, reached through the instance that dlsym finds.
#include <gperftools/malloc_extension.h>

#include "memsoak/harness/error.hpp"
#include "memsoak/harness/soak/heap_profile.hpp"
#include "memsoak/harness/soak/samplers.hpp"
#include "memsoak/harness/soak/subprocess.hpp"
#include "memsoak/harness/soak/symbol_index.hpp"
#include "memsoak/harness/units.hpp"

namespace memsoak::harness {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

MallocExtension* malloc_extension() {
    if (allocator_name() != "tcmalloc") return nullptr;
    using Instance = MallocExtension* (*)();
    static const auto instance = reinterpret_cast<Instance>(::dlsym(RTLD_DEFAULT, "_ZN15MallocExtension8instanceEv"));
    return instance == nullptr ? nullptr : instance();
}

}  // namespace

std::uintptr_t executable_load_bias() {
    std::uintptr_t bias = 0;
    ::dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* out) {
            *static_cast<std::uintptr_t*>(out) = info->dlpi_addr;
            return 1;  // the first object is the executable
        },
        &bias);
    return bias;
}

namespace {

// The executable's frames through addr2line, which reads all of its debug information in a child process (~0.15 s
// of CPU): the way when the executable has no symbol index of its own build.
std::vector<std::vector<SourceFrame>> symbolize_with_addr2line(const std::vector<std::uint64_t>& addresses,
                                                               const std::filesystem::path& executable) {
    std::string input;
    for (const std::uint64_t address : addresses) input += fmt::format("{:#x}\n", address);
    auto frames = parse_addr2line(
        run_program({"addr2line", "-a", "-f", "-C", "-i", "-e", executable.string()}, input, "binutils", "addr2line"));
    if (frames.size() != addresses.size()) {
        throw Error(fmt::format("addr2line answered {} of {} addresses", frames.size(), addresses.size()));
    }
    return frames;
}

// Symbolizes program counters (return addresses): frames of the executable through its symbol index (or addr2line
// without one), with their inlined frames; frames of shared libraries (libstdc++, tcmalloc, libc) by their
// exported symbol, with the library as file.
std::unordered_map<std::uintptr_t, std::vector<SourceFrame>> symbolize(const std::set<std::uintptr_t>& pcs,
                                                                       const std::filesystem::path& executable) {
    std::unordered_map<std::uintptr_t, std::vector<SourceFrame>> out;
    const std::uintptr_t bias = executable_load_bias();
    Dl_info self{};
    ::dladdr(reinterpret_cast<void*>(&executable_load_bias), &self);  // this code is in the executable
    std::vector<std::uintptr_t> in_executable;
    std::vector<std::uint64_t> addresses;  // link-time
    for (const std::uintptr_t pc : pcs) {
        Dl_info info{};
        // pc - 1: a return address can be the first byte of the next line's code, or of the next function.
        const bool found = ::dladdr(reinterpret_cast<void*>(pc - 1), &info) != 0;
        if (found && info.dli_fbase != self.dli_fbase) {
            const std::string library =
                info.dli_fname != nullptr ? std::filesystem::path(info.dli_fname).filename().string() : "";
            out[pc] = {SourceFrame{info.dli_sname != nullptr ? frame_function(demangle(info.dli_sname)) : "??", library,
                                   0, true}};
            continue;
        }
        in_executable.push_back(pc);
        addresses.push_back(pc - 1 - bias);
    }
    if (in_executable.empty()) return out;
    const std::vector<std::vector<SourceFrame>> frames = symbolize_executable(addresses, executable);
    for (std::size_t i = 0; i < frames.size(); ++i) out[in_executable[i]] = frames[i];
    return out;
}

std::string frame_label(const SourceFrame& frame) {
    if (frame.file.empty()) return frame.function;
    const std::string file = std::filesystem::path(frame.file).filename().string();
    return frame.line > 0 ? fmt::format("{} ({}:{})", frame.function, file, frame.line)
                          : fmt::format("{} ({})", frame.function, file);
}

std::string location(const SourceFrame& frame) {
    if (frame.file.empty()) return "";
    return frame.line > 0 ? fmt::format("{}:{}", frame.file, frame.line) : frame.file;
}

}  // namespace

std::vector<std::vector<SourceFrame>> symbolize_executable(const std::vector<std::uint64_t>& addresses,
                                                           const std::filesystem::path& executable,
                                                           SymbolSource source) {
    if (source == SymbolSource::index) {
        std::string why_not;
        if (auto index = SymbolIndex::from_executable(executable, executable_build_id(), why_not)) {
            try {
                std::vector<std::vector<SourceFrame>> out;
                out.reserve(addresses.size());
                for (const std::uint64_t address : addresses) out.push_back(index->frames(address));
                return out;
            } catch (const Error&) {
                // A damaged index: addr2line still knows.
            }
        }
    }
    return symbolize_with_addr2line(addresses, executable);
}

SourceFrame addr2line_frame(std::string_view function, std::string_view file, int line) {
    SourceFrame frame;
    frame.function = function == "??" || function.empty() ? "??" : frame_function(function);
    if (file != "??" && !file.empty()) frame.file = source_relative(file);
    frame.line = line;
    return frame;
}

std::string heap_site_place(const HeapSite& site) {
    if (site.file.empty()) return site.function;
    return site.line > 0 ? fmt::format("{} ({}:{})", site.function, site.file, site.line)
                         : fmt::format("{} ({})", site.function, site.file);
}

std::string growth_site_summary(const HeapProfileFindings& findings) {
    if (findings.mode != "sampled") return "";
    if (!findings.error.empty()) return findings.error;
    if (findings.sites.empty()) return "no allocation site grew beyond the sampling noise in the sampled heap";
    const HeapSite& top = findings.sites.front();
    return fmt::format("grows at {}, {} ({} sampled), signature {}", heap_site_place(top),
                       format_size_rate(top.rate_bytes_per_hour), format_bytes(top.bytes), top.signature);
}

// UBSan's vptr check on the virtual call would need MallocExtension's typeinfo, which only tcmalloc defines: a
// sanitizer build (which has no tcmalloc) could not link. The instance comes from tcmalloc itself.
#define MEMSOAK_NO_VPTR_CHECK __attribute__((no_sanitize("vptr")))

MEMSOAK_NO_VPTR_CHECK std::size_t heap_sample_period() {
    MallocExtension* extension = malloc_extension();
    if (extension == nullptr) return 0;
    int period = 0;
    void** traces = extension->ReadStackTraces(&period);
    delete[] traces;
    return period > 0 ? static_cast<std::size_t>(period) : 0;
}

double unsampled_bytes(double count, double bytes, double period) {
    if (count <= 0 || period <= 0) return bytes;
    // Each object of size s was sampled with probability 1 - exp(-s / period).
    const double mean_size = bytes / count;
    const double probability = 1 - std::exp(-mean_size / period);
    return probability > 0 ? bytes / probability : bytes;
}

MEMSOAK_NO_VPTR_CHECK HeapSnapshot read_heap_sample() {
    MallocExtension* extension = malloc_extension();
    if (extension == nullptr) {
        throw Error(
            fmt::format("a sampled heap needs tcmalloc (the memsoak-tcmalloc build); this memsoak's "
                        "allocator is {}",
                        allocator_name()));
    }
    int period = 0;
    void** traces = extension->ReadStackTraces(&period);
    HeapSnapshot snapshot;
    if (traces == nullptr) return snapshot;
    // Entries: count, size, depth, depth program counters; a count of 0 ends the list.
    for (void** entry = traces; reinterpret_cast<std::uintptr_t>(entry[0]) != 0;) {
        const auto count = static_cast<double>(reinterpret_cast<std::uintptr_t>(entry[0]));
        const auto size = static_cast<double>(reinterpret_cast<std::uintptr_t>(entry[1]));
        const auto depth = reinterpret_cast<std::uintptr_t>(entry[2]);
        std::vector<std::uintptr_t> stack(depth);
        for (std::uintptr_t i = 0; i < depth; ++i) stack[i] = reinterpret_cast<std::uintptr_t>(entry[3 + i]);
        const double bytes = unsampled_bytes(count, size, period);
        snapshot.bytes_by_stack[std::move(stack)] += bytes;
        snapshot.total_bytes += bytes;
        entry += 3 + depth;
    }
    delete[] traces;
    return snapshot;
}

std::vector<std::vector<SourceFrame>> parse_addr2line(std::string_view text) {
    std::vector<std::vector<SourceFrame>> out;
    std::size_t line_number = 0;
    std::optional<std::string> function;  // read, waiting for its file:line
    while (!text.empty()) {
        const std::size_t end = std::min(text.find('\n'), text.size());
        std::string_view line = text.substr(0, end);
        text.remove_prefix(std::min(end + 1, text.size()));
        ++line_number;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const auto fail = [&](std::string_view expected) {
            throw Error(fmt::format("addr2line output, line {}: expected {}, got \"{}\"", line_number, expected,
                                    line.substr(0, 120)));
        };
        if (!function && line.starts_with("0x") &&
            line.find_first_not_of("0123456789abcdef", 2) == std::string_view::npos) {
            out.emplace_back();
            continue;
        }
        if (out.empty()) fail("an address (0x...)");
        if (!function) {
            function = std::string(line);
            continue;
        }
        // "FILE:LINE", "FILE:LINE (discriminator N)", "??:0" or "??:?".
        std::string_view place = line.substr(0, line.find(" (discriminator"));
        const std::size_t colon = place.rfind(':');
        if (colon == std::string_view::npos) fail("FILE:LINE");
        out.back().push_back(addr2line_frame(*function, place.substr(0, colon),
                                             std::atoi(std::string(place.substr(colon + 1)).c_str())));
        function.reset();
    }
    if (function) throw Error(fmt::format("addr2line output, line {}: a function without its FILE:LINE", line_number));
    return out;
}

std::string source_relative(std::string_view path) {
    std::size_t best = std::string_view::npos;
    for (const std::string_view folder : {"/engine/", "/harness/", "/reports/", "/tools/", "/tests/", "/bench/"}) {
        const std::size_t at = path.rfind(folder);
        if (at != std::string_view::npos && (best == std::string_view::npos || at > best)) best = at;
    }
    return std::string(best == std::string_view::npos ? path : path.substr(best + 1));
}

bool is_sampler_machinery(const std::vector<SourceFrame>& frames) {
    return std::any_of(frames.begin(), frames.end(), [](const SourceFrame& f) {
        return f.function.starts_with("memsoak::harness::HeapSampler") ||
               f.function.starts_with("memsoak::harness::read_heap_sample") ||
               f.file.ends_with("harness/src/soak/heap_sample.cpp");
    });
}

std::string leak_signature(const HeapSite& site) {
    std::uint64_t hash = 14695981039346656037ULL;  // FNV-1a, 64 bits
    const auto add = [&hash](std::string_view text) {
        for (const char c : text) {
            hash ^= static_cast<unsigned char>(c);
            hash *= 1099511628211ULL;
        }
        hash ^= 0xff;  // a separator no name contains
        hash *= 1099511628211ULL;
    };
    const auto file_of = [](const std::string& location) { return location.substr(0, location.rfind(':')); };
    add(site.function);
    add(site.file);
    for (std::size_t i = 0; i < site.callers.size() && i < kSignatureCallers; ++i) {
        add(site.callers[i]);
        add(i < site.caller_locations.size() ? file_of(site.caller_locations[i]) : "");
    }
    return fmt::format("{:016x}", hash);
}

std::vector<HeapSite> sites_of(const std::vector<GrowthStack>& stacks, std::size_t top, double window_hours) {
    struct Total {
        HeapSite site;
        double largest_stack = -std::numeric_limits<double>::infinity();
    };
    std::map<std::string, Total> totals;  // by "function\nfile:line"
    for (const GrowthStack& stack : stacks) {
        std::vector<const SourceFrame*> application;  // innermost first, one per function
        for (const SourceFrame& frame : stack.frames) {
            if (frame.in_library || !names_a_site(frame.function) || frame.function == "??") continue;
            if (application.empty() || application.back()->function != frame.function) application.push_back(&frame);
            if (application.size() > kHeapSiteCallers) break;
        }
        const SourceFrame fallback{stack.frames.empty() ? "??" : stack.frames.front().function, "", 0};
        const SourceFrame& site = application.empty() ? fallback : *application.front();
        Total& total = totals[site.function + "\n" + location(site)];
        total.site.function = site.function;
        total.site.file = site.file;
        total.site.line = site.line;
        total.site.bytes += stack.bytes;
        if (stack.bytes > total.largest_stack) {
            total.largest_stack = stack.bytes;
            total.site.callers.clear();
            total.site.caller_locations.clear();
            for (std::size_t i = 1; i < application.size(); ++i) {
                total.site.callers.push_back(application[i]->function);
                total.site.caller_locations.push_back(location(*application[i]));
            }
        }
    }
    std::vector<HeapSite> out;
    for (auto& [key, total] : totals) {
        if (total.site.bytes <= 0) continue;
        total.site.rate_bytes_per_hour = window_hours > 0 ? total.site.bytes / window_hours : kNaN;
        total.site.signature = leak_signature(total.site);
        out.push_back(std::move(total.site));
    }
    std::sort(out.begin(), out.end(), [](const HeapSite& a, const HeapSite& b) {
        return a.bytes != b.bytes ? a.bytes > b.bytes : a.function < b.function;
    });
    if (out.size() > top) out.resize(top);
    return out;
}

std::string collapsed_stacks(const std::vector<GrowthStack>& stacks) {
    std::map<std::string, double> lines;  // the same labels can come from different addresses
    for (const GrowthStack& stack : stacks) {
        std::string line;
        for (auto frame = stack.frames.rbegin(); frame != stack.frames.rend(); ++frame) {
            std::string label = frame_label(*frame);
            std::replace(label.begin(), label.end(), ';', ',');  // ';' separates frames
            if (!line.empty()) line += ';';
            line += label;
        }
        lines[line.empty() ? "??" : line] += stack.bytes;
    }
    std::string out;
    for (const auto& [line, bytes] : lines) {
        if (std::llround(bytes) > 0) out += fmt::format("{} {}\n", line, std::llround(bytes));
    }
    return out;
}

HeapSampler::HeapSampler() : period_(heap_sample_period()) {
    if (period_ == 0) {
        throw Error(allocator_name() == "tcmalloc"
                        ? fmt::format("tcmalloc does not sample this process: {} was not set when it started",
                                      kSampleParameterVariable)
                        : fmt::format("a sampled heap needs tcmalloc (the memsoak-tcmalloc build); this memsoak's "
                                      "allocator is {}",
                                      allocator_name()));
    }
}

void HeapSampler::checkpoint(VirtualTime now) {
    HeapSnapshot snapshot = read_heap_sample();
    ++reads_;
    double total = 0;
    for (const auto& [stack, bytes] : snapshot.bytes_by_stack) total += bytes;
    read_hours_.push_back(std::chrono::duration<double, std::ratio<3600>>(now.time_since_epoch()).count());
    read_totals_.push_back(total);
    if (!first_) {
        first_ = std::move(snapshot);
        first_at_ = now;
    } else {
        last_ = std::move(snapshot);
        last_at_ = now;
    }
}

HeapProfileFindings HeapSampler::findings(const std::filesystem::path& executable, std::string& collapsed) const {
    collapsed.clear();
    HeapProfileFindings out;
    out.mode = "sampled";
    out.sample_period_bytes = static_cast<double>(period_);
    out.reads = reads_;
    out.total_growth_bytes = kNaN;
    if (!first_ || !last_) {
        out.error = fmt::format(
            "{} sampled heap{} read; a comparison needs two (is the run shorter than its warm-up "
            "plus two purged checkpoints?)",
            reads_, reads_ == 1 ? "" : "s");
        return out;
    }
    out.window = last_at_ - first_at_;
    // Growth per stack: the last read minus the first.
    std::map<std::vector<std::uintptr_t>, double> growth = last_->bytes_by_stack;
    for (const auto& [stack, bytes] : first_->bytes_by_stack) growth[stack] -= bytes;
    // Symbolizing without the symbol index costs addr2line a read of the executable's debug information (~0.1 s of
    // CPU and ~80 MiB in its own process): not worth it when the heap did not grow beyond what sampling can tell
    // from noise.
    // The gate is the trend over every read, not the last read minus the first: on the fixed production day those
    // two differed by 2.2 MiB (over 4 periods) while the heap grew 4 KiB.
    const double trend_growth = theil_sen_slope(read_hours_, read_totals_) *
                                std::chrono::duration<double, std::ratio<3600>>(out.window).count();
    if (!(trend_growth >= kSymbolizedGrowthPeriods * static_cast<double>(period_))) {
        out.total_growth_bytes = trend_growth;
        return out;
    }
    std::set<std::uintptr_t> pcs;
    for (const auto& [stack, bytes] : growth) {
        if (bytes != 0) pcs.insert(stack.begin(), stack.end());
    }
    try {
        const auto symbols = symbolize(pcs, executable);
        std::vector<GrowthStack> stacks;
        for (const auto& [stack, bytes] : growth) {
            if (bytes == 0) continue;
            GrowthStack symbolized{{}, bytes};
            for (const std::uintptr_t pc : stack) {
                const auto& frames = symbols.at(pc);
                symbolized.frames.insert(symbolized.frames.end(), frames.begin(), frames.end());
            }
            if (is_sampler_machinery(symbolized.frames)) continue;
            stacks.push_back(std::move(symbolized));
        }
        out.total_growth_bytes = 0;
        for (const GrowthStack& s : stacks) out.total_growth_bytes += s.bytes;
        const double hours = std::chrono::duration<double, std::ratio<3600>>(out.window).count();
        out.sites = sites_of(stacks, kTopHeapSites, hours);
        std::vector<const GrowthStack*> growing;
        for (const GrowthStack& s : stacks) {
            if (s.bytes > 0) growing.push_back(&s);
        }
        std::sort(growing.begin(), growing.end(),
                  [](const GrowthStack* a, const GrowthStack* b) { return a->bytes > b->bytes; });
        for (const GrowthStack* s : growing) {
            if (out.stacks.size() == kReportedGrowthStacks) break;
            HeapGrowthStack& kept = out.stacks.emplace_back();
            kept.bytes = s->bytes;
            for (auto frame = s->frames.rbegin(); frame != s->frames.rend(); ++frame) {
                kept.frames.push_back(frame_label(*frame));
            }
        }
        collapsed = collapsed_stacks(stacks);
    } catch (const Error& e) {
        out.error = fmt::format("the sampled heap could not be symbolized: {}", e.what());
    }
    return out;
}

}  // namespace memsoak::harness
