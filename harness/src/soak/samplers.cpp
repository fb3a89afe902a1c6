#include "memsoak/harness/soak/samplers.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>

#include "memsoak/harness/error.hpp"

// An os metric's name as one element of a list (MEMSOAK_OS_METRICS, result.hpp).
#define MEMSOAK_METRIC_NAME(id, name) std::string(name),

namespace memsoak::harness {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A /proc file opened once and re-read from offset 0 at every sample: procfs regenerates the text on each read
// at offset 0, and pread saves the open and close that make up most of a fresh read's cost.
class ProcFile {
public:
    explicit ProcFile(const char* path) : fd_(::open(path, O_RDONLY | O_CLOEXEC)), open_errno_(fd_ < 0 ? errno : 0) {}
    ~ProcFile() {
        if (fd_ >= 0) ::close(fd_);
    }
    ProcFile(const ProcFile&) = delete;
    ProcFile& operator=(const ProcFile&) = delete;

    bool is_open() const { return fd_ >= 0; }
    int open_errno() const { return open_errno_; }

    // The file's text, truncated to the buffer; empty when the read failed.
    template <std::size_t N>
    std::string_view read(std::array<char, N>& buffer) const {
        const ssize_t length = ::pread(fd_, buffer.data(), buffer.size(), 0);
        return length > 0 ? std::string_view(buffer.data(), static_cast<std::size_t>(length)) : std::string_view();
    }

private:
    int fd_;
    int open_errno_;
};

// Parses the next unsigned decimal from `text`, skipping leading spaces and tabs; advances `text` past it.
std::optional<std::uint64_t> next_number(std::string_view& text) {
    const std::size_t start = text.find_first_not_of(" \t");
    if (start == std::string_view::npos) return std::nullopt;
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data() + start, text.data() + text.size(), value);
    if (error != std::errc()) return std::nullopt;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    return value;
}

double max_rss_kib_from_rusage() {
    rusage usage{};
    if (::getrusage(RUSAGE_SELF, &usage) != 0) return kNaN;
    return static_cast<double>(usage.ru_maxrss);
}

// VmHWM in KiB from the text of /proc/self/status ("VmHWM:\t   1492 kB").
double max_rss_kib_from_status(std::string_view status) {
    const std::size_t field = status.find("\nVmHWM:");
    if (field == std::string_view::npos) return kNaN;
    status.remove_prefix(field + std::strlen("\nVmHWM:"));
    const std::optional<std::uint64_t> kib = next_number(status);
    return kib ? static_cast<double>(*kib) : kNaN;
}

class OsSampler final : public Sampler {
public:
    OsSampler()
        : statm_("/proc/self/statm"),
          page_bytes_(static_cast<double>(::sysconf(_SC_PAGESIZE))),
          metrics_{MEMSOAK_OS_METRICS(MEMSOAK_METRIC_NAME)} {
        if (!statm_.is_open()) {
            throw Error(
                fmt::format("cannot open /proc/self/statm: {} (the os layer needs Linux procfs; leave the "
                            "os layer out to run without it)",
                            std::strerror(statm_.open_errno())));
        }
        // ru_maxrss is read first: if it still exceeds VmHWM read after it, the excess is inherited (see header).
        const double rusage_kib = max_rss_kib_from_rusage();
        status_.emplace("/proc/self/status");
        const bool inherited_peak = rusage_kib > read_status_peak_kib();
        if (!inherited_peak) status_.reset();
    }

    Layer layer() const override { return Layer::os; }
    const std::vector<std::string>& metrics() const override { return metrics_; }

    void sample(std::span<double> out) override {
        std::array<char, 128> buffer;  // statm is seven numbers of at most 20 digits on one line
        std::string_view text = statm_.read(buffer);
        const std::optional<std::uint64_t> size_pages = next_number(text);
        const std::optional<std::uint64_t> resident_pages = next_number(text);
        const std::optional<std::uint64_t> shared_pages = next_number(text);
        if (size_pages && resident_pages && shared_pages) {
            out[0] = static_cast<double>(*resident_pages) * page_bytes_;
            out[1] = static_cast<double>(*resident_pages - *shared_pages) * page_bytes_;
            out[2] = static_cast<double>(*shared_pages) * page_bytes_;
        } else {
            out[0] = out[1] = out[2] = kNaN;
        }
        // The kernel's high-water mark is kept from its approximate per-CPU RSS counters, while statm sums them
        // exactly (Linux 6.18): alone it read below os.rss_bytes at every sample of a production day. A peak below
        // a resident set already seen is wrong, so the peak is also the highest RSS this sampler has read.
        if (!std::isnan(out[0])) highest_rss_ = std::max(highest_rss_, out[0]);
        const double kernel_peak = (status_ ? read_status_peak_kib() : max_rss_kib_from_rusage()) * 1024;
        if (std::isnan(kernel_peak)) {
            out[3] = highest_rss_ > 0 ? highest_rss_ : kNaN;
        } else {
            out[3] = std::max(kernel_peak, highest_rss_);
        }
    }

private:
    double read_status_peak_kib() const {
        std::array<char, 4096> buffer;  // /proc/self/status is about 1.4 KiB; VmHWM is in its first half
        return status_->is_open() ? max_rss_kib_from_status(status_->read(buffer)) : kNaN;
    }

    ProcFile statm_;
    std::optional<ProcFile> status_;  // only when ru_maxrss carries an inherited peak
    double page_bytes_;
    double highest_rss_ = 0;  // the highest os.rss_bytes read so far
    std::vector<std::string> metrics_;
};

class EngineSampler final : public Sampler {
public:
    explicit EngineSampler(const Target& target) : target_(target) {
        for (const engine::ComponentFootprint& component : target_.footprint()) {
            components_.push_back(component.component);
            metrics_.push_back(fmt::format("engine.{}.bytes", component.component));
            metrics_.push_back(fmt::format("engine.{}.items", component.component));
        }
    }

    Layer layer() const override { return Layer::engine; }
    const std::vector<std::string>& metrics() const override { return metrics_; }

    void sample(std::span<double> out) override {
        std::fill(out.begin(), out.end(), kNaN);
        const engine::Footprint footprint = target_.footprint();
        for (std::size_t i = 0; i < footprint.size(); ++i) {
            const std::optional<std::size_t> slot = slot_of(footprint[i].component, i);
            if (!slot) continue;
            out[2 * *slot] = static_cast<double>(footprint[i].bytes);
            out[2 * *slot + 1] = static_cast<double>(footprint[i].items);
        }
    }

private:
    // Components normally come in the same order every time: try the same position before searching.
    std::optional<std::size_t> slot_of(const std::string& component, std::size_t position) const {
        if (position < components_.size() && components_[position] == component) return position;
        const auto found = std::find(components_.begin(), components_.end(), component);
        if (found == components_.end()) return std::nullopt;
        return static_cast<std::size_t>(found - components_.begin());
    }

    const Target& target_;
    std::vector<std::string> components_;
    std::vector<std::string> metrics_;
};

}  // namespace

std::unique_ptr<Sampler> make_os_sampler() { return std::make_unique<OsSampler>(); }

std::unique_ptr<Sampler> make_engine_sampler(const Target& target) { return std::make_unique<EngineSampler>(target); }

}  // namespace memsoak::harness
