#pragma once
// A project on disk: one folder that the CLI and the GUI both read and write. The layout is
// DeepFaceLab's, so its users feel at home:
//   project.json                  stage options and status (atomic writes, one .bak)
//   data_src/ data_dst/           one folder per side:
//       input.<ext> | input/      the copied source/destination video, image or image folder
//       input_2.<ext> ...         more source inputs (`doppel add-source`; frames in blocks)
//       frames/                   extracted frames, 000001.png ... (frame index, 1-based)
//       aligned/                  aligned faces <frame>_<face>.jpg + <frame>_<face>.json metadata
//       aligned_debug/            optional debug images (box, landmarks, crop outline)
//       packed/                   the engine's input (see PackedFaceset.h)
//       trash/                    faces deleted in review; restorable
//   model/<name>/                 checkpoints, options, previews/ history, loss history
//   merged/ merged_mask/          merged destination frames and their masks
//   result/                       exported videos
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/StageResult.h"

#include <nlohmann/json.hpp>

namespace doppel {

enum class Side { Src, Dst };

/// One input of a side and the block its frames are numbered in (input k's frames start at
/// k * 1000000 + 1; see pipeline/FrameFiles.h). A removed input leaves its block unused.
struct SideInput {
    int block = 0;
    std::filesystem::path path;  ///< the copy in the workspace
    std::string original;        ///< the path the user gave, as recorded when it was copied
};
const char* sideName(Side side);  ///< "src" / "dst"
/// Accepts "src"/"source"/"dst"/"destination"; throws Error(BadOption).
Side parseSide(const std::string& text);

class Workspace {
  public:
    /// Creates the folder tree and project.json and copies the inputs in (video file, image, or a
    /// folder of images). Throws Error if `dir` already holds a project or an input is missing.
    static Workspace create(const std::filesystem::path& dir, const std::filesystem::path& srcInput,
                            const std::filesystem::path& dstInput);
    /// Throws Error(NotFound) when `dir` holds no project.json.
    static Workspace open(const std::filesystem::path& dir);

    const std::filesystem::path& root() const { return root_; }
    /// The copied input of a side (file or folder): the first one.
    std::filesystem::path inputPath(Side side) const;
    /// Every input of a side in use, in the order they were given, with its frame block: the
    /// source may have several (videos and image folders of the same person).
    std::vector<SideInput> inputs(Side side) const;
    /// The paths of inputs(side).
    std::vector<std::filesystem::path> inputPaths(Side side) const;
    /// Copies another video, image or image folder into the source side (data_src/input_2.mp4,
    /// input_3/, ...) and records it; extract then adds its frames in a block of their own.
    /// Throws Error(BadOption) for the destination or an input already there, Error(NotFound /
    /// Io) as create does.
    std::filesystem::path addInput(Side side, const std::filesystem::path& input) const;
    /// Removes an added input (not the first), named as in the workspace ("input_2.mp4") or by
    /// the original path it was copied from: its copy is deleted and its block stays unused, so
    /// no other frame is renumbered; extract then drops its frames. Returns its block. Throws
    /// Error(NotFound) for an unknown name, Error(BadOption) for the first input.
    int removeInput(Side side, const std::string& nameOrOriginal) const;
    std::filesystem::path sideDir(Side side) const;
    std::filesystem::path framesDir(Side side) const { return sideDir(side) / "frames"; }
    std::filesystem::path alignedDir(Side side) const { return sideDir(side) / "aligned"; }
    std::filesystem::path alignedDebugDir(Side side) const {
        return sideDir(side) / "aligned_debug";
    }
    std::filesystem::path packedDir(Side side) const { return sideDir(side) / "packed"; }
    std::filesystem::path trashDir(Side side) const { return sideDir(side) / "trash"; }
    std::filesystem::path modelsDir() const { return root_ / "model"; }
    std::filesystem::path modelDir(const std::string& name) const { return modelsDir() / name; }
    /// The face-mask (XSeg) model and its labelled faceset; not under model/, which holds
    /// face-swap models only.
    std::filesystem::path xsegDir() const { return root_ / "xseg"; }
    /// The model most recently saved (newest model/<name>/latest.json), "" when none is trained.
    std::string latestModelName() const;
    std::filesystem::path mergedDir() const { return root_ / "merged"; }
    std::filesystem::path mergedMaskDir() const { return root_ / "merged_mask"; }
    std::filesystem::path resultDir() const { return root_ / "result"; }
    std::filesystem::path projectFile() const { return root_ / "project.json"; }

    /// A fresh read of project.json, where a stage recorded as "running" that no process runs
    /// (its lock is free: killed, crashed) reads "interrupted".
    nlohmann::json project() const;
    /// workspace/.locks/<key>.lock: what a run of stage `key` holds (common/StageLock.h), so
    /// that one process at a time runs it and project() can tell running from interrupted.
    /// Extract, align and pack of a side share one (faces.<side>.lock): they use the same files.
    std::filesystem::path stageLockFile(const std::string& key) const;
    /// Read-modify-write of project.json under a process-wide lock, written atomically.
    void updateProject(const std::function<void(nlohmann::json&)>& change) const;

    /// Stage bookkeeping; `key` is e.g. "extract.src", "align.dst", "train", "merge", "export".
    /// status: "running", "done", "failed", "cancelled" (and "interrupted", read only). A
    /// stage done or cancelled with `changedOutputs` also records when ("changed"): the stages
    /// after it are stale from then on (common/StageFreshness.h).
    void setStageStatus(const std::string& key, const std::string& status,
                        const std::string& message = "", bool changedOutputs = true) const;
    std::string stageStatus(const std::string& key) const;  ///< "" when never run
    /// Records how a stage ended ("done", "failed" or "cancelled" with its message). A failure
    /// to write project.json becomes a warning of the result: the stage's work stands.
    void recordStageResult(const std::string& key, StageResult& result) const;
    /// Last options used for a stage (resolved JSON), null when never set.
    nlohmann::json stageOptions(const std::string& key) const;
    void setStageOptions(const std::string& key, const nlohmann::json& options) const;

  private:
    explicit Workspace(std::filesystem::path root) : root_(std::move(root)) {}
    /// Extract and align of the side are stale after its inputs changed.
    void markInputsChanged(Side side, const std::string& reason) const;
    std::filesystem::path root_;
};

/// "2026-11-22T10:00:00Z" for timestamps in project files.
std::string utcTimestamp();

/// Whether `path` is `folder` or lies inside it (both made absolute, links resolved where they
/// exist): inputs and outputs must not overlap the workspace's data.
bool isWithin(const std::filesystem::path& path, const std::filesystem::path& folder);

}  // namespace doppel
