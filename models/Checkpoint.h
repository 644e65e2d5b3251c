#pragma once
// Checkpoints of a model folder (internal to models/, torch):
//   model/<name>/latest.json                    the commit point: which checkpoint is current
//   model/<name>/checkpoints/<iter>-<stamp>/    model.pt, optimizer.pt, losses.npy,
//                                               loss_iterations.npy, [discriminator.pt,
//                                               code_discriminator.pt, each with its
//                                               *_optimizer.pt], state.json (written last)
// A save writes a new "<...>.tmp" folder, fsyncs it, renames it into place and only then
// rewrites latest.json atomically, so a process killed at any point leaves the previous
// checkpoint loadable. The newest `backups` older checkpoints are kept (rotating).
#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/TrainingEngine.h"
#include "models/SaehdModel.h"

namespace doppel::models {

struct CheckpointState {
    nlohmann::json options;  ///< resolved training options
    int64_t iteration = 0;
    double learningRate = 0;             ///< current lr (rollbacks lower it below options["lr"])
    std::string faceType;                ///< of the facesets it was trained on
    std::vector<LossPoint> lossHistory;  ///< every iteration of the run
    nlohmann::json extra = nlohmann::json::object();  ///< preview faces, rollback count, ...
    bool discriminatorLoaded = false;      ///< load(): the GAN's discriminator came from the file
    bool codeDiscriminatorLoaded = false;  ///< load(): true face's code discriminator did
};

/// The GAN's discriminator (gan_power > 0) and true face's code discriminator (true_face_power >
/// 0) with their optimisers, kept beside the model as discriminator.pt / code_discriminator.pt
/// (+ *_optimizer.pt). Null members: that part is off.
struct DiscriminatorParts {
    torch::nn::Module* module = nullptr;
    torch::optim::Optimizer* optimizer = nullptr;
    torch::nn::Module* codeModule = nullptr;
    torch::optim::Optimizer* codeOptimizer = nullptr;
};

class Checkpoint {
  public:
    /// True when the folder holds at least one complete checkpoint.
    static bool exists(const std::filesystem::path& modelDir);
    /// Creates the model's folders and checks a checkpoint can be written into them; throws
    /// Error(Io) saying which folder and what to do. Called before training starts, so a
    /// read-only folder is found then, not at the first autosave minutes later.
    static void checkWritable(const std::filesystem::path& modelDir);
    /// The current checkpoint's folder: latest.json's, else the newest complete one.
    /// Throws Error(NotFound) naming the model folder.
    static std::filesystem::path currentDir(const std::filesystem::path& modelDir);
    /// state.json and the loss history of the current checkpoint (no tensors read).
    static CheckpointState readState(const std::filesystem::path& modelDir);
    /// A new model folder `to` holding a copy of `from`'s current checkpoint (weights, optimiser
    /// state, options, iteration, loss history; no backups or previews), made complete under a
    /// temporary name and then renamed, so an interrupted copy leaves no model behind. Throws
    /// Error(NotFound) when `from` holds no model, Error(InvalidInput) when `to` already exists,
    /// Error(Io) when copying fails.
    static void copyCurrent(const std::filesystem::path& from, const std::filesystem::path& to);

    /// Saves atomically and prunes to `backups` older checkpoints. `optimizer` may be null.
    /// `model` is any network (the SAEHD model, the XSeg net): its parameters go to model.pt.
    static std::filesystem::path save(const std::filesystem::path& modelDir,
                                      torch::nn::Module& model,
                                      const torch::optim::Optimizer* optimizer,
                                      const CheckpointState& state, int backups,
                                      const DiscriminatorParts& discriminator = {});
    static std::filesystem::path save(const std::filesystem::path& modelDir, SaehdModel& model,
                                      const torch::optim::Optimizer* optimizer,
                                      const CheckpointState& state, int backups,
                                      const DiscriminatorParts& discriminator = {}) {
        return save(modelDir, *model, optimizer, state, backups, discriminator);
    }
    /// Loads the current checkpoint into `model` (and `optimizer` when given) on `device`; the
    /// discriminator's parts too when given and saved (else they keep their fresh weights).
    static CheckpointState load(const std::filesystem::path& modelDir, torch::nn::Module& model,
                                torch::optim::Optimizer* optimizer, const torch::Device& device,
                                const DiscriminatorParts& discriminator = {});
    static CheckpointState load(const std::filesystem::path& modelDir, SaehdModel& model,
                                torch::optim::Optimizer* optimizer, const torch::Device& device,
                                const DiscriminatorParts& discriminator = {}) {
        return load(modelDir, *model, optimizer, device, discriminator);
    }
};

}  // namespace doppel::models
