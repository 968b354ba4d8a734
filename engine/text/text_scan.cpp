#include "engine/text/text_scan.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "engine/data/atomic_file.h"
#include "engine/data/byte_io.h"
#include "engine/data/checksum.h"
#include "engine/errors.h"
#include "engine/text/text_source.h"

namespace runboard::engine::text {

namespace fs = std::filesystem;

namespace {

// The last byte is the format's version.
constexpr char kMagic[8] = {'R', 'B', 'T', 'E', 'X', 'T', '\0', '\x01'};
constexpr std::size_t kKeep = 8;

std::uint64_t fnv1a(std::string_view bytes, std::uint64_t h = 14695981039346656037ull) {
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

// What the source is now (textSourceName): a table's bytes; a folder's files, each with its size
// and modification time. A change to any of them makes the cache stale.
std::uint64_t fingerprint(const std::string& sourceName) {
    return fnv1a(sourceName);
}

// One thread's share of the samples: its tokens numbered in order of first use.
struct Chunk {
    std::vector<std::string> tokens;
    std::unordered_map<std::string, std::uint32_t> index;
    std::vector<std::uint32_t> ids;
    std::vector<std::uint64_t> lengths;
};

void tokenizeChunk(const std::vector<std::string>& texts, std::size_t begin, std::size_t end,
                   TokenMode mode, Chunk& chunk, std::atomic<std::size_t>& done) {
    for (std::size_t i = begin; i < end; ++i) {
        std::vector<std::string> tokens = tokenize(texts[i], mode);
        chunk.lengths.push_back(tokens.size());
        for (auto& t : tokens) {
            const auto [it, added] = chunk.index.try_emplace(
                std::move(t), static_cast<std::uint32_t>(chunk.index.size()));
            if (added) chunk.tokens.push_back(it->first);
            chunk.ids.push_back(it->second);
        }
        done.fetch_add(1, std::memory_order_relaxed);
    }
}

// Reads and tokenizes the source on `threads` threads, reporting from the calling one.
TextScan scanSource(const TextScanRequest& r, const TextScanProgress& progress) {
    TextSamples samples =
        r.path.empty() ? readTextFolder(r.dir) : readTextTable(r.path, r.textColumn, r.labelColumn);
    const std::size_t n = samples.size();
    if (progress) progress(0, n);
    const std::size_t wanted = r.threads > 0 ? static_cast<std::size_t>(r.threads)
                                             : std::max(1u, std::thread::hardware_concurrency());
    const std::size_t threads =
        std::clamp<std::size_t>(wanted, 1, std::max<std::size_t>(1, n / 64));
    std::vector<Chunk> chunks(threads);
    std::vector<std::exception_ptr> errors(threads);
    std::atomic<std::size_t> done{0};
    std::mutex mutex;
    std::condition_variable finished;
    std::size_t running = threads;
    std::vector<std::thread> workers;
    for (std::size_t k = 0; k < threads; ++k)
        workers.emplace_back([&, k] {
            try {
                tokenizeChunk(samples.texts, n * k / threads, n * (k + 1) / threads, r.mode,
                              chunks[k], done);
            } catch (...) {
                errors[k] = std::current_exception();
            }
            const std::lock_guard lock(mutex);
            --running;
            finished.notify_one();
        });
    {
        std::unique_lock lock(mutex);
        while (
            !finished.wait_for(lock, std::chrono::milliseconds(100), [&] { return running == 0; }))
            if (progress) {
                lock.unlock();
                progress(done.load(std::memory_order_relaxed), n);
                lock.lock();
            }
    }
    for (auto& w : workers)
        w.join();
    for (const auto& e : errors)
        if (e) std::rethrow_exception(e);

    TextScan scan;
    scan.origin = samples.origin;
    scan.name = samples.name;
    scan.labels = std::move(samples.labels);
    scan.classNames = std::move(samples.classNames);
    scan.where = std::move(samples.where);
    scan.replaced = samples.replaced;
    scan.samplesWithReplacements = samples.samplesWithReplacements;
    // The chunks' numbers into the source's: chunk by chunk, so tokens keep their order of first
    // use whatever the thread count.
    // Views into scan.tokens, which never reallocates: reserved for every chunk's tokens.
    std::unordered_map<std::string_view, std::uint32_t> index;
    std::size_t upperBound = 0;
    for (const Chunk& c : chunks)
        upperBound += c.tokens.size();
    scan.tokens.reserve(upperBound);
    scan.offsets.reserve(n + 1);
    scan.offsets.push_back(0);
    std::size_t sample = 0;
    for (Chunk& c : chunks) {
        std::vector<std::uint32_t> remap(c.tokens.size());
        for (std::size_t t = 0; t < c.tokens.size(); ++t) {
            const auto it = index.find(c.tokens[t]);
            if (it != index.end()) {
                remap[t] = it->second;
                continue;
            }
            remap[t] = static_cast<std::uint32_t>(scan.tokens.size());
            scan.tokens.push_back(std::move(c.tokens[t]));
            index.emplace(scan.tokens.back(), remap[t]);
        }
        for (std::uint32_t id : c.ids)
            scan.ids.push_back(remap[id]);
        for (std::uint64_t length : c.lengths) {
            if (length == 0)
                throw DataError(scan.origin + ": " + scan.where[sample] +
                                ": the text has no tokens (only spaces?)");
            scan.offsets.push_back(scan.offsets.back() + length);
            ++sample;
        }
        c = Chunk{};
    }
    if (progress) progress(n, n);
    return scan;
}

std::string serialize(const TextScan& s, std::uint64_t print) {
    ByteWriter w;
    w.put(print);
    w.text(s.origin);
    w.texts(s.classNames);
    w.texts(s.where);
    w.array(s.labels);
    w.put(s.replaced);
    w.put(s.samplesWithReplacements);
    w.texts(s.tokens);
    w.array(s.offsets);
    w.array(s.ids);
    std::string payload = w.take();
    const std::uint32_t crc = crc32Of(payload);
    std::string out(kMagic, sizeof kMagic);
    out += payload;
    out.append(reinterpret_cast<const char*>(&crc), sizeof crc);
    return out;
}

// The cached scan, or an empty origin with `why` set (nothing when there is no file).
TextScan deserialize(const std::string& bytes, std::uint64_t print, std::string& why) {
    TextScan s;
    if (bytes.size() < sizeof kMagic + 4 || bytes.compare(0, sizeof kMagic, kMagic, 8) != 0) {
        why = "is not one this version wrote";
        return s;
    }
    const std::string_view payload(bytes.data() + sizeof kMagic, bytes.size() - sizeof kMagic - 4);
    std::uint32_t crc = 0;
    std::memcpy(&crc, bytes.data() + bytes.size() - 4, 4);
    if (crc != crc32Of(payload)) {
        why = "fails its checksum";
        return s;
    }
    ByteReader r(payload);
    if (r.get<std::uint64_t>() != print) {
        why.clear();  // the source changed: scanned again, no note needed
        return s;
    }
    s.origin = r.text();
    s.classNames = r.texts();
    s.where = r.texts();
    s.labels = r.array<std::int32_t>();
    s.replaced = r.get<std::uint64_t>();
    s.samplesWithReplacements = r.get<std::uint64_t>();
    s.tokens = r.texts();
    s.offsets = r.array<std::uint64_t>();
    s.ids = r.array<std::uint32_t>();
    const std::size_t n = s.labels.size();
    bool valid = r.done() && s.where.size() == n && s.offsets.size() == n + 1 &&
                 s.offsets.front() == 0 && s.offsets.back() == s.ids.size() &&
                 std::is_sorted(s.offsets.begin(), s.offsets.end()) &&
                 std::all_of(s.ids.begin(), s.ids.end(),
                             [&](std::uint32_t id) { return id < s.tokens.size(); }) &&
                 std::all_of(s.labels.begin(), s.labels.end(), [&](std::int32_t l) {
                     return l >= 0 && static_cast<std::size_t>(l) < s.classNames.size();
                 });
    if (!valid) {
        why = "is damaged";
        return TextScan{};
    }
    s.fromCache = true;
    return s;
}

}  // namespace

std::string textScanCachePath(const TextScanRequest& r) {
    std::error_code ec;
    const std::string source = r.path.empty() ? r.dir : r.path;
    fs::path absolute = fs::weakly_canonical(fs::absolute(source, ec), ec);
    if (ec) absolute = fs::path(source).lexically_normal();
    const std::string key =
        fmt::format("{}\n{}\n{}\n{}\n{}", r.path.empty() ? "folder" : "table", absolute.string(),
                    r.textColumn, r.labelColumn, r.mode == TokenMode::Char ? "char" : "word");
    return (fs::path(r.cacheDir) / fmt::format("text-{:016x}.bin", fnv1a(key))).string();
}

TextScan scanText(const TextScanRequest& r, const TextScanProgress& progress, std::string* note) {
    if (r.cacheDir.empty()) return scanSource(r, progress);
    // DataError for a file or folder that isn't there.
    const std::string name = textSourceName(r.path, r.dir);
    const std::string path = textScanCachePath(r);
    if (std::ifstream in(path, std::ios::binary); in) {
        std::ostringstream bytes;
        bytes << in.rdbuf();
        std::string why;
        TextScan cached = deserialize(bytes.str(), fingerprint(name), why);
        if (cached.fromCache) {
            cached.name = name;
            std::error_code ec;
            fs::last_write_time(path, fs::file_time_type::clock::now(), ec);  // recently used
            if (progress) progress(cached.size(), cached.size());
            return cached;
        }
        if (!why.empty() && note)
            *note =
                fmt::format("the text scan cache '{}' {}; the text is scanned again", path, why);
    }
    TextScan scan = scanSource(r, progress);
    try {
        std::error_code ec;
        fs::create_directories(r.cacheDir, ec);
        writeFileAtomically(path, serialize(scan, fingerprint(scan.name)), "text scan cache");
        pruneCacheFiles(r.cacheDir, "text-", ".bin", kKeep);
    } catch (const std::exception& e) {
        if (note) *note = e.what();
    }
    return scan;
}

}  // namespace runboard::engine::text
