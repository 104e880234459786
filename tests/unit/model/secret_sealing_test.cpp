// Secret fields sealed at rest: only secret fields change, sealed values are bound to their
// object and field, and what cannot be unsealed is dropped and reported, never guessed.
#include "model/secret_sealing.hpp"

#include <gtest/gtest.h>

namespace tessera::model {
namespace {

using nlohmann::json;

ConfigObject secretObject(const std::string& name) {
  ConfigObject o;
  o.kind = Kind::kCredentialProvider;
  o.metadata.name = name;
  o.spec = {{"type", "static-secret"},
            {"secretType", "username-password"},
            {"username", "app"},
            {"password", "pw-1"}};
  return o;
}

TEST(SecretSealing, SealsOnlySecretFieldsAndUnsealsThem) {
  const auto kek = crypto::KeyEncryptionKey::generate();
  auto o = secretObject("db");
  ASSERT_TRUE(sealSecrets(o, SpecRegistry::builtin(), kek).ok());
  EXPECT_EQ(o.spec["username"], "app");
  ASSERT_TRUE(o.spec["password"].is_object());
  EXPECT_EQ(o.spec.dump().find("pw-1"), std::string::npos);
  EXPECT_TRUE(unsealSecrets(o, SpecRegistry::builtin(), kek).empty());
  EXPECT_EQ(o.spec, secretObject("db").spec);
}

TEST(SecretSealing, PlaintextRowsLoadAsTheyAre) {
  const auto kek = crypto::KeyEncryptionKey::generate();
  auto o = secretObject("db");
  EXPECT_TRUE(unsealSecrets(o, SpecRegistry::builtin(), kek).empty());
  EXPECT_EQ(o.spec["password"], "pw-1");
}

TEST(SecretSealing, ASealedValueDoesNotUnsealElsewhereOrUnderAnotherKek) {
  const auto kek = crypto::KeyEncryptionKey::generate();
  auto sealed = secretObject("db");
  ASSERT_TRUE(sealSecrets(sealed, SpecRegistry::builtin(), kek).ok());
  auto moved = secretObject("other");
  moved.spec["password"] = sealed.spec["password"];  // copied into another object's row
  auto problems = unsealSecrets(moved, SpecRegistry::builtin(), kek);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].pointer, "/spec/password");
  EXPECT_FALSE(moved.spec.contains("password")) << "dropped, so its provider fails closed";
  EXPECT_EQ(moved.spec["username"], "app");

  auto otherKek = sealed;
  EXPECT_EQ(
      unsealSecrets(otherKek, SpecRegistry::builtin(), crypto::KeyEncryptionKey::generate()).size(),
      1u);
  EXPECT_FALSE(otherKek.spec.contains("password"));
}

TEST(SecretSealing, AnOAuthClientSecretIsSealedAndWriteOnly) {
  const auto kek = crypto::KeyEncryptionKey::generate();
  ConfigObject o;
  o.kind = Kind::kCredentialProvider;
  o.metadata.name = "as";
  o.spec = {{"type", "oauth-client-credentials"},
            {"tokenEndpoint", "https://as.example.com/token"},
            {"clientId", "tessera"},
            {"clientAuth", "client_secret_post"},
            {"clientSecret", "cs-1"},
            {"scopes", {"read"}}};
  const json plain = o.spec;
  ASSERT_TRUE(sealSecrets(o, SpecRegistry::builtin(), kek).ok());
  ASSERT_TRUE(o.spec["clientSecret"].is_object());
  EXPECT_EQ(o.spec.dump().find("cs-1"), std::string::npos);
  EXPECT_EQ(o.spec["clientId"], "tessera");
  EXPECT_TRUE(unsealSecrets(o, SpecRegistry::builtin(), kek).empty());
  EXPECT_EQ(o.spec, plain);

  const Schema* schema = SpecRegistry::builtin().schemaFor(Kind::kCredentialProvider, o.spec);
  ASSERT_NE(schema, nullptr);
  json answered = o.spec;
  schema->removeSecrets(answered);
  EXPECT_FALSE(answered.contains("clientSecret")) << "write-only: never in the admin API";
  EXPECT_EQ(answered["clientId"], "tessera");
}

}  // namespace
}  // namespace tessera::model
