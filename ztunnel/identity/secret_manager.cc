#include "identity/secret_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <random>
#include <vector>

#include "identity/csr.h"

namespace zmesh::identity {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using CredsPtr = std::shared_ptr<const TlsCredentials>;

constexpr auto kRootsCheckInterval = std::chrono::seconds(1);
// Renewal never runs hotter than this, even for a certificate cut short by its CA's expiry.
constexpr auto kMinRenewDelay = milliseconds(500);

enum class State { kPending, kValid, kRetrying };

const char* state_name(State s) {
  switch (s) {
    case State::kPending:
      return "pending";
    case State::kValid:
      return "valid";
    case State::kRetrying:
      return "retrying";
  }
  return "?";
}

// One tracked identity. Its renewal loop owns a reference; the manager's map owns another
// until the loop ends (handles gone, manager stopped, or the entry replaced).
struct Entry {
  Entry(SpiffeId id, std::shared_ptr<IdentitySlot> s, asio::any_io_executor ex)
      : id(std::move(id)), slot(s), timer(ex) {}
  SpiffeId id;
  std::weak_ptr<IdentitySlot> slot;
  asio::steady_timer timer;  // renewal / retry deadline; cancelled to wake the loop early
  bool reissue = false;      // the roots changed: issue now
  State state = State::kPending;
  std::string last_error;
  CredsPtr creds;
  std::vector<std::shared_ptr<asio::steady_timer>> waiters;  // wait_ready calls
};

std::string rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Shared with the coroutines, which may outlive the SecretManager by a few wake-ups.
struct Core {
  Core(asio::any_io_executor ex, CertificateSource& src, SecretOptions opts)
      : executor(std::move(ex)), source(src), options(std::move(opts)), tick(executor) {}

  asio::any_io_executor executor;
  CertificateSource& source;
  SecretOptions options;
  asio::steady_timer tick;
  bool stopped = false;
  std::map<SpiffeId, std::shared_ptr<Entry>> entries;
  std::mt19937 rng{std::random_device{}()};
  // Only SecretManager may write a slot (friend); it installs this writer.
  void (*publish)(IdentitySlot& slot, CredsPtr creds) = nullptr;

  bool attached(const std::shared_ptr<Entry>& e) const {
    if (stopped || e->slot.expired()) return false;
    auto it = entries.find(e->id);
    return it != entries.end() && it->second == e;
  }
  void detach(const std::shared_ptr<Entry>& e) {
    auto it = entries.find(e->id);
    if (it != entries.end() && it->second == e) entries.erase(it);
    for (auto& w : e->waiters) w->cancel();
  }
  milliseconds backoff(int failures) {
    auto d = options.initial_backoff;
    for (int i = 0; i < failures && d < options.max_backoff; ++i) d *= 2;
    d = std::min(d, options.max_backoff);
    // Jitter (80-100%) keeps many identities that failed together from retrying together.
    std::uniform_int_distribution<long> pct(80, 100);
    return milliseconds(std::max<long>(1, d.count() * pct(rng) / 100));
  }
};

using CorePtr = std::shared_ptr<Core>;

// Free functions rather than lambdas: GCC 12 mishandles by-value coroutine lambda params.
asio::awaitable<Result<CredsPtr>> issue(CorePtr core, SpiffeId id) {
  auto kc = make_key_and_csr(id);
  if (!kc) co_return kc.error();
  std::optional<Result<SignedChain>> signed_chain;
  try {  // a throwing source must not end the renewal loop
    signed_chain.emplace(co_await core->source.sign(kc->csr_pem, id, core->options.ttl));
  } catch (const std::exception& e) {
    signed_chain.emplace(make_error(std::string("sign threw: ") + e.what()));
  }
  auto& chain = *signed_chain;
  if (!chain) co_return make_error(core->source.describe() + ": " + chain.error().message);
  auto ck =
      make_certified_key(std::move(kc->key), std::move(chain->chain), std::move(chain->roots));
  if (!ck) co_return ck.error();
  if (ck->identity != id) {
    co_return make_error("issued certificate is for " + ck->identity.uri() + ", not " + id.uri());
  }
  auto creds = make_tls_credentials(std::make_shared<const CertifiedKey>(std::move(*ck)),
                                    core->options.trust_domain);
  if (!creds) co_return creds.error();
  co_return std::move(*creds);
}

asio::awaitable<void> renew_loop(CorePtr core, std::shared_ptr<Entry> e) {
  int failures = 0;
  while (core->attached(e)) {
    e->reissue = false;
    auto issued = co_await issue(core, e->id);
    if (!core->attached(e)) break;
    if (issued) {
      const CertifiedKey& cert = *(*issued)->cert;
      auto now = std::chrono::system_clock::now();
      spdlog::info("issued cert for {} serial {} valid until {}", e->id.uri(), cert.serial,
                   rfc3339(cert.not_after));
      failures = 0;
      e->state = State::kValid;
      e->last_error.clear();
      e->creds = *issued;
      if (auto slot = e->slot.lock()) core->publish(*slot, e->creds);
      for (auto& w : e->waiters) w->cancel();
      auto half = std::chrono::duration_cast<milliseconds>(cert.not_after - now) / 2;
      e->timer.expires_after(std::max(half, kMinRenewDelay));
    } else {
      e->state = State::kRetrying;
      e->last_error = issued.error().message;
      auto delay = core->backoff(failures++);
      spdlog::warn("certificate for {} failed (attempt {}), retrying in {} ms: {}", e->id.uri(),
                   failures, delay.count(), e->last_error);
      e->timer.expires_after(delay);
    }
    // Sleep until the deadline, unless the roots change or the slot goes away first.
    while (!e->reissue && core->attached(e)) {
      boost::system::error_code ec;
      co_await e->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) break;
    }
  }
  core->detach(e);
}

