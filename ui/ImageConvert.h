#pragma once
// Conversions from the core's image types (BGR, interleaved) to QImage for display.
#include <QImage>

#include <opencv2/core.hpp>

#include "common/Image.h"

namespace doppel::ui {

/// BGR or grey uint8 -> a deep-copied QImage (RGB888 or Grayscale8).
QImage toQImage(const ImageU8& image);
QImage toQImage(const cv::Mat& mat);

}  // namespace doppel::ui
