#include "widgets/gallery_loader.h"

#include <algorithm>

#include "engine/analysis/test_mask.h"
#include "engine/config/choices.h"
#include "engine/config/config.h"
#include "engine/data/tabular.h"
#include "engine/images/image_folder.h"
#include "engine/text/text_samples.h"
#include "storage/leaderboard.h"
#include "storage/run_data.h"
#include "storage/run_store.h"

namespace runboard::widgets {

DataSourceRef runDataSource(storage::RunStore& store, storage::RunId run) {
    const config::Config defaults = config::Config::defaults();
    DataSourceRef ref{defaults.text("data.source"), defaults.text("data.dir"),
                      defaults.text("data.path"), defaults.text("data.label")};
    if (auto params = store.params(run))
        for (const auto& p : params.value()) {
            if (p.key == "data.source") ref.source = p.value;
            if (p.key == "data.dir") ref.dir = p.value;
            if (p.key == "data.path") ref.path = p.value;
            if (p.key == "data.label") ref.label = p.value;
            if (p.key == "data.text") ref.text = p.value;
        }
    return ref;
}

std::shared_ptr<const engine::SampleImages> ImageCache::get(const DataSourceRef& source,
                                                            QString* error) {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(source); it != cache_.end()) return it->second;
    try {
        std::shared_ptr<const engine::SampleImages> images;
        if (source.source == config::kDataSourceNames.name(config::DataSource::Csv))
            images = engine::openTableSamples(source.path, {source.label, {}});
        else if (source.source == config::kDataSourceNames.name(config::DataSource::Folder))
            images = engine::openFolderImages(source.dir);
        else if (source.source == config::kDataSourceNames.name(config::DataSource::Text))
            images =
                engine::text::openTextSamples(source.path, source.dir, source.text, source.label);
        else
            images = engine::openIdxImages(source.dir);
        cache_[source] = images;
        return images;
    } catch (const std::exception& e) {
        *error = QString::fromStdString(e.what());
        return nullptr;
    }
}

