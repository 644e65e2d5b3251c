#include "common/StageFreshness.h"

#include <iterator>

namespace doppel {

namespace {

/// Where a stage stands in the order in which stages feed each other (-1: not in it, e.g. the
/// mask model's training), and its side ("" for the stages that serve both sides).
struct StagePlace {
    int rank = -1;
    std::string side;
};

StagePlace placeOf(const std::string& key) {
    static const char* const kOrder[] = {"extract", "align", "xseg",  "pack",
                                         "train",   "merge", "export"};
    const auto dot = key.find('.');
    const std::string stage = key.substr(0, dot);
    StagePlace place;
    if (dot != std::string::npos) place.side = key.substr(dot + 1);
    for (int rank = 0; rank < int(std::size(kOrder)); ++rank)
        if (stage == kOrder[rank]) place.rank = rank;
    // "xseg" alone is the mask model's training: its masks reach the faces through xseg.<side>.
    if (stage == "xseg" && place.side.empty()) place.rank = -1;
    return place;
}

/// When the stage last changed its outputs ("" when it never did). Workspaces from before
/// "changed" was recorded have only the time a finished run ended. ISO-8601 UTC timestamps of
/// one format compare as strings.
std::string changedAt(const nlohmann::json& stage) {
    if (stage.contains("changed") && stage["changed"].is_string())
        return stage["changed"].get<std::string>();
    return stage.value("status", "") == "done" ? stage.value("updated", "") : "";
}

}  // namespace

bool stageIsStale(const nlohmann::json& project, const std::string& key) {
    if (!project.is_object() || !project.contains("stages") || !project["stages"].is_object())
        return false;
    const nlohmann::json& stages = project["stages"];
    const auto entry = stages.find(key);
    if (entry == stages.end() || !entry->is_object()) return false;
    const std::string status = entry->value("status", "");
    if (status == "stale") return true;
    if (status != "done") return false;
    const StagePlace place = placeOf(key);
    if (place.rank < 0) return false;
    const std::string finished = entry->value("updated", "");
    for (const auto& [otherKey, other] : stages.items()) {
        if (!other.is_object()) continue;
        const StagePlace earlier = placeOf(otherKey);
        const bool feedsThis =
            earlier.rank >= 0 && earlier.rank < place.rank &&
            (earlier.side.empty() || place.side.empty() || earlier.side == place.side);
        if (feedsThis && changedAt(other) > finished) return true;
    }
    return false;
}

}  // namespace doppel
