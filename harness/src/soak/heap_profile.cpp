#include "memsoak/harness/soak/heap_profile.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "memsoak/harness/error.hpp"
#include "memsoak/harness/soak/samplers.hpp"
#include "memsoak/harness/soak/subprocess.hpp"

namespace memsoak::harness {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// tcmalloc's notices, in the profile folder.
constexpr const char* kTcmallocLog = "tcmalloc.log";

// gperftools/heap-profiler.h, looked up at run time so that the harness links no allocator.
struct HeapProfilerApi {
    void (*start)(const char* prefix) = nullptr;
    void (*dump)(const char* reason) = nullptr;
    void (*stop)() = nullptr;
    int (*running)() = nullptr;
};

std::optional<HeapProfilerApi> find_heap_profiler() {
    HeapProfilerApi api;
    api.start = reinterpret_cast<void (*)(const char*)>(::dlsym(RTLD_DEFAULT, "HeapProfilerStart"));
    api.dump = reinterpret_cast<void (*)(const char*)>(::dlsym(RTLD_DEFAULT, "HeapProfilerDump"));
    api.stop = reinterpret_cast<void (*)()>(::dlsym(RTLD_DEFAULT, "HeapProfilerStop"));
    api.running = reinterpret_cast<int (*)()>(::dlsym(RTLD_DEFAULT, "IsHeapProfilerRunning"));
    if (api.start == nullptr || api.dump == nullptr || api.stop == nullptr || api.running == nullptr) {
        return std::nullopt;
    }
    return api;
}

const HeapProfilerApi& heap_profiler_api() {
    static const std::optional<HeapProfilerApi> api = find_heap_profiler();
    if (!api) {
        throw Error(
            fmt::format("heap profiles need tcmalloc's heap profiler (the memsoak-tcmalloc build); this "
                        "memsoak's allocator is {}",
                        allocator_name()));
    }
    return *api;
}

// tcmalloc reports every start, dump and stop on stderr; a run's stderr carries only memsoak's own messages, so
// they go to a log in the profile folder. Only the calling thread's writes are meant, but fd 2 is process-wide:
// memsoak drives the engine from one thread.
class StderrToLog {
public:
    explicit StderrToLog(const std::filesystem::path& log) : saved_(::dup(STDERR_FILENO)) {
        const int file = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        const int target = file >= 0 ? file : ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (saved_ >= 0 && target >= 0) ::dup2(target, STDERR_FILENO);
        if (target >= 0) ::close(target);
    }
    ~StderrToLog() {
        if (saved_ < 0) return;
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
    }
    StderrToLog(const StderrToLog&) = delete;
    StderrToLog& operator=(const StderrToLog&) = delete;

private:
    int saved_;
};

bool starts_with_at(std::string_view text, std::size_t at, std::string_view prefix) {
    return text.substr(at, prefix.size()) == prefix;
}

// Strips pprof's decorations: "[inline]" after an inlined frame, "<0000000000001180>" (a 16-digit address) after a
// symbol's name.
std::string_view strip_pprof_suffixes(std::string_view frame) {
    constexpr std::string_view kInline = "[inline]";
    if (frame.ends_with(kInline)) frame.remove_suffix(kInline.size());
    constexpr std::size_t kAddressDigits = 16;
    if (frame.size() > kAddressDigits + 2 && frame.back() == '>' && frame[frame.size() - kAddressDigits - 2] == '<') {
        const std::string_view digits = frame.substr(frame.size() - kAddressDigits - 1, kAddressDigits);
        if (digits.find_first_not_of("0123456789abcdef") == std::string_view::npos) {
            frame.remove_suffix(kAddressDigits + 2);
        }
    }
    return frame;
}

constexpr std::string_view kOperator = "operator";

// The symbol of an operator that follows the word "operator" at `at`: "()", "<<=", "[]", " new[]", " bool"...
std::size_t operator_symbol_length(std::string_view text, std::size_t at) {
    if (starts_with_at(text, at, "()")) return 2;
    std::size_t end = at;
    if (end < text.size() && text[end] == ' ') {  // operator new, operator delete[], conversions
        ++end;
        while (end < text.size() &&
               (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_' || text[end] == ':')) {
            ++end;
        }
        if (starts_with_at(text, end, "[]")) end += 2;
        return end - at;
    }
    while (end < text.size() && std::string_view("<>=!+-*/%^&|~[],").find(text[end]) != std::string_view::npos) ++end;
    return end - at;
}

// A profile file of ours: PREFIX.NNNN.heap with four or more digits.
bool is_profile_of(const std::string& file, const std::string& prefix) {
    constexpr std::string_view kExtension = ".heap";
    if (!file.starts_with(prefix + ".") || !file.ends_with(kExtension)) return false;
    const std::string_view digits =
        std::string_view(file).substr(prefix.size() + 1, file.size() - prefix.size() - 1 - kExtension.size());
    return digits.size() >= 4 && digits.find_first_not_of("0123456789") == std::string_view::npos;
}

struct SiteTotal {
    double bytes = 0;
    double largest_stack = -std::numeric_limits<double>::infinity();
    std::vector<std::string> callers;  // from the stack that contributed the most
};

}  // namespace

bool names_a_site(std::string_view function) {
    // An inlined lambda's frame is named "operator()" alone (DWARF keeps no scope for it): it says nothing about
    // where the allocation happened, so the named frame that called it is charged instead.
    const bool bare_operator = function.starts_with(kOperator) && function.find("::") == std::string_view::npos;
    return !function.empty() && !bare_operator && !is_library_function(function);
}

bool heap_profiler_available() { return allocator_name() == "tcmalloc" && find_heap_profiler().has_value(); }

HeapProfiler::HeapProfiler(const HeapProfileRequest& request) : request_(request) {
    const HeapProfilerApi& api = heap_profiler_api();
    if (api.running() != 0) {
        throw Error(
            "the heap profiler is already running (is HEAPPROFILE set in the environment?); unset it to "
            "take profiles at an interval of virtual time");
    }
    std::error_code ec;
    std::filesystem::create_directories(request_.directory, ec);
    if (ec) throw Error(fmt::format("{}: cannot create folder: {}", request_.directory.string(), ec.message()));
    std::filesystem::remove(request_.directory / kTcmallocLog, ec);
    // A stale profile from an earlier run would be taken for this run's.
    for (const auto& entry : std::filesystem::directory_iterator(request_.directory, ec)) {
        if (is_profile_of(entry.path().filename().string(), request_.prefix)) {
            std::filesystem::remove(entry.path(), ec);
        }
    }
    const std::string prefix = (request_.directory / request_.prefix).string();
    const StderrToLog quiet(request_.directory / kTcmallocLog);
    api.start(prefix.c_str());
    running_ = true;
}

HeapProfiler::~HeapProfiler() { stop(); }

std::filesystem::path HeapProfiler::file_for(std::size_t index) const {
    return request_.directory / fmt::format("{}.{:04d}.heap", request_.prefix, index);
}

void HeapProfiler::dump(const char* reason) {
    if (!running_) return;
    {
        const StderrToLog quiet(request_.directory / kTcmallocLog);
        heap_profiler_api().dump(reason);
    }
    // The newest file is this dump: tcmalloc's own dumps happen inside allocations, so before this one returned.
    std::size_t index = last_index_;
    while (std::filesystem::exists(file_for(index + 1))) ++index;
    if (index == last_index_) return;  // nothing written (e.g. the disk is full): the comparison reports too few
    last_index_ = index;
    profiles_.push_back(file_for(index).filename().string());
}

void HeapProfiler::stop() {
    if (!running_) return;
    const StderrToLog quiet(request_.directory / kTcmallocLog);
    heap_profiler_api().stop();
    running_ = false;
}

std::filesystem::path current_executable() {
    std::error_code ec;
    std::filesystem::path path = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) throw Error(fmt::format("/proc/self/exe: cannot resolve the running executable: {}", ec.message()));
    return path;
}