asio::awaitable<void> roots_loop(CorePtr core) {
  while (!core->stopped) {
    core->tick.expires_after(kRootsCheckInterval);
    boost::system::error_code ec;
    co_await core->tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (core->stopped) break;
    bool reissue = core->source.trust_changed();
    if (reissue) spdlog::info("CA changed: re-issuing all workload certificates");
    for (auto& [id, e] : core->entries) {
      // A slot whose handles are all gone: wake its loop so it ends and drops the entry.
      if (reissue || e->slot.expired()) {
        e->reissue = reissue;
        e->timer.cancel();
      }
    }
  }
}

}  // namespace

struct SecretManager::Impl {
  CorePtr core;
};

SecretManager::SecretManager(asio::any_io_executor control, CertificateSource& source,
                             SecretOptions options)
    : impl_(std::make_unique<Impl>(std::make_shared<Core>(control, source, options))),
      options_(std::move(options)) {
  impl_->core->publish = [](IdentitySlot& slot, CredsPtr creds) {
    slot.creds_.store(std::move(creds));
  };
  asio::co_spawn(impl_->core->executor, roots_loop(impl_->core), asio::detached);
}

SecretManager::~SecretManager() {
  Core& core = *impl_->core;
  core.stopped = true;
  core.tick.cancel();
  for (auto& [id, e] : core.entries) {
    e->timer.cancel();
    for (auto& w : e->waiters) w->cancel();
  }
}

std::shared_ptr<IdentitySlot> SecretManager::track(const SpiffeId& id) {
  Core& core = *impl_->core;
  auto it = core.entries.find(id);
  if (it != core.entries.end()) {
    if (auto slot = it->second->slot.lock()) return slot;
    it->second->timer.cancel();  // its loop ends; the new entry below replaces it
  }
  auto slot = std::make_shared<IdentitySlot>(id);
  auto e = std::make_shared<Entry>(id, slot, core.executor);
  core.entries[id] = e;
  asio::co_spawn(core.executor, renew_loop(impl_->core, e), asio::detached);
  return slot;
}

asio::awaitable<Result<CredsPtr>> SecretManager::wait_ready(std::shared_ptr<IdentitySlot> slot,
                                                            milliseconds timeout) {
  CorePtr core = impl_->core;  // this manager may be destroyed while we wait
  if (auto creds = slot->current()) co_return creds;
  auto it = core->entries.find(slot->id());
  if (it == core->entries.end() || it->second->slot.lock() != slot) {
    co_return make_error(slot->id().uri() + " is not tracked by this secret manager");
  }
  std::shared_ptr<Entry> e = it->second;
  auto waiter = std::make_shared<asio::steady_timer>(core->executor, timeout);
  e->waiters.push_back(waiter);
  boost::system::error_code ec;
  co_await waiter->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  std::erase(e->waiters, waiter);
  if (auto creds = slot->current()) co_return creds;
  std::string why = e->last_error.empty() ? "no answer yet" : e->last_error;
  if (core->stopped) why = "secret manager stopped";
  co_return make_error("no certificate for " + slot->id().uri() + " after " +
                       std::to_string(timeout.count()) + " ms: " + why);
}

nlohmann::json SecretManager::to_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [id, e] : impl_->core->entries) {
    if (e->slot.expired()) continue;
    nlohmann::json j = e->creds ? e->creds->cert->to_json() : nlohmann::json::object();
    j["identity"] = id.uri();
    j["state"] = state_name(e->state);
    j["last_error"] = e->last_error;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace zmesh::identity
