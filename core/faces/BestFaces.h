#pragma once
// Thinning a large faceset to its best faces (DeepFaceLab's "best faces" sort, done our own way).
// A source built from several clips easily holds tens of thousands of faces, most of them near
// duplicates of a frontal pose; training time is then spent on what the model already knows
// while rare poses are seen seldom. DeepFaceLab's guides advise a few thousand varied faces.
#include <cstddef>
#include <vector>

#include "faces/FaceSortKeys.h"

namespace doppel {

/// Which `count` faces to keep: the head poses are covered evenly and the sharpest face of each
/// pose comes first. The blurriest fifth is left out unless fewer faces remain than asked for;
/// the rest is binned on a yaw x pitch grid over the range the faces span (about `count` bins,
/// yaw cut twice as finely: heads turn more than they nod), and the bins are visited in turn,
/// each giving its sharpest face not yet taken, until `count` are taken. Returns indices into
/// `keys`, ascending; all of them when count >= keys.size().
std::vector<size_t> pickBestFaces(const std::vector<FaceSortKeys>& keys, size_t count);

}  // namespace doppel
