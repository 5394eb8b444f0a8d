// The real Host of plugin.h: the control socket, files, the log file, the clocks.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cni/plugin.h"
#include "common/unique_fd.h"
#include "control/control.h"

namespace zmesh::cni {
namespace {

constexpr off_t kLogRotateBytes = 1 << 20;  // cni.log -> cni.log.1 past 1 MiB

std::string now_rfc3339() {
  auto now = std::chrono::system_clock::now();
  auto t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms.count()));
  return out;
}

}  // namespace

Host system_host() {
  Host h;
  h.call = [](const std::string& run_dir, const nlohmann::json& request,
              const std::string& netns) -> Result<nlohmann::json> {
    UniqueFd fd;
    if (!netns.empty()) {
      fd = UniqueFd(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) return errno_error("open netns " + netns, errno);
    }
    return control::call(control::socket_path(run_dir), request, fd ? fd.get() : -1);
  };
  h.read_file = [](const std::string& path) -> std::optional<std::string> {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  h.log = [](const std::string& run_dir, const std::string& line) {
    std::string text = now_rfc3339() + " " + line + "\n";
    std::cerr << "zmesh-cni: " << line << "\n";
    std::string path = run_dir + "/" + kLogFile;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && st.st_size > kLogRotateBytes)
      (void)::rename(path.c_str(), (path + ".1").c_str());
    // O_APPEND: concurrent plugin runs (different pods) never interleave within a line.
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (fd) (void)!::write(fd.get(), text.data(), text.size());
  };
  h.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  h.now = [] { return std::chrono::steady_clock::now(); };
  return h;
}

}  // namespace zmesh::cni
