#pragma once
#include <functional>
#include <ostream>
#include <string>

namespace attractor {

// Writes `path` all or nothing: `writer` fills a temporary file beside it, which is flushed,
// synced and renamed over `path` only when the writer returned normally; the folder is synced
// after the rename. A crash or an exception leaves any earlier `path` untouched and no partial
// file under its name. The temporary is `<path>.tmp.XXXXXX` with a random suffix, created with
// O_CREAT | O_EXCL | O_NOFOLLOW: a name or link planted in advance makes the write pick another
// name, never write through the link.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& writer);

// Makes the renames and removals in `folder` durable (fsync of the folder itself).
void sync_folder(const std::string& folder);

// Whether `name` (a file name, no folder) has the pattern of this program's temporaries:
// `<anything>.tmp.` and six letters or digits.
bool is_temporary_name(const std::string& name);

// Creates an empty folder `<folder>/<stem>.tmp.XXXXXX` (mode 0700) and returns its path.
std::string make_temporary_folder(const std::string& folder, const std::string& stem);

// Removes what an interrupted write left directly in `folder`: entries named like a temporary
// (is_temporary_name); a folder of that name with what it holds, a link without following it.
// Nothing else is touched.
void remove_stale_temporaries(const std::string& folder);

// core::InputError naming `what` unless `folder` is a folder this process can create files in,
// found by creating a temporary there and removing it (permission bits do not tell: root, ACLs,
// read-only mounts).
void require_writable_folder(const std::string& folder, const std::string& what);

// For an output file given by name: its folder must exist and be writable and `path` must not
// be a folder; core::InputError naming `what` otherwise. Checked before any work.
void require_writable_file(const std::string& path, const std::string& what);

}  // namespace attractor
