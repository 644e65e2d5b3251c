#include "models/Checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/Log.h"
#include "common/NpyArray.h"
#include "common/RemoveTree.h"
#include "common/Workspace.h"

namespace fs = std::filesystem;

namespace doppel::models {
namespace {

constexpr const char* kLatestFile = "latest.json";
constexpr const char* kStateFile = "state.json";
constexpr const char* kDiscriminatorName = "discriminator";
constexpr const char* kCodeDiscriminatorName = "code_discriminator";

fs::path checkpointsDir(const fs::path& modelDir) {
    return modelDir / "checkpoints";
}

void fsyncPath(const fs::path& path, bool directory) {
    int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

/// Complete checkpoints (state.json present, no .tmp suffix), oldest first. Names start with the
/// zero-padded iteration and a timestamp, so name order is save order.
std::vector<fs::path> completeCheckpoints(const fs::path& modelDir) {
    std::vector<fs::path> dirs;
    std::error_code ec;
    if (!fs::is_directory(checkpointsDir(modelDir), ec)) return dirs;
    for (const auto& entry : fs::directory_iterator(checkpointsDir(modelDir), ec)) {
        const fs::path& p = entry.path();
        if (entry.is_directory() && p.extension() != ".tmp" && p.extension() != ".damaged" &&
            fs::exists(p / kStateFile))
            dirs.push_back(p);
    }
    std::sort(dirs.begin(), dirs.end());
    return dirs;
}

std::string checkpointName(int64_t iteration) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    char name[64];
    std::snprintf(name, sizeof name, "%010lld-%013lld", (long long)iteration, (long long)ms);
    return name;
}

CheckpointState parseState(const fs::path& dir) {
    nlohmann::json j = readJsonFile(dir / kStateFile);
    CheckpointState s;
    s.options = j.at("options");
    s.iteration = j.at("iteration").get<int64_t>();
    s.learningRate = j.at("learning_rate").get<double>();
    s.faceType = j.value("face_type", "");
    s.extra = j.value("extra", nlohmann::json::object());
    std::vector<float> losses = readNpy(dir / "losses.npy").toF32();
    std::vector<int64_t> iterations = readNpy(dir / "loss_iterations.npy").toI64();
    if (losses.size() != iterations.size() * 2)
        throw Error(ErrorCode::InvalidInput,
                    (dir / "losses.npy").string() + ": does not match loss_iterations.npy");
    s.lossHistory.resize(iterations.size());
    for (size_t i = 0; i < iterations.size(); ++i)
        s.lossHistory[i] = LossPoint{iterations[i], losses[2 * i], losses[2 * i + 1]};
    return s;
}

int64_t parameterCountOf(const torch::nn::Module& model) {
    int64_t n = 0;
    for (const auto& p : model.parameters()) n += p.numel();
    return n;
}

// Writes a torch archive through a file handle of ours: torch's own file writer throws from a
// destructor when the disk fills (std::terminate, nothing saved, no message). Here the first
// failed write is remembered, the rest of the archive is dropped, and the failure is reported as
// an Error naming the file and the reason.
void saveArchive(torch::serialize::OutputArchive& archive, const fs::path& path) {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (!file)
        throw Error(ErrorCode::Io, "cannot create " + path.string() + ": " + std::strerror(errno));
    int failure = 0;
    archive.save_to([&](const void* data, size_t size) -> size_t {
        if (failure == 0 && std::fwrite(data, 1, size, file) != size)
            failure = errno != 0 ? errno : EIO;
        return size;
    });
    if (failure == 0 && std::fflush(file) != 0) failure = errno;
    if (failure == 0 && ::fsync(::fileno(file)) != 0) failure = errno;
    if (std::fclose(file) != 0 && failure == 0) failure = errno;
    if (failure != 0)
        throw Error(ErrorCode::Io, "cannot write " + path.string() + ": " + std::strerror(failure));
}

// An optional network beside the model (a discriminator) as NAME.pt + NAME_optimizer.pt.
void savePart(const fs::path& dir, const std::string& name, const torch::nn::Module* module,
              const torch::optim::Optimizer* optimizer) {
    if (module) {
        torch::serialize::OutputArchive archive;
        module->save(archive);
        saveArchive(archive, dir / (name + ".pt"));
    }
    if (optimizer) {
        torch::serialize::OutputArchive archive;
        optimizer->save(archive);
        saveArchive(archive, dir / (name + "_optimizer.pt"));
    }
}

// Loads NAME.pt (and its optimiser when both are given and saved); false when it is not there.
bool loadPart(const fs::path& dir, const std::string& name, torch::nn::Module* module,
              torch::optim::Optimizer* optimizer, const torch::Device& device) {
    if (!module || !fs::exists(dir / (name + ".pt"))) return false;
    torch::serialize::InputArchive archive;
    archive.load_from((dir / (name + ".pt")).string(), device);
    module->load(archive);
    if (optimizer && fs::exists(dir / (name + "_optimizer.pt"))) {
        torch::serialize::InputArchive optimizerArchive;
        optimizerArchive.load_from((dir / (name + "_optimizer.pt")).string(), device);
        optimizer->load(optimizerArchive);
    }
    return true;
}

// Everything of one checkpoint into `dir` (the .tmp folder); returns its saved_at time.
std::string writeFiles(const fs::path& dir, torch::nn::Module& model,
                       const torch::optim::Optimizer* optimizer, const CheckpointState& state,
                       const DiscriminatorParts& discriminator) {
    {
        torch::serialize::OutputArchive archive;
        model.save(archive);
        saveArchive(archive, dir / "model.pt");
    }
    if (optimizer) {
        torch::serialize::OutputArchive archive;
        optimizer->save(archive);
        saveArchive(archive, dir / "optimizer.pt");
    }
    savePart(dir, kDiscriminatorName, discriminator.module, discriminator.optimizer);
    savePart(dir, kCodeDiscriminatorName, discriminator.codeModule, discriminator.codeOptimizer);
    std::vector<float> losses;
    std::vector<int64_t> iterations;
    losses.reserve(state.lossHistory.size() * 2);
    iterations.reserve(state.lossHistory.size());
    for (const auto& p : state.lossHistory) {
        losses.push_back(p.srcLoss);
        losses.push_back(p.dstLoss);
        iterations.push_back(p.iteration);
    }
    const int64_t n = int64_t(iterations.size());
    writeNpy(dir / "losses.npy", NpyArray::fromF32({n, 2}, losses));
    writeNpy(dir / "loss_iterations.npy", NpyArray::fromI64({n}, iterations));
    nlohmann::json j = {{"version", 1},
                        {"options", state.options},
                        {"iteration", state.iteration},
                        {"learning_rate", state.learningRate},
                        {"face_type", state.faceType},
                        {"parameters", parameterCountOf(model)},
                        {"saved_at", utcTimestamp()},
                        {"extra", state.extra}};
    writeJsonAtomic(dir / kStateFile, j, false);
    fsyncPath(dir, true);
    return j["saved_at"].get<std::string>();
}

}  // namespace

bool Checkpoint::exists(const fs::path& modelDir) {
    return !completeCheckpoints(modelDir).empty();
}

void Checkpoint::checkWritable(const fs::path& modelDir) {
    for (const fs::path& dir : {modelDir, checkpointsDir(modelDir)}) {
        try {
            fs::create_directories(dir);
            const fs::path probe = dir / ".write_probe";
            writeFileAtomic(probe, "ok");
            std::error_code ignored;
            fs::remove(probe, ignored);
        } catch (const std::exception& e) {
            throw Error(ErrorCode::Io, dir.string() + " cannot take a checkpoint (" + e.what() +
                                           "): make it writable, or train another model name");
        }
    }
}

fs::path Checkpoint::currentDir(const fs::path& modelDir) {
    std::error_code ec;
    if (fs::exists(modelDir / kLatestFile, ec)) {
        try {
            nlohmann::json latest = readJsonFile(modelDir / kLatestFile);
            fs::path dir = checkpointsDir(modelDir) / latest.at("checkpoint").get<std::string>();
            if (fs::exists(dir / kStateFile)) {
                // A save killed between its checkpoint's rename and latest.json's update leaves
                // a complete, newer checkpoint that latest.json does not name yet (names sort
                // by iteration): that one is the model, not the save before it.
                auto dirs = completeCheckpoints(modelDir);
                if (!dirs.empty() && dirs.back() > dir) return dirs.back();
                return dir;
            }
            logWarning("checkpoint named by " + (modelDir / kLatestFile).string() +
                       " is incomplete; using the newest complete one");
        } catch (const std::exception& e) {
            logWarning(std::string("unreadable ") + (modelDir / kLatestFile).string() + ": " +
                       e.what() + "; using the newest complete checkpoint");
        }
    }
    auto dirs = completeCheckpoints(modelDir);
    if (dirs.empty())
        throw Error(ErrorCode::NotFound,
                    "no trained model in " + modelDir.string() + " (run `doppel train` first)");
    return dirs.back();
}

void Checkpoint::copyCurrent(const fs::path& from, const fs::path& to) {
    if (!exists(from)) throw Error(ErrorCode::NotFound, "no trained model in " + from.string());
    std::error_code ec;
    if (fs::exists(to, ec))
        throw Error(ErrorCode::InvalidInput,
                    to.string() + " already exists: choose another model name to start from " +
                        from.string());
    const fs::path checkpoint = currentDir(from);
    const fs::path partial = to.parent_path() / (to.filename().string() + ".copying");
    removeTree(partial);  // left by an interrupted copy
    const fs::path target = checkpointsDir(partial) / checkpoint.filename();
    try {
        fs::create_directories(target);
        for (const auto& entry : fs::directory_iterator(checkpoint))
            if (entry.is_regular_file())
                fs::copy_file(entry.path(), target / entry.path().filename());
        // latest.json names this checkpoint; the rest of it (options, iteration) is the model's.
        nlohmann::json latest = fs::exists(from / kLatestFile) ? readJsonFile(from / kLatestFile)
                                                               : nlohmann::json::object();
        latest["checkpoint"] = checkpoint.filename().string();
        writeJsonAtomic(partial / kLatestFile, latest);
        fs::rename(partial, to);
    } catch (const fs::filesystem_error& e) {
        removeTree(partial);
        throw Error(ErrorCode::Io, "cannot copy the model " + from.string() + " to " + to.string() +
                                       ": " + e.code().message());
    } catch (...) {
        removeTree(partial);
        throw;
    }
}

CheckpointState Checkpoint::readState(const fs::path& modelDir) {
    const fs::path current = currentDir(modelDir);
    try {
        return parseState(current);
    } catch (const Error& damaged) {
        // A damaged state (a truncated losses.npy) of the current checkpoint: the newest backup
        // that reads is what a training would resume from (load() sets the damaged one aside).
        auto dirs = completeCheckpoints(modelDir);
        for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
            if (*it == current) continue;
            try {
                CheckpointState s = parseState(*it);
                logWarning(std::string(damaged.what()) + "; the backup " + it->filename().string() +
                           " (iteration " + std::to_string(s.iteration) + ") reads");
                return s;
            } catch (const Error&) {
            }
        }
        throw;
    }
}

