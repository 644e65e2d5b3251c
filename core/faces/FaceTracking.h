#pragma once
// Video bookkeeping between detection and alignment (algorithms.md §1.1): faces matched across
// consecutive frames by box overlap (track ids), the choice of which faces to keep, and temporal
// smoothing of the landmarks the alignment is fitted on. Plain sequential code over all frames:
// it is cheap next to detection and must not depend on how detection was spread over threads.
#include <string>
#include <vector>

#include <opencv2/core.hpp>

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
    bool imported = false;      ///< landmarks given by the photo's face metadata, not detected
    /// faceLook of the face where it was detected (empty for faces read back or placed): a
    /// track continues only onto a face that looks like it.
    cv::Mat look;
};
using FaceTimeline = std::vector<std::vector<TrackedFace>>;  ///< [frame position][face]

/// A small grey copy of the face as alignment crops it (a full-face crop warped to 32 px by the
/// landmarks, normalised: normalizedThumbnail), for telling people apart from frame to frame.
cv::Mat faceLook(const cv::Mat& frameBgr, const std::vector<std::array<float, 2>>& landmarks68);

/// Gives every face a track id: a face continues the track of the face in the previous frame it
/// overlaps most (IoU >= minIoU, greedy by overlap) when the two look alike (likeness of their
/// looks >= minLikeness, where both have one), else starts a new track. Ids start at 0. Without
/// the look, a cut between two people standing in the same place (a dialogue's shot and reverse
/// shot, or two people trading places) would continue one track from one person to the other,
/// and smoothing would blend their landmarks. Measured: two GRID speakers trading sides,
/// consecutive frames of one person 0.988-0.999, the other person in the same place 0.64; the
/// lowest between consecutive frames of one person: 0.921 with a hand over the mouth (Intel's
/// "eat" clip), 0.854 across the cut between two clips of one GRID speaker.
void assignTracks(FaceTimeline& timeline, double minIoU = 0.3, double minLikeness = 0.8);

/// Marks the faces to keep. Largest: the biggest box per frame. All: every face. Track: one face
/// followed across frames -- the biggest face where nothing is followed yet, then whichever
/// face continues its track, or (its track ended, e.g. at a cut) a face that looks like it; a
/// face lost for `reacquireAfter` frames gives way to the biggest face again.
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
