#include "merge/Watermark.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace doppel {
namespace {

// Window sides, in cells, over which residual and keyed signs are correlated: from a small face
// (a sixth of the frame height) to half the frame. The detector takes the best window.
const int kWindowSides[] = {6, 9, 13, 18, 36};
// Residuals are clipped to this many levels (of B-R) so strong colour edges cannot dominate.
constexpr float kResidualClip = 8.0f;
// Floor of the local residual energy in the weights (about the mark's own energy after coding),
// so perfectly flat areas do not get unbounded weight.
constexpr float kWeightFloor = 9.0f;

uint64_t splitMix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/// The keyed sign (+1 / -1) of cell (row, col); a pure function of key and cell.
inline float cellSign(uint64_t key, int row, int col) {
    uint64_t h = splitMix64(key ^ splitMix64((uint64_t(uint32_t(row)) << 32) | uint32_t(col)));
    return (h >> 63) ? 1.0f : -1.0f;
}

/// The grid a frame of this size is divided into: cell side in pixels and the number of columns.
struct CellGrid {
    double cell = 0;
    int rows = 0;
    int cols = 0;
};

CellGrid gridFor(cv::Size size) {
    CellGrid g;
    g.rows = Watermark::kGridRows;
    g.cell = double(size.height) / g.rows;
    g.cols = int(std::floor(size.width / g.cell + 1e-6));
    return g;
}

cv::Mat signMap(uint64_t key, int rows, int cols) {
    cv::Mat s(rows, cols, CV_32F);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) s.at<float>(r, c) = cellSign(key, r, c);
    return s;
}

/// The plane the mark lives in: blue minus red, as float. Grey input carries no mark and is
/// returned as is (it then scores like any unmarked picture).
cv::Mat chromaPlane(const cv::Mat& frame) {
    cv::Mat out;
    if (frame.channels() >= 3) {
        std::vector<cv::Mat> channels;
        cv::split(frame, channels);
        cv::Mat blue, red;
        channels[0].convertTo(blue, CV_32F);
        channels[2].convertTo(red, CV_32F);
        out = blue - red;
    } else {
        frame.convertTo(out, CV_32F);
    }
    return out;
}

/// Per window side, a map of z-scores: sum(sign * residual) / sqrt(sum(residual^2)) over the
/// window at each valid position, for a B-R plane. Empty when the plane is too small for a grid.
std::vector<cv::Mat> windowScores(const cv::Mat& plane, uint64_t key) {
    std::vector<cv::Mat> maps;
    if (plane.empty() || plane.rows < Watermark::kGridRows * 2) return maps;
    CellGrid g = gridFor(plane.size());
    if (g.cols < 3) return maps;
    int usedWidth = std::min(plane.cols, int(std::lround(g.cols * g.cell)));
    cv::Mat greyF = plane(cv::Rect(0, 0, usedWidth, plane.rows));
    // Area resampling averages exactly the pixels of each cell (fractional cells are weighted).
    cv::Mat means;
    cv::resize(greyF, means, cv::Size(g.cols, g.rows), 0, 0, cv::INTER_AREA);

    // Predict each cell from its 8 neighbours; the residual keeps the mark (+-a at the cell,
    // noise from the neighbours' independent signs) and drops most of the picture.
    cv::Mat sum3;
    cv::boxFilter(means, sum3, CV_32F, cv::Size(3, 3), cv::Point(-1, -1), false,
                  cv::BORDER_REFLECT);
    cv::Mat residual = means - (sum3 - means) / 8.0f;
    cv::min(residual, kResidualClip, residual);
    cv::max(residual, -kResidualClip, residual);

    // Weight each cell by the inverse of the picture's local residual energy: flat skin, where
    // the mark dominates, counts more than hairlines and eyes. The weights use only |residual|
    // around the cell, never the keyed signs, so on unmarked frames each window's z stays ~N(0,1).
    cv::Mat squared = residual.mul(residual), localEnergy;
    cv::boxFilter(squared, localEnergy, CV_32F, cv::Size(3, 3), cv::Point(-1, -1), true,
                  cv::BORDER_REFLECT);
    cv::Mat weights;
    cv::divide(1.0, localEnergy + kWeightFloor, weights);
    cv::Mat weighted = residual.mul(weights);

    cv::Mat signs = signMap(key, g.rows, g.cols);
    cv::Mat product = signs.mul(weighted);
    cv::Mat energy = weighted.mul(weighted);
    for (int side : kWindowSides) {
        int w = std::min(side, g.cols), h = std::min(side, g.rows);
        cv::Mat ps, es;
        cv::boxFilter(product, ps, CV_32F, cv::Size(w, h), cv::Point(0, 0), false,
                      cv::BORDER_CONSTANT);
        cv::boxFilter(energy, es, CV_32F, cv::Size(w, h), cv::Point(0, 0), false,
                      cv::BORDER_CONSTANT);
        // Only positions where the whole window lies inside the grid.
        cv::Rect valid(0, 0, g.cols - w + 1, g.rows - h + 1);
        cv::Mat z;
        cv::sqrt(es(valid) + 1e-3f, z);
        cv::divide(ps(valid), z, z);
        maps.push_back(z);
    }
    return maps;
}

