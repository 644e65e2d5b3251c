#include "common/Workspace.h"

#include <algorithm>
#include <ctime>
#include <mutex>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/RemoveTree.h"
#include "common/StageLock.h"

namespace fs = std::filesystem;

namespace doppel {
namespace {

std::mutex& projectMutex() {
    static std::mutex mutex;
    return mutex;
}

/// Copies a folder of images into `target` through a staging folder: a copy that fails half way
/// (an unreadable file, a full disk) leaves nothing that a later input could be mixed with, and
/// the error names the file.
void copyFolder(const fs::path& input, const fs::path& target) {
    fs::path staging = target;
    staging += ".partial";
    removeTree(staging);  // what a killed copy left
    removeTree(target);   // never recorded in project.json: a copy that failed before
    try {
        std::error_code ec;
        fs::create_directories(staging, ec);
        if (ec)
            throw Error(ErrorCode::Io, "cannot create " + staging.string() + ": " + ec.message());
        for (fs::recursive_directory_iterator it(input, ec), end; !ec && it != end;
             it.increment(ec)) {
            const fs::path to = staging / fs::relative(it->path(), input);
            std::error_code copyError;
            if (it->is_directory(copyError))
                fs::create_directories(to, copyError);
            else
                fs::copy_file(it->path(), to, copyError);
            if (copyError)
                throw Error(ErrorCode::Io, "cannot copy " + it->path().string() +
                                               " into the workspace: " + copyError.message());
        }
        if (ec)
            throw Error(ErrorCode::Io,
                        "cannot read the folder " + input.string() + ": " + ec.message());
        fs::rename(staging, target, ec);
        if (ec)
            throw Error(ErrorCode::Io, "cannot rename " + staging.string() + ": " + ec.message());
    } catch (...) {
        removeTree(staging);
        throw;
    }
}

// Copies the user's input into the side folder as `name`: a folder of images as name/, a file as
// name.<ext>.
fs::path copyInput(const fs::path& input, const fs::path& sideDir,
                   const std::string& name = "input") {
    if (input.empty()) throw Error(ErrorCode::BadOption, "an input path is empty");
    if (!fs::exists(input)) throw Error(ErrorCode::NotFound, "input not found: " + input.string());
    std::error_code ec;
    if (fs::is_directory(input)) {
        // A workspace inside its input folder would copy itself into itself until the path grows
        // too long (and fill the disk on the way); an input inside the workspace's data folders
        // is its own data. (Photos beside data_src/ in the workspace folder, as DeepFaceLab
        // users keep their clips, are fine.)
        const fs::path workspace = sideDir.parent_path();
        if (isWithin(sideDir, input) || isWithin(input, workspace / "data_src") ||
            isWithin(input, workspace / "data_dst"))
            throw Error(ErrorCode::BadOption,
                        input.string() + " and the workspace " + workspace.string() +
                            " lie one inside the other: put the workspace somewhere else, or "
                            "copy the photos out first");
        fs::path target = sideDir / name;
        copyFolder(input, target);
        return target;
    }
    std::string ext = input.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    fs::path target = sideDir / (name + ext);
    fs::path tmp = target;
    tmp += ".tmp";
    fs::copy_file(input, tmp, fs::copy_options::overwrite_existing, ec);
    if (ec) {
        std::error_code ignored;
        fs::remove(tmp, ignored);  // half a copy (a full disk) is not left behind
        throw Error(ErrorCode::Io,
                    "cannot copy " + input.string() + " into the workspace: " + ec.message());
    }
    commitFile(tmp, target);
    return target;
}

}  // namespace

const char* sideName(Side side) {
    return side == Side::Src ? "src" : "dst";
}

Side parseSide(const std::string& text) {
    if (text == "src" || text == "source") return Side::Src;
    if (text == "dst" || text == "destination") return Side::Dst;
    throw Error(ErrorCode::BadOption, "side must be 'src' or 'dst', got '" + text + "'");
}

bool isWithin(const fs::path& path, const fs::path& folder) {
    std::error_code ec;
    const fs::path relative =
        fs::weakly_canonical(fs::absolute(path), ec)
            .lexically_relative(fs::weakly_canonical(fs::absolute(folder), ec));
    return !relative.empty() && *relative.begin() != "..";
}

std::string utcTimestamp() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
}

