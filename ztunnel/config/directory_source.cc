#include "config/directory_source.h"

#include <spdlog/spdlog.h>
#include <sys/inotify.h>

#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config/inotify_watcher.h"
#include "config/object_store.h"
#include "config/yaml_file_cache.h"
#include "config/yaml_parser.h"

namespace zmesh::config {
namespace fs = std::filesystem;

namespace {

// Editors and tools write in several steps (create, write, rename); one reload per burst.
constexpr std::chrono::milliseconds kDebounce{20};

constexpr uint32_t kWatchMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

// *.yaml / *.yml, except dotfiles and editor leftovers (".#x.yaml", "#x.yaml#", "x.yaml~").
bool is_config_file(const std::string& name) {
  if (name.empty() || name[0] == '.' || name[0] == '#') return false;
  return name.ends_with(".yaml") || name.ends_with(".yml");
}

// Kubernetes ConfigMap volumes swap all files at once by renaming this symlink.
bool is_configmap_swap(const std::string& name) {
  return name == "..data";
}

}  // namespace

struct DirectorySource::Impl {
  Impl(boost::asio::io_context& io, std::string dir, OnSnapshot on_snapshot,
       std::string root_namespace)
      : dir(std::move(dir)),
        on_snapshot(std::move(on_snapshot)),
        store(std::move(root_namespace)),
        debounce(io),
        watcher(io) {}

  // Re-reads one file into the store (a missing file is removed).
  void load(const std::string& name) {
    fs::path path = fs::path(dir) / name;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {  // follows symlinks; gone or not a file
      store.remove_file(name);
      caches.erase(name);
      return;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) {  // e.g. deleted meanwhile: its IN_DELETE follows
      store.set_file(name, errno_error(name + ": cannot open", errno));
      return;
    }
    std::ostringstream text;
    text << in.rdbuf();
    store.set_file(name, caches[name].parse(text.str(), name, path.string()));
  }

  Result<void> rescan() {
    std::set<std::string> present;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (is_config_file(name)) present.insert(name);
    }
    if (ec) return make_error("config dir " + dir + ": " + ec.message());
    for (const auto& name : store.files()) {
      if (present.count(name) == 0) store.remove_file(name);
    }
    for (const auto& name : present) load(name);
    return ok();
  }

  void publish() {
    for (const auto& e : store.commit()) spdlog::warn("config: {}", e);
    auto snapshot = store.build_snapshot();
    spdlog::info(
        "config: {} objects from {} ({} workloads, {} services, {} peer authentications, {} "
        "rejected)",
        store.size(), dir, snapshot->workload_count(), snapshot->service_count(),
        snapshot->objects<state::PeerAuthentication>().size(), store.errors().size());
    on_snapshot(std::move(snapshot));
  }

  void on_event(const std::string& name, uint32_t mask) {
    if (mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
      spdlog::error("config: directory {} was removed or moved; keeping the last state", dir);
    }
    if (mask & IN_Q_OVERFLOW) {
      rescan_pending = true;
    } else if (is_configmap_swap(name)) {
      rescan_pending = true;
    } else if (is_config_file(name)) {
      // A new regular file is read on IN_CLOSE_WRITE, never half-written; a symlink or a
      // hard link gets no IN_CLOSE_WRITE, so its creation counts.
      if ((mask & IN_CREATE) && !created_complete(name)) return;
      pending.insert(name);
    } else {
      return;
    }
    if (timer_armed) return;
    timer_armed = true;
    debounce.expires_after(kDebounce);
    debounce.async_wait([this, token = std::weak_ptr<char>(alive)](boost::system::error_code ec) {
      if (ec || token.expired()) return;
      timer_armed = false;
      flush();
    });
  }

  bool created_complete(const std::string& name) const {
    fs::path path = fs::path(dir) / name;
    std::error_code ec;
    if (fs::is_symlink(fs::symlink_status(path, ec))) return true;
    return fs::hard_link_count(path, ec) > 1 && !ec;
  }

  void flush() {
    if (rescan_pending) {
      rescan_pending = false;
      pending.clear();
      if (auto r = rescan(); !r)
        spdlog::error("config: {}; keeping the last state", r.error().message);
    } else {
      for (const auto& name : pending) load(name);
      pending.clear();
    }
    publish();
  }

  std::string dir;
  OnSnapshot on_snapshot;
  ObjectStore store;
  std::map<std::string, YamlFileCache> caches;  // by file: unchanged documents are not re-parsed
  std::set<std::string> pending;
  bool rescan_pending = false;
  bool timer_armed = false;
  std::shared_ptr<char> alive = std::make_shared<char>();  // expires with Impl: guards handlers
  boost::asio::steady_timer debounce;
  InotifyWatcher watcher;  // last: destroyed first, so no event reaches a dying Impl
};

DirectorySource::DirectorySource(boost::asio::io_context& io, std::string dir,
                                 std::string root_namespace, OnSnapshot on_snapshot)
    : impl_(std::make_unique<Impl>(io, std::move(dir), std::move(on_snapshot),
                                   std::move(root_namespace))) {}

DirectorySource::~DirectorySource() = default;

Result<void> DirectorySource::start() {
  std::error_code ec;
  if (!fs::is_directory(impl_->dir, ec)) {
    return make_error("config dir " + impl_->dir + ": not a directory" +
                      (ec ? " (" + ec.message() + ")" : ""));
  }
  // Watch before the first scan so no change in between is missed.
  auto watched = impl_->watcher.watch(
      impl_->dir, kWatchMask,
      [impl = impl_.get()](const std::string& name, uint32_t mask) { impl->on_event(name, mask); });
  if (!watched) return watched;
  if (auto r = impl_->rescan(); !r) return r;
  impl_->publish();
  started_ = true;
  return ok();
}

std::vector<std::string> DirectorySource::errors() const {
  return impl_->store.errors();
}

}  // namespace zmesh::config
