#include "bpf/pin_layout.h"

#include <bpf/bpf.h>
#include <linux/magic.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "common/unique_fd.h"

namespace zmesh::bpf {
namespace fs = std::filesystem;

namespace {

// Regular entries of a directory (none if it does not exist).
Result<std::vector<std::string>> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) out.push_back(entry.path().string());
  if (ec) return make_error("list " + dir + ": " + ec.message());
  return out;
}

Result<void> remove_dir_if_present(const std::string& dir) {
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) return errno_error("rmdir " + dir, errno);
  return ok();
}

}  // namespace

bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

Result<void> check_on_bpffs(const std::string& path) {
  fs::path probe = fs::absolute(path);
  while (!path_exists(probe.string()) && probe.has_parent_path() && probe != probe.parent_path())
    probe = probe.parent_path();
  struct statfs sfs;
  if (::statfs(probe.c_str(), &sfs) != 0) return errno_error("statfs " + probe.string(), errno);
  if (static_cast<unsigned long>(sfs.f_type) != BPF_FS_MAGIC)
    return make_error("BPF pin root " + path + " is not on a bpf filesystem (" + probe.string() +
                      " is not bpffs); mount it with: mount -t bpf bpf /sys/fs/bpf");
  return ok();
}

Result<void> make_pin_dirs(const PinLayout& layout) {
  for (const auto& dir : {layout.root, layout.maps_dir(), layout.links_dir()}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      std::string hint = ec == std::errc::permission_denied ? " (needs root)" : "";
      return make_error("create pin directory " + dir + ": " + ec.message() + hint);
    }
  }
  return ok();
}

Result<void> unpin_maps(const PinLayout& layout) {
  auto pins = list_dir(layout.maps_dir());
  if (!pins) return pins.error();
  for (const auto& pin : *pins)
    if (::unlink(pin.c_str()) != 0 && errno != ENOENT) return errno_error("unpin " + pin, errno);
  return ok();
}

Result<void> remove_pin_tree(const PinLayout& layout) {
  if (!path_exists(layout.root)) return ok();
  auto links = list_dir(layout.links_dir());
  if (!links) return links.error();
  for (const auto& pin : *links) {
    // Detach first: unlinking alone would leave the program attached while anyone (e.g.
    // a still-running daemon) holds the link fd.
    UniqueFd fd(bpf_obj_get(pin.c_str()));
    if (fd && bpf_link_detach(fd.get()) != 0)
      spdlog::debug("detach {}: {}", pin, std::strerror(errno));  // already defunct
    if (::unlink(pin.c_str()) != 0 && errno != ENOENT) return errno_error("unpin " + pin, errno);
  }
  if (auto r = unpin_maps(layout); !r) return r;
  for (const auto& dir : {layout.links_dir(), layout.maps_dir(), layout.root})
    if (auto r = remove_dir_if_present(dir); !r) return r;
  return ok();
}

}  // namespace zmesh::bpf
