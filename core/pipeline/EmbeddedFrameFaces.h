#pragma once
// The faces that frames of photo inputs come with (faces/EmbeddedFace.h): a folder of
// DeepFaceLab aligned faces, or another workspace's aligned/, added as a source input. Extract
// decodes such photos into frames like any other; this finds each frame's original file through
// frames/index.json and reads the landmarks it carries, so that align takes them as given.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/Workspace.h"
#include "faces/EmbeddedFace.h"
#include "faces/FaceDetector.h"
#include "pipeline/FrameFiles.h"

namespace doppel {

struct FrameEmbeddedFace {
    EmbeddedFace face;
    std::filesystem::path sourceFile;  ///< the input's file the frame was decoded from
    double scale = 1;  ///< frame pixels per pixel of the original (extract's max_side)
};

/// For each of `frames` (of the side's frames/) decoded from a photo that carries face metadata,
/// that face with its coordinates' scale. A photo whose metadata is damaged or does not fit its
/// frame adds a line to `warnings` and is left to the detector. The files are read on `threads`
/// workers.
std::map<int64_t, FrameEmbeddedFace> embeddedFacesOfFrames(const Workspace& workspace, Side side,
                                                           const std::vector<FrameFile>& frames,
                                                           std::vector<std::string>& warnings,
                                                           int threads = 1);

/// `embedded`'s landmarks and polygon points in frame pixels.
EmbeddedFace inFramePixels(const FrameEmbeddedFace& embedded);

/// A face whose landmarks came with its photo (frame pixels), as the detector would report it.
DetectedFace asDetectedFace(const EmbeddedFace& face);

/// `embedded`'s applied XSeg mask warped like the face (`frameToAligned`, `size` px); empty
/// when it has none.
cv::Mat maskInAligned(const FrameEmbeddedFace& embedded, const cv::Matx23d& frameToAligned,
                      int size);

/// `embedded`'s drawn polygons in the pixels of the face aligned by `frameToAligned`.
std::vector<MaskPolygon> polygonsInAligned(const FrameEmbeddedFace& embedded,
                                           const cv::Matx23d& frameToAligned);

}  // namespace doppel
