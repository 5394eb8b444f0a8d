#include "enroll/netns_scan.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cctype>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "netns/netns.h"

namespace zmesh::enroll {
namespace {

namespace fs = std::filesystem;
using boost::asio::ip::address;

using Inode = std::pair<dev_t, ino_t>;

std::optional<Inode> inode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return Inode{st.st_dev, st.st_ino};
}

// The addresses configured in the namespace `fd` (getifaddrs runs netlink in it).
std::vector<address> addresses_in(int fd) {
  std::vector<address> out;
  (void)netns::run_in(fd, [&] {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return;
    for (auto* a = list; a; a = a->ifa_next) {
      if (!a->ifa_addr) continue;
      if (a->ifa_addr->sa_family == AF_INET) {
        auto* in = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
        out.push_back(boost::asio::ip::address_v4(ntohl(in->sin_addr.s_addr)));
      } else if (a->ifa_addr->sa_family == AF_INET6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(a->ifa_addr);
        boost::asio::ip::address_v6::bytes_type b;
        std::copy(std::begin(in6->sin6_addr.s6_addr), std::end(in6->sin6_addr.s6_addr), b.begin());
        out.push_back(boost::asio::ip::address_v6(b));
      }
    }
    ::freeifaddrs(list);
  });
  return out;
}

}  // namespace

std::map<address, std::string> find_netns_by_ip(const ScanDirs& dirs,
                                                const std::set<address>& wanted) {
  std::map<address, std::string> found;
  if (wanted.empty()) return found;
  std::set<Inode> skip;
  for (const auto& own : {std::string("/proc/self/ns/net"), dirs.proc_dir + "/1/ns/net"})
    if (auto i = inode_of(own)) skip.insert(*i);

  // Candidates: --netns-dir files first (their paths survive the processes), then processes.
  std::vector<std::pair<Inode, std::string>> candidates;
  std::set<Inode> listed;
  std::error_code ec;
  auto consider = [&](const std::string& path) {
    auto i = inode_of(path);
    if (!i || skip.count(*i) || !listed.insert(*i).second) return;
    candidates.emplace_back(*i, path);
  };
  for (const auto& e : fs::directory_iterator(dirs.netns_dir, ec)) consider(e.path().string());
  for (const auto& e : fs::directory_iterator(dirs.proc_dir, ec)) {
    auto name = e.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    consider(e.path().string() + "/ns/net");
  }

  std::map<address, int> hits;
  for (const auto& [inode, path] : candidates) {
    auto fd = netns::open(path);
    if (!fd) continue;  // the process exited, or not ours to open
    for (const auto& a : addresses_in(fd->get())) {
      if (!wanted.count(a)) continue;
      if (hits[a]++ == 0) found[a] = path;
    }
  }
  for (const auto& [a, n] : hits) {
    if (n > 1) {
      spdlog::warn("netns scan: {} is configured in {} network namespaces; not guessing",
                   a.to_string(), n);
      found.erase(a);
    }
  }
  return found;
}

}  // namespace zmesh::enroll
