#pragma once
// Whether a stage's result is out of date: a stage's outputs are made from those of the stages
// before it, so when an earlier stage changes its outputs after a later one finished (faces
// aligned again after packing, more training after merging), the later one must run again.
// One rule for the CLI's status, train's warning and the studio's step list.
#include <string>

#include <nlohmann/json.hpp>

namespace doppel {

/// Whether stage `key` ("extract.src", "align.dst", "xseg.src", "pack.src", "train", "merge",
/// "export") is recorded in `project` (project.json) as "stale", or is done while a stage feeding
/// it changed its outputs after it finished (a finished run, or one stopped half way that had
/// changed some). The stages feed each other in the order extract,
/// align, xseg (applied masks), pack per side, then train, merge, export for both sides; a
/// side's stages never make the other side's stale. A stage that found its work already done
/// (an align that resumed every frame) changes nothing and makes nothing stale.
bool stageIsStale(const nlohmann::json& project, const std::string& key);

}  // namespace doppel