fs::path Checkpoint::save(const fs::path& modelDir, torch::nn::Module& model,
                          const torch::optim::Optimizer* optimizer, const CheckpointState& state,
                          int backups, const DiscriminatorParts& discriminator) {
    const std::string name = checkpointName(state.iteration);
    const fs::path finalDir = checkpointsDir(modelDir) / name;
    fs::path tmpDir = finalDir;
    tmpDir += ".tmp";
    std::error_code ec;
    removeTree(tmpDir);
    fs::create_directories(tmpDir);

    std::string savedAt;
    try {
        savedAt = writeFiles(tmpDir, model, optimizer, state, discriminator);
    } catch (...) {
        removeTree(tmpDir);  // a full disk gets its space back; the previous checkpoint stays
        throw;
    }

    // Commit: the folder appears complete under its final name, then latest.json points to it.
    if (::rename(tmpDir.c_str(), finalDir.c_str()) != 0)
        throw Error(ErrorCode::Io, "cannot rename checkpoint into " + finalDir.string());
    fsyncPath(checkpointsDir(modelDir), true);
    writeJsonAtomic(modelDir / kLatestFile, {{"checkpoint", name},
                                             {"iteration", state.iteration},
                                             {"options", state.options},
                                             {"face_type", state.faceType},
                                             {"saved_at", savedAt}});

    // Rotate: keep the newest `backups` older checkpoints; drop leftovers of interrupted saves.
    auto dirs = completeCheckpoints(modelDir);
    dirs.erase(std::remove(dirs.begin(), dirs.end(), finalDir), dirs.end());
    while (int(dirs.size()) > backups) {
        removeTree(dirs.front());
        dirs.erase(dirs.begin());
    }
    for (const auto& entry : fs::directory_iterator(checkpointsDir(modelDir), ec))
        if (entry.path().extension() == ".tmp") removeTree(entry.path());
    return finalDir;
}

