// PNG output for the canvas through libpng's simplified API (png_image): libpng filters and deflates the rows
// (zlib's default level), and its setjmp/longjmp error handling stays inside libpng, so an error comes back as a
// return value and a message instead of a jump across C++ frames. Nothing here runs in the soak's hot path, only
// when a person asks for a picture.
//
// libpng is loaded with dlopen when the first picture is written, not linked: a tool that measures its own
// resident set keeps a library it rarely uses out of it. Linked, libpng and zlib raised every nightly scenario's
// RSS peak by 150 KiB (median of 24 runs), enough to read as a change across nights.

#include <dlfcn.h>
#include <png.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "canvas_file.hpp"
#include "memsoak/engine/canvas.hpp"
#include "memsoak/engine/error.hpp"

namespace memsoak::engine {
namespace {

// Three bytes a pixel when every pixel is opaque (a chart drawn on an opaque background always is), four when
// some pixel is not, so that the file holds exactly the canvas's colours. No palette: the production chart's
// antialiased lines and blended bands have about 2,700 colours, ten times what a palette holds.
struct PngInput {
    png_uint_32 format = PNG_FORMAT_RGB;
    std::vector<std::uint8_t> bytes;
};

PngInput png_input(std::span<const Rgba> pixels) {
    const bool opaque = std::all_of(pixels.begin(), pixels.end(), [](Rgba pixel) { return alpha_of(pixel) == 0xFF; });
    PngInput input;
    input.format = opaque ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA;
    input.bytes.reserve(pixels.size() * (opaque ? 3 : 4));
    for (const Rgba pixel : pixels) {
        input.bytes.push_back(red_of(pixel));
        input.bytes.push_back(green_of(pixel));
        input.bytes.push_back(blue_of(pixel));
        if (!opaque) input.bytes.push_back(alpha_of(pixel));
    }
    return input;
}

// The two functions of libpng this file calls, from the library loaded on first use.
struct LibPng {
    decltype(&png_image_write_to_memory) write_to_memory = nullptr;
    decltype(&png_image_free) free = nullptr;
};

// The shared library of the libpng whose png.h this file is compiled against.
static_assert(PNG_LIBPNG_VER_SONUM == 16, "libpng's soname below is libpng16.so.16");
constexpr const char* kLibPngSoname = "libpng16.so.16";

[[noreturn]] void fail_to_load(const std::string& what) {
    const char* reason = ::dlerror();
    throw Error("cannot encode the canvas as PNG: " + what + ": " + (reason != nullptr ? reason : "unknown error"));
}

const LibPng& libpng() {
    // Loaded once and kept: a failed load throws, and the next call tries again.
    static const LibPng loaded = [] {
        void* handle = ::dlopen(kLibPngSoname, RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) fail_to_load(std::string("cannot load ") + kLibPngSoname);
        LibPng lib;
        lib.write_to_memory =
            reinterpret_cast<decltype(&png_image_write_to_memory)>(::dlsym(handle, "png_image_write_to_memory"));
        lib.free = reinterpret_cast<decltype(&png_image_free)>(::dlsym(handle, "png_image_free"));
        if (lib.write_to_memory == nullptr || lib.free == nullptr) fail_to_load(kLibPngSoname);
        return lib;
    }();
    return loaded;
}

}  // namespace

std::string Canvas::to_png() const {
    const PngInput input = png_input(pixels_);
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    image.width = static_cast<png_uint_32>(width_);
    image.height = static_cast<png_uint_32>(height_);
    image.format = input.format;

    // The first call only measures; the second writes into a buffer of that size.
    const LibPng& lib = libpng();
    png_alloc_size_t size = 0;
    std::string png;
    if (lib.write_to_memory(&image, nullptr, &size, 0, input.bytes.data(), 0, nullptr) != 0) {
        png.resize(size);
        if (lib.write_to_memory(&image, png.data(), &size, 0, input.bytes.data(), 0, nullptr) != 0) {
            png.resize(size);
            return png;
        }
    }
    const std::string reason = image.message;
    lib.free(&image);
    throw Error("cannot encode the canvas as PNG: " + reason);
}

void Canvas::write_png(const std::filesystem::path& file) const { write_whole_file(file, to_png()); }

}  // namespace memsoak::engine