std::string frame_function(std::string_view frame) {
    frame = strip_pprof_suffixes(frame);
    constexpr std::string_view kAnonymous = "(anonymous namespace)";
    std::string name;                         // the frame outside template arguments, up to the parameter list
    std::vector<std::size_t> word_starts{0};  // in `name`, after each space: where the function's name may start
    int angle = 0;
    for (std::size_t i = 0; i < frame.size(); ++i) {
        const char c = frame[i];
        if (angle == 0 && starts_with_at(frame, i, kAnonymous)) {
            name += kAnonymous;
            i += kAnonymous.size() - 1;
        } else if (angle == 0 && starts_with_at(frame, i, kOperator) &&
                   (i == 0 || frame[i - 1] == ':' || frame[i - 1] == ' ')) {
            const std::size_t length = kOperator.size() + operator_symbol_length(frame, i + kOperator.size());
            name += frame.substr(i, length);
            i += length - 1;
        } else if (angle == 0 && starts_with_at(frame, i, "[abi:")) {
            i = std::min(frame.find(']', i), frame.size());  // an ABI tag: "vformat[abi:cxx11]" is vformat
        } else if (c == '<') {
            ++angle;
        } else if (c == '>' && angle > 0) {
            --angle;
        } else if (angle > 0) {
            continue;
        } else if (c == '(') {
            break;  // the parameter list: the name is complete
        } else {
            name += c;
            if (c == ' ') word_starts.push_back(name.size());
        }
    }
    // The last word is the name; words before it are the return type ("void", "std::vector&").
    while (word_starts.size() > 1 && word_starts.back() >= name.size()) word_starts.pop_back();
    std::string result = name.substr(word_starts.back());
    while (!result.empty() && result.back() == ' ') result.pop_back();
    return result;
}

