#pragma once
// Synthetic packed facesets for the engine tests (no OpenCV): simple drawn "faces" whose
// identity (skin tone, eye spacing, mouth width) differs between the two sides and whose pose
// (position, size) varies per face, so a network has something real to learn.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>

#include "common/PackedFaceset.h"

namespace doppel::test {

struct FaceIdentity {
    uint8_t skin[3];   ///< BGR
    float eyeSpacing;  ///< fraction of the face width
    float mouthWidth;  ///< fraction of the face width
};

inline FaceIdentity identityA() {
    return {{90, 140, 210}, 0.36f, 0.30f};
}
inline FaceIdentity identityB() {
    return {{60, 90, 130}, 0.22f, 0.50f};
}

inline PackedFaceset makeSyntheticFaceset(const std::string& side, const FaceIdentity& id,
                                          int count, int resolution, unsigned seed) {
    PackedFaceset set;
    set.side = side;
    set.resolution = resolution;
    set.faceType = "whole_face";
    const int r = resolution;
    set.faces.assign(size_t(count) * r * r * 3, 0);
    set.masks.assign(size_t(count) * r * r * 2, 0);
    set.landmarks.assign(size_t(count) * 68 * 2, 0.f);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> jitter(-1.f, 1.f);
    for (int n = 0; n < count; ++n) {
        set.ids.push_back(int64_t(n) * 100);
        set.names.push_back(std::to_string(n) + "_0.jpg");
        // Pose: the face centre and size move a little; the background gradient changes.
        const float cx = r * (0.5f + 0.06f * jitter(rng)), cy = r * (0.52f + 0.06f * jitter(rng));
        const float fw = r * (0.30f + 0.03f * jitter(rng)), fh = fw * 1.25f;
        const float bg = 80 + 60 * jitter(rng);
        const float eyeY = cy - 0.25f * fh, mouthY = cy + 0.45f * fh;
        const float eyeDx = id.eyeSpacing * fw * 1.2f, eyeR = 0.12f * fw;
        for (int y = 0; y < r; ++y) {
            for (int x = 0; x < r; ++x) {
                uint8_t* px = &set.faces[((size_t(n) * r + y) * r + x) * 3];
                uint8_t* mk = &set.masks[((size_t(n) * r + y) * r + x) * 2];
                const float g = bg + 40.f * float(x) / float(r);
                for (int k = 0; k < 3; ++k) px[k] = uint8_t(std::clamp(g + 10.f * k, 0.f, 255.f));
                const float ex = (x - cx) / fw, ey = (y - cy) / fh;
                if (ex * ex + ey * ey > 1.f) continue;
                mk[0] = 255;
                const float shade = 1.f - 0.25f * (ex * ex + ey * ey);
                for (int k = 0; k < 3; ++k)
                    px[k] = uint8_t(std::clamp(id.skin[k] * shade, 0.f, 255.f));
                const bool leftEye = std::hypot(x - (cx - eyeDx), y - eyeY) < eyeR;
                const bool rightEye = std::hypot(x - (cx + eyeDx), y - eyeY) < eyeR;
                const bool mouth =
                    std::fabs(y - mouthY) < 0.06f * fh && std::fabs(x - cx) < id.mouthWidth * fw;
                if (leftEye || rightEye) px[0] = 40, px[1] = 30, px[2] = 20;
                if (mouth) px[0] = 50, px[1] = 40, px[2] = 150;
                if (std::hypot(x - (cx - eyeDx), y - eyeY) < 2 * eyeR ||
                    std::hypot(x - (cx + eyeDx), y - eyeY) < 2 * eyeR ||
                    (std::fabs(y - mouthY) < 0.15f * fh &&
                     std::fabs(x - cx) < id.mouthWidth * fw * 1.3f))
                    mk[1] = 255;
            }
        }
    }
    return set;
}

/// Writes src (identity A) and dst (identity B) facesets under `root` and returns their folders.
inline std::pair<std::filesystem::path, std::filesystem::path> writeSyntheticPair(
    const std::filesystem::path& root, int resolution, int count = 24) {
    auto src = root / "data_src" / "packed", dst = root / "data_dst" / "packed";
    writePackedFaceset(src, makeSyntheticFaceset("src", identityA(), count, resolution, 11));
    writePackedFaceset(dst, makeSyntheticFaceset("dst", identityB(), count, resolution, 22));
    return {src, dst};
}

}  // namespace doppel::test
