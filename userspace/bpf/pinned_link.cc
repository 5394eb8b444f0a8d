#include "bpf/pinned_link.h"

#include <bpf/bpf.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>

#include "bpf/bpf_handles.h"
#include "bpf/pin_layout.h"
#include "common/unique_fd.h"

namespace zmesh::bpf {
namespace {

bool attached_to(int link_fd, const LinkTarget& target) {
  bpf_link_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(link_fd, &info, &len) != 0) return false;
  if (info.type != target.link_type) return false;
  if (info.type == BPF_LINK_TYPE_CGROUP)
    return info.cgroup.attach_type == target.attach_type &&
           info.cgroup.cgroup_id == target.target_id;
  if (info.type == BPF_LINK_TYPE_NETNS)
    return info.netns.attach_type == target.attach_type && info.netns.netns_ino == target.target_id;
  return false;
}

}  // namespace

Result<void> attach_or_update_pinned(const std::string& pin, bpf_program* prog,
                                     const LinkTarget& target,
                                     const std::function<bpf_link*()>& attach) {
  if (path_exists(pin)) {
    Link existing(bpf_link__open(pin.c_str()));
    if (existing && attached_to(bpf_link__fd(existing.get()), target)) {
      int err = bpf_link__update_program(existing.get(), prog);
      if (err != 0) return errno_error("update pinned link " + pin, -err);
      return ok();
    }
    spdlog::info("bpf: replacing stale link pin {}", pin);
    if (auto r = detach_pinned(pin); !r) return r;
  }
  Link link(attach());
  if (!link) return errno_error("attach " + std::string(bpf_program__name(prog)), errno);
  int err = bpf_link__pin(link.get(), pin.c_str());
  if (err != 0) return errno_error("pin link " + pin, -err);  // link detaches on destroy
  return ok();
}

Result<void> detach_pinned(const std::string& pin) {
  UniqueFd fd(bpf_obj_get(pin.c_str()));
  if (!fd) {
    if (errno == ENOENT) return ok();
    return errno_error("open pinned link " + pin, errno);
  }
  if (bpf_link_detach(fd.get()) != 0)
    spdlog::debug("bpf: detach {}: {} (already defunct)", pin, errno);
  if (::unlink(pin.c_str()) != 0 && errno != ENOENT) return errno_error("unpin " + pin, errno);
  return ok();
}

}  // namespace zmesh::bpf
