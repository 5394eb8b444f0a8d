#include "cni/installer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <utility>

#include "cni/conflist.h"
#include "common/unique_fd.h"

namespace zmesh::cni {
namespace {

namespace fs = std::filesystem;

std::string join(const std::string& dir, std::string_view name) {
  return (fs::path(dir) / name).string();
}

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return errno_error("open " + path, errno);
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read " + path, errno);
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
  }
}

// A temporary file beside its target, unlinked unless it was renamed into place.
class TempFile {
 public:
  TempFile() = default;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }

  Result<void> create(const std::string& dir, const std::string& name) {
    std::string tmpl = join(dir, "." + name + ".zmesh-tmp.XXXXXX");
    fd_.reset(::mkostemp(tmpl.data(), O_CLOEXEC));
    if (!fd_) return errno_error("create a temporary file in " + dir, errno);
    path_ = tmpl;
    return ok();
  }

  Result<void> write_all(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_.get(), data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_error("write " + path_, errno);
      data.remove_prefix(static_cast<size_t>(n));
    }
    return ok();
  }

  // Gives the file `mode` (and `owner`'s uid/gid when set), flushes it and renames it to `target`.
  Result<void> commit(const std::string& target, mode_t mode, const struct stat* owner) {
    if (::fchmod(fd_.get(), mode) != 0) return errno_error("chmod " + path_, errno);
    // Best effort: keeping the owner of a replaced file needs CAP_CHOWN unless it is ours already.
    if (owner != nullptr) (void)!::fchown(fd_.get(), owner->st_uid, owner->st_gid);
    if (::fsync(fd_.get()) != 0) return errno_error("fsync " + path_, errno);
    fd_.reset();
    if (::rename(path_.c_str(), target.c_str()) != 0)
      return errno_error("rename " + path_ + " to " + target, errno);
    path_.clear();
    return ok();
  }

 private:
  UniqueFd fd_;
  std::string path_;
};

Result<void> write_atomically(const std::string& dir, const std::string& name,
                              std::string_view data, mode_t mode, const struct stat* owner) {
  TempFile tmp;
  if (auto made = tmp.create(dir, name); !made) return made;
  if (auto written = tmp.write_all(data); !written) return written;
  return tmp.commit(join(dir, name), mode, owner);
}

std::string render(const ConfJson& config) {
  return config.dump(2) + "\n";
}

// The config files of `dir` (regular files, or links to them, with a config name) and their bytes.
Result<std::vector<ConfFile>> read_config_dir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return make_error("CNI configuration directory " + dir + " does not exist");
  std::vector<ConfFile> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    std::error_code type_ec;
    if (!is_config_file_name(name) || !it->is_regular_file(type_ec)) continue;
    auto text = read_file(it->path().string());
    if (!text) return text.error();
    files.push_back({std::move(name), std::move(*text)});
  }
  if (ec) return make_error("list " + dir + ": " + ec.message());
  return files;
}

std::string describe_entry(const InstallOptions& o) {
  std::string what = std::string(kPluginType) + " (runDir " + o.run_dir;
  if (o.exclude_namespaces) {
    what += ", excludeNamespaces [";
    for (size_t i = 0; i < o.exclude_namespaces->size(); ++i)
      what += (i ? "," : "") + (*o.exclude_namespaces)[i];
    what += "]";
  }
  return what + ")";
}

// The binary: copied to <bin_dir>/zmesh-cni.tmp.* with mode 0755, then renamed over the old one
// (a runtime executing the old binary meanwhile keeps its inode).
Result<std::string> install_binary(const InstallOptions& o) {
  std::error_code ec;
  if (!fs::is_directory(o.bin_dir, ec))
    return make_error("CNI binary directory " + o.bin_dir + " does not exist");
  if (o.binary.empty()) return make_error("no zmesh-cni binary to install (--binary)");
  auto source = read_file(o.binary);
  if (!source) return source.error();
  std::string target = join(o.bin_dir, kPluginType);
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0755) {
    auto current = read_file(target);
    if (current && *current == *source) return target + " is up to date (unchanged)";
  }
  auto written = write_atomically(o.bin_dir, std::string(kPluginType), *source, 0755, nullptr);
  if (!written) return written.error();
  return "installed " + target + " (from " + o.binary + ")";
}

Result<std::vector<std::string>> chain_plugin(const InstallOptions& o) {
  auto files = read_config_dir(o.conf_dir);
  if (!files) return files.error();
  auto primary = pick_primary(*files);
  if (!primary) return make_error(o.conf_dir + ": " + primary.error().message);
  std::vector<std::string> lines;
  for (const auto& why : primary->skipped)
    lines.push_back("skipped " + join(o.conf_dir, why) + " (not a loadable CNI config)");

  const std::string old_path = join(o.conf_dir, primary->name);
  const ConfJson& old = primary->config;
  ConfJson updated = with_plugin(old, plugin_entry(o.run_dir, o.exclude_namespaces));
  if (updated == old) {
    lines.push_back(old_path + " already chains " + describe_entry(o) + " last (unchanged)");
    return lines;
  }
  struct stat st {};
  if (::stat(old_path.c_str(), &st) != 0) return errno_error("stat " + old_path, errno);
  const std::string name = is_conflist(old) ? primary->name : conflist_name(primary->name);
  const std::string path = join(o.conf_dir, name);
  if (name != primary->name && ::access(path.c_str(), F_OK) == 0)
    return make_error("cannot wrap " + old_path + " into a conflist: " + path + " exists");
  auto written = write_atomically(o.conf_dir, name, render(updated), st.st_mode & 07777, &st);
  if (!written) return written.error();
  if (name != primary->name) {
    if (::unlink(old_path.c_str()) != 0) return errno_error("remove " + old_path, errno);
    lines.push_back("wrapped the single-plugin " + old_path + " into " + path + " with " +
                    describe_entry(o) + " as its last plugin, and removed " + old_path);
  } else if (count_plugin(old) > 0) {
    lines.push_back("replaced the " + std::string(kPluginType) + " entry of " + path + " with " +
                    describe_entry(o) + " as its last plugin");
  } else {
    lines.push_back("added " + describe_entry(o) + " as the last plugin of " + path);
  }
  // Whatever sorts first is what the runtime loads: make sure that is the file we wrote.
  auto after = read_config_dir(o.conf_dir);
  if (!after) return after.error();
  auto now = pick_primary(*after);
  if (!now || now->name != name)
    return make_error("after writing " + path + ", " +
                      (now ? join(o.conf_dir, now->name) : std::string("nothing")) +
                      " is the primary CNI configuration of " + o.conf_dir);
  return lines;
}

