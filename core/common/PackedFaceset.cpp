#include "common/PackedFaceset.h"

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/FolderSwap.h"
#include "common/NpyArray.h"

namespace fs = std::filesystem;

namespace doppel {

void PackedFaceset::checkConsistent() const {
    size_t n = size_t(count()), r = size_t(resolution);
    auto bad = [&](const std::string& what) {
        return Error(ErrorCode::InvalidInput, "packed faceset (" + side + "): " + what);
    };
    if (resolution <= 0) throw bad("resolution must be positive");
    if (faces.size() != n * r * r * 3) throw bad("faces array does not match count x resolution");
    if (masks.size() != n * r * r * 2) throw bad("masks array does not match count x resolution");
    if (landmarks.size() != n * 68 * 2) throw bad("landmarks array does not match count");
    if (!names.empty() && names.size() != n) throw bad("names do not match count");
}

void writePackedFaceset(const fs::path& packedDir, const PackedFaceset& set) {
    set.checkConsistent();
    if (!packedDir.parent_path().empty()) fs::create_directories(packedDir.parent_path());
    // The five files are one faceset: written beside the old one and swapped in whole, so a
    // killed pack never leaves new faces with old masks (FolderSwap.h).
    const fs::path dir = startFolderSwap(packedDir);
    try {
        int64_t n = set.count(), r = set.resolution;
        writeNpy(dir / "faces.npy", NpyArray::fromU8({n, r, r, 3}, set.faces));
        writeNpy(dir / "masks.npy", NpyArray::fromU8({n, r, r, 2}, set.masks));
        writeNpy(dir / "landmarks.npy", NpyArray::fromF32({n, 68, 2}, set.landmarks));
        writeNpy(dir / "ids.npy", NpyArray::fromI64({n}, set.ids));
        nlohmann::json header = set.extra;
        header["version"] = 1;
        header["side"] = set.side;
        header["resolution"] = set.resolution;
        header["face_type"] = set.faceType;
        header["count"] = n;
        header["names"] = set.names;
        writeJsonAtomic(dir / "faceset.json", header, false);
    } catch (...) {
        // A full disk gets its space back at once (not at the next pack); the old pack stands.
        abandonFolderSwap(packedDir);
        throw;
    }
    commitFolderSwap(packedDir);
}

PackedFaceset readPackedFaceset(const fs::path& dir) {
    if (!fs::exists(dir / "faceset.json"))
        throw Error(ErrorCode::NotFound,
                    "no packed faceset in " + dir.string() + " (run `doppel pack` first)");
    nlohmann::json header = readJsonFile(dir / "faceset.json");
    PackedFaceset set;
    set.side = header.value("side", "");
    set.resolution = header.value("resolution", 0);
    set.faceType = header.value("face_type", "");
    set.names = header.value("names", std::vector<std::string>{});
    set.extra = header;
    int64_t n = header.value("count", int64_t(0));
    auto expectShape = [&](const NpyArray& a, std::vector<int64_t> shape, const char* file) {
        if (a.shape != shape)
            throw Error(ErrorCode::InvalidInput,
                        (dir / file).string() + ": shape does not match faceset.json");
    };
    int64_t r = set.resolution;
    NpyArray faces = readNpy(dir / "faces.npy");
    expectShape(faces, {n, r, r, 3}, "faces.npy");
    set.faces = std::move(faces.bytes);
    NpyArray masks = readNpy(dir / "masks.npy");
    expectShape(masks, {n, r, r, 2}, "masks.npy");
    set.masks = std::move(masks.bytes);
    NpyArray landmarks = readNpy(dir / "landmarks.npy");
    expectShape(landmarks, {n, 68, 2}, "landmarks.npy");
    set.landmarks = landmarks.toF32();
    set.ids = readNpy(dir / "ids.npy").toI64();
    set.checkConsistent();
    return set;
}

}  // namespace doppel
