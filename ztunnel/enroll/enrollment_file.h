// <run-dir>/enrolled.json: which pods were enrolled with which netns path, so a restarted
// daemon re-enrolls them (the role of istio-cni's ZDS snapshot on reconnect).
#pragma once

#include <map>
#include <string>

#include "common/result.h"

namespace zmesh::enroll {

using EnrolledPaths = std::map<std::string, std::string>;  // pod uid -> netns path

Result<EnrolledPaths> load_enrollment_file(const std::string& path);
// Atomic replace (write temp + rename): a crash never leaves half a file.
Result<void> save_enrollment_file(const std::string& path, const EnrolledPaths& pods);

}  // namespace zmesh::enroll
