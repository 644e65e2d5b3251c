#pragma once
// Replacing a folder's content as a whole (align's redo, pack): the new content is written into
// a staging folder next to it ("aligned" -> "aligned.new") and swapped in by two renames once it
// is complete. A process killed at any moment leaves the old content or the new one, never a
// mix of both and never nothing: before, a cancelled redo had already deleted every aligned
// face (drawn masks included), and a killed pack left new faces.npy beside old masks.npy.
//
// Where a kill can land, and what recoverFolderSwap makes of it:
//   writing the staging folder          -> target untouched; the partial staging folder removed
//   between target -> .old and .new -> target -> .new is complete: renamed in; .old removed
//   after both renames                  -> .old removed
#include <filesystem>

namespace doppel {

/// "dir/aligned" -> "dir/aligned.new".
std::filesystem::path stagingFolder(const std::filesystem::path& target);

/// Finishes or undoes what a killed swap left (see above). Cheap when there is nothing to do.
/// Only a writer of `target` calls it (a reader could take a running writer's staging folder
/// for a dead one's).
void recoverFolderSwap(const std::filesystem::path& target);

/// Recovers, then returns an empty staging folder for the new content. Throws Error(Io).
std::filesystem::path startFolderSwap(const std::filesystem::path& target);

/// Puts the complete staging folder in place of `target` (which may be absent) and removes the
/// old content. Throws Error(Io) naming the folders.
void commitFolderSwap(const std::filesystem::path& target);

/// Removes the staging folder: the swap is cancelled, `target` stays as it was.
void abandonFolderSwap(const std::filesystem::path& target);

}  // namespace doppel
