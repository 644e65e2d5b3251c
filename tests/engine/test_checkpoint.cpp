// Checkpoints: bit-exact round trip of model and optimiser, rotation, survival of a save that
// was killed half way, and of one that could not write (a full disk).
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <csignal>
#include <fstream>
#include <limits>

#include "common/Error.h"
#include "models/Checkpoint.h"
#include "models/Optimizers.h"
#include "models/TrainOptions.h"
#include "support/TestSupport.h"

using namespace doppel;
using namespace doppel::models;
namespace fs = std::filesystem;

namespace {

ModelConfig smallConfig() {
    ModelConfig c;
    c.archi = "df-ud";
    c.resolution = 64;
    c.aeDims = 64;
    c.eDims = 16;
    c.dDims = 16;
    c.dMaskDims = 8;
    return c;
}

CheckpointState stateAt(int64_t iteration) {
    CheckpointState s;
    s.options = TrainOptions::fromJson({{"archi", "df-ud"},
                                        {"resolution", 64},
                                        {"ae_dims", 64},
                                        {"e_dims", 16},
                                        {"d_dims", 16},
                                        {"d_mask_dims", 8}})
                    .toJson();
    s.iteration = iteration;
    s.learningRate = 5e-5;
    s.faceType = "whole_face";
    for (int64_t i = 1; i <= iteration; ++i)
        s.lossHistory.push_back({i, 1.0f / float(i), 2.0f / float(i)});
    return s;
}

/// One optimiser step on a fixed random batch, so two equal model+optimiser pairs stay equal.
void trainStep(SaehdModel& model, torch::optim::Optimizer& optimizer, const torch::Tensor& src,
               const torch::Tensor& dst) {
    optimizer.zero_grad();
    auto recon = model->reconstruct(src, dst);
    auto loss = (recon.first.image - src).pow(2).mean() + (recon.second.image - dst).pow(2).mean();
    loss.backward();
    optimizer.step();
}

bool sameParameters(SaehdModel& a, SaehdModel& b) {
    auto pa = a->named_parameters(), pb = b->named_parameters();
    if (pa.size() != pb.size()) return false;
    for (const auto& item : pa)
        if (!torch::equal(item.value(), pb[item.key()])) return false;
    return true;
}

}  // namespace

class CheckpointRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(CheckpointRoundTrip, ModelAndOptimiserComeBackBitExact) {
    torch::manual_seed(7);
    const fs::path dir = test::scratchDir("checkpoint_roundtrip_" + GetParam());
    SaehdModel model(smallConfig());
    OptimizerOptions oo;
    oo.kind = GetParam();
    oo.lr = 1e-3;
    auto optimizer = makeOptimizer(model->parameters(), oo);
    torch::Tensor src = torch::rand({2, 3, 64, 64}), dst = torch::rand({2, 3, 64, 64});
    trainStep(model, *optimizer, src, dst);  // creates optimiser moments worth saving
    Checkpoint::save(dir, model, optimizer.get(), stateAt(1), 2);

    torch::manual_seed(99);  // a different initialisation, overwritten by the load
    SaehdModel loaded(smallConfig());
    auto loadedOptimizer = makeOptimizer(loaded->parameters(), oo);
    EXPECT_FALSE(sameParameters(model, loaded));
    CheckpointState state = Checkpoint::load(dir, loaded, loadedOptimizer.get(), torch::kCPU);
    EXPECT_TRUE(sameParameters(model, loaded));
    EXPECT_EQ(state.iteration, 1);
    EXPECT_EQ(state.faceType, "whole_face");
    ASSERT_EQ(state.lossHistory.size(), 1u);
    EXPECT_EQ(state.lossHistory[0].dstLoss, 2.0f);

    {
        torch::NoGradGuard noGrad;
        EXPECT_TRUE(torch::equal(model->swap(dst).image, loaded->swap(dst).image));
    }
    // The optimiser state came back too: one more identical step keeps them identical.
    trainStep(model, *optimizer, src, dst);
    trainStep(loaded, *loadedOptimizer, src, dst);
    EXPECT_TRUE(sameParameters(model, loaded))
        << GetParam() << " optimiser state did not round-trip";
}

