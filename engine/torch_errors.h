#pragma once
// LibTorch's errors in words. A c10::Error's what() carries a C++ backtrace (4,176 characters in
// a review's case, where a module's output width changed above a batch of 64 and nll_loss threw
// mid-run: all of it became the run's stored message), and a TorchScript error carries the
// interpreter's traceback before the line that matters. The engine's entry points (Trainer::run,
// LrFinder::run, runChecks) turn c10::Error into an EngineError with that line alone. Include it
// only in .cpp files that already include LibTorch.

#include <c10/util/Exception.h>

#include <string>

namespace runboard::engine {

// The line of a LibTorch error that says what went wrong: the interpreter's "RuntimeError: ..."
// after a TorchScript traceback, else the first non-blank line.
std::string torchErrorLine(const std::string& what);

// What an entry point throws for a c10::Error: `doing` ("training") and the error's line.
std::string torchErrorMessage(const char* doing, const c10::Error& e);

}  // namespace runboard::engine