bool is_library_function(std::string_view function) {
    // Names reserved for the implementation ("__gnu_cxx::", "__libc_start_main_impl", and "_M_invoke", as an inlined
    // libstdc++ member is named without its class) start with two underscores or an underscore and a capital.
    if (function.size() >= 2 && function[0] == '_' &&
        (function[1] == '_' || (function[1] >= 'A' && function[1] <= 'Z'))) {
        return true;
    }
    static constexpr std::string_view kLibraryPrefixes[] = {"std::", "fmt::",        "tcmalloc::",
                                                            "tc_",   "operator new", "operator delete"};
    static constexpr std::string_view kLibraryFunctions[] = {"malloc",   "calloc",         "realloc",
                                                             "free",     "posix_memalign", "aligned_alloc",
                                                             "memalign", "valloc",         "_start"};
    return std::any_of(std::begin(kLibraryPrefixes), std::end(kLibraryPrefixes),
                       [function](std::string_view prefix) { return function.starts_with(prefix); }) ||
           std::find(std::begin(kLibraryFunctions), std::end(kLibraryFunctions), function) !=
               std::end(kLibraryFunctions);
}

std::vector<HeapSite> parse_pprof_collapsed(std::string_view text, std::size_t top, double& total_bytes) {
    std::map<std::string, SiteTotal> sites;
    total_bytes = 0;
    std::size_t line_number = 0;
    while (!text.empty()) {
        const std::size_t end = std::min(text.find('\n'), text.size());
        const std::string_view line = text.substr(0, end);
        text.remove_prefix(std::min(end + 1, text.size()));
        ++line_number;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;

        const std::size_t space = line.rfind(' ');
        long long bytes = 0;
        const std::string_view count = space == std::string_view::npos ? line : line.substr(space + 1);
        const auto [count_end, error] = std::from_chars(count.data(), count.data() + count.size(), bytes);
        if (space == std::string_view::npos || error != std::errc() || count_end != count.data() + count.size()) {
            throw Error(
                fmt::format("google-pprof --collapsed output, line {}: expected \"frame;frame;... BYTES\", "
                            "got \"{}\"",
                            line_number, line.substr(0, 120)));
        }
        total_bytes += static_cast<double>(bytes);

        // Frames from the leaf (last) towards the root: the first non-library one is the site.
        std::vector<std::string> application;  // innermost first
        std::string leaf;
        std::string_view stack = line.substr(0, space);
        while (!stack.empty() && application.size() < kHeapSiteCallers + 1) {
            const std::size_t separator = stack.rfind(';');
            const std::string_view frame = separator == std::string_view::npos ? stack : stack.substr(separator + 1);
            stack = separator == std::string_view::npos ? std::string_view() : stack.substr(0, separator);
            std::string function = frame_function(frame);
            if (leaf.empty()) leaf = function;
            if (!names_a_site(function)) continue;
            if (application.empty() || application.back() != function) application.push_back(std::move(function));
        }
        const std::string site = application.empty() ? leaf : application.front();
        SiteTotal& total = sites[site];
        total.bytes += static_cast<double>(bytes);
        if (static_cast<double>(bytes) > total.largest_stack) {
            total.largest_stack = static_cast<double>(bytes);
            total.callers.assign(application.size() > 1 ? application.begin() + 1 : application.end(),
                                 application.end());
        }
    }

    std::vector<HeapSite> out;
    for (auto& [function, total] : sites) {
        if (total.bytes <= 0) continue;
        HeapSite& site = out.emplace_back();
        site.function = function;
        site.callers = std::move(total.callers);
        site.bytes = total.bytes;
    }
    std::sort(out.begin(), out.end(), [](const HeapSite& a, const HeapSite& b) {
        return a.bytes != b.bytes ? a.bytes > b.bytes : a.function < b.function;
    });
    if (out.size() > top) out.resize(top);
    return out;
}

std::string run_pprof_collapsed(const std::filesystem::path& binary, const std::filesystem::path& first,
                                const std::filesystem::path& last) {
    // Given a name that is not a file, pprof takes it for a profiling server's address and tries to fetch from it.
    for (const std::filesystem::path& profile : {first, last}) {
        if (!std::filesystem::is_regular_file(profile)) {
            throw Error(fmt::format("{}: no such heap profile", profile.string()));
        }
    }
    const std::string base = "--base=" + first.string();
    return run_program({"google-pprof", "--collapsed", base, binary.string(), last.string()}, "", "google-perftools",
                       fmt::format("google-pprof --collapsed --base={} {} {}", first.string(), binary.string(),
                                   last.string()));
}

HeapProfileFindings compare_heap_profiles(const HeapProfileRequest& request, const std::vector<std::string>& profiles,
                                          const std::filesystem::path& binary) {
    HeapProfileFindings findings;
    findings.interval = request.interval;
    findings.directory = request.directory.string();
    findings.profiles = profiles;
    findings.total_growth_bytes = kNaN;
    if (profiles.size() < 2) {
        findings.error = fmt::format(
            "{} heap profile{} taken; a comparison needs two (is the run shorter than its "
            "warm-up plus one interval?)",
            profiles.size(), profiles.size() == 1 ? "" : "s");
        return findings;
    }
    try {
        const std::string text =
            run_pprof_collapsed(binary, request.directory / profiles.front(), request.directory / profiles.back());
        findings.sites = parse_pprof_collapsed(text, kTopHeapSites, findings.total_growth_bytes);
    } catch (const Error& e) {
        findings.error = e.what();
    }
    return findings;
}

}  // namespace memsoak::harness
