#include "faces/FaceTrackGroups.h"

#include <algorithm>
#include <map>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/ParallelFor.h"
#include "faces/FaceSortKeys.h"

namespace doppel {

std::vector<FaceTrackGroup> groupFacesByTrack(std::vector<AlignedFace> faces) {
    std::stable_sort(faces.begin(), faces.end(), [](const AlignedFace& a, const AlignedFace& b) {
        return std::make_pair(a.frameIndex, a.faceIndex) <
               std::make_pair(b.frameIndex, b.faceIndex);
    });
    std::vector<FaceTrackGroup> groups;
    std::map<int, size_t> groupOfTrack;
    for (AlignedFace& face : faces) {
        size_t at = groups.size();
        if (face.trackId >= 0) {
            auto [it, added] = groupOfTrack.emplace(face.trackId, groups.size());
            at = it->second;
            if (!added) {
                groups[at].faces.push_back(std::move(face));
                continue;
            }
        }
        FaceTrackGroup group;
        group.trackId = face.trackId;
        group.key = face.trackId >= 0 ? std::to_string(face.trackId) : face.stem();
        group.faces.push_back(std::move(face));
        groups.push_back(std::move(group));
    }
    for (FaceTrackGroup& group : groups) {
        group.firstFrame = group.faces.front().frameIndex;
        group.lastFrame = group.faces.back().frameIndex;
        double largestSide = -1;
        for (size_t i = 0; i < group.faces.size(); ++i) {
            const auto& box = group.faces[i].box;
            const double side = std::max(box[2], box[3]);
            group.centreX += box[0] + box[2] / 2;
            group.centreY += box[1] + box[3] / 2;
            group.boxSide += side;
            if (side > largestSide) largestSide = side, group.largest = i;
        }
        const double n = double(group.faces.size());
        group.centreX /= n, group.centreY /= n, group.boxSide /= n;
    }
    return groups;
}

std::vector<AlignedFace> facesOutside(const std::vector<FaceTrackGroup>& groups,
                                      const std::set<std::string>& keep) {
    std::vector<AlignedFace> out;
    for (const FaceTrackGroup& group : groups)
        if (!keep.count(group.key)) out.insert(out.end(), group.faces.begin(), group.faces.end());
    return out;
}

namespace {

/// `count` indices spread evenly over [0, n): the first and the last always among them.
std::vector<size_t> spreadPicks(size_t n, int count) {
    std::vector<size_t> picks;
    const size_t wanted = std::min(n, size_t(std::max(0, count)));
    for (size_t k = 0; k < wanted; ++k) {
        const size_t at = wanted == 1 ? 0 : k * (n - 1) / (wanted - 1);
        if (picks.empty() || picks.back() != at) picks.push_back(at);
    }
    return picks;
}

}  // namespace

GroupFaces loadGroupFaces(const FaceTrackGroup& group, const std::filesystem::path& dir,
                          int stripCount, int stripSide, int lookCount) {
    const size_t n = group.faces.size();
    const std::vector<size_t> stripPicks = spreadPicks(n, stripCount);
    const std::vector<size_t> lookPicks = spreadPicks(n, std::max(1, lookCount));
    // The strip's picks and the look's overlap (first and last at least): read each face once.
    std::map<size_t, cv::Mat> images;
    for (const auto* picks : {&stripPicks, &lookPicks})
        for (size_t at : *picks)
            if (!images.count(at))
                images[at] =
                    cv::imread((dir / group.faces[at].imageName()).string(), cv::IMREAD_COLOR);
    GroupFaces out;
    for (size_t at : stripPicks) {
        const cv::Mat& image = images[at];
        if (image.empty()) continue;
        cv::Mat small;
        cv::resize(image, small, cv::Size(stripSide, stripSide), 0, 0, cv::INTER_AREA);
        out.strip.push_back(small);
    }
    std::vector<cv::Mat> thumbnails;
    for (size_t at : lookPicks)
        if (!images[at].empty()) thumbnails.push_back(normalizedThumbnail(images[at]));
    out.look = meanThumbnail(thumbnails);
    return out;
}

std::vector<GroupFaces> loadAllGroupFaces(const std::vector<FaceTrackGroup>& groups,
                                          const std::filesystem::path& dir, int stripCount,
                                          int stripSide, int threads) {
    std::vector<GroupFaces> out(groups.size());
    parallelFor(int64_t(groups.size()), threads > 0 ? threads : defaultThreadCount(),
                [&](int64_t i, int) {
                    out[size_t(i)] = loadGroupFaces(groups[size_t(i)], dir, stripCount, stripSide);
                });
    return out;
}

std::vector<cv::Mat> groupLooks(const std::vector<FaceTrackGroup>& groups,
                                const std::filesystem::path& dir, int perGroup) {
    std::vector<cv::Mat> looks(groups.size());
    parallelFor(int64_t(groups.size()), defaultThreadCount(), [&](int64_t i, int) {
        looks[size_t(i)] = loadGroupFaces(groups[size_t(i)], dir, 0, 0, perGroup).look;
    });
    return looks;
}

std::vector<cv::Mat> looksOf(const std::vector<GroupFaces>& faces) {
    std::vector<cv::Mat> looks;
    for (const GroupFaces& f : faces) looks.push_back(f.look);
    return looks;
}

std::vector<int> earlierLookAlikes(const std::vector<cv::Mat>& looks, double threshold) {
    std::vector<int> alike(looks.size(), -1);
    for (size_t i = 1; i < looks.size(); ++i) {
        if (looks[i].empty()) continue;
        for (size_t j = 0; j < i && alike[i] < 0; ++j)
            if (!looks[j].empty() && thumbnailLikeness(looks[i], looks[j]) >= threshold)
                alike[i] = alike[j] >= 0 ? alike[j] : int(j);  // the first of that person's rows
    }
    return alike;
}

std::vector<std::string> unknownGroupKeys(const std::vector<FaceTrackGroup>& groups,
                                          const std::vector<std::string>& keys) {
    std::vector<std::string> unknown;
    for (const std::string& key : keys)
        if (std::none_of(groups.begin(), groups.end(),
                         [&](const FaceTrackGroup& g) { return g.key == key; }))
            unknown.push_back(key);
    return unknown;
}

}  // namespace doppel
