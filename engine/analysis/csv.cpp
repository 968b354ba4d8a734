#include "engine/analysis/csv.h"

namespace runboard::analysis {

std::string flagsCsv(const std::vector<storage::FlagRecord>& flags,
                     const std::vector<std::string>& classNames) {
    std::string out = "dataset,split,index,true_label,flag,note\n";
    for (const storage::FlagRecord& f : flags) {
        const auto t = static_cast<std::size_t>(f.target);
        // A class name is text; without names the class number stays a number.
        const std::string label =
            t < classNames.size() ? csvTextField(classNames[t]) : std::to_string(f.target);
        // Text from the user and the dataset files through csvTextField (formula injection).
        out.append(csvTextField(f.dataset))
            .append(",")
            .append(csvTextField(f.part))
            .append(",")
            .append(std::to_string(f.sampleIndex))
            .append(",")
            .append(label)
            .append(",")
            .append(storage::flagName(f.flag))
            .append(",")
            .append(csvTextField(f.note))
            .append("\n");
    }
    return out;
}

}  // namespace runboard::analysis
