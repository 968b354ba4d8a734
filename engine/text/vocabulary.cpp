#include "engine/text/vocabulary.h"

#include <algorithm>
#include <stdexcept>

namespace runboard::engine::text {

Vocabulary Vocabulary::build(const std::vector<std::vector<std::string>>& training,
                             std::size_t maxSize, std::int64_t minCount) {
    std::unordered_map<std::string, std::int64_t> counts;
    for (const auto& sample : training)
        for (const auto& token : sample)
            ++counts[token];
    return fromCounts({counts.begin(), counts.end()}, maxSize, minCount);
}

Vocabulary Vocabulary::fromCounts(std::vector<std::pair<std::string, std::int64_t>> ranked,
                                  std::size_t maxSize, std::int64_t minCount) {
    std::erase_if(ranked,
                  [&](const auto& p) { return p.second < std::max<std::int64_t>(1, minCount); });
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    std::vector<std::string> tokens{"<pad>", "<unk>"};
    for (auto& [token, count] : ranked) {
        if (maxSize > 0 && tokens.size() >= maxSize) break;
        if (token == "<pad>" || token == "<unk>") continue;  // text that spells them is <unk>
        tokens.push_back(std::move(token));
    }
    return fromTokens(std::move(tokens));
}

Vocabulary Vocabulary::fromTokens(std::vector<std::string> tokens) {
    if (tokens.size() < 2 || tokens[0] != "<pad>" || tokens[1] != "<unk>")
        throw std::invalid_argument("a vocabulary starts with <pad> and <unk>");
    Vocabulary v;
    v.tokens_ = std::move(tokens);
    for (std::size_t i = 0; i < v.tokens_.size(); ++i)
        v.index_.emplace(v.tokens_[i], static_cast<std::int32_t>(i));
    return v;
}

std::int32_t Vocabulary::index(const std::string& token) const {
    if (token == "<pad>" || token == "<unk>") return kUnk;
    const auto it = index_.find(token);
    return it == index_.end() ? kUnk : it->second;
}

std::vector<std::int32_t> Vocabulary::encode(const std::vector<std::string>& tokens,
                                             std::size_t maxLength) const {
    const std::size_t n = maxLength > 0 ? std::min(maxLength, tokens.size()) : tokens.size();
    std::vector<std::int32_t> ids;
    ids.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        ids.push_back(index(tokens[i]));
    return ids;
}

std::string Vocabulary::decode(const std::vector<std::int32_t>& ids,
                               const std::string& separator) const {
    std::string out;
    bool first = true;
    for (std::int32_t id : ids) {
        if (id == kPad) continue;
        if (!first) out += separator;
        first = false;
        out += id >= 0 && static_cast<std::size_t>(id) < tokens_.size() ? tokens_[id] : "<unk>";
    }
    return out;
}

}  // namespace runboard::engine::text
