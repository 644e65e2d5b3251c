#pragma once
// The machine-readable synthetic-media label (EU AI Act Art. 50(2)) that every export carries as
// container metadata, and the read-back used by `doppel verify` and the tests:
//   comment            "AI-generated (synthetic) media made with Doppel <version> face swap"
//   description        a longer sentence saying the faces were replaced by a trained model
//   digitalSourceType  the IPTC term URI .../digitalsourcetype/trainedAlgorithmicMedia
//   synthetic_media    "true"
//   generator          "Doppel <version>"
// MP4/MOV keep the custom keys only with movflags=use_metadata_tags (VideoEncoder sets it);
// Matroska/WebM keep every key as a SimpleTag.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace doppel {

/// The IPTC NewsCodes URI for "created by a trained algorithm" (generative AI).
extern const char* const kTrainedAlgorithmicMediaUri;

/// The tags to write into every exported file.
std::map<std::string, std::string> syntheticMediaTags();

struct MediaStreamSummary {
    std::string type;            ///< "video", "audio", ...
    std::string codec;           ///< e.g. "h264", "aac"
    int64_t packets = 0;         ///< counted by reading the whole file (video: frames)
    double durationSeconds = 0;  ///< from the first to the end of the last packet
    double fps = 0;              ///< video: average frame rate the container states
    int width = 0;
    int height = 0;
};

struct MediaFileSummary {
    std::string container;       ///< libavformat's name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    double durationSeconds = 0;  ///< container duration
    std::map<std::string, std::string>
        tags;  ///< container tags, plus stream tags not already there
    std::vector<MediaStreamSummary> streams;
    const MediaStreamSummary* firstOfType(const std::string& type) const;
};

/// Reads the container, its tags and every packet (to count frames). Throws Error(NotFound /
/// InvalidInput) naming the file.
MediaFileSummary inspectMediaFile(const std::filesystem::path& path);

struct LabelCheck {
    bool labelled = false;  ///< digitalSourceType says trainedAlgorithmicMedia, or the comment says
                            ///< AI-generated
    std::string
        evidence;  ///< which tag matched, e.g. "digitalSourceType=...trainedAlgorithmicMedia"
};

/// Looks for a synthetic-media label in tags written by Doppel or by other tools (IPTC term).
LabelCheck checkSyntheticLabel(const std::map<std::string, std::string>& tags);

}  // namespace doppel
