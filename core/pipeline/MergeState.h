#pragma once
// merged/merge_state.json: what the merged frames are made with and since when, so that merging
// again redoes exactly the frames that would come out differently. DeepFaceLab's merger redoes
// every frame; a frame made with old settings must never pass for a new one (nor go into an
// export), and a change that reaches a few frames should not cost a re-merge of the whole video.
//   - The fingerprint (settings, model with its iteration, the destination's faces and applied
//     masks) changed, or a redo of every frame: every frame counts from now (`since`, file-clock
//     ticks, recorded before any frame is written).
//   - Only the frame-range overrides changed, or a redo of a range: the merged frames they reach
//     are removed, and so merged again; the others stay.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/Workspace.h"
#include "merge/MergeSettings.h"

namespace doppel {

class MergeState {
  public:
    struct Plan {
        int64_t since = 0;  ///< merged files older than this are made with other settings
        /// Why frames are merged again: "" (none), or what changed, for the log.
        std::string redoneBecause;
        int64_t framesRemoved = 0;  ///< merged frames removed for a range redo or an override
    };

    /// Records what this merge makes and returns from when merged frames count. `settings`: the
    /// resolved merge options; `model`: the swapper's description (with its iteration);
    /// `previousSettings`: the options saved by the last merge, for merged frames from before
    /// merge_state.json existed; `frames`: the destination's frame indices; a redo limited to
    /// [first, last] (0: open) redoes only those frames.
    static Plan prepare(const Workspace& ws, const nlohmann::json& settings,
                        const std::string& model, const std::vector<MergeOverride>& overrides,
                        const nlohmann::json& previousSettings, const std::vector<int64_t>& frames,
                        bool redo, int64_t first, int64_t last);

    /// Removes frame `frame`'s merged image and mask, so the next merge makes it again; whether
    /// there was one. Throws Error(Io) naming the file it could not remove.
    static bool removeMergedFrame(const Workspace& ws, int64_t frame);

    /// Whether merged/<name> and merged_mask/<name> are complete PNGs made since `since` (a frame
    /// killed mid-write never counts as done).
    static bool frameUpToDate(const Workspace& ws, const std::string& name, int64_t since);

    /// Whether merged frame `name` has a face swapped in (its merge mask is not empty; an
    /// unreadable mask counts as yes).
    static bool showsASwap(const Workspace& ws, const std::string& name);

    /// Merged frames present but out of date: made before the last merge's settings (a merge of
    /// a range with new settings, or one cut short after a change), or showing a swap although
    /// their destination face was deleted since (by hand). Their number, and the first one's
    /// name in `firstName`. 0 when no merge_state.json is there.
    static int64_t framesOutOfDate(const Workspace& ws, std::string& firstName);
};

}  // namespace doppel
