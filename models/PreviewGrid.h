#pragma once
// Composes the training preview: one row per fixed face pair, columns
//   src | src recon | dst | dst recon | swap (dst through the src decoder)
// and the matching mask grid. Torch-free: the trainer turns tensors into ImageU8 tiles first.
#include <vector>

#include "common/Image.h"

namespace doppel::models {

class PreviewGrid {
  public:
    static constexpr int kGap = 2;  ///< pixels of dark separator between tiles

    /// Tiles are same-sized squares, BGR or grey (grey is shown as BGR). Every row must have the
    /// same number of tiles. Throws doppel::Error(Internal) on mismatched tiles.
    static ImageU8 compose(const std::vector<std::vector<ImageU8>>& rows);
};

}  // namespace doppel::models
