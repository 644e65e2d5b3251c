#include "models/PreviewGrid.h"

#include "common/Error.h"

namespace doppel::models {

ImageU8 PreviewGrid::compose(const std::vector<std::vector<ImageU8>>& rows) {
    if (rows.empty() || rows.front().empty())
        throw Error(ErrorCode::Internal, "preview grid: no tiles");
    const int tile = rows.front().front().width;
    const size_t columns = rows.front().size();
    const int width = int(columns) * tile + int(columns + 1) * kGap;
    const int height = int(rows.size()) * tile + int(rows.size() + 1) * kGap;
    ImageU8 grid(width, height, 3, uint8_t(32));
    for (size_t r = 0; r < rows.size(); ++r) {
        if (rows[r].size() != columns)
            throw Error(ErrorCode::Internal, "preview grid: ragged rows");
        for (size_t c = 0; c < columns; ++c) {
            const ImageU8& t = rows[r][c];
            if (t.width != tile || t.height != tile || (t.channels != 1 && t.channels != 3))
                throw Error(ErrorCode::Internal, "preview grid: tiles differ in size or channels");
            const int x0 = kGap + int(c) * (tile + kGap), y0 = kGap + int(r) * (tile + kGap);
            for (int y = 0; y < tile; ++y)
                for (int x = 0; x < tile; ++x)
                    for (int k = 0; k < 3; ++k)
                        grid.at(y0 + y, x0 + x, k) = t.at(y, x, t.channels == 1 ? 0 : k);
        }
    }
    return grid;
}

}  // namespace doppel::models
