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
const char* keepModeName(KeepMode mode);

struct TrackedFace {
    DetectedFace face;
    int trackId = -1;
    bool keep = false;
    bool gapFilled = false;     ///< placed by fillGaps between its neighbours, not detected
    bool placedByHand = false;  ///< placed by the user (kept by align's redo), not detected
};
using FaceTimeline = std::vector<std::vector<TrackedFace>>;  ///< [frame position][face]

/// Gives every face a track id: a face continues the track of the face in the previous frame it
/// overlaps most (IoU >= minIoU, greedy by overlap), else starts a new track. Ids start at 0.
void assignTracks(FaceTimeline& timeline, double minIoU = 0.3);

/// Marks the faces to keep. Largest: the biggest box per frame. All: every face. Track: one face
/// followed across frames -- the biggest face where nothing is followed yet, then whichever
/// face continues its track; a lost face is re-acquired after `reacquireAfter` empty frames.
void selectFaces(FaceTimeline& timeline, KeepMode mode, int reacquireAfter = 5);

/// Whether a face of this frame was left out that is not a second box on a kept face (IoU with
/// every kept face below 0.3): another person, whom keep largest/track did not align.
bool otherFaceLeftOut(const std::vector<TrackedFace>& faces);

/// Video: a face the detector loses for a few frames (motion blur, a hand, a fast turn) would
/// leave those frames unswapped, so the original face flashes in the result. Each run of at most
/// `maxGap` frames without a kept face, between two frames that have kept faces, gets each kept
/// face of the frame before it placed in every frame of the gap: box and landmarks interpolated
/// linearly toward the matching face after the gap (nearest box centre, within half a box width
/// and a size ratio of 1.5), marked gapFilled and kept. The face after the gap then continues the
/// same track id. Frames with fillable[i] false (unreadable) end a gap unfilled. Returns the
/// number of frames filled.
int fillGaps(FaceTimeline& timeline, const std::vector<bool>& fillable, int maxGap);

/// Landmarks of timeline[frame][face] averaged with the same track's landmarks up to `window`
/// frames before and after (triangular weights, stopping at gaps). window 0 = the face's own.
std::vector<std::array<float, 2>> smoothedLandmarks(const FaceTimeline& timeline, size_t frame,
                                                    size_t face, int window);

}  // namespace doppel
