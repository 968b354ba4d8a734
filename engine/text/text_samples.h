#pragma once
// Text behind SampleImages: what the prediction review shows for a text sample (its whole text,
// where it came from), by the id the engine gives it (its position in
// engine/text/text_source.h's order). Throws DataError as the source readers do.

#include <memory>
#include <string>

#include "engine/data/sample_images.h"

namespace runboard::engine::text {

// A CSV/TSV (`path`, with its text and label columns) or, with `path` empty, a folder `dir` of
// class sub-folders of .txt files.
std::unique_ptr<SampleImages> openTextSamples(const std::string& path, const std::string& dir,
                                              const std::string& textColumn,
                                              const std::string& labelColumn);

}  // namespace runboard::engine::text
