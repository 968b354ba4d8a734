#include "engine/dataset.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "engine/errors.h"

namespace runboard::engine {
namespace {

torch::Tensor toLongTensor(const std::vector<std::int64_t>& v) {
    return torch::tensor(v, torch::kInt64);
}

}  // namespace

torch::Tensor SplitData::batch(const torch::Tensor& positions) const {
    torch::Tensor x = inputs.index_select(0, positions);
    if (x.scalar_type() != torch::kUInt8) return x;
    return x.to(torch::kFloat32).div_(255.0).sub_(pixelMean).div_(pixelStd);
}

torch::Tensor SplitData::slice(std::int64_t begin, std::int64_t length) const {
    torch::Tensor x = inputs.narrow(0, begin, length);
    if (x.scalar_type() != torch::kUInt8) return x;
    return x.to(torch::kFloat32).div_(255.0).sub_(pixelMean).div_(pixelStd);
}

namespace {

// The share of n as a count: at least 1 when the share is positive and n has 2 or more.
std::int64_t shareOf(std::int64_t n, double share) {
    if (share <= 0 || n < 2) return 0;
    return std::clamp<std::int64_t>(std::llround(static_cast<double>(n) * share), 1, n - 1);
}

}  // namespace

Carved carveSplits(std::int64_t n, double testShare, double valShare, std::uint64_t splitSeed) {
    Carved c;
    std::vector<std::int64_t> rest;
    splitIndices(n, shareOf(n, testShare), splitSeed, rest, c.test);
    std::vector<std::int64_t> trainPos, valPos;
    const auto restCount = static_cast<std::int64_t>(rest.size());
    splitIndices(restCount, shareOf(restCount, valShare), splitSeed + 1, trainPos, valPos);
    for (std::int64_t p : trainPos)
        c.train.push_back(rest[static_cast<std::size_t>(p)]);
    for (std::int64_t p : valPos)
        c.val.push_back(rest[static_cast<std::size_t>(p)]);
    return c;
}

std::vector<std::int64_t> limitedSample(const std::vector<std::int64_t>& indices,
                                        std::int64_t limit, std::uint64_t splitSeed) {
    const auto n = static_cast<std::int64_t>(indices.size());
    if (limit <= 0 || limit >= n) return indices;
    std::vector<std::int64_t> rest, chosen;
    splitIndices(n, limit, splitSeed + 2, rest, chosen);
    std::vector<std::int64_t> out;
    out.reserve(chosen.size());
    for (std::int64_t p : chosen)
        out.push_back(indices[static_cast<std::size_t>(p)]);
    return out;
}

void splitIndices(std::int64_t n, std::int64_t valSize, std::uint64_t splitSeed,
                  std::vector<std::int64_t>& train, std::vector<std::int64_t>& val) {
    std::vector<std::int64_t> perm(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i)
        perm[static_cast<std::size_t>(i)] = i;
    std::mt19937_64 rng(splitSeed);
    for (std::int64_t i = n - 1; i > 0; --i) {
        const auto j = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(i + 1));
        std::swap(perm[static_cast<std::size_t>(i)], perm[static_cast<std::size_t>(j)]);
    }
    val.assign(perm.begin(), perm.begin() + valSize);
    train.assign(perm.begin() + valSize, perm.end());
    std::sort(val.begin(), val.end());
    std::sort(train.begin(), train.end());
}

