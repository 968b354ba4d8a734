#pragma once
// The image decoding that the folder scan, the streaming loader and the gallery share (internal
// to runboard_images). Qt's QImageReader does the work in the .cpp; this header is plain C++.
//
// Measured on this machine (2 cores of an AMD EPYC, one thread): QImageReader decodes a 28x28
// PNG in about 60 us and scales a 256-px JPEG to 64 px while decoding (setScaledSize) at about
// 4,600 images/s, which is why the scan decodes straight to the training size.
//
// Gray is a matter of pixels, not of how the file stores them: a gray+alpha PNG, an 8-bit BMP
// with a gray palette and a palette PNG that uses only gray entries are gray, so that
// data.channels=auto does not triple the work for them. Alpha is dropped (as torchvision's
// convert("RGB") does), before any scaling: a transparent pixel keeps its own colour.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "engine/data/sample_images.h"

namespace runboard::engine {

// Runs fn(i) for every i in [0, n) on `threads` threads (0: every core; fn must not throw). With
// a progress callback the calling thread only reports, about every 100 ms and at the end;
// without, it works as one of the threads. Returns early when `stop` becomes true.
void parallelFor(std::size_t n, int threads, const std::function<void(std::size_t)>& fn,
                 const std::function<void(std::size_t, std::size_t)>& progress,
                 const std::atomic<bool>* stop);

struct ImageHeader {
    int width = 0, height = 0;
    // Its pixels are gray. Read from the header for gray and RGB formats (a PNG's colour type, a
    // JPEG's components: no decoding, so an RGB file of gray pixels counts as colour); decoded
    // and looked at for palette images (BMP, PNG colour type 3), whose header says nothing.
    bool gray = false;
    std::string error;  // non-empty: the file is quarantined, and why
};

// A file's bytes, read by its path's own bytes (names that are not UTF-8 work), regular files
// only; `error` says why not (zero bytes, no permission, a truncated JPEG).
std::string readImageBytes(const std::string& path, std::string& error);
// The size, whether it is gray, or why it cannot be used: a file that Qt would refuse to decode
// for its size (above QImageReader::allocationLimit) is refused here, in those words, without
// decoding it (except a JPEG, which decodes scaled down and so fits).
ImageHeader readImageHeader(const std::string& path);
// Decodes one file into `out` (channels x size x size, channel-major): its centred square,
// scaled to `size`, as gray or RGB. An error message when it cannot; never throws.
std::string decodeImageInto(const std::string& path, int size, int channels, std::uint8_t* out);
// The whole image as the gallery shows it: at most maxSide px on its longer side, gray when its
// pixels are. Empty when it cannot be decoded.
SampleImage decodeWholeImage(const std::string& path, int maxSide);

}  // namespace runboard::engine