namespace {

/// Loads the checkpoint in `dir` (see Checkpoint::load).
CheckpointState loadFrom(const fs::path& dir, torch::nn::Module& model,
                         torch::optim::Optimizer* optimizer, const torch::Device& device,
                         const DiscriminatorParts& discriminator) {
    CheckpointState state = parseState(dir);
    try {
        torch::serialize::InputArchive archive;
        archive.load_from((dir / "model.pt").string(), device);
        model.load(archive);
        // A checkpoint saved with NaN/Inf weights (bytes damaged on disk, or a collapse saved
        // before the guard caught it) loads without a word and sends every rollback back to it:
        // it counts as damaged, so load() takes the newest backup with finite weights.
        for (const torch::Tensor& p : model.parameters())
            if (!torch::isfinite(p).all().item<bool>())
                throw Error(ErrorCode::InvalidInput,
                            "checkpoint " + dir.string() + " holds non-finite weights (NaN/Inf)");
        if (optimizer && fs::exists(dir / "optimizer.pt")) {
            torch::serialize::InputArchive optimizerArchive;
            optimizerArchive.load_from((dir / "optimizer.pt").string(), device);
            optimizer->load(optimizerArchive);
        }
        state.discriminatorLoaded = loadPart(dir, kDiscriminatorName, discriminator.module,
                                             discriminator.optimizer, device);
        state.codeDiscriminatorLoaded =
            loadPart(dir, kCodeDiscriminatorName, discriminator.codeModule,
                     discriminator.codeOptimizer, device);
    } catch (const c10::Error& e) {
        std::string what = e.what_without_backtrace();
        throw Error(ErrorCode::InvalidInput,
                    "cannot load checkpoint " + dir.string() + ": " + what);
    }
    return state;
}

/// The checkpoint latest.json names ("" when it is missing or unreadable).
std::string latestNames(const fs::path& modelDir) {
    try {
        return readJsonFile(modelDir / kLatestFile).at("checkpoint").get<std::string>();
    } catch (const std::exception&) {
        return "";
    }
}

/// Points latest.json at the complete checkpoint `dir`, as a save does.
void pointLatestAt(const fs::path& modelDir, const fs::path& dir) {
    const nlohmann::json state = readJsonFile(dir / kStateFile);
    writeJsonAtomic(modelDir / kLatestFile, {{"checkpoint", dir.filename().string()},
                                             {"iteration", state.at("iteration")},
                                             {"options", state.at("options")},
                                             {"face_type", state.value("face_type", "")},
                                             {"saved_at", state.value("saved_at", "")}});
}

}  // namespace

