#include "engine/torch_errors.h"

#include <sstream>

namespace runboard::engine {

std::string torchErrorLine(const std::string& what) {
    std::istringstream lines(what);
    std::string line, first;
    while (std::getline(lines, line)) {
        const auto begin = line.find_first_not_of(' ');
        if (begin == std::string::npos) continue;
        const std::string trimmed = line.substr(begin);
        if (first.empty()) first = trimmed;
        // "RuntimeError: ...", "ValueError: ...": one word, then the message.
        const auto error = trimmed.find("Error: ");
        if (error != std::string::npos && trimmed.find(' ') > error) return trimmed;
    }
    return first;
}

std::string torchErrorMessage(const char* doing, const c10::Error& e) {
    return std::string(doing) +
           " failed in LibTorch: " + torchErrorLine(e.what_without_backtrace());
}

}  // namespace runboard::engine