Dataset makeDataset(const IdxArray& trainImages, const IdxArray& trainLabels,
                    const IdxArray& testImages, const IdxArray& testLabels,
                    const DataOptions& options, const std::string& origin) {
    auto check = [&](bool ok, const std::string& what) {
        if (!ok) throw DataError("dataset in '" + origin + "': " + what);
    };
    check(trainImages.dims.size() == 3 && testImages.dims.size() == 3, "images must be 3-D");
    check(trainLabels.dims.size() == 1 && testLabels.dims.size() == 1, "labels must be 1-D");
    check(trainImages.dims[0] == trainLabels.dims[0],
          "the training file has " + std::to_string(trainImages.dims[0]) + " images but " +
              std::to_string(trainLabels.dims[0]) + " labels");
    check(testImages.dims[0] == testLabels.dims[0],
          "the test file has " + std::to_string(testImages.dims[0]) + " images but " +
              std::to_string(testLabels.dims[0]) + " labels");
    check(trainImages.dims[1] == testImages.dims[1] && trainImages.dims[2] == testImages.dims[2],
          "train and test images differ in size");
    const auto& names = fashionMnistClassNames();
    const int numClasses = static_cast<int>(names.size());
    for (const auto* labels : {&trainLabels, &testLabels})
        for (std::uint8_t l : labels->data)
            check(l < numClasses, "label " + std::to_string(l) + " is out of range 0.." +
                                      std::to_string(numClasses - 1));

    const std::int64_t n = trainImages.dims[0];
    const std::int64_t h = trainImages.dims[1], w = trainImages.dims[2];
    if (options.valSize >= n)
        throw DataError("data.val_size = " + std::to_string(options.valSize) +
                        " leaves no training samples: the training file has " + std::to_string(n));

    std::vector<std::int64_t> trainIdx, valIdx;
    splitIndices(n, options.valSize, options.splitSeed, trainIdx, valIdx);
    if (options.limit > 0 && options.limit < static_cast<std::int64_t>(trainIdx.size()))
        trainIdx.resize(static_cast<std::size_t>(options.limit));

    auto images = [&](const IdxArray& a) {
        auto bytes =
            torch::from_blob(const_cast<std::uint8_t*>(a.data.data()),
                             {static_cast<std::int64_t>(a.dims[0]), 1, h, w}, torch::kUInt8);
        return bytes.to(torch::kFloat32).div_(255.0);
    };
    auto labels = [](const IdxArray& a) {
        return torch::from_blob(const_cast<std::uint8_t*>(a.data.data()),
                                {static_cast<std::int64_t>(a.dims[0])}, torch::kUInt8)
            .to(torch::kInt64);
    };
    const torch::Tensor allTrain = images(trainImages), allTrainLabels = labels(trainLabels);

    Dataset d;
    d.numClasses = numClasses;
    d.classNames = names;
    auto take = [&](const std::vector<std::int64_t>& idx) {
        SplitData s;
        s.indices = toLongTensor(idx);
        s.inputs = allTrain.index_select(0, s.indices);
        s.labels = allTrainLabels.index_select(0, s.indices);
        return s;
    };
    d.train = take(trainIdx);
    if (!valIdx.empty()) d.val = take(valIdx);
    d.test.inputs = images(testImages);
    d.test.labels = labels(testLabels);
    d.test.indices = torch::arange(d.test.inputs.size(0), torch::kInt64);

    // Normalize every split with statistics of the train part only.
    d.mean = d.train.inputs.mean().item<float>();
    d.stdev = std::max(d.train.inputs.std().item<float>(), 1e-6f);
    for (SplitData* s : {&d.train, &d.val, &d.test})
        if (s->inputs.defined()) s->inputs.sub_(d.mean).div_(d.stdev);
    return d;
}

Dataset loadDataset(const DataOptions& options) {
    switch (options.source) {
        case config::DataSource::Csv:
            return loadCsvDataset(options);
        case config::DataSource::Folder:
            return loadFolderDataset(options);
        case config::DataSource::FashionMnist:
            break;
    }
    return loadFashionMnist(options);
}

Dataset loadFashionMnist(const DataOptions& options) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(options.dir, ec))
        throw DataError(
            "dataset directory '" + options.dir +
            "' does not exist (install Debian's dataset-fashion-mnist or set data.dir)");
    return makeDataset(readIdx(idxImagesPath(options.dir, FilePart::Train), 3),
                       readIdx(idxLabelsPath(options.dir, FilePart::Train), 1),
                       readIdx(idxImagesPath(options.dir, FilePart::Test), 3),
                       readIdx(idxLabelsPath(options.dir, FilePart::Test), 1), options,
                       options.dir);
}

}  // namespace runboard::engine
