// Where unit tests find Istio's own CRDs (istio/istio's crd-all.gen.yaml, shared read-only
// test data in ../shared/data beside the clone, or the file $ZMESH_ISTIO_CRDS names, as the
// chart e2e tests read it) and what a test does without them: in CI (CI=true) the data must
// be there and the test fails; elsewhere (a clone on its own) it is skipped, saying what is
// missing and how to provide it.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace zmesh::test_data {

struct IstioCrds {
  std::string path;
  bool present = false;
  bool required = false;  // missing is a failure (CI), not a skip
  std::string missing;    // why the test cannot run, when !present
};

// `override_path` and `ci` are the values of $ZMESH_ISTIO_CRDS and $CI (null when unset).
inline IstioCrds locate_istio_crds(const char* override_path, const char* ci,
                                   const std::string& default_path) {
  IstioCrds out;
  out.path = override_path && *override_path ? override_path : default_path;
  out.required = ci && (std::string(ci) == "true" || std::string(ci) == "1");
  out.present = std::filesystem::is_regular_file(out.path);
  if (!out.present) {
    out.missing = "no Istio CRDs at " + out.path +
                  ": this test compares against istio/istio's crd-all.gen.yaml, read from "
                  "../shared/data/istio-crds/ beside the clone or from $ZMESH_ISTIO_CRDS; " +
                  (out.required ? "CI=true, so missing data is a failure"
                                : "skipped outside CI (CI=true makes it a failure)");
  }
  return out;
}

inline IstioCrds istio_crds() {
  return locate_istio_crds(
      std::getenv("ZMESH_ISTIO_CRDS"), std::getenv("CI"),
      std::string(ZMESH_SOURCE_DIR) + "/../shared/data/istio-crds/crd-all.gen.yaml");
}

}  // namespace zmesh::test_data

// In a TEST body: skips (outside CI) or fails (CI=true) when the CRDs are missing.
#define ZMESH_SKIP_OR_FAIL_WITHOUT(crds) \
  do {                                   \
    if (!(crds).present) {               \
      if ((crds).required) {             \
        FAIL() << (crds).missing;        \
      } else {                           \
        GTEST_SKIP() << (crds).missing;  \
      }                                  \
    }                                    \
  } while (0)
