#pragma once
// Review operations on a side's aligned faces, shared by the CLI and the studio's Faces page:
// deleting faces into data_<side>/trash/ (restorable), restoring them, thinning a large faceset
// to its best faces, and what any change of faces makes stale: the side's pack, and on the
// destination the merged images of the frames concerned (merge then redoes exactly those).
#include <functional>
#include <string>
#include <vector>

#include "common/Progress.h"
#include "common/StageResult.h"
#include "common/Workspace.h"
#include "faces/AlignedFace.h"

namespace doppel {

class FacesetReview {
  public:
    /// Moves each face's sidecar (first: a face without one is ignored), image and predicted mask
    /// into trash/. Returns how many faces moved; failures are logged and skipped.
    static int trashFaces(const Workspace& workspace, Side side,
                          const std::vector<AlignedFace>& faces);
    /// Moves every face in trash/ back into aligned/. Returns how many faces came back.
    static int restoreFaces(const Workspace& workspace, Side side);
    /// Moves these faces of trash/ back into aligned/ (image, mask, sidecar last). A face whose
    /// name aligned/ holds again (align ran since and wrote that face anew) stays in the trash,
    /// with a warning: nothing is overwritten. Returns how many faces came back.
    static int restoreFaces(const Workspace& workspace, Side side,
                            const std::vector<AlignedFace>& faces);

    /// Keeps the `count` best faces of the side (pickBestFaces: poses covered evenly, sharpest
    /// first) and moves the others to trash/. Measures every face (progress per face; cancel
    /// leaves every face in place).
    static StageResult keepBest(const Workspace& workspace, Side side, size_t count,
                                ProgressSink& progress, const CancelToken& cancel);

    /// Takes an added input out of the source (Workspace::removeInput) and moves the aligned
    /// faces of its frames to trash/. Returns how many faces moved.
    static int removeInput(const Workspace& workspace, Side side, const std::string& name);

    /// How many frames of the side showed a face beside the one align kept (keep "largest" or
    /// "track"), as its last run that aligned frames counted; 0 when align keeps all faces now.
    static int64_t otherFacesLeftOut(const Workspace& workspace, Side side);
    /// When align kept one face per frame and the side shows more than one person (another
    /// face left out, or `groupCount` track groups): whoever was larger is the face of that
    /// frame, and keeping one person leaves frames without a face. Says so and how to align
    /// every face; empty otherwise.
    static std::string severalPeopleHint(const Workspace& workspace, Side side, size_t groupCount);

    /// Frames extracted anew with other settings (another fps, range, size) reuse the old frame
    /// numbers for other pictures: the faces aligned from the old ones (in aligned/ and trash/)
    /// must not stand for them, or align would keep them and merge paste them where the new
    /// frame has no such face. Moves those faces (image, sidecar, XSeg mask) into
    /// data_<side>/replaced/<time>/ (kept, not deleted: drawn masks and placed faces are the
    /// user's work), removes their debug images and, on the destination, their merged frames.
    /// Returns how many faces were set aside.
    static int setAsideFacesOfFrames(const Workspace& workspace, Side side,
                                     const std::function<bool(int64_t frame)>& covers,
                                     const std::string& reason);
    /// After faces of these frames changed (deleted, restored, placed): the side's pack becomes
    /// stale; on the destination the frames' merged images are removed and merge becomes stale.
    static void markFacesChanged(const Workspace& workspace, Side side,
                                 const std::vector<int64_t>& frameIndices,
                                 const std::string& reason);
};

}  // namespace doppel
