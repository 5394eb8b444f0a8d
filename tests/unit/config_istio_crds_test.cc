// The tests that compare decoders with Istio's own CRDs (shared test data beside the clone):
// where they look, and that a missing file skips them in a clone on its own but fails them in
// CI (CI=true), with a message that says what is missing.
#include <gtest/gtest.h>

#include <fstream>

#include "istio_crds.h"

namespace zmesh::test_data {
namespace {

const std::string kDefault = "/nonexistent/shared/data/istio-crds/crd-all.gen.yaml";

TEST(IstioCrds, MissingOutsideCiIsASkipThatSaysWhatIsMissing) {
  for (const char* ci : {static_cast<const char*>(nullptr), "", "false", "0"}) {
    IstioCrds crds = locate_istio_crds(nullptr, ci, kDefault);
    EXPECT_FALSE(crds.present);
    EXPECT_FALSE(crds.required) << (ci ? ci : "(unset)");
    EXPECT_NE(crds.missing.find(kDefault), std::string::npos) << crds.missing;
    EXPECT_NE(crds.missing.find("ZMESH_ISTIO_CRDS"), std::string::npos) << crds.missing;
    EXPECT_NE(crds.missing.find("skipped outside CI"), std::string::npos) << crds.missing;
  }
}

TEST(IstioCrds, MissingInCiIsAFailure) {
  for (const char* ci : {"true", "1"}) {
    IstioCrds crds = locate_istio_crds(nullptr, ci, kDefault);
    EXPECT_FALSE(crds.present);
    EXPECT_TRUE(crds.required) << ci;
    EXPECT_NE(crds.missing.find("failure"), std::string::npos) << crds.missing;
  }
}

TEST(IstioCrds, TheEnvironmentNamesAnotherFile) {
  std::string file = ::testing::TempDir() + "istio_crds_test.yaml";
  std::ofstream(file) << "kind: CustomResourceDefinition\n";
  IstioCrds crds = locate_istio_crds(file.c_str(), "true", kDefault);
  EXPECT_EQ(crds.path, file);
  EXPECT_TRUE(crds.present);
  EXPECT_TRUE(crds.missing.empty());
  // An empty variable is as good as unset.
  EXPECT_EQ(locate_istio_crds("", nullptr, kDefault).path, kDefault);
  // A directory is not the file.
  EXPECT_FALSE(locate_istio_crds(::testing::TempDir().c_str(), nullptr, kDefault).present);
}

}  // namespace
}  // namespace zmesh::test_data
