#pragma once
// The streaming loader for an image folder whose pixels do not fit in data.cache_mb: worker
// threads decode the epoch's batches ahead of the trainer into a bounded queue, and the trainer
// takes them in order. Torch-free (the engine wraps each batch in a tensor).
//
// Deterministic by construction: the trainer fixes the epoch's batches (its seeded permutation)
// before any worker starts, each batch is decoded by one worker into its own buffer, and batches
// are handed out by number, so the data seen does not depend on the number of workers, on their
// timing, or on whether the folder is streamed or cached (the same decoder and the same sizes).
// Augmentation stays on the trainer's thread, whose RNG decides it in step order.
//
// A file that decoded in the scan but fails later (deleted or rewritten mid-run) becomes a black
// image and is counted in failures(): the epoch goes on, as the quarantine promises.

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/images/image_folder.h"

namespace runboard::engine {

struct StreamSpec {
    const FolderListing* listing = nullptr;  // outlives the loader
    int size = 0, channels = 0;
    int workers = 0;  // 0: every core
    std::size_t imageBytes() const {
        return static_cast<std::size_t>(channels) * static_cast<std::size_t>(size) *
               static_cast<std::size_t>(size);
    }
};

// Decodes `files` (indices into the listing) into `out` (files.size() images), `threads` at a
// time; returns how many failed (left black).
std::size_t decodeFiles(const StreamSpec& spec, const std::vector<std::size_t>& files,
                        std::uint8_t* out, int threads);

class BatchPrefetcher {
public:
    // At most `depth` batches are decoded ahead of the one the trainer takes.
    BatchPrefetcher(StreamSpec spec, std::size_t depth);
    ~BatchPrefetcher();
    BatchPrefetcher(const BatchPrefetcher&) = delete;
    BatchPrefetcher& operator=(const BatchPrefetcher&) = delete;

    // A new epoch: these batches, in this order (unfinished work of the last one is dropped),
    // the first one taken being `first` (a run resumed in the middle of an epoch).
    void start(std::vector<std::vector<std::size_t>> batches, std::size_t first = 0);
    // The k-th batch's pixels (batches[k].size() images). In order is the fast path; a batch
    // asked for out of order (the checks' probes) is decoded on the calling thread. Throws
    // DataError when a worker failed as a whole.
    std::vector<std::uint8_t> take(std::size_t k);
    std::size_t failures() const;

private:
    void work();
    void stopWorkers();

    StreamSpec spec_;
    std::size_t depth_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::vector<std::size_t>> batches_;
    std::map<std::size_t, std::vector<std::uint8_t>> ready_;
    std::size_t next_ = 0;      // the next batch a worker starts
    std::size_t consumer_ = 0;  // the next batch the trainer takes
    std::size_t failures_ = 0;
    std::string error_;  // a worker's failure (not a file's: out of memory), thrown by take()
    bool stopping_ = false;
    std::vector<std::jthread> workers_;
};

}  // namespace runboard::engine
