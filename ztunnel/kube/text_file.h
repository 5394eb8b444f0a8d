// Whole small files (kubeconfig, PEM, token) as text.
#pragma once

#include <string>

#include "common/result.h"

namespace zmesh::kube {

// Refuses files over 1 MiB: credentials are small, and a wrong path should not eat memory.
Result<std::string> read_text_file(const std::string& path);

}  // namespace zmesh::kube
