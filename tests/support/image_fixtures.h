#pragma once
// Image folders for the tests, written with Qt's image writers: a learnable one (the bars of
// writeFakeFashionMnist as PNG or JPEG files) and a hostile one (every way a folder goes wrong).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace runboard::test {

// Class k of 10 ("class0".."class9") has a bright horizontal bar at row 2 + 2k, plus noise; 28x28
// gray. perClass files per class, named 00000.png ...; with split, inside train/ and test/
// (testPerClass each).
void writeBarFolder(const std::filesystem::path& root, int perClass, const std::string& ext = "png",
                    int testPerClass = 0, unsigned seed = 3);

// Writes a w x h gray or RGB image of one colour.
void writeSolidImage(const std::filesystem::path& file, int w, int h, bool gray, int value);

// Writes an 8-bit PNG of colour type 4, gray and alpha (Qt writes none: it reads them as ARGB32),
// from w x h (gray, alpha) pairs, row by row.
void writeGrayAlphaPng(const std::filesystem::path& file, int w, int h,
                       const std::vector<std::uint8_t>& grayAlpha);
// Writes a PNG whose header says w x h, 8-bit gray, with one row of pixels after it: enough for a
// reader to learn its size (a real 20000x20000 one would take seconds and 400 MB to write).
void writePngHeader(const std::filesystem::path& file, int w, int h);

// The hostile fixture (see image_folder_test.cpp for what each entry is for). Returns the
// relative paths of the files that must be quarantined.
std::vector<std::string> writeHostileFolder(const std::filesystem::path& root);

}  // namespace runboard::test
