#pragma once
// The vocabulary of a text dataset, built from its training part only (a token seen only in
// validation or test must be <unk> there, or the scores would read the held-out text), and stored
// with the run so that predictions can be shown as text again. Index 0 is <pad> and 1 is <unk>;
// then the tokens by count, most frequent first, ties in byte order (the same vocabulary from the
// same data on any machine).

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace runboard::engine::text {

inline constexpr std::int32_t kPad = 0, kUnk = 1;

class Vocabulary {
public:
    // At most `maxSize` entries with <pad> and <unk> (0: no limit); tokens seen fewer than
    // `minCount` times are left out.
    static Vocabulary build(const std::vector<std::vector<std::string>>& training,
                            std::size_t maxSize, std::int64_t minCount);
    // The same from each token's count in the training part (any order).
    static Vocabulary fromCounts(std::vector<std::pair<std::string, std::int64_t>> counts,
                                 std::size_t maxSize, std::int64_t minCount);
    // From a stored list (tokens()[i] is index i; it must start with <pad>, <unk>).
    static Vocabulary fromTokens(std::vector<std::string> tokens);

    // Indices of the first `maxLength` tokens (0: all); an unknown token is kUnk.
    std::vector<std::int32_t> encode(const std::vector<std::string>& tokens,
                                     std::size_t maxLength = 0) const;
    // The tokens of indices, <pad> left out; joined with `separator` (" " for words, "" for chars).
    std::string decode(const std::vector<std::int32_t>& ids, const std::string& separator) const;

    std::size_t size() const { return tokens_.size(); }
    const std::vector<std::string>& tokens() const { return tokens_; }
    std::int32_t index(const std::string& token) const;

private:
    std::vector<std::string> tokens_;
    std::unordered_map<std::string, std::int32_t> index_;
};

}  // namespace runboard::engine::text
