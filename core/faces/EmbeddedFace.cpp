#include "faces/EmbeddedFace.h"

#include <algorithm>
#include <cctype>
#include <fstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/PickleReader.h"

namespace doppel {
namespace fs = std::filesystem;

namespace {

/// DeepFaceLab's SegIEPolyType.
constexpr int kDflExclude = 0;
constexpr int kDflInclude = 1;
constexpr size_t kLandmarkCount = 68;

/// The first `limit` bytes of a file (all of a small one).
std::string readHead(const fs::path& path, size_t limit) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorCode::Io, path.string() + ": cannot open");
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (!ec) limit = std::min<size_t>(limit, size_t(size));
    std::string bytes(limit, '\0');
    in.read(bytes.data(), std::streamsize(limit));
    bytes.resize(size_t(in.gcount()));
    return bytes;
}

std::vector<std::array<float, 2>> pointsOf(const std::vector<double>& flat) {
    std::vector<std::array<float, 2>> points;
    for (size_t i = 0; i + 1 < flat.size(); i += 2)
        points.push_back({float(flat[i]), float(flat[i + 1])});
    return points;
}

/// seg_ie_polys: {"polys": [{"type": 0|1, "pts": float32 array (n, 2)}, ...]}.
std::vector<MaskPolygon> dflPolygons(const PickleValue* segPolys) {
    std::vector<MaskPolygon> includes, excludes;
    const PickleValue* polys = segPolys ? segPolys->get("polys") : nullptr;
    if (!polys || polys->kind != PickleValue::Kind::List) return {};
    for (const PickleRef& poly : polys->items) {
        const PickleValue* type = poly->get("type");
        const PickleValue* pts = poly->get("pts");
        if (!type || !pts || !type->isNumber()) continue;
        auto flat = flatNumbers(*pts);
        if (!flat || flat->size() < 6) continue;  // a polygon needs three points
        MaskPolygon polygon;
        polygon.include = int(type->number()) == kDflInclude;
        if (!polygon.include && int(type->number()) != kDflExclude) continue;
        polygon.points = pointsOf(*flat);
        (polygon.include ? includes : excludes).push_back(std::move(polygon));
    }
    includes.insert(includes.end(), excludes.begin(), excludes.end());
    return includes;
}

}  // namespace

cv::Mat EmbeddedFace::mask() const {
    if (encodedMask.empty() || width <= 0 || height <= 0) return {};
    cv::Mat mask = cv::imdecode(
        cv::Mat(1, int(encodedMask.size()), CV_8U, const_cast<char*>(encodedMask.data())),
        cv::IMREAD_GRAYSCALE);
    if (!mask.empty() && mask.size() != cv::Size(width, height))
        cv::resize(mask, mask, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);
    return mask;
}

std::optional<JpegApp15> findJpegApp15(const std::string& bytes) {
    auto at = [&](size_t i) { return uint8_t(bytes[i]); };
    if (bytes.size() < 4 || at(0) != 0xFF || at(1) != 0xD8) return std::nullopt;
    JpegApp15 found;
    bool hasApp15 = false;
    size_t i = 2;
    while (i + 4 <= bytes.size()) {
        if (at(i) != 0xFF) return std::nullopt;  // not where a marker must be: damaged
        uint8_t marker = at(i + 1);
        if (marker == 0xFF) {  // fill byte
            ++i;
            continue;
        }
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {  // no length field
            i += 2;
            continue;
        }
        if (marker == 0xD9 || marker == 0xDA) break;  // end, or the scan: headers are over
        const size_t length = size_t(at(i + 2)) << 8 | at(i + 3);
        if (length < 2 || i + 2 + length > bytes.size()) break;
        const size_t body = i + 4, bodySize = length - 2;
        if (marker == 0xEF && !hasApp15) {
            found.payload = bytes.substr(body, bodySize);
            hasApp15 = true;
        }
        const bool frameHeader =
            marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (frameHeader && bodySize >= 5) {
            found.height = int(at(body + 1)) << 8 | at(body + 2);
            found.width = int(at(body + 3)) << 8 | at(body + 4);
        }
        i += 2 + length;
    }
    if (!hasApp15) return std::nullopt;
    return found;
}

EmbeddedFace faceFromDeepFaceLabDict(const std::string& pickle, int width, int height) {
    const PickleRef dict = parsePickle(pickle);
    if (dict->kind != PickleValue::Kind::Dict)
        throw Error(ErrorCode::InvalidInput, "the metadata is not a dict");
    const PickleValue* landmarks = dict->get("landmarks");
    if (!landmarks) throw Error(ErrorCode::InvalidInput, "the metadata has no landmarks");
    auto flat = flatNumbers(*landmarks);
    if (!flat || flat->size() != 2 * kLandmarkCount)
        throw Error(ErrorCode::InvalidInput,
                    "the landmarks are not 68 points" +
                        (flat ? " (" + std::to_string(flat->size() / 2) + ")" : std::string()));
    EmbeddedFace face;
    face.origin = "DeepFaceLab";
    const PickleValue* faceType = dict->get("face_type");
    face.faceType =
        faceType && faceType->kind == PickleValue::Kind::String ? faceType->text : "full_face";
    face.width = width;
    face.height = height;
    face.landmarks = pointsOf(*flat);
    face.polygons = dflPolygons(dict->get("seg_ie_polys"));
    // xseg_mask: a numpy uint8 buffer holding a PNG or JPEG of the mask at XSeg's resolution.
    if (const PickleValue* mask = dict->get("xseg_mask"))
        if (auto buffer = numpyArray(*mask); buffer && buffer->dtype == "u1")
            face.encodedMask = std::move(buffer->data);
    return face;
}

std::optional<EmbeddedFace> readEmbeddedFace(const fs::path& image) {
    std::string ext = image.extension().string();
    for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (ext == ".jpg" || ext == ".jpeg") {
        // APP segments come before the scan (the scan data is never read); DeepFaceLab's dict
        // is at most ~60 KB.
        const std::string head = readHead(image, size_t(256) << 10);
        if (auto app15 = findJpegApp15(head)) {
            try {
                return faceFromDeepFaceLabDict(app15->payload, app15->width, app15->height);
            } catch (const Error& e) {
                throw Error(ErrorCode::InvalidInput,
                            image.string() + ": DeepFaceLab face metadata unreadable: " + e.what());
            }
        }
    }
    // A Doppel aligned face: its sidecar (another workspace's aligned/ brought in as photos).
    fs::path sidecar = image;
    sidecar.replace_extension(".json");
    std::error_code ec;
    if (!fs::is_regular_file(sidecar, ec)) return std::nullopt;
    AlignedFace aligned;
    try {
        aligned = readAlignedFace(sidecar);
    } catch (const std::exception&) {
        return std::nullopt;  // some other JSON next to a photo: not face metadata
    }
    if (aligned.landmarks.size() != kLandmarkCount || aligned.size <= 0) return std::nullopt;
    EmbeddedFace face;
    face.origin = "Doppel";
    face.faceType = aligned.faceType;
    face.width = face.height = aligned.size;
    face.landmarks = aligned.alignedLandmarks();
    face.polygons = aligned.maskPolygons;  // already in the aligned image's pixels
    // Its xseg-apply mask, if it has one ("000001_0_xseg.png", made for this very crop).
    const fs::path mask = image.parent_path() / aligned.xsegMaskName();
    if (fs::is_regular_file(mask, ec)) face.encodedMask = readFileBytes(mask);
    return face;
}

}  // namespace doppel
