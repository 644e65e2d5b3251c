#pragma once
// Video bookkeeping between detection and alignment (algorithms.md §1.1): faces matched across
// consecutive frames by box overlap (track ids), the choice of which faces to keep, and temporal
// smoothing of the landmarks the alignment is fitted on. Plain sequential code over all frames:
// it is cheap next to detection and must not depend on how detection was spread over threads.
#include <string>
#include <vector>

#include "faces/FaceDetector.h"

namespace doppel {

enum class KeepMode { Largest, All, Track };
/// "largest", "all", "track"; throws Error(BadOption).
KeepMode parseKeepMode(const std::string& name);

struct TrackedFace {
    DetectedFace face;
    int trackId = -1;
    bool keep = false;
};
using FaceTimeline = std::vector<std::vector<TrackedFace>>;  ///< [frame position][face]

/// Gives every face a track id: a face continues the track of the face in the previous frame it
/// overlaps most (IoU >= minIoU, greedy by overlap), else starts a new track. Ids start at 0.
void assignTracks(FaceTimeline& timeline, double minIoU = 0.3);

/// Marks the faces to keep. Largest: the biggest box per frame. All: every face. Track: one face
/// followed across frames -- the biggest face where nothing is followed yet, then whichever
/// face continues its track; a lost face is re-acquired after `reacquireAfter` empty frames.
void selectFaces(FaceTimeline& timeline, KeepMode mode, int reacquireAfter = 5);

/// Landmarks of timeline[frame][face] averaged with the same track's landmarks up to `window`
/// frames before and after (triangular weights, stopping at gaps). window 0 = the face's own.
std::vector<std::array<float, 2>> smoothedLandmarks(const FaceTimeline& timeline, size_t frame,
                                                    size_t face, int window);

}  // namespace doppel
