// The face-mask network (XSeg): shapes, and that it learns. On synthetic faces (drawn ellipses of
// two identities on varied backgrounds) whose mask is the ellipse, a small network trained for a
// couple of hundred iterations predicts the mask of faces it never saw (IoU > 0.85); it saves,
// resumes, refuses a changed resolution, and writes previews.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "SyntheticFaces.h"
#include "common/Error.h"
#include "models/Checkpoint.h"
#include "models/PngWriter.h"
#include "models/XSegModel.h"
#include "models/XSegTrainer.h"
#include "support/TestSupport.h"

namespace fs = std::filesystem;
using namespace doppel;
using namespace doppel::models;

namespace {

nlohmann::json tinyOptions() {
    return {{"resolution", 64}, {"dims", 8},    {"batch", 8},          {"lr", 1e-3},
            {"device", "cpu"},  {"threads", 2}, {"preview_every", 100}};
}

StageResult train(const fs::path& modelDir, const fs::path& faceset, int64_t iterations,
                  nlohmann::json options = tinyOptions()) {
    XSegTrainer trainer;
    SegmentationTrainRequest request;
    request.modelDir = modelDir;
    request.labelledFaceset = faceset;
    request.options = options;
    request.maxIterations = iterations;
    NullProgressSink quiet;
    CancelToken never;
    return trainer.train(request, quiet, never);
}

}  // namespace

TEST(XSeg, NetworkKeepsTheSizeAndCountsParameters) {
    XSegNet net(XSegConfig{64, 8});
    auto logits = net->forward(torch::rand({2, 3, 64, 64}));
    EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 1, 64, 64}));
    XSegNet full(XSegConfig{128, 32});
    std::printf("xseg dims 32: %.2f M parameters\n", double(full->parameterCount()) / 1e6);
    EXPECT_GT(full->parameterCount(), 2'000'000);
    EXPECT_LT(full->parameterCount(), 12'000'000);
    EXPECT_THROW(xsegConfigFrom({{"resolution", 100}, {"dims", 8}}), Error);
}

TEST(XSeg, LearnsMasksThatHoldOnUnseenFaces) {
    const fs::path root = test::scratchDir("xseg_learns");
    // Labelled faces: both identities; unseen faces: other poses and backgrounds.
    PackedFaceset labelled = test::makeSyntheticFaceset("src", test::identityA(), 24, 64, 5);
    PackedFaceset more = test::makeSyntheticFaceset("dst", test::identityB(), 24, 64, 6);
    labelled.faces.insert(labelled.faces.end(), more.faces.begin(), more.faces.end());
    labelled.masks.insert(labelled.masks.end(), more.masks.begin(), more.masks.end());
    labelled.landmarks.insert(labelled.landmarks.end(), more.landmarks.begin(),
                              more.landmarks.end());
    for (int64_t id : more.ids) labelled.ids.push_back(id + 1);
    labelled.names.insert(labelled.names.end(), more.names.begin(), more.names.end());
    writePackedFaceset(root / "labelled", labelled);

    StageResult r = train(root / "xseg", root / "labelled", 300);
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.summary["iteration"].get<int64_t>(), 300);
    std::printf("xseg tiny: %.1f ms/iteration, last loss %.3f\n",
                r.summary["ms_per_iteration"].get<double>(), r.summary["last_loss"].get<double>());

    XSegTrainer trainer;
    auto predictor = trainer.loadPredictor(root / "xseg");
    EXPECT_EQ(predictor->resolution(), 64);
    PackedFaceset unseen = test::makeSyntheticFaceset("dst", test::identityB(), 8, 64, 99);
    std::vector<ImageU8> faces;
    for (int64_t i = 0; i < unseen.count(); ++i) {
        ImageU8 face(64, 64, 3);
        std::copy_n(unseen.faces.begin() + i * 64 * 64 * 3, 64 * 64 * 3, face.pixels.begin());
        faces.push_back(face);
    }
    auto masks = predictor->predict(faces);
    ASSERT_EQ(masks.size(), faces.size());
    double intersection = 0, uni = 0;
    for (size_t i = 0; i < masks.size(); ++i)
        for (size_t p = 0; p < 64 * 64; ++p) {
            const bool truth = unseen.masks[(i * 64 * 64 + p) * 2] > 127;
            const bool guess = masks[i].pixels[p] > 0.5f;
            intersection += truth && guess;
            uni += truth || guess;
        }
    const double iou = intersection / uni;
    std::printf("xseg tiny: IoU on unseen faces %.3f\n", iou);
    EXPECT_GT(iou, 0.85);

    // Resume continues the count; a preview per 100 iterations plus the last one.
    StageResult more10 = train(root / "xseg", root / "labelled", 310);
    ASSERT_TRUE(more10.ok()) << more10.message;
    EXPECT_EQ(more10.summary["iterations_this_session"].get<int64_t>(), 10);
    EXPECT_EQ(Checkpoint::readState(root / "xseg").lossHistory.size(), 310u);
    EXPECT_NO_THROW(readPngInfo(root / "xseg" / "previews" / "0000000300.png"));
    EXPECT_NO_THROW(readPngInfo(root / "xseg" / "previews" / "0000000310.png"));
    nlohmann::json bigger = tinyOptions();
    bigger["resolution"] = 96;
    StageResult refused = train(root / "xseg", root / "labelled", 320, bigger);
    EXPECT_FALSE(refused.ok());
    EXPECT_NE(refused.message.find("resolution"), std::string::npos) << refused.message;
}

TEST(XSeg, ClearErrors) {
    const fs::path root = test::scratchDir("xseg_errors");
    XSegTrainer trainer;
    EXPECT_THROW(trainer.loadPredictor(root / "nothing"), Error);
    StageResult noData = train(root / "xseg", root / "missing", 5);
    EXPECT_FALSE(noData.ok());
    EXPECT_NE(noData.message.find("missing"), std::string::npos) << noData.message;
}