INSTANTIATE_TEST_SUITE_P(Optimizers, CheckpointRoundTrip,
                         ::testing::Values("adabelief", "adam", "rmsprop"));

TEST(Checkpoint, RotatesBackupsAndTracksTheLatest) {
    const fs::path dir = test::scratchDir("checkpoint_rotate");
    SaehdModel model(smallConfig());
    for (int64_t it : {10, 20, 30, 40, 50}) Checkpoint::save(dir, model, nullptr, stateAt(it), 2);
    int complete = 0;
    for (const auto& e : fs::directory_iterator(dir / "checkpoints"))
        complete += e.is_directory() ? 1 : 0;
    EXPECT_EQ(complete, 3);  // latest + 2 backups
    EXPECT_EQ(Checkpoint::readState(dir).iteration, 50);
}

TEST(Checkpoint, AKilledSaveLeavesThePreviousOneLoadable) {
    const fs::path dir = test::scratchDir("checkpoint_killed");
    SaehdModel model(smallConfig());
    Checkpoint::save(dir, model, nullptr, stateAt(5), 2);
    // A save killed before its rename: a half-written .tmp folder with a truncated model.
    fs::create_directories(dir / "checkpoints" / "0000000009-0000000000000.tmp");
    std::ofstream(dir / "checkpoints" / "0000000009-0000000000000.tmp" / "model.pt")
        << "PK\x03\x04 truncated";
    SaehdModel loaded(smallConfig());
    EXPECT_EQ(Checkpoint::load(dir, loaded, nullptr, torch::kCPU).iteration, 5);
    EXPECT_TRUE(sameParameters(model, loaded));

    // A save killed after its rename but before latest.json: still fine, and so is a latest.json
    // that points at a folder that is gone.
    std::ofstream(dir / "latest.json") << R"({"checkpoint": "0000000099-0000000000000"})";
    fs::remove(dir / "latest.json.bak");
    EXPECT_EQ(Checkpoint::load(dir, loaded, nullptr, torch::kCPU).iteration, 5);
    std::ofstream(dir / "latest.json") << "{ truncated";
    EXPECT_EQ(Checkpoint::readState(dir).iteration, 5);
}

TEST(Checkpoint, ASaveKilledBeforeLatestJsonIsNotLost) {
    // The run was killed after its checkpoint folder got its final name but before latest.json
    // named it: the newer, complete checkpoint is the model (was: resumed from the older one,
    // losing an autosave interval of training).
    const fs::path dir = test::scratchDir("checkpoint_orphan");
    SaehdModel older(smallConfig());
    Checkpoint::save(dir, older, nullptr, stateAt(10), 2);
    const std::string latestBefore = test::readWholeFile(dir / "latest.json");
    SaehdModel newer(smallConfig());  // other random weights
    const fs::path orphan = Checkpoint::save(dir, newer, nullptr, stateAt(20), 2);
    std::ofstream(dir / "latest.json") << latestBefore;  // as if latest.json was never updated

    EXPECT_EQ(Checkpoint::currentDir(dir), orphan);
    EXPECT_EQ(Checkpoint::readState(dir).iteration, 20);
    SaehdModel loaded(smallConfig());
    EXPECT_EQ(Checkpoint::load(dir, loaded, nullptr, torch::kCPU).iteration, 20);
    EXPECT_TRUE(sameParameters(newer, loaded));
    EXPECT_NE(test::readWholeFile(dir / "latest.json").find(orphan.filename().string()),
              std::string::npos)
        << "latest.json not repaired";
}