CheckpointState Checkpoint::load(const fs::path& modelDir, torch::nn::Module& model,
                                 torch::optim::Optimizer* optimizer, const torch::Device& device,
                                 const DiscriminatorParts& discriminator) {
    const fs::path current = currentDir(modelDir);
    try {
        CheckpointState state = loadFrom(current, model, optimizer, device, discriminator);
        if (latestNames(modelDir) != current.filename().string()) {
            pointLatestAt(modelDir, current);  // what a save stopped before latest.json missed
            logInfo("latest.json now names " + current.filename().string() + " (iteration " +
                    std::to_string(state.iteration) +
                    "), the newest complete checkpoint: a run was stopped before recording it");
        }
        return state;
    } catch (const Error& damaged) {
        // A damaged current checkpoint (a disk error, a file cut short) must not cost the model:
        // the newest backup that loads is used, and the checkpoints newer than it are set aside
        // as <name>.damaged. If none loads (a Doppel that cannot read this model at all),
        // nothing is renamed and the error stands.
        auto dirs = completeCheckpoints(modelDir);
        for (auto backup = dirs.rbegin(); backup != dirs.rend(); ++backup) {
            if (*backup >= current) continue;
            try {
                CheckpointState state = loadFrom(*backup, model, optimizer, device, discriminator);
                for (const fs::path& newer : dirs)
                    if (newer > *backup) {
                        fs::path aside = newer;
                        aside += ".damaged";
                        fs::rename(newer, aside);
                    }
                pointLatestAt(modelDir, *backup);
                logWarning(std::string(damaged.what()) + "; set aside as " +
                           current.filename().string() + ".damaged, resuming from the backup " +
                           backup->filename().string() + " (iteration " +
                           std::to_string(state.iteration) + ")");
                return state;
            } catch (const Error&) {
            }
        }
        throw;
    }
}

}  // namespace doppel::models
