#pragma once
// The little binary formats of Runboard's caches (the image folder scan's, the text scan's):
// values appended in the machine's byte order (a cache never leaves the machine it was written
// on), and read back with bounds checks, so that a damaged or foreign file reads as "unusable"
// (ok() false), never as garbage, a huge allocation or a crash.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace runboard::engine {

class ByteWriter {
public:
    template <class T>
    void put(T v) {
        static_assert(std::is_trivially_copyable_v<T>);
        out_.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    // A string of up to 4 GiB (a longer one is cut: no cached string comes near it).
    void text(std::string_view s) {
        s = s.substr(0, UINT32_MAX);
        put(static_cast<std::uint32_t>(s.size()));
        out_.append(s);
    }
    template <class T>
    void array(const std::vector<T>& values) {
        static_assert(std::is_trivially_copyable_v<T>);
        put(static_cast<std::uint64_t>(values.size()));
        out_.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
    }
    void texts(const std::vector<std::string>& values) {
        put(static_cast<std::uint64_t>(values.size()));
        for (const auto& s : values)
            text(s);
    }
    const std::string& bytes() const { return out_; }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

class ByteReader {
public:
    explicit ByteReader(std::string_view in) : in_(in) {}
    template <class T>
    T get() {
        static_assert(std::is_trivially_copyable_v<T>);
        T v{};
        if (!ok_ || left() < sizeof v) return fail(v);
        std::memcpy(&v, in_.data() + at_, sizeof v);
        at_ += sizeof v;
        return v;
    }
    std::string text() {
        const auto n = get<std::uint32_t>();
        if (!ok_ || left() < n) return fail(std::string());
        std::string s(in_.substr(at_, n));
        at_ += n;
        return s;
    }
    template <class T>
    std::vector<T> array() {
        const auto n = get<std::uint64_t>();
        if (!ok_ || left() / sizeof(T) < n) return fail(std::vector<T>());
        std::vector<T> v(n);
        std::memcpy(v.data(), in_.data() + at_, n * sizeof(T));
        at_ += n * sizeof(T);
        return v;
    }
    std::vector<std::string> texts() {
        const auto n = get<std::uint64_t>();
        if (!ok_ || left() / sizeof(std::uint32_t) < n) return fail(std::vector<std::string>());
        std::vector<std::string> v(n);
        for (auto& s : v)
            s = text();
        return ok_ ? v : std::vector<std::string>();
    }
    bool ok() const { return ok_; }
    // Every byte read, and nothing overran: what a well-formed file ends with.
    bool done() const { return ok_ && at_ == in_.size(); }

private:
    std::size_t left() const { return in_.size() - at_; }
    template <class T>
    T fail(T v) {
        ok_ = false;
        return v;
    }
    std::string_view in_;
    std::size_t at_ = 0;
    bool ok_ = true;
};

}  // namespace runboard::engine
