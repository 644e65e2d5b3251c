#include "ui/ImageConvert.h"

#include <opencv2/imgproc.hpp>

namespace doppel::ui {

QImage toQImage(const ImageU8& image) {
    if (image.empty()) return {};
    cv::Mat view(image.height, image.width, CV_8UC(image.channels),
                 const_cast<uint8_t*>(image.pixels.data()));
    return toQImage(view);
}

QImage toQImage(const cv::Mat& mat) {
    if (mat.empty() || mat.depth() != CV_8U) return {};
    if (mat.channels() == 1) {
        QImage out(mat.data, mat.cols, mat.rows, int(mat.step), QImage::Format_Grayscale8);
        return out.copy();
    }
    cv::Mat rgb;
    if (mat.channels() == 4)
        cv::cvtColor(mat, rgb, cv::COLOR_BGRA2RGB);
    else
        cv::cvtColor(mat, rgb, cv::COLOR_BGR2RGB);
    QImage out(rgb.data, rgb.cols, rgb.rows, int(rgb.step), QImage::Format_RGB888);
    return out.copy();
}

}  // namespace doppel::ui
