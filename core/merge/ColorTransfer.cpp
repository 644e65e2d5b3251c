#include "merge/ColorTransfer.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "common/Error.h"

namespace doppel {
namespace {

constexpr float kStatsMaskThreshold = 0.5f;  // a pixel counts for statistics when mask >= this
constexpr int64_t kMinPixels = 16;           // fewer masked pixels: statistics are noise

void checkInputs(const cv::Mat& face, const cv::Mat& target, const cv::Mat& mask) {
    if (face.type() != CV_32FC3 || target.type() != CV_32FC3 || mask.type() != CV_32FC1 ||
        face.size() != target.size() || face.size() != mask.size())
        throw Error(ErrorCode::Internal,
                    "colour transfer needs CV_32FC3 face/target and a CV_32FC1 mask of one size");
}

ColorStats measure(const cv::Mat& image, const cv::Mat& mask) {
    ColorStats s;
    cv::Vec3d sum(0, 0, 0);
    cv::Matx33d outer = cv::Matx33d::zeros();
    for (int y = 0; y < image.rows; ++y) {
        const cv::Vec3f* px = image.ptr<cv::Vec3f>(y);
        const float* m = mask.ptr<float>(y);
        for (int x = 0; x < image.cols; ++x) {
            if (m[x] < kStatsMaskThreshold) continue;
            cv::Vec3d v(px[x][0], px[x][1], px[x][2]);
            sum += v;
            for (int i = 0; i < 3; ++i)
                for (int j = i; j < 3; ++j) outer(i, j) += v[i] * v[j];
            ++s.count;
        }
    }
    if (s.count < kMinPixels) return ColorStats{{0, 0, 0}, cv::Matx33d::eye(), 0};
    double n = double(s.count);
    s.mean = sum / n;
    for (int i = 0; i < 3; ++i)
        for (int j = i; j < 3; ++j) {
            s.cov(i, j) = outer(i, j) / n - s.mean[i] * s.mean[j];
            s.cov(j, i) = s.cov(i, j);
        }
    return s;
}

// Symmetric square root (power +0.5) or inverse square root (power -0.5) of a covariance,
// through its eigen-decomposition; tiny eigenvalues are floored so flat faces stay stable.
cv::Matx33d symmetricPower(const cv::Matx33d& m, double power) {
    cv::Mat values, vectors;
    cv::eigen(cv::Mat(m), values, vectors);  // rows of `vectors` are eigenvectors
    cv::Matx33d e(vectors), d = cv::Matx33d::zeros();
    for (int i = 0; i < 3; ++i) d(i, i) = std::pow(std::max(values.at<double>(i), 1e-6), power);
    return e.t() * d * e;
}

// x' = T (x - mu_s) + mu_t on every pixel with mask > 0, in the image's own colour space.
void applyAffine(cv::Mat& image, const cv::Mat& mask, const cv::Matx33d& t, const cv::Vec3d& muS,
                 const cv::Vec3d& muT) {
    cv::Matx33f tf(t);
    cv::Vec3f ms(muS), mt(muT);
    for (int y = 0; y < image.rows; ++y) {
        cv::Vec3f* px = image.ptr<cv::Vec3f>(y);
        const float* m = mask.ptr<float>(y);
        for (int x = 0; x < image.cols; ++x)
            if (m[x] > 0) px[x] = tf * (px[x] - ms) + mt;
    }
}

// Copies `changed` into `face` where mask > 0, clipped to 0..1.
void commitMasked(cv::Mat& face, const cv::Mat& changed, const cv::Mat& mask) {
    for (int y = 0; y < face.rows; ++y) {
        cv::Vec3f* out = face.ptr<cv::Vec3f>(y);
        const cv::Vec3f* in = changed.ptr<cv::Vec3f>(y);
        const float* m = mask.ptr<float>(y);
        for (int x = 0; x < face.cols; ++x)
            if (m[x] > 0)
                for (int c = 0; c < 3; ++c) out[x][c] = std::clamp(in[x][c], 0.0f, 1.0f);
    }
}

void applyRct(cv::Mat& face, const cv::Mat& mask, const ColorStatsPair& st) {
    cv::Mat lab;
    cv::cvtColor(face, lab, cv::COLOR_BGR2Lab);
    cv::Matx33d scale = cv::Matx33d::zeros();
    for (int c = 0; c < 3; ++c)
        scale(c, c) = std::sqrt(std::max(st.target.cov(c, c), 1e-8)) /
                      std::sqrt(std::max(st.source.cov(c, c), 1e-8));
    applyAffine(lab, mask, scale, st.source.mean, st.target.mean);
    // Clip to the Lab gamut before going back, as Reinhard's method assumes.
    for (int y = 0; y < lab.rows; ++y) {
        cv::Vec3f* px = lab.ptr<cv::Vec3f>(y);
        for (int x = 0; x < lab.cols; ++x) {
            px[x][0] = std::clamp(px[x][0], 0.0f, 100.0f);
            px[x][1] = std::clamp(px[x][1], -127.0f, 127.0f);
            px[x][2] = std::clamp(px[x][2], -127.0f, 127.0f);
        }
    }
    cv::Mat back;
    cv::cvtColor(lab, back, cv::COLOR_Lab2BGR);
    commitMasked(face, back, mask);
}

void applyLinear(cv::Mat& face, const cv::Mat& mask, ColorMode mode, const ColorStatsPair& st) {
    cv::Matx33d t;
    if (mode == ColorMode::Lct) {
        t = symmetricPower(st.target.cov, 0.5) * symmetricPower(st.source.cov, -0.5);
    } else {  // MKL: the Monge-Kantorovich map between the two Gaussians
        cv::Matx33d aHalf = symmetricPower(st.source.cov, 0.5),
                    aInvHalf = symmetricPower(st.source.cov, -0.5);
        cv::Matx33d c = aHalf * st.target.cov * aHalf;
        t = aInvHalf * symmetricPower(c, 0.5) * aInvHalf;
    }
    cv::Mat changed = face.clone();
    applyAffine(changed, mask, t, st.source.mean, st.target.mean);
    commitMasked(face, changed, mask);
}

// The pixels a non-linear transfer works on: every pixel with mask > 0 (they all get moved) as
// an N x 3 float matrix, their row-major positions, and which rows are also statistics pixels
// (mask >= kStatsMaskThreshold). The transport is estimated from the statistics rows only, so a
// feathered rim (or anything outside the mask) never skews it, and then applied to every row.
struct MaskedPixels {
    cv::Mat values;
    std::vector<int> positions;
    std::vector<int> statsRows;
};

MaskedPixels gatherMasked(const cv::Mat& image, const cv::Mat& mask) {
    MaskedPixels out;
    std::vector<cv::Vec3f> values;
    for (int y = 0; y < image.rows; ++y) {
        const cv::Vec3f* px = image.ptr<cv::Vec3f>(y);
        const float* m = mask.ptr<float>(y);
        for (int x = 0; x < image.cols; ++x) {
            if (m[x] <= 0) continue;
            if (m[x] >= kStatsMaskThreshold) out.statsRows.push_back(int(values.size()));
            values.push_back(px[x]);
            out.positions.push_back(y * image.cols + x);
        }
    }
    out.values = cv::Mat(int(values.size()), 3, CV_32F, values.data()).clone();
    return out;
}

// The statistics pixels (mask >= kStatsMaskThreshold) only, as an N x 3 float matrix.
cv::Mat gatherStatsPixels(const cv::Mat& image, const cv::Mat& mask) {
    std::vector<cv::Vec3f> values;
    for (int y = 0; y < image.rows; ++y) {
        const cv::Vec3f* px = image.ptr<cv::Vec3f>(y);
        const float* m = mask.ptr<float>(y);
        for (int x = 0; x < image.cols; ++x)
            if (m[x] >= kStatsMaskThreshold) values.push_back(px[x]);
    }
    return cv::Mat(int(values.size()), 3, CV_32F, values.data()).clone();
}

// Writes the moved rows back into `face` at their positions, clipped to 0..1.
void scatterMasked(cv::Mat& face, const cv::Mat& values, const std::vector<int>& positions) {
    for (int i = 0; i < values.rows; ++i) {
        cv::Vec3f v = values.at<cv::Vec3f>(i);
        for (int c = 0; c < 3; ++c) v[c] = std::clamp(v[c], 0.0f, 1.0f);
        face.at<cv::Vec3f>(positions[i] / face.cols, positions[i] % face.cols) = v;
    }
}

cv::Matx33f randomRotation(std::mt19937_64& rng) {
    std::normal_distribution<double> normal;
    cv::Vec3d a(normal(rng), normal(rng), normal(rng)), b(normal(rng), normal(rng), normal(rng));
    a = cv::normalize(a);
    b = cv::normalize(b - a * a.dot(b));  // Gram-Schmidt
    cv::Vec3d c = a.cross(b);
    return cv::Matx33f(float(a[0]), float(a[1]), float(a[2]), float(b[0]), float(b[1]), float(b[2]),
                       float(c[0]), float(c[1]), float(c[2]));
}

// 1-D histogram matching: the map that takes the distribution of `source` values to that of
// `target` values (through both CDFs on a shared range), evaluated at each of `values`.
std::vector<float> matchQuantiles(const std::vector<float>& source,
                                  const std::vector<float>& target,
                                  const std::vector<float>& values) {
    constexpr int kBins = 300;
    auto [sMin, sMax] = std::minmax_element(source.begin(), source.end());
    auto [tMin, tMax] = std::minmax_element(target.begin(), target.end());
    float lo = std::min(*sMin, *tMin), hi = std::max(*sMax, *tMax);
    if (hi - lo < 1e-6f) return values;
    float step = (hi - lo) / kBins;
    auto cdf = [&](const std::vector<float>& v) {
        std::vector<double> h(kBins, 0);
        for (float x : v) h[std::clamp(int((x - lo) / step), 0, kBins - 1)] += 1;
        std::partial_sum(h.begin(), h.end(), h.begin());
        for (double& c : h) c /= h.back();
        return h;
    };
    std::vector<double> cs = cdf(source), ct = cdf(target);
    // Map each bin's upper edge through ct^-1(cs(.)), linearly inside bins.
    std::vector<float> lut(kBins + 1);
    lut[0] = lo;
    size_t j = 0;
    for (int i = 0; i < kBins; ++i) {
        double q = cs[i];
        while (j + 1 < ct.size() && ct[j] < q) ++j;
        double prev = j == 0 ? 0.0 : ct[j - 1];
        double frac = ct[j] > prev ? (q - prev) / (ct[j] - prev) : 1.0;
        lut[i + 1] = float(lo + step * (double(j) + std::clamp(frac, 0.0, 1.0)));
    }
    std::vector<float> out(values.size());
    for (size_t k = 0; k < values.size(); ++k) {
        // Rim pixels may lie outside the statistics range: they take the end of the map.
        float pos = std::clamp((values[k] - lo) / step, 0.0f, float(kBins));
        int i = std::min(int(pos), kBins - 1);
        float f = pos - float(i);
        out[k] = lut[i] * (1 - f) + lut[i + 1] * f;
    }
    return out;
}

void applyIdt(cv::Mat& face, const cv::Mat& target, const cv::Mat& mask,
              const ColorTransferParams& p) {
    MaskedPixels src = gatherMasked(face, mask);
    cv::Mat tgt = gatherStatsPixels(target, mask);
    const int n = src.values.rows, ns = int(src.statsRows.size());
    if (ns < kMinPixels || tgt.rows < kMinPixels) return;
    std::mt19937_64 rng(p.seed);
    std::vector<float> all(n), stats(ns), pt(tgt.rows);
    for (int it = 0; it < p.idtIterations; ++it) {
        cv::Matx33f r = randomRotation(rng);
        cv::Mat moved = cv::Mat::zeros(n, 3, CV_32F);
        for (int axis = 0; axis < 3; ++axis) {
            cv::Vec3f dir(r(axis, 0), r(axis, 1), r(axis, 2));
            for (int i = 0; i < n; ++i) all[i] = src.values.at<cv::Vec3f>(i).dot(dir);
            for (int k = 0; k < ns; ++k) stats[k] = all[src.statsRows[k]];
            for (int i = 0; i < tgt.rows; ++i) pt[i] = tgt.at<cv::Vec3f>(i).dot(dir);
            std::vector<float> matched = matchQuantiles(stats, pt, all);
            for (int i = 0; i < n; ++i) moved.at<cv::Vec3f>(i) += dir * (matched[i] - all[i]);
        }
        src.values +=
            moved;  // full step along an orthonormal basis (Pitie et al.); converges in ~10-20
    }
    scatterMasked(face, src.values, src.positions);
}

void applySot(cv::Mat& face, const cv::Mat& target, const cv::Mat& mask,
              const ColorTransferParams& p) {
    MaskedPixels src = gatherMasked(face, mask);
    cv::Mat tgt = gatherStatsPixels(target, mask);
    const int n = src.values.rows, ns = int(src.statsRows.size()), nt = tgt.rows;
    if (ns < kMinPixels || nt < kMinPixels) return;
    cv::Mat original = src.values.clone();
    std::mt19937_64 rng(p.seed);
    std::normal_distribution<double> normal;
    std::vector<float> all(n), stats(ns), pt(nt);
    for (int step = 0; step < p.sotSteps; ++step) {
        cv::Mat advect = cv::Mat::zeros(n, 3, CV_32F);
        for (int d = 0; d < p.sotDirections; ++d) {
            cv::Vec3f dir = cv::normalize(
                cv::Vec3f(float(normal(rng)), float(normal(rng)), float(normal(rng))));
            for (int i = 0; i < n; ++i) all[i] = src.values.at<cv::Vec3f>(i).dot(dir);
            for (int k = 0; k < ns; ++k) stats[k] = all[src.statsRows[k]];
            for (int i = 0; i < nt; ++i) pt[i] = tgt.at<cv::Vec3f>(i).dot(dir);
            std::sort(stats.begin(), stats.end());
            std::sort(pt.begin(), pt.end());
            // A pixel at quantile q of the statistics pixels' projections moves to the target's
            // projection at the same quantile.
            for (int i = 0; i < n; ++i) {
                int64_t rank = std::lower_bound(stats.begin(), stats.end(), all[i]) - stats.begin();
                float q = pt[std::min<int64_t>(nt - 1, (rank * nt) / ns)];
                advect.at<cv::Vec3f>(i) += dir * (q - all[i]);
            }
        }
        src.values += advect / double(p.sotDirections);
    }
    // Smooth the displacement field in image space: per-pixel transport is noisy (speckle).
    cv::Mat displacement = cv::Mat::zeros(face.size(), CV_32FC3);
    for (int i = 0; i < n; ++i)
        displacement.at<cv::Vec3f>(src.positions[i] / face.cols, src.positions[i] % face.cols) =
            src.values.at<cv::Vec3f>(i) - original.at<cv::Vec3f>(i);
    cv::Mat smooth;
    double sigmaSpace = std::max(2.0, 16.0 * face.cols / 256.0);
    cv::bilateralFilter(displacement, smooth, 0, 0.05, sigmaSpace);
    cv::Mat changed = face + smooth;
    commitMasked(face, changed, mask);
}

void applyHistMatch(cv::Mat& face, const cv::Mat& target, const cv::Mat& mask, int threshold) {
    auto histogram = [&](const cv::Mat& image, int channel) {
        std::vector<double> h(256, 0);
        for (int y = 0; y < image.rows; ++y) {
            const cv::Vec3f* px = image.ptr<cv::Vec3f>(y);
            const float* m = mask.ptr<float>(y);
            for (int x = 0; x < image.cols; ++x)
                if (m[x] >= kStatsMaskThreshold)
                    h[std::clamp(int(px[x][channel] * 255.0f + 0.5f), 0, 255)] += 1;
        }
        // Clipping tall bins keeps one dominant tone (e.g. a shadow) from steering the match.
        double cap = *std::max_element(h.begin(), h.end()) * threshold / 255.0;
        for (double& v : h) v = std::min(v, cap);
        std::partial_sum(h.begin(), h.end(), h.begin());
        if (h.back() > 0)
            for (double& v : h) v /= h.back();
        return h;
    };
    cv::Mat changed = face.clone();
    for (int c = 0; c < 3; ++c) {
        std::vector<double> cs = histogram(face, c), ct = histogram(target, c);
        if (cs.back() <= 0 || ct.back() <= 0) return;
        std::vector<float> lut(256);
        int j = 0;
        for (int i = 0; i < 256; ++i) {
            while (j < 255 && ct[j] < cs[i]) ++j;
            lut[i] = float(j) / 255.0f;
        }
        for (int y = 0; y < changed.rows; ++y) {
            cv::Vec3f* px = changed.ptr<cv::Vec3f>(y);
            for (int x = 0; x < changed.cols; ++x) {
                float pos = std::clamp(px[x][c], 0.0f, 1.0f) * 255.0f;
                int i = std::min(254, int(pos));
                float f = pos - float(i);
                px[x][c] = lut[i] * (1 - f) + lut[i + 1] * f;
            }
        }
    }
    commitMasked(face, changed, mask);
}

}  // namespace

bool colorModeHasStats(ColorMode mode) {
    return mode == ColorMode::Rct || mode == ColorMode::Lct || mode == ColorMode::Mkl;
}

ColorStatsPair measureColorStats(const cv::Mat& face, const cv::Mat& target, const cv::Mat& mask,
                                 ColorMode mode) {
    checkInputs(face, target, mask);
    ColorStatsPair pair;
    if (!colorModeHasStats(mode)) return pair;
    if (mode == ColorMode::Rct) {
        cv::Mat faceLab, targetLab;
        cv::cvtColor(face, faceLab, cv::COLOR_BGR2Lab);
        cv::cvtColor(target, targetLab, cv::COLOR_BGR2Lab);
        pair.source = measure(faceLab, mask);
        pair.target = measure(targetLab, mask);
    } else {
        pair.source = measure(face, mask);
        pair.target = measure(target, mask);
    }
    if (!pair.valid()) pair.source.count = pair.target.count = 0;
    return pair;
}

ColorStatsPair blendColorStats(const ColorStatsPair& previous, const ColorStatsPair& current,
                               double weight) {
    if (!previous.valid() || !current.valid() || weight <= 0) return current;
    auto mix = [weight](const ColorStats& a, const ColorStats& b) {
        ColorStats s;
        s.mean = a.mean * weight + b.mean * (1 - weight);
        s.cov = a.cov * weight + b.cov * (1 - weight);
        s.count = b.count;
        return s;
    };
    return {mix(previous.source, current.source), mix(previous.target, current.target)};
}

void applyColorTransfer(cv::Mat& face, const cv::Mat& target, const cv::Mat& mask, ColorMode mode,
                        const ColorStatsPair* stats, const ColorTransferParams& params) {
    checkInputs(face, target, mask);
    switch (mode) {
        case ColorMode::None:
            return;
        case ColorMode::Rct:
        case ColorMode::Lct:
        case ColorMode::Mkl: {
            ColorStatsPair measured;
            if (!stats || !stats->valid()) {
                measured = measureColorStats(face, target, mask, mode);
                stats = &measured;
            }
            if (!stats->valid()) return;
            if (mode == ColorMode::Rct)
                applyRct(face, mask, *stats);
            else
                applyLinear(face, mask, mode, *stats);
            return;
        }
        case ColorMode::Idt:
            applyIdt(face, target, mask, params);
            return;
        case ColorMode::Sot:
            applySot(face, target, mask, params);
            return;
        case ColorMode::HistMatch:
            applyHistMatch(face, target, mask, params.histThreshold);
            return;
    }
}

}  // namespace doppel
