#include "faces/AlignedFace.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "common/AtomicFile.h"
#include "common/Error.h"

namespace doppel {
namespace {

std::string stemOf(const AlignedFace& face) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%06lld_%d", static_cast<long long>(face.frameIndex),
                  face.faceIndex);
    return buffer;
}

template <typename T>
T requireField(const nlohmann::json& json, const char* key) {
    auto it = json.find(key);
    if (it == json.end() || it->is_null())
        throw Error(ErrorCode::InvalidInput,
                    std::string("aligned face metadata lacks field '") + key + "'");
    try {
        return it->get<T>();
    } catch (const nlohmann::json::exception&) {
        throw Error(ErrorCode::InvalidInput,
                    std::string("aligned face metadata field '") + key + "' has the wrong type");
    }
}

}  // namespace

std::string AlignedFace::stem() const {
    return stemOf(*this);
}
std::string AlignedFace::imageName() const {
    return stemOf(*this) + ".jpg";
}
std::string AlignedFace::metaName() const {
    return stemOf(*this) + ".json";
}
std::string AlignedFace::xsegMaskName() const {
    return stemOf(*this) + "_xseg.png";
}

std::vector<std::array<float, 2>> AlignedFace::alignedLandmarks() const {
    const auto& m = frameToAligned;
    std::vector<std::array<float, 2>> out;
    out.reserve(landmarks.size());
    for (const auto& p : landmarks) {
        double x = p[0], y = p[1];
        out.push_back({float(m[0] * x + m[1] * y + m[2]), float(m[3] * x + m[4] * y + m[5])});
    }
    return out;
}

std::array<double, 2> AlignedFace::alignedToFrame(const std::array<float, 2>& point) const {
    const auto& m = frameToAligned;
    const double det = m[0] * m[4] - m[1] * m[3];
    if (std::abs(det) < 1e-12)
        throw Error(ErrorCode::InvalidInput, "aligned face " + imageName() + ": singular matrix");
    const double u = point[0] - m[2], v = point[1] - m[5];
    return {(m[4] * u - m[1] * v) / det, (-m[3] * u + m[0] * v) / det};
}

nlohmann::json toJson(const AlignedFace& face) {
    nlohmann::json points = nlohmann::json::array();
    for (const auto& p : face.landmarks) points.push_back({p[0], p[1]});
    nlohmann::json json = {
        {"version", 1},
        {"source_frame", face.sourceFrame},
        {"frame_index", face.frameIndex},
        {"face_index", face.faceIndex},
        {"track_id", face.trackId},
        {"box", face.box},
        {"detector_score", face.detectorScore},
        {"placement", face.placement},
        {"roll_degrees", face.rollDegrees},
        {"landmarks", points},
        {"face_type", face.faceType},
        {"size", face.size},
        {"frame_to_aligned", face.frameToAligned},
        {"frame_width", face.frameWidth},
        {"frame_height", face.frameHeight},
    };
    // Only faces with a drawn mask carry the key, so sidecars without one stay as they were.
    if (face.hasDrawnMask()) {
        nlohmann::json polygons = nlohmann::json::array();
        for (const auto& polygon : face.maskPolygons)
            polygons.push_back(
                {{"mode", polygon.include ? "include" : "exclude"}, {"points", polygon.points}});
        json["mask_polygons"] = polygons;
    }
    return json;
}

AlignedFace alignedFaceFromJson(const nlohmann::json& json) {
    if (!json.is_object())
        throw Error(ErrorCode::InvalidInput, "aligned face metadata is not a JSON object");
    AlignedFace face;
    face.sourceFrame = requireField<std::string>(json, "source_frame");
    face.frameIndex = requireField<int64_t>(json, "frame_index");
    face.faceIndex = requireField<int>(json, "face_index");
    face.trackId = json.value("track_id", -1);
    face.box = requireField<std::array<float, 4>>(json, "box");
    face.detectorScore = json.value("detector_score", 0.0);
    face.placement = json.value("placement", std::string("detected"));
    face.rollDegrees = json.value("roll_degrees", 0.0);
    auto points = requireField<std::vector<std::array<float, 2>>>(json, "landmarks");
    if (points.size() != 68)
        throw Error(ErrorCode::InvalidInput, "aligned face metadata has " +
                                                 std::to_string(points.size()) +
                                                 " landmarks, expected 68");
    face.landmarks = std::move(points);
    face.faceType = requireField<std::string>(json, "face_type");
    face.size = requireField<int>(json, "size");
    if (face.size <= 0)
        throw Error(ErrorCode::InvalidInput, "aligned face metadata has a non-positive size");
    face.frameToAligned = requireField<std::array<double, 6>>(json, "frame_to_aligned");
    face.frameWidth = json.value("frame_width", 0);
    face.frameHeight = json.value("frame_height", 0);
    if (json.contains("mask_polygons")) {
        const auto& polygons = json["mask_polygons"];
        if (!polygons.is_array())
            throw Error(ErrorCode::InvalidInput,
                        "aligned face metadata: mask_polygons is not a list");
        for (const auto& entry : polygons) {
            MaskPolygon polygon;
            const std::string mode = entry.is_object() ? entry.value("mode", "") : "";
            if (mode != "include" && mode != "exclude")
                throw Error(ErrorCode::InvalidInput,
                            "aligned face metadata: a mask polygon's mode is not include/exclude");
            polygon.include = mode == "include";
            polygon.points = requireField<std::vector<std::array<float, 2>>>(entry, "points");
            face.maskPolygons.push_back(std::move(polygon));
        }
    }
    return face;
}