double maxOf(const std::vector<cv::Mat>& maps, double scale) {
    double best = -1e9;
    for (const auto& m : maps) {
        double lo = 0, hi = 0;
        cv::minMaxLoc(m, &lo, &hi);
        best = std::max(best, hi * scale);
    }
    return maps.empty() ? 0.0 : best;
}

/// Adds the keyed pattern in `region` (inside the frame): +amplitude to blue and -amplitude to
/// red times the cell's sign, ramped up over `feather` pixels from the region's border (0: none).
void embedRegion(cv::Mat& frame, const cv::Rect& region, double amplitude, uint64_t key,
                 double feather) {
    if (region.empty() || amplitude <= 0 || frame.rows < Watermark::kGridRows * 2) return;
    CellGrid g = gridFor(frame.size());
    auto ramp = [feather](double inside) {
        return feather > 0 ? std::min(1.0, inside / feather) : 1.0;
    };
    // The cell index of each column and the signs of the current cell row, computed once (merge
    // marks whole frames: hashing per pixel cost ~15 ms at 1080p).
    std::vector<int> colOf(size_t(region.width));
    for (int x = region.x; x < region.br().x; ++x) colOf[size_t(x - region.x)] = int(x / g.cell);
    std::vector<float> signs(size_t(g.cols));
    int signsRow = -1;
    const int plain = int(std::lround(amplitude));
    for (int y = region.y; y < region.br().y; ++y) {
        int row = std::min(g.rows - 1, int(y / g.cell));
        if (row != signsRow) {
            for (int c = 0; c < g.cols; ++c) signs[size_t(c)] = cellSign(key, row, c);
            signsRow = row;
        }
        double wy = ramp(std::min(y - region.y + 0.5, region.br().y - y - 0.5));
        auto* px = frame.ptr<cv::Vec3b>(y);
        for (int x = region.x; x < region.br().x; ++x) {
            int col = colOf[size_t(x - region.x)];
            if (col >= g.cols)
                break;  // the partial cell past the last full column is not read back
            // Without a feather the change is the same across a cell: no per-pixel rounding.
            int delta =
                feather > 0
                    ? int(std::lround(amplitude * wy * signs[size_t(col)] *
                                      ramp(std::min(x - region.x + 0.5, region.br().x - x - 0.5))))
                    : (signs[size_t(col)] > 0 ? plain : -plain);
            if (delta == 0) continue;
            // Blue up, red down: B-R moves by 2 * delta, luminance hardly at all.
            px[x][0] = cv::saturate_cast<uchar>(px[x][0] + delta);
            px[x][2] = cv::saturate_cast<uchar>(px[x][2] - delta);
        }
    }
}

}  // namespace

uint64_t Watermark::defaultKey() {
    return 0x446F7070656C574Dull; /* "DoppelWM" */
}

void Watermark::embed(cv::Mat& frame, const cv::Rect& faceRegion, double strength) {
    embed(frame, faceRegion, strength, defaultKey());
}

void Watermark::embed(cv::Mat& frame, const cv::Rect& faceRegion, double strength, uint64_t key) {
    CV_Assert(frame.type() == CV_8UC3);
    cv::Rect region = faceRegion & cv::Rect(0, 0, frame.cols, frame.rows);
    // Feather the outer tenth of the region so its border leaves no visible step.
    embedRegion(frame, region, kAmplitude * strength, key,
                std::max(2.0, 0.1 * std::min(region.width, region.height)));
}

void Watermark::embedFrame(cv::Mat& frame, double strength, uint64_t key) {
    CV_Assert(frame.type() == CV_8UC3);
    // No feather: the frame's own edge leaves no step to hide.
    embedRegion(frame, cv::Rect(0, 0, frame.cols, frame.rows), kAmplitude * strength, key, 0);
}

WatermarkDetection Watermark::detect(const cv::Mat& frame) {
    return detect(frame, defaultKey());
}

WatermarkDetection Watermark::detect(const cv::Mat& frame, uint64_t key) {
    WatermarkDetection d;
    d.threshold = kThreshold;
    d.score = maxOf(windowScores(chromaPlane(frame), key), 1.0);
    d.detected = d.score >= d.threshold;
    return d;
}

WatermarkVideoDetector::WatermarkVideoDetector(uint64_t key) : key_(key) {}

void WatermarkVideoDetector::addFrame(const cv::Mat& frame) {
    if (frame.empty() || (frames_ > 0 && frame.size() != size_)) return;
    cv::Mat plane = chromaPlane(frame);
    if (frames_ == 0) {
        size_ = frame.size();
        chromaSum_ = plane;
    } else {
        chromaSum_ += plane;
    }
    ++frames_;
}

WatermarkDetection WatermarkVideoDetector::result() const {
    WatermarkDetection d;
    d.threshold = Watermark::kThreshold;
    if (frames_ > 0) d.score = maxOf(windowScores(chromaSum_ / double(frames_), key_), 1.0);
    d.detected = frames_ > 0 && d.score >= d.threshold;
    return d;
}

}  // namespace doppel