storage::Result<GallerySnapshot> loadGallery(storage::RunStore& store, const LoadRequest& q,
                                             ImageCache& cache) {
    GallerySnapshot snap;
    snap.run = q.run;
    snap.other = q.other;
    auto& db = store.connection();
    auto val = storage::predictionEpochs(db, q.run, "val");
    if (!val) return val.error();
    auto test = storage::predictionEpochs(db, q.run, "test");
    if (!test) return test.error();
    snap.valEpochs = val.value();
    snap.hasTest = !test->empty();
    if (snap.valEpochs.empty() && !snap.hasTest) {
        snap.error = QStringLiteral("run %1 has no logged predictions yet").arg(q.run);
        return snap;
    }
    snap.split = (q.split == "test" && snap.hasTest) || snap.valEpochs.empty() ? "test" : "val";
    if (snap.split == "test") {
        snap.epoch = test->back();
    } else {
        const auto& e = snap.valEpochs;
        snap.epoch = std::find(e.begin(), e.end(), q.epoch) != e.end() ? q.epoch : e.back();
        auto it = std::find(e.begin(), e.end(), snap.epoch);
        if (it != e.begin()) snap.previousEpoch = *(it - 1);
    }
    auto data = std::make_shared<GalleryData>();
    data->part = engine::filePartOf(snap.split);
    auto rows = storage::readPredictions(db, q.run, snap.split, snap.epoch);
    if (!rows) return rows.error();
    data->rows = std::move(rows.value());
    if (snap.previousEpoch)
        if (auto prev = storage::readPredictions(db, q.run, snap.split, *snap.previousEpoch, false))
            data->previous = std::move(prev.value());
    if (q.other) {
        // The compared run at the same epoch of the validation set, or its final test.
        std::int64_t epoch = snap.epoch;
        if (snap.split == "test")
            if (auto e = storage::predictionEpochs(db, *q.other, "test"); e && !e->empty())
                epoch = e->back();
        if (auto other = storage::readPredictions(db, *q.other, snap.split, epoch, false)) {
            data->other = std::move(other.value());
            snap.hasOther = !data->other.empty();
        }
    }
    // Competition mode: the private part of the test set is not looked at.
    if (snap.split == "test") {
        auto mask = storage::leaderboardSettings(db).transform(
            [](const auto& s) { return analysis::PrivateTestMask(s); });
        if (!mask) return mask.error();  // unread settings must not show the private part
        if (mask->on()) {
            snap.publicOnly = true;
            for (Predictions* p : {&data->rows, &data->other})
                std::erase_if(*p, [&](const storage::PredictionRecord& r) {
                    return !mask->shows(r.sampleIndex);
                });
        }
    }
    // The run's data; a run without a key used the schema's default.
    const DataSourceRef source = runDataSource(store, q.run);
    const bool idx =
        source.source == config::kDataSourceNames.name(config::DataSource::FashionMnist);
    data->textSource = source.source == config::kDataSourceNames.name(config::DataSource::Text);
    data->images = cache.get(source, &snap.imagesError);
    auto recorded = storage::runData(db, q.run);
    if (!recorded) return recorded.error();
    if (data->images && recorded.value() && !recorded.value()->sourceName.empty() &&
        recorded.value()->sourceName != data->images->name()) {
        // Tables and text name samples by position: another file's rows would sit beside this
        // run's predictions as if it had seen them.
        snap.imagesError =
            QStringLiteral("%1 changed since run %2 trained on it (it was %3, now %4)")
                .arg(QString::fromStdString(source.path.empty() ? source.dir : source.path))
                .arg(q.run)
                .arg(QString::fromStdString(recorded.value()->sourceName),
                     QString::fromStdString(data->images->name()));
        data->images = nullptr;
    }
    if (recorded.value() && !recorded.value()->classNames.empty())
        data->classNames = recorded.value()->classNames;  // what the run's labels meant
    else if (data->images)
        data->classNames = data->images->classNames();
    else if (idx)
        data->classNames = engine::fashionMnistClassNames();
    const std::string dataset = data->images ? data->images->name()
                                : idx        ? engine::datasetName(source.dir)
                                             : source.source;
    snap.dataset = QString::fromStdString(dataset);
    if (auto flags = storage::listFlags(db, dataset))
        for (auto& f : flags.value())
            if (f.part == engine::filePartName(data->part)) data->flags[f.sampleIndex] = f;
    snap.data = std::move(data);
    return snap;
}

storage::Result<SampleSnapshot> loadSample(
    storage::RunStore& store, const std::vector<std::pair<storage::RunId, QString>>& runs,
    const std::string& split, std::int64_t epoch, std::int64_t sample) {
    SampleSnapshot s;
    s.sampleIndex = sample;
    if (runs.empty()) return s;
    auto& db = store.connection();
    auto history = storage::sampleHistory(db, runs.front().first, split, sample);
    if (!history) return history.error();
    s.history = std::move(history.value());
    for (std::size_t i = 1; i < runs.size(); ++i) {
        auto h = storage::sampleHistory(db, runs[i].first, split, sample);
        if (!h || h->empty()) continue;
        auto it = std::find_if(h->begin(), h->end(), [&](const storage::PredictionRecord& r) {
            return r.epoch == epoch;
        });
        s.others.push_back({runs[i].second, it != h->end() ? *it : h->back()});
    }
    return s;
}

bool sameContent(const GallerySnapshot& a, const GallerySnapshot& b) {
    if (!a.data || !b.data || a.run != b.run || a.other != b.other || a.split != b.split ||
        a.epoch != b.epoch || a.previousEpoch != b.previousEpoch || a.hasOther != b.hasOther ||
        a.publicOnly != b.publicOnly || a.dataset != b.dataset)
        return false;
    const auto key = [](const Predictions& p) {
        return std::pair(p.size(), p.empty() ? -1 : p.back().sampleIndex);
    };
    return key(a.data->rows) == key(b.data->rows) && key(a.data->other) == key(b.data->other) &&
           a.data->flags == b.data->flags;
}

}  // namespace runboard::widgets
