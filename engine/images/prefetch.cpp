#include "engine/images/prefetch.h"

#include <algorithm>
#include <filesystem>

#include "engine/errors.h"
#include "engine/images/decode.h"

namespace runboard::engine {

namespace {

int workerCount(int requested) {
    return requested > 0 ? requested
                         : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

// One file into `out`; false (and black pixels) when it cannot be decoded any more.
bool decodeOne(const StreamSpec& spec, std::size_t file, std::uint8_t* out) {
    const auto path =
        (std::filesystem::path(spec.listing->root) / spec.listing->files[file].path).string();
    std::string error;
    try {
        error = decodeImageInto(path, spec.size, spec.channels, out);
    } catch (const std::exception& e) {
        error = e.what();
    }
    if (error.empty()) return true;
    std::fill_n(out, spec.imageBytes(), std::uint8_t{0});
    return false;
}

}  // namespace

std::size_t decodeFiles(const StreamSpec& spec, const std::vector<std::size_t>& files,
                        std::uint8_t* out, int threads) {
    std::atomic<std::size_t> failed{0};
    const std::size_t bytes = spec.imageBytes();
    parallelFor(
        files.size(), workerCount(threads),
        [&](std::size_t i) {
            if (!decodeOne(spec, files[i], out + i * bytes))
                failed.fetch_add(1, std::memory_order_relaxed);
        },
        {}, nullptr);
    return failed.load();
}

BatchPrefetcher::BatchPrefetcher(StreamSpec spec, std::size_t depth)
    : spec_(spec), depth_(std::max<std::size_t>(1, depth)) {}

BatchPrefetcher::~BatchPrefetcher() {
    stopWorkers();
}

void BatchPrefetcher::stopWorkers() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    workers_.clear();  // joins
    stopping_ = false;
}

void BatchPrefetcher::start(std::vector<std::vector<std::size_t>> batches, std::size_t first) {
    stopWorkers();
    {
        std::lock_guard lock(mutex_);
        batches_ = std::move(batches);
        ready_.clear();
        next_ = consumer_ = std::min(first, batches_.size());
    }
    const int count = std::min<int>(workerCount(spec_.workers),
                                    static_cast<int>(std::max<std::size_t>(1, batches_.size())));
    for (int t = 0; t < count; ++t)
        workers_.emplace_back([this] { work(); });
}

void BatchPrefetcher::work() {
    std::unique_lock lock(mutex_);
    for (;;) {
        changed_.wait(lock, [this] {
            return stopping_ || (next_ < batches_.size() && next_ < consumer_ + depth_);
        });
        if (stopping_) return;
        const std::size_t k = next_++;
        const std::vector<std::size_t>& files = batches_[k];
        lock.unlock();
        // Nothing may leave a worker thread (std::terminate): a failure here (out of memory) is
        // handed to the trainer, which throws it from take() on its own thread.
        try {
            std::vector<std::uint8_t> pixels(files.size() * spec_.imageBytes());
            std::size_t failed = 0;
            for (std::size_t i = 0; i < files.size(); ++i)
                failed +=
                    decodeOne(spec_, files[i], pixels.data() + i * spec_.imageBytes()) ? 0 : 1;
            lock.lock();
            failures_ += failed;
            if (k >= consumer_) ready_.emplace(k, std::move(pixels));
        } catch (const std::exception& e) {
            if (!lock.owns_lock()) lock.lock();
            if (error_.empty()) error_ = e.what();
        }
        changed_.notify_all();
    }
}

std::vector<std::uint8_t> BatchPrefetcher::take(std::size_t k) {
    std::unique_lock lock(mutex_);
    if (k >= batches_.size()) return {};
    if (k >= consumer_ && k < next_) {
        // The usual case: a worker has it, or is on it.
        changed_.wait(lock, [&] { return ready_.count(k) > 0 || !error_.empty(); });
        if (ready_.count(k) == 0)
            throw DataError("streaming the image folder '" + spec_.listing->root +
                            "' failed: " + error_);
        std::vector<std::uint8_t> out = std::move(ready_.at(k));
        ready_.erase(ready_.begin(), ready_.upper_bound(k));
        consumer_ = k + 1;
        changed_.notify_all();
        return out;
    }
    if (k >= next_) {
        // Ahead of every worker (a skip forward): claim it, and the workers go on after it.
        ready_.clear();
        next_ = consumer_ = k + 1;
        changed_.notify_all();
    }
    // Claimed above, or asked again after it was taken: decoded here.
    const std::vector<std::size_t> files = batches_[k];
    lock.unlock();
    std::vector<std::uint8_t> out(files.size() * spec_.imageBytes());
    const std::size_t failed = decodeFiles(spec_, files, out.data(), 1);
    lock.lock();
    failures_ += failed;
    return out;
}

std::size_t BatchPrefetcher::failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
}

}  // namespace runboard::engine