Result<std::string> record_owner(const InstallOptions& o) {
  std::string path = join(o.run_dir, kOwnerFile);
  auto current = read_file(path);
  if (current && *current == o.owner + "\n")
    return path + " names owner " + o.owner + " (unchanged)";
  auto written = write_atomically(o.run_dir, kOwnerFile, o.owner + "\n", 0644, nullptr);
  if (!written) return written.error();
  return "recorded owner " + o.owner + " in " + path;
}

// The owner recorded in <run_dir>/cni-owner, "" when there is none.
std::string recorded_owner(const std::string& run_dir) {
  auto text = read_file(join(run_dir, kOwnerFile));
  if (!text) return "";
  std::string owner = std::move(*text);
  while (!owner.empty() && (owner.back() == '\n' || owner.back() == ' ')) owner.pop_back();
  return owner;
}

// Takes zmesh-cni out of every config file of the directory that holds it (not only the primary:
// the primary may have changed since the install).
Result<std::vector<std::string>> unchain_plugin(const InstallOptions& o) {
  std::error_code ec;
  if (!fs::is_directory(o.conf_dir, ec))
    return std::vector<std::string>{"no CNI configuration directory " + o.conf_dir +
                                    ": no entry to remove"};
  auto files = read_config_dir(o.conf_dir);
  if (!files) return files.error();
  std::vector<std::string> lines;
  for (const auto& file : *files) {
    ConfJson config = ConfJson::parse(file.text, nullptr, false);
    if (config.is_discarded() || !config.is_object()) continue;
    const std::string path = join(o.conf_dir, file.name);
    // A file that is nothing but our plugin (not something the installer writes) goes entirely.
    bool only_ours = is_conflist(config) ? count_plugin(config) > 0 &&
                                               count_plugin(config) == config["plugins"].size()
                                         : config.value("type", "") == kPluginType;
    if (only_ours) {
      if (::unlink(path.c_str()) != 0) return errno_error("remove " + path, errno);
      lines.push_back("removed " + path + " (it held only " + std::string(kPluginType) + ")");
      continue;
    }
    size_t n = count_plugin(config);
    if (n == 0) continue;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return errno_error("stat " + path, errno);
    auto written = write_atomically(o.conf_dir, file.name, render(without_plugin(config)),
                                    st.st_mode & 07777, &st);
    if (!written) return written.error();
    lines.push_back("removed the " + std::string(kPluginType) + " entry from " + path);
  }
  if (lines.empty())
    lines.push_back("no " + std::string(kPluginType) + " entry in " + o.conf_dir + " (unchanged)");
  return lines;
}

}  // namespace

Result<std::vector<std::string>> install(const InstallOptions& options) {
  if (options.run_dir.empty()) return make_error("no --run-dir for the plugin's entry");
  // The binary first: an entry must never name a plugin the runtime cannot find.
  auto binary = install_binary(options);
  if (!binary) return binary.error();
  std::vector<std::string> lines{*binary};
  auto chained = chain_plugin(options);
  if (!chained) return chained.error();
  lines.insert(lines.end(), chained->begin(), chained->end());
  if (!options.owner.empty()) {
    auto owner = record_owner(options);
    if (!owner) return owner.error();
    lines.push_back(*owner);
  }
  return lines;
}

Result<std::vector<std::string>> uninstall(const InstallOptions& options) {
  std::vector<std::string> lines;
  if (!options.owner.empty()) {
    if (options.run_dir.empty()) return make_error("an uninstall with an owner needs --run-dir");
    std::string recorded = recorded_owner(options.run_dir);
    if (!recorded.empty() && recorded != options.owner) {
      return std::vector<std::string>{"left " + std::string(kPluginType) +
                                      " installed: " + join(options.run_dir, kOwnerFile) +
                                      " names " + recorded + ", not " + options.owner +
                                      " (a newer zmesh pod on this node took over)"};
    }
  }
  // The entry first: the binary must outlive every entry that names it.
  auto unchained = unchain_plugin(options);
  if (!unchained) return unchained.error();
  lines = std::move(*unchained);
  std::string binary = join(options.bin_dir, kPluginType);
  if (::unlink(binary.c_str()) == 0) {
    lines.push_back("removed " + binary);
  } else if (errno == ENOENT) {
    lines.push_back("no " + binary + " (unchanged)");
  } else {
    return errno_error("remove " + binary, errno);
  }
  if (!options.run_dir.empty()) {
    std::string owner = join(options.run_dir, kOwnerFile);
    if (::unlink(owner.c_str()) == 0) lines.push_back("removed " + owner);
  }
  return lines;
}

}  // namespace zmesh::cni
