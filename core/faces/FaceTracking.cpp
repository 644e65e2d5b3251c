#include "faces/FaceTracking.h"

#include <algorithm>
#include <tuple>

#include <opencv2/imgproc.hpp>

#include "common/Error.h"
#include "faces/FaceGeometry.h"
#include "faces/FaceSortKeys.h"

namespace doppel {

KeepMode parseKeepMode(const std::string& name) {
    if (name == "largest") return KeepMode::Largest;
    if (name == "all") return KeepMode::All;
    if (name == "track") return KeepMode::Track;
    throw Error(ErrorCode::BadOption, "unknown keep mode '" + name + "' (largest, all, track)");
}

const char* keepModeName(KeepMode mode) {
    switch (mode) {
        case KeepMode::All:
            return "all";
        case KeepMode::Track:
            return "track";
        default:
            return "largest";
    }
}

bool otherFaceLeftOut(const std::vector<TrackedFace>& faces) {
    for (const TrackedFace& candidate : faces) {
        if (candidate.keep) continue;
        const bool onAKeptFace = std::any_of(faces.begin(), faces.end(), [&](const TrackedFace& f) {
            return f.keep && boxIoU(f.face.box, candidate.face.box) >= 0.3;
        });
        if (!onAKeptFace) return true;
    }
    return false;
}

namespace {
// Likeness of two looks from which they are taken for one person (see assignTracks).
constexpr double kSameLook = 0.8;
}  // namespace

cv::Mat faceLook(const cv::Mat& frameBgr, const std::vector<std::array<float, 2>>& landmarks68) {
    if (frameBgr.empty() || landmarks68.size() < 68) return {};
    constexpr int kSide = 64;  // a little over the look's 32 px, for a clean downscale
    cv::Mat crop;
    cv::warpAffine(frameBgr, crop, cv::Mat(alignmentMatrix(landmarks68, kSide, FaceType::Full)),
                   cv::Size(kSide, kSide), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    return normalizedThumbnail(crop);
}

void assignTracks(FaceTimeline& timeline, double minIoU, double minLikeness) {
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
                    const cv::Mat &now = current[i].look, &before = previous[j].look;
                    const bool alike = now.empty() || before.empty() ||
                                       thumbnailLikeness(now, before) >= minLikeness;
                    if (iou >= minIoU && alike) pairs.emplace_back(iou, i, j);
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
    cv::Mat followedLook;  // the followed face as last seen
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
        // The followed person on a new track (after a cut): the face that looks like them.
        if (it == faces.end() && !followedLook.empty())
            it = std::find_if(faces.begin(), faces.end(), [&](const TrackedFace& f) {
                return !f.look.empty() && thumbnailLikeness(f.look, followedLook) >= kSameLook;
            });
        if (it == faces.end() && (followed < 0 || framesLost >= reacquireAfter))
            it = faces.begin() + std::ptrdiff_t(largestIndex(faces));
        if (it != faces.end()) {
            it->keep = true;
            followed = it->trackId;
            if (!it->look.empty()) followedLook = it->look;
            framesLost = 0;
        } else {
            ++framesLost;
        }
    }
}

namespace {

bool hasKeptFace(const std::vector<TrackedFace>& faces) {
    return std::any_of(faces.begin(), faces.end(), [](const TrackedFace& f) { return f.keep; });
}

/// The kept face of `after` that is the same face as `before` seen a few frames later, if any.
const TrackedFace* matchAcrossGap(const TrackedFace& before,
                                  const std::vector<TrackedFace>& after) {
    const cv::Rect2f& a = before.face.box;
    const cv::Point2f centre(a.x + a.width / 2, a.y + a.height / 2);
    const TrackedFace* best = nullptr;
    double bestDistance = 0;
    for (const auto& candidate : after) {
        const cv::Rect2f& b = candidate.face.box;
        if (!candidate.keep || candidate.face.landmarks.size() != before.face.landmarks.size())
            continue;
        const double ratio = double(b.width) / std::max(1e-3f, a.width);
        const double distance =
            cv::norm(cv::Point2f(b.x + b.width / 2, b.y + b.height / 2) - centre);
        if (ratio > 1.5 || ratio < 1 / 1.5 || distance > 0.5 * (a.width + b.width) / 2) continue;
        if (!best || distance < bestDistance) best = &candidate, bestDistance = distance;
    }
    return best;
}

TrackedFace interpolated(const TrackedFace& a, const TrackedFace& b, float t) {
    TrackedFace out = a;
    auto mix = [t](float x, float y) { return x + t * (y - x); };
    out.face.box = cv::Rect2f(mix(a.face.box.x, b.face.box.x), mix(a.face.box.y, b.face.box.y),
                              mix(a.face.box.width, b.face.box.width),
                              mix(a.face.box.height, b.face.box.height));
    for (size_t k = 0; k < out.face.landmarks.size(); ++k)
        for (int c = 0; c < 2; ++c)
            out.face.landmarks[k][c] = mix(a.face.landmarks[k][c], b.face.landmarks[k][c]);
    out.face.score = 0;
    out.keep = true;
    out.gapFilled = true;
    return out;
}

}  // namespace

int fillGaps(FaceTimeline& timeline, const std::vector<bool>& fillable, int maxGap) {
    int filled = 0;
    size_t f = 0;
    while (f < timeline.size()) {
        if (!hasKeptFace(timeline[f])) {
            ++f;
            continue;
        }
        // f has kept faces: measure the run of empty, fillable frames after it.
        size_t end = f + 1;
        while (end < timeline.size() && !hasKeptFace(timeline[end]) && fillable[end] &&
               timeline[end].empty())
            ++end;
        const size_t gap = end - f - 1;
        if (gap == 0 || gap > size_t(maxGap) || end >= timeline.size() ||
            !hasKeptFace(timeline[end])) {
            f = end;
            continue;
        }
        bool any = false;
        for (const TrackedFace& before : timeline[f]) {
            if (!before.keep) continue;
            const TrackedFace* after = matchAcrossGap(before, timeline[end]);
            if (!after) continue;
            for (size_t g = f + 1; g < end; ++g)
                timeline[g].push_back(interpolated(before, *after, float(g - f) / float(gap + 1)));
            // The face after the gap continues the track (smoothing, keep=track's choice).
            const int oldId = after->trackId;
            if (oldId >= 0 && oldId != before.trackId)
                for (size_t later = end; later < timeline.size(); ++later)
                    for (auto& face : timeline[later])
                        if (face.trackId == oldId) face.trackId = before.trackId;
            any = true;
        }
        if (any) filled += int(gap);
        f = end;
    }
    return filled;
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
