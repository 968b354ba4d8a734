#pragma once
// Engine exceptions. The worker (CLI or GUI thread boundary) catches them; their messages are
// meant for people and name the problem.

#include <stdexcept>

namespace runboard::engine {

// Input data is missing or corrupt (CLI exit code 3).
class DataError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A file the engine writes (a checkpoint) cannot be written: a full disk, an I/O error, no
// permission. What was written before stays; the message names the file and the cause.
class OutputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Anything else the engine cannot do with a valid config.
class EngineError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A run cannot continue from its checkpoint because its config or data changed since (CLI exit
// code 2): the message names every difference.
class ResumeRefused : public EngineError {
public:
    using EngineError::EngineError;
};

}  // namespace runboard::engine
