#include "common/TrainingEngine.h"

#include <algorithm>

namespace doppel {

std::vector<LossPoint> thinLossHistory(const std::vector<LossPoint>& history, size_t maxPoints) {
    if (maxPoints == 0 || history.size() <= maxPoints) return history;
    std::vector<LossPoint> out;
    const size_t per = (history.size() + maxPoints - 1) / maxPoints;
    for (size_t begin = 0; begin < history.size(); begin += per) {
        const size_t end = std::min(history.size(), begin + per);
        LossPoint p;
        for (size_t i = begin; i < end; ++i)
            p.srcLoss += history[i].srcLoss, p.dstLoss += history[i].dstLoss;
        p.srcLoss /= float(end - begin);
        p.dstLoss /= float(end - begin);
        p.iteration = history[end - 1].iteration;
        out.push_back(p);
    }
    return out;
}

}  // namespace doppel
