#include "model/kind.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace tessera::model {
namespace {

TEST(ModelKind, NamesAndCollectionsOfEveryKind) {
  EXPECT_EQ(kindName(Kind::kClientWorkload), "ClientWorkload");
  EXPECT_EQ(kindName(Kind::kServerWorkload), "ServerWorkload");
  EXPECT_EQ(kindName(Kind::kTrustProvider), "TrustProvider");
  EXPECT_EQ(kindName(Kind::kAccessCondition), "AccessCondition");
  EXPECT_EQ(kindName(Kind::kCredentialProvider), "CredentialProvider");
  EXPECT_EQ(kindName(Kind::kAccessPolicy), "AccessPolicy");
  EXPECT_EQ(collectionName(Kind::kClientWorkload), "clientWorkloads");
  EXPECT_EQ(collectionName(Kind::kServerWorkload), "serverWorkloads");
  EXPECT_EQ(collectionName(Kind::kTrustProvider), "trustProviders");
  EXPECT_EQ(collectionName(Kind::kAccessCondition), "accessConditions");
  EXPECT_EQ(collectionName(Kind::kCredentialProvider), "credentialProviders");
  EXPECT_EQ(collectionName(Kind::kAccessPolicy), "accessPolicies");
}

TEST(ModelKind, AllKindsListsEachKindOnceWithPoliciesLast) {
  std::set<Kind> distinct(kAllKinds.begin(), kAllKinds.end());
  EXPECT_EQ(distinct.size(), 6u);
  EXPECT_EQ(kAllKinds.front(), Kind::kClientWorkload);
  EXPECT_EQ(kAllKinds.back(), Kind::kAccessPolicy);
}

TEST(ModelKind, ParseKindNameRoundTripsEveryKind) {
  for (Kind k : kAllKinds) {
    EXPECT_EQ(parseKindName(kindName(k)), k) << kindName(k);
  }
}

TEST(ModelKind, ParseKindNameIsExact) {
  EXPECT_EQ(parseKindName("serverworkload"), std::nullopt);
  EXPECT_EQ(parseKindName("ServerWorkloads"), std::nullopt);
  EXPECT_EQ(parseKindName("serverWorkloads"), std::nullopt);
  EXPECT_EQ(parseKindName("Server-Workload"), std::nullopt);
  EXPECT_EQ(parseKindName(""), std::nullopt);
  EXPECT_EQ(parseKindName("ServerWorkload "), std::nullopt);
}

TEST(ModelKind, ParseKindLooseAcceptsWhatOperatorsType) {
  EXPECT_EQ(parseKindLoose("server-workload"), Kind::kServerWorkload);
  EXPECT_EQ(parseKindLoose("ServerWorkloads"), Kind::kServerWorkload);
  EXPECT_EQ(parseKindLoose("serverworkloads"), Kind::kServerWorkload);
  EXPECT_EQ(parseKindLoose("SERVER_WORKLOAD"), Kind::kServerWorkload);
  EXPECT_EQ(parseKindLoose("accesspolicies"), Kind::kAccessPolicy);
  EXPECT_EQ(parseKindLoose("access-policy"), Kind::kAccessPolicy);
  EXPECT_EQ(parseKindLoose("AccessPolicy"), Kind::kAccessPolicy);
  EXPECT_EQ(parseKindLoose("client-workloads"), Kind::kClientWorkload);
  EXPECT_EQ(parseKindLoose("trustprovider"), Kind::kTrustProvider);
  EXPECT_EQ(parseKindLoose("access-conditions"), Kind::kAccessCondition);
  EXPECT_EQ(parseKindLoose("credential-providers"), Kind::kCredentialProvider);
  for (Kind k : kAllKinds) {
    EXPECT_EQ(parseKindLoose(kindName(k)), k);
    EXPECT_EQ(parseKindLoose(collectionName(k)), k);
  }
}

TEST(ModelKind, ParseKindLooseRefusesOtherWords) {
  EXPECT_EQ(parseKindLoose(""), std::nullopt);
  EXPECT_EQ(parseKindLoose("server"), std::nullopt);
  EXPECT_EQ(parseKindLoose("workloads"), std::nullopt);
  EXPECT_EQ(parseKindLoose("accesspolicys"), std::nullopt);
  EXPECT_EQ(parseKindLoose("server workload"), std::nullopt);
}

}  // namespace
}  // namespace tessera::model