Workspace Workspace::create(const fs::path& dir, const fs::path& srcInput,
                            const fs::path& dstInput) {
    fs::path root = fs::absolute(dir).lexically_normal();
    if (fs::exists(root / "project.json"))
        throw Error(ErrorCode::InvalidInput, "a project already exists in " + root.string());
    for (const auto& input : {srcInput, dstInput})
        if (!fs::exists(input))
            throw Error(ErrorCode::NotFound, "input not found: " + input.string());
    std::error_code ec;
    const bool rootExisted = fs::exists(root, ec);
    fs::create_directories(root, ec);
    if (ec)
        throw Error(ErrorCode::Io,
                    "cannot create workspace " + root.string() + ": " + ec.message());
    Workspace ws(root);
    nlohmann::json project;
    project["format"] = "doppel-workspace";
    project["version"] = 1;
    project["created"] = utcTimestamp();
    project["stages"] = nlohmann::json::object();
    project["options"] = nlohmann::json::object();
    // A create that fails removes what it made (so the corrected command works at once), and
    // only that: the folder may be an old DeepFaceLab workspace with data_src/ of its own.
    std::vector<fs::path> made;
    try {
        for (Side side : {Side::Src, Side::Dst}) {
            if (!fs::exists(ws.sideDir(side), ec)) made.push_back(ws.sideDir(side));
            fs::create_directories(ws.sideDir(side));
            const fs::path& input = side == Side::Src ? srcInput : dstInput;
            fs::path copied = copyInput(input, ws.sideDir(side));
            made.push_back(copied);
            project[sideName(side)] = {
                {"input", fs::relative(copied, root).string()},
                {"original", fs::absolute(input).lexically_normal().string()}};
        }
        fs::create_directories(ws.modelsDir());
        writeJsonAtomic(ws.projectFile(), project);
    } catch (...) {
        for (auto it = made.rbegin(); it != made.rend(); ++it) removeTree(*it);
        if (!rootExisted) removeTree(root);
        throw;
    }
    return ws;
}

Workspace Workspace::open(const fs::path& dir) {
    fs::path root = fs::absolute(dir).lexically_normal();
    if (!fs::exists(root / "project.json"))
        throw Error(ErrorCode::NotFound,
                    "no project in " + root.string() +
                        " (create one with `doppel new --workspace DIR --src VIDEO --dst VIDEO`)");
    Workspace ws(root);
    nlohmann::json p = ws.project();
    if (p.value("format", "") != "doppel-workspace")
        throw Error(ErrorCode::InvalidInput,
                    root.string() + "/project.json is not a Doppel project");
    return ws;
}

std::string Workspace::latestModelName() const {
    std::string newest;
    fs::file_time_type newestTime{};
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(modelsDir(), ec)) {
        const fs::path latest = entry.path() / "latest.json";
        auto time = fs::last_write_time(latest, ec);
        if (ec) continue;
        if (newest.empty() || time > newestTime) {
            newest = entry.path().filename().string();
            newestTime = time;
        }
    }
    return newest;
}

fs::path Workspace::sideDir(Side side) const {
    return root_ / (side == Side::Src ? "data_src" : "data_dst");
}

std::vector<SideInput> Workspace::inputs(Side side) const {
    const nlohmann::json p = project().at(sideName(side));
    std::vector<SideInput> list = {
        {0, root_ / p.value("input", std::string()), p.value("original", std::string())}};
    if (p.contains("more_inputs") && p["more_inputs"].is_array())
        for (size_t k = 0; k < p["more_inputs"].size(); ++k) {
            const nlohmann::json& more = p["more_inputs"][k];
            if (!more.value("removed", false))
                list.push_back({int(k) + 1, root_ / more.value("input", std::string()),
                                more.value("original", std::string())});
        }
    return list;
}

std::vector<fs::path> Workspace::inputPaths(Side side) const {
    std::vector<fs::path> paths;
    for (const SideInput& input : inputs(side)) paths.push_back(input.path);
    return paths;
}

fs::path Workspace::addInput(Side side, const fs::path& input) const {
    if (side != Side::Src)
        throw Error(ErrorCode::BadOption,
                    "only the source takes more videos or images (a faceset from several clips); "
                    "the destination is the one scene the swap is merged into");
    // Not while the source is being extracted: that run read the list of inputs at its start.
    const StageLock extracting(stageLockFile("extract.src"), "adding a source input");
    // The same file again (its copy here, or the original it was copied from, also through a
    // link) adds nothing.
    const std::string given = fs::absolute(input).lexically_normal().string();
    auto same = [&](const fs::path& a) {
        std::error_code ec;
        return fs::exists(a, ec) && fs::exists(input, ec) && fs::equivalent(a, input, ec);
    };
    for (const SideInput& existing : inputs(side))
        if (existing.original == given || same(existing.path) ||
            (!existing.original.empty() && same(existing.original)))
            throw Error(ErrorCode::BadOption,
                        input.string() + " is already an input of this workspace");
    // Removed inputs keep their slot: their frame numbers are never reused.
    const nlohmann::json more = project().at(sideName(side)).value("more_inputs", nlohmann::json());
    const size_t slots = 1 + (more.is_array() ? more.size() : 0);
    fs::path copied = copyInput(input, sideDir(side), "input_" + std::to_string(slots + 1));
    updateProject([&](nlohmann::json& p) {
        nlohmann::json& more = p[sideName(side)]["more_inputs"];
        if (!more.is_array()) more = nlohmann::json::array();
        more.push_back({{"input", fs::relative(copied, root_).string()},
                        {"original", fs::absolute(input).lexically_normal().string()}});
    });
    markInputsChanged(side, "a source input was added");
    return copied;
}

