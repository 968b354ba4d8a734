#include "engine/dataset.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>

#include "engine/errors.h"

namespace runboard::engine {
namespace {

// The mean and the unbiased standard deviation (as torch's std()) of a float tensor's values,
// the same on any thread count.
std::pair<float, float> meanAndStd(const torch::Tensor& values) {
    const torch::Tensor t = values.contiguous();
    const float* v = t.data_ptr<float>();
    const auto n = static_cast<std::size_t>(t.numel());
    if (n == 0) return {0.0f, 1.0f};
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i)
        sum += v[i];
    const double mean = sum / static_cast<double>(n);
    double squares = 0;
    for (std::size_t i = 0; i < n; ++i)
        squares += (v[i] - mean) * (v[i] - mean);
    const double var = n > 1 ? squares / static_cast<double>(n - 1) : 0.0;
    return {static_cast<float>(mean), static_cast<float>(std::sqrt(var))};
}

torch::Tensor toLongTensor(const std::vector<std::int64_t>& v) {
    return torch::tensor(v, torch::kInt64);
}

}  // namespace

torch::Tensor SplitData::normalize(const torch::Tensor& pixels) const {
    return pixels.to(torch::kFloat32).div_(255.0).sub_(pixelMean).div_(pixelStd);
}

torch::Tensor SplitData::decode(const std::vector<std::int64_t>& positions) const {
    const StreamSpec& spec = stream->spec;
    std::vector<std::size_t> at(positions.size());
    for (std::size_t i = 0; i < positions.size(); ++i)
        at[i] = files[static_cast<std::size_t>(positions[i])];
    torch::Tensor out = torch::empty(
        {static_cast<std::int64_t>(at.size()), spec.channels, spec.size, spec.size}, torch::kUInt8);
    (void)decodeFiles(spec, at, out.data_ptr<std::uint8_t>(), spec.workers);
    return out;
}

torch::Tensor SplitData::batch(const torch::Tensor& positions) const {
    if (streamed()) {
        const torch::Tensor p = positions.to(torch::kInt64).contiguous();
        return normalize(
            decode({p.data_ptr<std::int64_t>(), p.data_ptr<std::int64_t>() + p.numel()}));
    }
    torch::Tensor x = inputs.index_select(0, positions);
    if (lengths.defined() && x.size(0) > 0)
        return x.narrow(1, 0,
                        std::max<std::int64_t>(
                            1, lengths.index_select(0, positions).max().item<std::int64_t>()));
    if (x.scalar_type() != torch::kUInt8) return x;
    return normalize(x);
}

torch::Tensor SplitData::slice(std::int64_t begin, std::int64_t length) const {
    if (streamed()) {
        std::vector<std::int64_t> positions(static_cast<std::size_t>(length));
        std::iota(positions.begin(), positions.end(), begin);
        return normalize(decode(positions));
    }
    torch::Tensor x = inputs.narrow(0, begin, length);
    if (lengths.defined() && length > 0)
        return x.narrow(
            1, 0,
            std::max<std::int64_t>(1, lengths.narrow(0, begin, length).max().item<std::int64_t>()));
    if (x.scalar_type() != torch::kUInt8) return x;
    return normalize(x);
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

    // Normalize every split with statistics of the train part only. Summed in one fixed order
    // (two passes in double), not by torch's mean() and std(): their float reductions split the
    // work by the thread count, so a process that loaded the data on 2 threads normalised it
    // differently in the last bits from one on 1 thread, and a resumed run refused its own
    // checkpoint's data (and would not have continued bit for bit).
    const auto [mean, stdev] = meanAndStd(d.train.inputs);
    d.mean = mean;
    d.stdev = std::max(stdev, 1e-6f);
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
        case config::DataSource::Text:
            return loadTextDataset(options);
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
