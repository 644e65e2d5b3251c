#pragma once
// The orders of the Faces page's sort menu (measured with core/faces/FaceSortKeys; run on the
// thread pool, it reads every face image): blur and size put the worst (lowest) first so they
// can be selected and deleted together, yaw and pitch go from one extreme to the other,
// histogram similarity puts look-alikes side by side, odd ones out come first, and by person
// each track's faces come together (in the order the people appear, as People... lists them).
#include <vector>

#include "ui/FaceGridModel.h"

namespace doppel::ui {

/// In the order of the menu's entries.
enum class FaceSort { ByFrame, ByBlur, ByYaw, ByPitch, BySize, ByHistogram, ByOddness, ByPerson };

/// The new order of the rows (indices into `faces`).
std::vector<size_t> faceSortOrder(const std::vector<FaceEntry>& faces, FaceSort key);

}  // namespace doppel::ui
