#include "merge/MergePreviewer.h"

#include <algorithm>

#include "common/Error.h"

namespace doppel {

MergePreviewer::MergePreviewer(const Workspace& workspace, FaceSwapper& swapper,
                               size_t cachedFrames)
    : MergePreviewer(MergeSource(workspace), swapper, cachedFrames) {}

MergePreviewer::MergePreviewer(MergeSource source, FaceSwapper& swapper, size_t cachedFrames)
    : source_(std::move(source)), swapper_(swapper), capacity_(std::max<size_t>(1, cachedFrames)) {}

int64_t MergePreviewer::predictCalls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return predictCalls_;
}

void MergePreviewer::clearCache() {
    std::lock_guard<std::mutex> lock(mutex_);
    cache_.clear();
    recent_.clear();
}

const MergePreviewer::CachedFrame& MergePreviewer::cachedFrame(const MergeFrame& frame,
                                                               bool& fromCache) {
    auto it = cache_.find(frame.index);
    if (it != cache_.end()) {
        fromCache = true;
        recent_.remove(frame.index);
        recent_.push_front(frame.index);
        return it->second;
    }
    fromCache = false;
    // Merge settings never change what the network sees (face scale acts on the way back), so
    // the frame index alone is the cache key.
    CachedFrame entry;
    entry.frame = MergeSource::loadFrame(frame);
    const int res = swapper_.resolution();
    std::vector<cv::Mat> aligned;
    for (const auto& face : frame.faces)
        aligned.push_back(FaceCompositor::warpToAligned(entry.frame, face, res));
    std::vector<SwapPrediction> predictions;
    if (!aligned.empty()) {
        predictions = FaceCompositor::predictBatched(swapper_, aligned, 8);
        ++predictCalls_;
    }
    for (size_t i = 0; i < frame.faces.size(); ++i)
        entry.faces.push_back({frame.faces[i], aligned[i], std::move(predictions[i]),
                               source_.motionOf(frame, frame.faces[i]),
                               source_.segmentationOf(frame.faces[i])});
    while (cache_.size() >= capacity_ && !recent_.empty()) {
        cache_.erase(recent_.back());
        recent_.pop_back();
    }
    recent_.push_front(frame.index);
    return cache_.emplace(frame.index, std::move(entry)).first->second;
}

MergePreview MergePreviewer::render(int64_t frameIndex, const MergeSettings& settings) {
    std::lock_guard<std::mutex> lock(mutex_);
    const MergeFrame* frame = source_.find(frameIndex);
    if (!frame)
        throw Error(ErrorCode::NotFound,
                    "no destination frame " + std::to_string(frameIndex) + " to preview");
    MergePreview preview;
    preview.frameIndex = frameIndex;
    const CachedFrame& cached = cachedFrame(*frame, preview.fromCache);
    preview.before = cached.frame;
    preview.after = cached.frame.clone();
    preview.mask = cv::Mat::zeros(cached.frame.size(), CV_8UC1);
    for (const auto& face : cached.faces) {
        PreparedFace prepared = FaceCompositor::prepare(face, settings);
        if (!FaceCompositor::composite(preview.after, preview.mask, prepared, settings).empty())
            ++preview.faces;
    }
    FaceCompositor::finishFrame(preview.after, settings, preview.faces);
    return preview;
}

}  // namespace doppel
