#include "ui/FaceSortOrder.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <tuple>

#include <opencv2/imgcodecs.hpp>

#include "common/Log.h"
#include "faces/FaceSortKeys.h"

namespace doppel::ui {

std::vector<size_t> faceSortOrder(const std::vector<FaceEntry>& faces, FaceSort key) {
    std::vector<size_t> order(faces.size());
    std::iota(order.begin(), order.end(), 0);
    if (key == FaceSort::ByFrame) {
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return std::make_pair(faces[a].meta.frameIndex, faces[a].meta.faceIndex) <
                   std::make_pair(faces[b].meta.frameIndex, faces[b].meta.faceIndex);
        });
        return order;
    }
    if (key == FaceSort::ByPerson) {
        // The order of the People dialog's rows: each track from its first appearance on;
        // faces of photos (no track) on their own, where they appear.
        std::map<int, std::pair<int64_t, int>> firstOfTrack;  // track -> (frame, face)
        for (const FaceEntry& f : faces) {
            if (f.meta.trackId < 0) continue;
            const auto at = std::make_pair(f.meta.frameIndex, f.meta.faceIndex);
            auto [it, added] = firstOfTrack.emplace(f.meta.trackId, at);
            if (!added) it->second = std::min(it->second, at);
        }
        auto groupStart = [&](const FaceEntry& f) {
            return f.meta.trackId < 0 ? std::make_pair(f.meta.frameIndex, f.meta.faceIndex)
                                      : firstOfTrack[f.meta.trackId];
        };
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return std::make_tuple(groupStart(faces[a]), faces[a].meta.frameIndex) <
                   std::make_tuple(groupStart(faces[b]), faces[b].meta.frameIndex);
        });
        return order;
    }
    std::vector<FaceSortKeys> keys(faces.size());
    for (size_t i = 0; i < faces.size(); ++i) {
        cv::Mat image = cv::imread(faces[i].imagePath.toStdString(), cv::IMREAD_COLOR);
        const AlignedFace& m = faces[i].meta;
        try {
            keys[i] =
                computeFaceSortKeys(image, m.landmarks, cv::Size(m.frameWidth, m.frameHeight));
        } catch (const std::exception& e) {
            logWarning(faces[i].imagePath.toStdString() + ": " + e.what());
        }
    }
    if (key == FaceSort::ByHistogram) {
        std::vector<std::vector<float>> histograms;
        for (auto& k : keys) histograms.push_back(std::move(k.histogram));
        return orderByHistogramSimilarity(histograms);
    }
    if (key == FaceSort::ByOddness) {
        // Least like the rest first: a crop where the landmarks missed the face, another person.
        std::vector<cv::Mat> thumbnails;
        for (const auto& k : keys) thumbnails.push_back(k.thumbnail);
        const std::vector<double> likeness = likenessToTheSet(thumbnails);
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t a, size_t b) { return likeness[a] < likeness[b]; });
        return order;
    }
    auto value = [&](size_t i) {
        switch (key) {
            case FaceSort::ByBlur:
                return keys[i].blur;
            case FaceSort::ByYaw:
                return keys[i].yawDegrees;
            case FaceSort::ByPitch:
                return keys[i].pitchDegrees;
            default:
                return keys[i].size;
        }
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return value(a) < value(b); });
    return order;
}

}  // namespace doppel::ui
