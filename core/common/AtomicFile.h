#pragma once
// Every persistent write is atomic: write "<file>.tmp", flush + fsync, keep the old file as
// "<file>.bak" (optional), rename the tmp over the final name. A process killed at any point
// leaves either the old or the new content under the final name, never a half-written file.
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace doppel {

/// Throws doppel::Error(Io) naming the path, e.g. on a full disk or a read-only folder.
void writeFileAtomic(const std::filesystem::path& path, std::string_view bytes,
                     bool keepBackup = false);
void writeJsonAtomic(const std::filesystem::path& path, const nlohmann::json& value,
                     bool keepBackup = true);

/// Reads a whole file; throws Error(NotFound / Io).
std::string readFileBytes(const std::filesystem::path& path);
/// Reads JSON; on a missing or corrupt file falls back to "<file>.bak" when present, else throws.
nlohmann::json readJsonFile(const std::filesystem::path& path);

/// Flushes a finished file (written by other means) to disk and renames it over `finalPath`.
void commitFile(const std::filesystem::path& tmpPath, const std::filesystem::path& finalPath);

}  // namespace doppel
