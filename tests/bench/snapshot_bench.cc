// Config plane at scale (issue 4): 10,000 Services, 100,000 endpoint Pods and 1,000 policies go
// through the daemon's own path (JSON object -> decoder -> ObjectStore -> Snapshot), one store
// unit per object as the Kubernetes source keeps them. Prints decode time, full compile time,
// snapshot memory, and the time to publish one changed object, against the targets.
// Times are process CPU time.
//
//   build/bin/snapshot_bench [--services N] [--pods-per-service M] [--policies P]
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "config/object_store.h"
#include "config/yaml_parser.h"
#include "scale_objects.h"

namespace {

using nlohmann::json;
using namespace zmesh::bench;
// Process CPU time, not wall time: the phases are single-threaded, and CPU time does not count
// the waits of a shared, noisy machine.
struct Clock {
  using time_point = double;  // ms
  static time_point now() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  }
};

double ms_since(Clock::time_point start) {
  return Clock::now() - start;
}

// Resident set size in MiB, from /proc/self/statm.
double rss_mib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

int flag(int argc, char** argv, const char* name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
  return fallback;
}

const char* verdict(bool met) {
  return met ? "met" : "MISSED";
}

}  // namespace

int main(int argc, char** argv) {
  const int services = flag(argc, argv, "--services", 10000);
  const int per_service = flag(argc, argv, "--pods-per-service", 10);
  const int policies = flag(argc, argv, "--policies", 1000);

  std::vector<std::pair<std::string, std::string>> objects;  // unit, JSON
  int n = 0;
  for (int s = 0; s < services; ++s) {
    auto svc = service(s);
    objects.emplace_back(unit_of(svc), svc.dump());
    for (int i = 0; i < per_service; ++i, ++n) {
      auto p = pod(s, i, n);
      objects.emplace_back(unit_of(p), p.dump());
    }
  }
  for (int k = 0; k < policies; ++k) {
    auto p = policy(k);
    objects.emplace_back(unit_of(p), p.dump());
  }
  const double rss_before = rss_mib();

  zmesh::config::ObjectStore store;
  auto start = Clock::now();
  size_t rejected = 0;
  for (const auto& [unit, text] : objects) {
    auto parsed = zmesh::config::parse_object(text, "bench", unit);
    if (parsed && !parsed->empty() && !(*parsed)[0].object) ++rejected;
    store.set_file(unit, std::move(parsed));
  }
  const double decode_ms = ms_since(start);
  const double rss_decoded = rss_mib();
  // The first commit decides every object and compiles the snapshot from scratch.
  start = Clock::now();
  store.commit();
  auto snapshot = store.build_snapshot();
  const double compile_ms = ms_since(start);
  const double rss_after = rss_mib();

  // One changed object, as a watch MODIFIED event brings it: a pod moves to version v2
  // (its workload, the IP index and the Service selecting it are recompiled); then a
  // policy changes (its kind's compiled view is rebuilt). The worst of a few repetitions.
  double update_ms = 0;
  for (int round = 0; round < 5; ++round) {
    auto changed = round % 2 == 0 ? pod(0, 0, 0, round % 4 == 0 ? "v2" : "v1") : policy(round);
    start = Clock::now();
    store.set_file(unit_of(changed),
                   zmesh::config::parse_object(changed.dump(), "bench", unit_of(changed)));
    store.commit();
    auto next = store.build_snapshot();
    update_ms = std::max(update_ms, ms_since(start));
    if (std::getenv("BENCH_VERBOSE"))
      std::fprintf(stderr, "round %d: %.3f ms\n", round, ms_since(start));
    if (next == snapshot) {
      std::fprintf(stderr, "snapshot_bench: the change produced no new snapshot\n");
      return 1;
    }
    snapshot = next;
  }
  // The update must be visible: pod app0-0 carries version v2 again after round 4.
  auto w = snapshot->workload_by_uid("ns0/app0-0");
  if (!w || w->labels.at("version") != "v2") {
    std::fprintf(stderr, "snapshot_bench: the updated pod is not in the new snapshot\n");
    return 1;
  }

  // The compile alone, from the same objects: what Snapshot::with costs without the store's
  // bookkeeping (which file serves which object). Measured last: freeing a whole snapshot
  // leaves malloc millions of chunks to sort, which the next allocation would pay for.
  std::vector<zmesh::state::ObjectChange> all;
  all.reserve(objects.size());
  for (const auto& [unit, text] : objects) {
    auto o = json::parse(text);
    all.push_back(
        {nullptr, store.find({o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]})});
  }
  start = Clock::now();
  auto rebuilt = zmesh::state::Snapshot().with(all);
  const double compile_only_ms = ms_since(start);
  if (rebuilt->workload_count() != snapshot->workload_count()) return 1;
  rebuilt.reset();
  all.clear();

  std::printf("snapshot_bench: %d services, %d pods, %d policies (%zu objects, %zu rejected)\n",
              services, n, policies, objects.size(), rejected);
  std::printf("  decode (JSON -> typed objects)      %9.1f ms   %.1f MiB\n", decode_ms,
              rss_decoded - rss_before);
  std::printf("  full commit + snapshot compile      %9.1f ms   target < 1000 ms: %s\n", compile_ms,
              verdict(compile_ms < 1000));
  std::printf("    of which the snapshot compile     %9.1f ms\n", compile_only_ms);
  std::printf("  memory (store + snapshot, RSS)      %9.1f MiB  target < 500 MB: %s\n",
              rss_after - rss_before, verdict((rss_after - rss_before) * 1.048576 < 500));
  std::printf("  one changed object -> new snapshot  %9.3f ms   target < 10 ms: %s (worst of 5)\n",
              update_ms, verdict(update_ms < 10));
  std::printf("  workloads %zu, services %zu in the snapshot\n", snapshot->workload_count(),
              snapshot->service_count());
  return rejected == 0 ? 0 : 1;
}
