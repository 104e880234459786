#include "hub/key_manager.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "jose/jwt.hpp"
#include "scratch_dir.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/store.hpp"

namespace tessera::hub {
namespace {

using namespace std::chrono_literals;

class KeyManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::openSqliteStore(dir_ / "hub.db");
    ASSERT_TRUE(store.ok()) << store.error().describe();
    store_ = *store;
    policy_.algorithms = {"RS256", "ES256"};
    policy_.rotationPeriod = 10h;
    policy_.prepublish = 1h;
    policy_.maxTokenLifetime = 2h;
    manager_ = std::make_unique<KeyManager>(store_.signingKeys, kek_, policy_, clock_);
  }
  std::int64_t now() const { return toUnixSeconds(clock_.now()); }
  nlohmann::json claims(std::int64_t lifetime = 300) const {
    return {{"iss", "https://hub.test"},
            {"sub", "s"},
            {"aud", "a"},
            {"iat", now()},
            {"exp", now() + lifetime}};
  }
  jose::Jwks publishedJwks() const {
    auto parsed = jose::Jwks::parse(manager_->snapshot()->jwks(now()).dump());
    EXPECT_TRUE(parsed.ok());
    return parsed.ok() ? *parsed : jose::Jwks{};
  }
  Result<jose::VerifiedJwt> verify(const std::string& token) const {
    jose::JwtValidationOptions options;
    options.issuer = "https://hub.test";
    options.audiences = {"a"};
    return jose::verifyJwt(token, publishedJwks(), options, clock_.now());
  }

  testing::ScratchDir scratch_{"keys"};
  const std::filesystem::path dir_ = scratch_.path();
  store::Store store_;
  crypto::KeyEncryptionKey kek_ = crypto::KeyEncryptionKey::generate();
  KeyPolicy policy_;
  ManualClock clock_{fromUnixSeconds(1'800'000'000)};
  std::unique_ptr<KeyManager> manager_;
};

TEST_F(KeyManagerTest, FirstMaintenanceCreatesOneKeyPerAlgorithm) {
  auto created = manager_->maintain();
  ASSERT_TRUE(created.ok()) << created.error().describe();
  EXPECT_EQ(created->size(), 2u);
  EXPECT_TRUE(manager_->snapshot()->canSign({"RS256", "ES256"}, now()));
  EXPECT_EQ(publishedJwks().size(), 2u);
  // Idempotent.
  EXPECT_TRUE(manager_->maintain()->empty());
}

TEST_F(KeyManagerTest, SignedTokensVerifyAgainstThePublishedJwks) {
  ASSERT_TRUE(manager_->maintain().ok());
  for (const char* alg : {"RS256", "ES256"}) {
    auto token = manager_->sign(alg, claims());
    ASSERT_TRUE(token.ok()) << token.error().describe();
    auto verified = verify(*token);
    ASSERT_TRUE(verified.ok()) << verified.error().describe();
    EXPECT_EQ(jose::algorithmName(verified->alg), alg);
  }
}

TEST_F(KeyManagerTest, RefusesTokensOutlivingTheKeyPolicy) {
  ASSERT_TRUE(manager_->maintain().ok());
  auto tooLong = manager_->sign("RS256", claims(2 * 3600 + 1));
  ASSERT_FALSE(tooLong.ok());
  EXPECT_NE(tooLong.error().message.find("keys.maxTokenLifetime"), std::string::npos);
  EXPECT_FALSE(manager_->sign("HS256", claims()).ok());
  EXPECT_FALSE(manager_->sign("RS256", {{"sub", "no times"}}).ok());
}

TEST_F(KeyManagerTest, PrivateKeysAreSealedAtRest) {
  ASSERT_TRUE(manager_->maintain().ok());
  auto db = store::SqliteDb::open(dir_ / "hub.db");
  ASSERT_TRUE(db.ok());
  auto q = (*db)->prepare("SELECT sealed_private_jwk, public_jwk FROM signing_keys");
  ASSERT_TRUE(q.ok());
  int rows = 0;
  while (*q->step()) {
    ++rows;
    EXPECT_EQ(q->columnText(0).rfind("tsl1.", 0), 0u);
    EXPECT_EQ(q->columnText(0).find("\"d\""), std::string::npos);
    EXPECT_EQ(q->columnText(1).find("\"d\""), std::string::npos);
  }
  EXPECT_EQ(rows, 2);
  // Another KEK cannot load them: the hub refuses to start rather than run without keys.
  KeyManager other(store_.signingKeys, crypto::KeyEncryptionKey::generate(), policy_, clock_);
  auto loaded = other.refresh(true);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, ErrorCode::kSealInvalid);
}

TEST_F(KeyManagerTest, RotationPrepublishesThenSwitchesThenRemoves) {
  ASSERT_TRUE(manager_->maintain().ok());
  auto oldToken = *manager_->sign("RS256", claims(1800));
  const auto oldKid = verify(oldToken)->key.kid();

  clock_.advance(1min);
  auto rotated = manager_->rotateNow();
  ASSERT_TRUE(rotated.ok());
  ASSERT_EQ(rotated->size(), 2u);
  // Published at once, not yet signing.
  EXPECT_EQ(publishedJwks().size(), 4u);
  EXPECT_EQ(verify(*manager_->sign("RS256", claims()))->key.kid(), oldKid);

  clock_.advance(1h);  // the successor activates
  auto newToken = *manager_->sign("RS256", claims());
  EXPECT_NE(verify(newToken)->key.kid(), oldKid);
  auto stillValid = verify(oldToken);
  EXPECT_FALSE(stillValid.ok());  // expired by now (30 min lifetime) ...
  EXPECT_EQ(stillValid.error().code, ErrorCode::kTokenExpired);  // ... but its key is published
  EXPECT_EQ(publishedJwks().size(), 4u);

  clock_.advance(2h);  // maxTokenLifetime after retirement: the old keys leave the JWKS
  EXPECT_EQ(publishedJwks().size(), 2u);
  ASSERT_TRUE(manager_->maintain().ok());  // and are purged from the store
  EXPECT_EQ(store_.signingKeys->listPublished(0)->size(), 2u);
}

TEST_F(KeyManagerTest, ScheduledRotationWithoutOperator) {
  ASSERT_TRUE(manager_->maintain().ok());
  clock_.advance(9h);
  auto created = manager_->maintain();
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->size(), 2u);
  EXPECT_EQ(publishedJwks().size(), 4u);
}

TEST_F(KeyManagerTest, ReplicasShareKeysAndRotateOnce) {
  KeyManager replica(store_.signingKeys, kek_, policy_, clock_);
  auto store2 = store::openSqliteStore(dir_ / "hub.db");
  ASSERT_TRUE(store2.ok());
  KeyManager otherProcess(store2->signingKeys, kek_, policy_, clock_);
  ASSERT_TRUE(manager_->maintain().ok());
  ASSERT_TRUE(otherProcess.maintain().ok());  // sees the keys, creates none
  EXPECT_EQ(otherProcess.snapshot()->records().size(), 2u);
  auto token = otherProcess.sign("ES256", claims());
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(verify(*token).ok());
  ASSERT_TRUE(manager_->rotateNow().ok());
  EXPECT_TRUE(otherProcess.rotateNow()->empty());  // next keys already pending
  ASSERT_TRUE(otherProcess.refresh().ok());
  EXPECT_EQ(otherProcess.snapshot()->records().size(), 4u);
}

}  // namespace
}  // namespace tessera::hub