int Workspace::removeInput(Side side, const std::string& nameOrOriginal) const {
    const StageLock extracting(stageLockFile(std::string("extract.") + sideName(side)),
                               "removing an input");
    const std::string given = fs::absolute(fs::path(nameOrOriginal)).lexically_normal().string();
    for (const SideInput& input : inputs(side)) {
        if (input.path.filename().string() != nameOrOriginal && input.original != given) continue;
        if (input.block == 0)
            throw Error(ErrorCode::BadOption,
                        "the first input of a side cannot be removed (make a new workspace "
                        "instead)");
        removeTree(input.path);
        updateProject([&](nlohmann::json& p) {
            p[sideName(side)]["more_inputs"][size_t(input.block - 1)]["removed"] = true;
        });
        markInputsChanged(side, "a source input was removed");
        return input.block;
    }
    throw Error(ErrorCode::NotFound, "no added input '" + nameOrOriginal + "' in " +
                                         sideDir(side).string() +
                                         " (name it as listed by `doppel status`)");
}

void Workspace::markInputsChanged(Side side, const std::string& reason) const {
    // The inputs' frames and faces are to be made (or dropped) again.
    for (const std::string stage : {"extract.", "align."}) {
        const std::string key = stage + sideName(side);
        if (!stageStatus(key).empty()) setStageStatus(key, "stale", reason);
    }
}

fs::path Workspace::inputPath(Side side) const {
    nlohmann::json p = project();
    std::string rel = p.at(sideName(side)).value("input", "");
    return root_ / rel;
}

nlohmann::json Workspace::project() const {
    nlohmann::json p;
    {
        std::lock_guard<std::mutex> lock(projectMutex());
        p = readJsonFile(projectFile());
    }
    // A stage recorded as running whose run holds no lock any more ended without saying so
    // (killed, crashed, the machine went down): it is not running, whatever the file says.
    if (p.is_object() && p.contains("stages") && p["stages"].is_object())
        for (auto& [key, stage] : p["stages"].items())
            if (stage.is_object() && stage.value("status", "") == "running" &&
                !StageLock::isHeld(stageLockFile(key))) {
                stage["status"] = "interrupted";
                stage["message"] =
                    "its run ended before it finished (killed or crashed): run "
                    "it again; it resumes from what was saved";
            }
    return p;
}

std::filesystem::path Workspace::stageLockFile(const std::string& key) const {
    // Extract, align and pack of one side work on the same folders (extract removes frames
    // align is reading, align rewrites faces pack is packing): one lock for the three.
    for (const char* facesStage : {"extract.", "align.", "pack."})
        if (key.rfind(facesStage, 0) == 0)
            return root_ / ".locks" /
                   ("faces." + key.substr(std::string(facesStage).size()) + ".lock");
    return root_ / ".locks" / (key + ".lock");
}

void Workspace::updateProject(const std::function<void(nlohmann::json&)>& change) const {
    std::lock_guard<std::mutex> lock(projectMutex());
    nlohmann::json p = readJsonFile(projectFile());
    change(p);
    writeJsonAtomic(projectFile(), p);
}

void Workspace::setStageStatus(const std::string& key, const std::string& status,
                               const std::string& message, bool changedOutputs) const {
    updateProject([&](nlohmann::json& p) {
        auto& s = p["stages"][key];
        const std::string now = utcTimestamp();
        // A workspace from before "changed" was recorded: its last finished run changed things.
        if (s.is_object() && !s.contains("changed") && s.value("status", "") == "done" &&
            s.contains("updated"))
            s["changed"] = s["updated"];
        // A run stopped half way has changed part of its outputs too (frames merged anew).
        if ((status == "done" || status == "cancelled") && changedOutputs) s["changed"] = now;
        s["status"] = status;
        s["message"] = message;
        s["updated"] = now;
    });
}

void Workspace::recordStageResult(const std::string& key, StageResult& result) const {
    const char* word = result.status == StageStatus::Succeeded   ? "done"
                       : result.status == StageStatus::Cancelled ? "cancelled"
                                                                 : "failed";
    try {
        setStageStatus(key, word, result.message, !result.changedNothing);
    } catch (const std::exception& e) {
        result.warnings.push_back("could not record the status of " + key +
                                  " in project.json: " + e.what());
    }
}

std::string Workspace::stageStatus(const std::string& key) const {
    nlohmann::json p = project();
    if (!p.contains("stages") || !p["stages"].contains(key)) return "";
    return p["stages"][key].value("status", "");
}

nlohmann::json Workspace::stageOptions(const std::string& key) const {
    nlohmann::json p = project();
    if (!p.contains("options") || !p["options"].contains(key)) return nullptr;
    return p["options"][key];
}

void Workspace::setStageOptions(const std::string& key, const nlohmann::json& options) const {
    updateProject([&](nlohmann::json& p) { p["options"][key] = options; });
}

}  // namespace doppel
