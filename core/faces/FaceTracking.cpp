#include "faces/FaceTracking.h"

#include <algorithm>
#include <tuple>

#include "common/Error.h"

namespace doppel {

KeepMode parseKeepMode(const std::string& name) {
    if (name == "largest") return KeepMode::Largest;
    if (name == "all") return KeepMode::All;
    if (name == "track") return KeepMode::Track;
    throw Error(ErrorCode::BadOption, "unknown keep mode '" + name + "' (largest, all, track)");
}

void assignTracks(FaceTimeline& timeline, double minIoU) {
    int nextId = 0;
    for (size_t f = 0; f < timeline.size(); ++f) {
        auto& current = timeline[f];
        for (auto& face : current) face.trackId = -1;
        if (f > 0) {
            const auto& previous = timeline[f - 1];
            std::vector<std::tuple<double, size_t, size_t>> pairs;  // (IoU, current, previous)
            for (size_t i = 0; i < current.size(); ++i)
                for (size_t j = 0; j < previous.size(); ++j) {
                    double iou = boxIoU(current[i].face.box, previous[j].face.box);
                    if (iou >= minIoU) pairs.emplace_back(iou, i, j);
                }
            // Best overlaps first; ties broken by index so the result is fully deterministic.
            std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
                if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
                return std::make_pair(std::get<1>(a), std::get<2>(a)) <
                       std::make_pair(std::get<1>(b), std::get<2>(b));
            });
            std::vector<bool> usedPrevious(previous.size(), false);
            for (const auto& [iou, i, j] : pairs) {
                if (current[i].trackId >= 0 || usedPrevious[j] || previous[j].trackId < 0) continue;
                current[i].trackId = previous[j].trackId;
                usedPrevious[j] = true;
            }
        }
        for (auto& face : current)
            if (face.trackId < 0) face.trackId = nextId++;
    }
}

void selectFaces(FaceTimeline& timeline, KeepMode mode, int reacquireAfter) {
    auto largestIndex = [](const std::vector<TrackedFace>& faces) {
        size_t best = 0;
        for (size_t i = 1; i < faces.size(); ++i)
            if (faces[i].face.box.area() > faces[best].face.box.area()) best = i;
        return best;
    };
    int followed = -1;
    int framesLost = 0;
    for (auto& faces : timeline) {
        for (auto& face : faces) face.keep = mode == KeepMode::All;
        if (faces.empty() || mode == KeepMode::All) {
            if (faces.empty()) ++framesLost;
            continue;
        }
        if (mode == KeepMode::Largest) {
            faces[largestIndex(faces)].keep = true;
            continue;
        }
        auto it = std::find_if(faces.begin(), faces.end(),
                               [&](const TrackedFace& f) { return f.trackId == followed; });
        if (it != faces.end()) {
            it->keep = true;
            framesLost = 0;
        } else if (followed < 0 || framesLost >= reacquireAfter) {
            size_t best = largestIndex(faces);
            faces[best].keep = true;
            followed = faces[best].trackId;
            framesLost = 0;
        } else {
            ++framesLost;
        }
    }
}

std::vector<std::array<float, 2>> smoothedLandmarks(const FaceTimeline& timeline, size_t frame,
                                                    size_t face, int window) {
    const TrackedFace& centre = timeline[frame][face];
    if (window <= 0 || centre.trackId < 0) return centre.face.landmarks;
    std::vector<std::array<double, 2>> sum(centre.face.landmarks.size(), {0.0, 0.0});
    double totalWeight = 0;
    auto add = [&](const TrackedFace& f, double weight) {
        for (size_t k = 0; k < sum.size(); ++k) {
            sum[k][0] += weight * f.face.landmarks[k][0];
            sum[k][1] += weight * f.face.landmarks[k][1];
        }
        totalWeight += weight;
    };
    auto findTrack = [&](size_t f) -> const TrackedFace* {
        for (const auto& candidate : timeline[f])
            if (candidate.trackId == centre.trackId &&
                candidate.face.landmarks.size() == sum.size())
                return &candidate;
        return nullptr;
    };
    add(centre, window + 1.0);
    for (int direction : {-1, 1}) {
        for (int d = 1; d <= window; ++d) {
            long f = long(frame) + direction * d;
            if (f < 0 || f >= long(timeline.size())) break;
            const TrackedFace* neighbour = findTrack(size_t(f));
            if (!neighbour) break;  // a gap ends the window: never average across a cut
            add(*neighbour, window + 1.0 - d);
        }
    }
    std::vector<std::array<float, 2>> out(sum.size());
    for (size_t k = 0; k < sum.size(); ++k)
        out[k] = {float(sum[k][0] / totalWeight), float(sum[k][1] / totalWeight)};
    return out;
}

}  // namespace doppel