// A full disk, simulated with a per-process file size limit (RLIMIT_FSIZE: writes past it fail
// with EFBIG, as they fail with ENOSPC on a full disk; no root or mount needed). LibTorch's own
// file writer aborted the process here (an exception from a destructor); now the save throws an
// Io error naming the file, leaves no partial folder, and the previous checkpoint stays current.
TEST(Checkpoint, AFailedWriteIsAnErrorAndKeepsThePreviousOne) {
    const fs::path dir = test::scratchDir("checkpoint_disk_full");
    SaehdModel model(smallConfig());
    Checkpoint::save(dir, model, nullptr, stateAt(5), 2);
    SaehdModel changed(smallConfig());  // other random weights

    struct FileSizeLimit {
        rlimit previous{};
        void (*previousHandler)(int) = nullptr;
        explicit FileSizeLimit(rlim_t bytes) {
            previousHandler = std::signal(SIGXFSZ, SIG_IGN);  // report EFBIG, do not kill
            getrlimit(RLIMIT_FSIZE, &previous);
            rlimit limit = previous;
            limit.rlim_cur = bytes;
            setrlimit(RLIMIT_FSIZE, &limit);
        }
        ~FileSizeLimit() {
            setrlimit(RLIMIT_FSIZE, &previous);
            std::signal(SIGXFSZ, previousHandler);
        }
    };
    try {
        FileSizeLimit limit(256 * 1024);  // the model file is several MB
        Checkpoint::save(dir, changed, nullptr, stateAt(9), 2);
        FAIL() << "a save that could not write its model reported success";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::Io);
        EXPECT_NE(std::string(e.what()).find("model.pt"), std::string::npos) << e.what();
    }
    for (const auto& entry : fs::directory_iterator(dir / "checkpoints"))
        EXPECT_NE(entry.path().extension(), ".tmp") << "partial folder left: " << entry.path();
    SaehdModel loaded(smallConfig());
    EXPECT_EQ(Checkpoint::load(dir, loaded, nullptr, torch::kCPU).iteration, 5);
    EXPECT_TRUE(sameParameters(model, loaded));
    // And with the space back, saving works again.
    EXPECT_NO_THROW(Checkpoint::save(dir, changed, nullptr, stateAt(9), 2));
    EXPECT_EQ(Checkpoint::readState(dir).iteration, 9);
}

// A damaged current checkpoint (a file cut short by a disk error) does not cost the model: the
// newest backup that loads is used, the damaged one set aside as <name>.damaged; a model that
// no checkpoint of which loads keeps all its folders as they were.
TEST(Checkpoint, ADamagedCheckpointFallsBackToTheNewestBackupThatLoads) {
    const fs::path dir = test::scratchDir("checkpoint_damaged");
    SaehdModel first(smallConfig());
    Checkpoint::save(dir, first, nullptr, stateAt(10), 2);
    SaehdModel second(smallConfig());  // other random weights
    const fs::path newest = Checkpoint::save(dir, second, nullptr, stateAt(20), 2);
    fs::resize_file(newest / "model.pt", fs::file_size(newest / "model.pt") / 3);
    EXPECT_EQ(Checkpoint::readState(dir).iteration, 20);  // its state still reads

    SaehdModel loaded(smallConfig());
    EXPECT_EQ(Checkpoint::load(dir, loaded, nullptr, torch::kCPU).iteration, 10);
    EXPECT_TRUE(sameParameters(first, loaded));
    EXPECT_FALSE(fs::exists(newest));
    EXPECT_TRUE(fs::exists(newest.string() + ".damaged"));
    EXPECT_EQ(Checkpoint::readState(dir).iteration, 10);  // latest.json points at the backup

    // Weights that are NaN (damaged bytes that still unpack, a collapse saved) count as damage.
    SaehdModel poisoned(smallConfig());
    {
        torch::NoGradGuard noGrad;
        poisoned->parameters().front().fill_(std::numeric_limits<float>::quiet_NaN());
    }
    const fs::path nan = Checkpoint::save(dir, poisoned, nullptr, stateAt(30), 2);
    EXPECT_EQ(Checkpoint::load(dir, loaded, nullptr, torch::kCPU).iteration, 10);
    EXPECT_TRUE(fs::exists(nan.string() + ".damaged"));

    // The only checkpoint left damaged too: an error, and nothing renamed.
    const fs::path only = Checkpoint::currentDir(dir);
    fs::resize_file(only / "model.pt", 100);
    EXPECT_THROW(Checkpoint::load(dir, loaded, nullptr, torch::kCPU), Error);
    EXPECT_TRUE(fs::exists(only));
}

TEST(Checkpoint, MissingModelIsNotFoundNamingTheFolder) {
    const fs::path dir = test::scratchDir("checkpoint_missing");
    EXPECT_FALSE(Checkpoint::exists(dir));
    try {
        Checkpoint::readState(dir);
        FAIL() << "no error for an empty model folder";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::NotFound);
        EXPECT_NE(std::string(e.what()).find(dir.string()), std::string::npos);
    }
}
