// File helpers for the CA directories: whole-file reads and atomic writes with a fixed mode
// (a private key must never exist on disk, even briefly, with looser permissions).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/result.h"

namespace zmesh::identity {

inline constexpr const char* kCaCertFile = "ca-cert.pem";
inline constexpr const char* kCaKeyFile = "ca-key.pem";
inline constexpr const char* kRootCertFile = "root-cert.pem";
inline constexpr const char* kCertChainFile = "cert-chain.pem";

std::string join_path(const std::string& dir, const char* name);
bool file_exists(const std::string& path);
Result<std::string> read_file(const std::string& path);
// Writes `path`.tmp created with `mode` (O_EXCL, no symlink follow), fsyncs, renames over
// `path`: readers see the old or the new file, never a partial one.
Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode);

}  // namespace zmesh::identity
