#pragma once
// The people on a side, as the faceset knows them: the faces align followed across the frames of
// a clip share a track id, so each track is one person for as long as the tracker kept them; a
// face of a photo (no track) stands on its own. Review uses the groups to keep only the people
// meant to be swapped: in a scene with several people every kept face is swapped, so the faces
// of the others must go (DeepFaceLab leaves this to deleting files by hand).
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "faces/AlignedFace.h"

namespace doppel {

struct FaceTrackGroup {
    /// The track id as text ("7"), or for a face without a track its file stem ("000012_1").
    std::string key;
    int trackId = -1;  ///< -1: a single face of a photo, or placed away from any track
    int64_t firstFrame = 0, lastFrame = 0;
    std::vector<AlignedFace> faces;  ///< in frame order
    size_t largest = 0;              ///< index in `faces` of the largest face (shows the group)
    /// Mean centre and side of the detector boxes in frame pixels (where in the picture).
    double centreX = 0, centreY = 0, boxSide = 0;
};

/// The faces grouped by track, in order of first appearance (frame, then face index).
std::vector<FaceTrackGroup> groupFacesByTrack(std::vector<AlignedFace> faces);

/// Every face of the groups whose key is not in `keep`.
std::vector<AlignedFace> facesOutside(const std::vector<FaceTrackGroup>& groups,
                                      const std::set<std::string>& keep);

/// How many faces spread over a track make its look (groupLooks, loadGroupFaces).
constexpr int kLookFacesPerGroup = 8;

/// What the people views show of a group, with each face image read from disk once.
struct GroupFaces {
    std::vector<cv::Mat> strip;  ///< up to stripCount faces (BGR, stripSide px) start to end
    cv::Mat look;                ///< meanThumbnail of up to lookCount faces; empty if none read
};

/// The strip and look of one group (images from `dir`, the side's aligned/ folder). Unreadable
/// faces are left out of both.
GroupFaces loadGroupFaces(const FaceTrackGroup& group, const std::filesystem::path& dir,
                          int stripCount, int stripSide, int lookCount = kLookFacesPerGroup);

/// loadGroupFaces of every group, the groups spread over `threads` workers (0 = all cores).
std::vector<GroupFaces> loadAllGroupFaces(const std::vector<FaceTrackGroup>& groups,
                                          const std::filesystem::path& dir, int stripCount,
                                          int stripSide, int threads = 0);

/// Each group's look: meanThumbnail of up to `perGroup` of its faces spread over the track
/// (images read from `dir`, the side's aligned/ folder); empty when none could be read.
std::vector<cv::Mat> groupLooks(const std::vector<FaceTrackGroup>& groups,
                                const std::filesystem::path& dir,
                                int perGroup = kLookFacesPerGroup);

/// The looks of `faces` (GroupFaces::look of each), in order.
std::vector<cv::Mat> looksOf(const std::vector<GroupFaces>& faces);

/// For each group, the first earlier group it looks like (thumbnailLikeness of their looks at
/// least `threshold`), else -1: a person the tracker lost (a cut, a long occlusion) and found
/// again as a new track. Measured on the two-speaker GRID scene: one speaker's looks from
/// alternate frames 0.997-1.0, the two speakers 0.69-0.70; single faces against their own
/// speaker's look 0.97 and up, against the other's 0.70 at most.
std::vector<int> earlierLookAlikes(const std::vector<cv::Mat>& looks, double threshold = 0.9);

/// The keys in `keys` no group has (for a clear error), in the order given.
std::vector<std::string> unknownGroupKeys(const std::vector<FaceTrackGroup>& groups,
                                          const std::vector<std::string>& keys);

}  // namespace doppel
