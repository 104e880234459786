#include "common/json_value_writer.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace tessera {
namespace {

std::string written(const nlohmann::json& value) {
  std::string out;
  JsonWriter w(out);
  writeJsonValue(w, value);
  return out;
}

TEST(JsonValueWriter, WritesWhatDumpWrites) {
  for (const auto& value : {
           nlohmann::json(nullptr),
           nlohmann::json(true),
           nlohmann::json(false),
           nlohmann::json(-9223372036854775807LL - 1),
           nlohmann::json(18446744073709551615ULL),
           nlohmann::json(0.1),
           nlohmann::json(1e300),
           nlohmann::json(-0.0),
           nlohmann::json(""),
           nlohmann::json("caf\xc3\xa9 \"q\" \\ \n"),
           nlohmann::json::object(),
           nlohmann::json::array(),
           nlohmann::json::parse(R"({"method":"header","header":"Authorization","prefix":"Bearer ",
             "nested":{"a":[1,2.5,"x",null,{"b":false}],"":{}}})"),
       }) {
    EXPECT_EQ(written(value), value.dump()) << value.dump();
  }
}

nlohmann::json randomValue(std::mt19937& random, int depth) {
  const auto pick = random() % (depth > 3 ? 6 : 8);
  switch (pick) {
    case 0:
      return nullptr;
    case 1:
      return random() % 2 == 0;
    case 2:
      return static_cast<std::int64_t>(random()) - (1LL << 31);
    case 3:
      return static_cast<std::uint64_t>(random()) << 32;
    case 4:
      return static_cast<double>(random()) / 7.0;
    case 5: {
      std::string s;
      for (auto n = random() % 12; n > 0; --n) {
        const char* pieces[] = {"a", "Z", "\"", "\\", "\n", "\x01", "\xc3\xa9", "/", " "};
        s += pieces[random() % 9];
      }
      return s;
    }
    case 6: {
      auto object = nlohmann::json::object();
      for (auto n = random() % 5; n > 0; --n) {
        object["k" + std::to_string(random() % 10) + (random() % 3 == 0 ? "\"" : "")] =
            randomValue(random, depth + 1);
      }
      return object;
    }
    default: {
      auto array = nlohmann::json::array();
      for (auto n = random() % 5; n > 0; --n) {
        array.push_back(randomValue(random, depth + 1));
      }
      return array;
    }
  }
}

TEST(JsonValueWriter, WritesWhatDumpWritesForRandomDocuments) {
  std::mt19937 random(5);
  for (int i = 0; i < 5000; ++i) {
    const auto value = randomValue(random, 0);
    ASSERT_EQ(written(value), value.dump());
  }
}

TEST(JsonValueWriter, KeepsSeparatorsRightBeyondSixtyFourLevels) {
  // JsonWriter keeps the first 64 levels' state in a word and deeper ones in a vector.
  nlohmann::json value = nlohmann::json::array({"innermost", 0});
  for (int depth = 1; depth < 150; ++depth) {
    value = depth % 2 == 0 ? nlohmann::json::array({depth, value, "after"})
                           : nlohmann::json{{"a", depth}, {"b", value}, {"c", {}}};
  }
  EXPECT_EQ(written(value), value.dump());
}

TEST(JsonValueWriter, NestsInsideWhatTheWriterHasOpen) {
  std::string out;
  JsonWriter w(out);
  w.beginObject().member("before", 1).key("value");
  writeJsonValue(w, nlohmann::json::parse(R"({"a":[1,{}]})"));
  w.member("after", true).endObject();
  EXPECT_EQ(out, R"({"before":1,"value":{"a":[1,{}]},"after":true})");
}

}  // namespace
}  // namespace tessera