std::vector<MaskPolygon> carriedMaskPolygons(const AlignedFace& from, const AlignedFace& to) {
    const auto& b = to.frameToAligned;
    std::vector<MaskPolygon> out = from.maskPolygons;
    for (auto& polygon : out)
        for (auto& p : polygon.points) {
            const auto [x, y] = from.alignedToFrame(p);
            p = {float(b[0] * x + b[1] * y + b[2]), float(b[3] * x + b[4] * y + b[5])};
        }
    return out;
}

void writeAlignedFace(const std::filesystem::path& path, const AlignedFace& face) {
    // No .bak: a sidecar is rewritten by a redo (which replaces the image as well and carries a
    // drawn mask over) or by the mask editor, each write atomic.
    writeJsonAtomic(path, toJson(face), false);
}

AlignedFace readAlignedFace(const std::filesystem::path& path) {
    nlohmann::json json;
    try {
        json = readJsonFile(path);
    } catch (const Error& e) {
        throw Error(e.code(), path.string() + ": " + e.what());
    }
    try {
        return alignedFaceFromJson(json);
    } catch (const Error& e) {
        throw Error(e.code(), path.string() + ": " + e.what());
    }
}

std::vector<AlignedFace> listAlignedFaces(const std::filesystem::path& alignedDir) {
    namespace fs = std::filesystem;
    std::vector<AlignedFace> faces;
    if (!fs::is_directory(alignedDir)) return faces;
    for (const auto& entry : fs::directory_iterator(alignedDir)) {
        if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
        fs::path image = entry.path();
        image.replace_extension(".jpg");
        if (!fs::exists(image)) continue;  // the user deleted the face in review: it drops out
        faces.push_back(readAlignedFace(entry.path()));
    }
    std::sort(faces.begin(), faces.end(), [](const AlignedFace& a, const AlignedFace& b) {
        return a.frameIndex != b.frameIndex ? a.frameIndex < b.frameIndex
                                            : a.faceIndex < b.faceIndex;
    });
    return faces;
}

std::optional<std::pair<int64_t, int>> parseFaceStem(const std::string& stem) {
    auto allDigits = [](const std::string& text, size_t most) {
        return !text.empty() && text.size() <= most &&
               std::all_of(text.begin(), text.end(),
                           [](unsigned char c) { return std::isdigit(c); });
    };
    const size_t cut = stem.rfind('_');
    if (cut == std::string::npos) return std::nullopt;
    const std::string frame = stem.substr(0, cut), face = stem.substr(cut + 1);
    if (!allDigits(frame, 12) || !allDigits(face, 6)) return std::nullopt;
    return std::make_pair(int64_t(std::stoll(frame)), std::stoi(face));
}

std::map<int64_t, std::vector<std::filesystem::path>> sidecarsByFrame(
    const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    std::map<int64_t, std::vector<std::pair<int, fs::path>>> found;
    if (!fs::is_directory(dir)) return {};
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
        if (auto numbers = parseFaceStem(entry.path().stem().string()))
            found[numbers->first].emplace_back(numbers->second, entry.path());
    }
    std::map<int64_t, std::vector<fs::path>> byFrame;
    for (auto& [frame, faces] : found) {
        std::sort(faces.begin(), faces.end());
        for (auto& face : faces) byFrame[frame].push_back(std::move(face.second));
    }
    return byFrame;
}

}  // namespace doppel
