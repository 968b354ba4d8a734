#pragma once
// A step phase ("data", "forward", ...) as a range in the op profiler's window and its trace.
// With no profiler on it is one check of LibTorch's callback lists: 7 ranges a step cost nothing
// measurable against a 1 ms step (tests/bench/profile_bench). Include only in Torch translation
// units.

#include <ATen/record_function.h>

namespace runboard::engine {

class PhaseRange {
public:
    explicit PhaseRange(const char* name) : fn_(at::RecordScope::USER_SCOPE) {
        if (fn_.isActive()) fn_.before(name);
    }
    // Ends the range before the end of the scope.
    void end() { fn_.end(); }

private:
    at::RecordFunction fn_;
};

}  // namespace runboard::engine
