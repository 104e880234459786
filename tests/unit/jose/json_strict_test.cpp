#include "jose/json_strict.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

namespace tessera::jose {
namespace {

TEST(JsonStrict, ParsesOrdinaryDocuments) {
  auto r = parseStrictJson(R"({"a":1,"b":[true,null,"x",{"c":-2.5}],"d":{"e":{}}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["a"], 1);
  EXPECT_EQ((*r)["b"][3]["c"], -2.5);
  EXPECT_TRUE((*r)["d"]["e"].is_object());
  auto scalar = parseStrictJson("  \"text\"  ");
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(*scalar, "text");
  auto arr = parseStrictJson("[1,[2,[3]]]");
  ASSERT_TRUE(arr.ok());
  EXPECT_EQ((*arr)[1][1][0], 3);
}

TEST(JsonStrict, RejectsDuplicateMembersAtAnyDepth) {
  for (std::string_view doc : {R"({"a":1,"a":2})", R"({"x":{"a":1,"b":2,"a":3}})",
                               R"({"x":[{"k":1},{"k":1,"k":2}]})", R"({"alg":1,"\u0061lg":2})"}) {
    auto r = parseStrictJson(doc);
    ASSERT_FALSE(r.ok()) << doc;
    EXPECT_EQ(r.error().code, ErrorCode::kJsonDuplicateMember) << doc;
  }
  auto r = parseStrictJson(R"({"x":{"name":1,"name":2}})");
  EXPECT_NE(r.error().message.find("\"name\""), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("depth 2"), std::string::npos) << r.error().message;
  // The same name in different objects is fine.
  EXPECT_TRUE(parseStrictJson(R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]})").ok());
}

TEST(JsonStrict, RejectsTrailingData) {
  for (std::string_view doc :
       {std::string_view(R"({"a":1}x)"), std::string_view(R"({"a":1}{"b":2})"),
        std::string_view(R"({"a":1} 1)"), std::string_view("[1]]"),
        std::string_view("{\"a\":1}\0{\"b\":2}", 16)}) {
    auto r = parseStrictJson(doc);
    ASSERT_FALSE(r.ok()) << doc;
    EXPECT_EQ(r.error().code, ErrorCode::kJsonInvalid) << doc;
  }
  EXPECT_TRUE(parseStrictJson("{\"a\":1} \n\t").ok());
}

TEST(JsonStrict, RejectsNestingBeyondTheLimit) {
  const JsonLimits limits{.maxBytes = 1024, .maxDepth = 4};
  EXPECT_TRUE(parseStrictJson("[[[[1]]]]", limits).ok());
  auto r = parseStrictJson("[[[[[1]]]]]", limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kJsonTooDeep);
  EXPECT_EQ(parseStrictJson(R"({"a":{"b":{"c":{"d":{}}}}})", limits).error().code,
            ErrorCode::kJsonTooDeep);
  // A very deep document fails fast on depth, without recursion.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto d = parseStrictJson(deep, JsonLimits{.maxBytes = 1 << 20, .maxDepth = 16});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kJsonTooDeep);
}

TEST(JsonStrict, RejectsOversizeInput) {
  auto r = parseStrictJson(R"({"a":"0123456789"})", JsonLimits{.maxBytes = 10, .maxDepth = 4});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPayloadTooLarge);
}

TEST(JsonStrict, RejectsInvalidUtf8AndLoneSurrogates) {
  for (std::string_view doc : {"{\"a\":\"\xff\"}", "{\"a\":\"\xc3\"}", "{\"a\":\"\xed\xa0\x80\"}",
                               "{\"\xc0\xaf\":1}", R"({"a":"\ud800"})", R"({"a":"\udc00x"})"}) {
    auto r = parseStrictJson(doc);
    ASSERT_FALSE(r.ok()) << doc;
    EXPECT_EQ(r.error().code, ErrorCode::kJsonInvalid);
  }
  auto ok = parseStrictJson("{\"a\":\"caf\xc3\xa9 \\ud83d\\ude00\"}");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["a"], "caf\xc3\xa9 \xf0\x9f\x98\x80");
}

TEST(JsonStrict, RejectsSyntaxErrorsWithoutEchoingInput) {
  for (std::string_view doc :
       {"", "{", "{\"a\":}", "{'a':1}", "{\"a\":1,}", "[1,]", "NaN", "{\"a\":01}", "/*c*/{}"}) {
    auto r = parseStrictJson(doc);
    ASSERT_FALSE(r.ok()) << doc;
    EXPECT_EQ(r.error().code, ErrorCode::kJsonInvalid) << doc;
  }
  auto r = parseStrictJson(R"({"secret":"hunter2-secret-value" oops})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("oops"), std::string::npos) << r.error().message;
}

// The scanner (token fast path) and the DOM parser (nlohmann's SAX parser, the reference) must
// accept and reject exactly the same documents, with the same codes; for accepted objects the
// members and the lazily built DOM must match the DOM parser's. parseStrictJson (its DOM built
// from the scan) must give exactly the reference's answer: the same DOM, numbers of the same
// types (dump() tells 1 from 1.0), the same error code and message.
void expectParity(std::string_view text, const JsonLimits& limits = {}) {
  auto dom = parseStrictJsonWithSax(text, limits);
  {
    auto fast = parseStrictJson(text, limits);
    EXPECT_EQ(fast.ok(), dom.ok()) << ::testing::PrintToString(std::string(text));
    if (fast.ok() && dom.ok()) {
      EXPECT_EQ(fast->dump(), dom->dump()) << ::testing::PrintToString(std::string(text));
    } else if (!fast.ok() && !dom.ok()) {
      EXPECT_EQ(fast.error().code, dom.error().code);
      EXPECT_EQ(fast.error().message, dom.error().message);
    }
  }
  JsonObjectScan scan;
  auto kind = scanStrictJson(text, limits, &scan);
  ASSERT_EQ(dom.ok(), kind.ok()) << "document: " << ::testing::PrintToString(std::string(text))
                                 << "\n dom: " << (dom.ok() ? "ok" : dom.error().describe())
                                 << "\n scan: " << (kind.ok() ? "ok" : kind.error().describe());
  if (!dom.ok()) {
    EXPECT_EQ(dom.error().code, kind.error().code)
        << ::testing::PrintToString(std::string(text)) << "\n dom: " << dom.error().describe()
        << "\n scan: " << kind.error().describe();
    EXPECT_TRUE(scan.members().empty());
    return;
  }
  const LazyJson lazy{std::string(text)};
  EXPECT_EQ(lazy.get(), *dom);
  EXPECT_FALSE(lazy.get().is_discarded());
  if (*kind != JsonKind::kObject) {
    EXPECT_FALSE(dom->is_object());
    return;
  }
  ASSERT_TRUE(dom->is_object());
  ASSERT_EQ(scan.members().size(), dom->size());
  std::string scratch;
  for (const auto& m : scan.members()) {
    const auto it = dom->find(std::string(m.name));
    ASSERT_NE(it, dom->end()) << m.name;
    EXPECT_EQ(nlohmann::json::parse(m.raw), *it) << m.name;
    if (m.kind == JsonKind::kString) {
      EXPECT_EQ(jsonStringValue(m.raw, scratch), it->get<std::string>());
    }
  }
}

TEST(JsonScan, AgreesWithTheDomParserOnACorpus) {
  const std::vector<std::string> corpus = {
      R"({"a":1,"b":[true,null,"x",{"c":-2.5}],"d":{"e":{}}})",
      R"({"a":1,"a":2})",
      R"({"x":{"a":1,"b":2,"a":3}})",
      R"({"alg":1,"\u0061lg":2})",
      R"({"\u0061lg":"\u006eone","k\"ey":"v\\\/\b\f\n\r\t","e":"\ud83d\ude00"})",
      R"({"a":1}x)",
      R"({"a":1} 1)",
      "[1]]",
      "{\"a\":1} \n\t",
      "[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]",
      "{\"a\":\"\xff\"}",
      "{\"a\":\"\xc3\"}",
      "{\"a\":\"\xed\xa0\x80\"}",
      "{\"\xc0\xaf\":1}",
      "{\"a\":\"\xf4\x90\x80\x80\"}",
      "{\"a\":\"\xf0\x9f\x98\x80 caf\xc3\xa9\"}",
      R"({"a":"\ud800"})",
      R"({"a":"\udc00x"})",
      R"({"a":"\ud800\u0041"})",
      R"({"a":"\u00"})",
      R"({"a":"\x"})",
      "{\"a\":\"tab\there\"}",
      "",
      " ",
      "{",
      "{\"a\":}",
      "{'a':1}",
      "{\"a\":1,}",
      "[1,]",
      "[,1]",
      "NaN",
      "Infinity",
      "-",
      "-0",
      "01",
      "1.",
      ".5",
      "1e",
      "1e+",
      "1E-7",
      "-0.0e+00",
      "1e400",
      "-1e400",
      "1e-400",
      "123456789012345678901234567890",
      "18446744073709551616",
      "-9223372036854775809",
      "\"\"",
      "true",
      "tru",
      "nulls",
      "null",
      "/*c*/{}",
      "\xef\xbb\xbf{}",
      "{\"\":1,\"\":2}",
      "{\"a\":{\"a\":{\"a\":1}},\"b\":[{\"a\":1},{\"a\":2}]}",
      std::string("{\"a\":\"\0\"}", 9),
      std::string("1\0\0\"e", 5),  // found by jwt_fuzz: nlohmann stops at NUL
      std::string("{}\0{\"a\":1}", 10),
      std::string("{\"k\":1,\"k\":2}\0", 14),  // found by jwt_fuzz: the first error wins
      std::string("{\"keys\":[]}\0", 12),
      R"({"a":"\u0000"})",
      " \"text\" ",
      "\n[1, \"two\" ,{\"3\":[]}]\t",
      "\r\n-0.5e1 ",
      " true\n",
      "\t{\"a\" : [ ] }\n",
  };
  for (const auto& doc : corpus) {
    expectParity(doc);
  }
  expectParity("[[[[1]]]]", {.maxBytes = 100, .maxDepth = 4});
  expectParity("[[[[[1]]]]]", {.maxBytes = 100, .maxDepth = 4});
  expectParity(R"({"a":{"b":{"c":{"d":{}}}}})", {.maxBytes = 100, .maxDepth = 4});
  expectParity(R"({"a":"0123456789"})", {.maxBytes = 10, .maxDepth = 4});
}

TEST(JsonScan, LargeObjectsStillCatchDuplicates) {
  std::string doc = "{";
  for (int i = 0; i < 200; ++i) {
    doc += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  }
  expectParity(doc + "\"k150\":1}");
  expectParity(doc + "\"last\":1}");
  std::string nested = "{\"x\":" + doc + "\"k7\":0}}";
  expectParity(nested);
}

TEST(JsonScan, DifferentialMutationsAgreeWithTheDomParser) {
  const std::vector<std::string> seeds = {
      R"({"iss":"https://issuer.example","sub":"system:serviceaccount:ns:sa","aud":["a","b"],)"
      R"("exp":1777630200,"iat":1777629590.5,"k8s":{"ns":"x","pod":{"name":"p","uid":"u"}}})",
      R"({"alg":"RS256","kid":"k\u0031","typ":"JWT","crit":["b64"],"b64":false,"x":[1,-2e3,null]})",
      R"([{"a":"\ud83d\ude00"},[[],{}],true,false,null,0,-0.5E+2,"caf\u00e9"])",
  };
  const std::string alphabet = "{}[]:,\"\\ u0123456789abcdefE.-+tfn\x01\x7f\xc3\xa9\xed\xa0\xff";
  std::mt19937 rng(20260501);
  int accepted = 0;
  for (int iteration = 0; iteration < 20000; ++iteration) {
    std::string doc = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !doc.empty(); ++e) {
      const std::size_t pos = rng() % doc.size();
      switch (rng() % 4) {
        case 0:
          doc[pos] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          doc.insert(pos, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 2:
          doc.erase(pos, 1 + rng() % 3);
          break;
        default: {
          const std::size_t len = std::min<std::size_t>(1 + rng() % 12, doc.size() - pos);
          doc.insert(rng() % doc.size(), doc.substr(pos, len));
          break;
        }
      }
    }
    expectParity(doc, {.maxBytes = 4096, .maxDepth = 6});
    if (::testing::Test::HasFailure()) {
      FAIL() << "stopped at iteration " << iteration;
    }
    accepted += parseStrictJson(doc).ok() ? 1 : 0;
  }
  EXPECT_GT(accepted, 500);  // the mutations exercise the accepting paths too
}

TEST(JsonScan, ListsTopLevelMembersWithDecodedNames) {
  const std::string text = R"( {"a" : "x\"y", "n\u0061me":[1, "two", {"k":3}], "z":null} )";
  JsonObjectScan scan;
  auto kind = scanStrictJson(text, {}, &scan);
  ASSERT_TRUE(kind.ok());
  EXPECT_EQ(*kind, JsonKind::kObject);
  ASSERT_EQ(scan.members().size(), 3u);
  const JsonMember* name = scan.find("name");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->kind, JsonKind::kArray);
  EXPECT_EQ(name->raw, R"([1, "two", {"k":3}])");
  const auto elements = jsonArrayElements(name->raw);
  ASSERT_EQ(elements.size(), 3u);
  EXPECT_EQ(elements[0].first, JsonKind::kNumber);
  EXPECT_EQ(elements[1].second, "\"two\"");
  EXPECT_EQ(elements[2].first, JsonKind::kObject);
  std::string scratch;
  EXPECT_EQ(jsonStringValue(scan.find("a")->raw, scratch), "x\"y");
  EXPECT_EQ(scan.find("z")->kind, JsonKind::kNull);
  EXPECT_EQ(scan.find("missing"), nullptr);
  EXPECT_TRUE(jsonArrayElements("[]").empty());
  // A scan that fails leaves no members behind.
  EXPECT_FALSE(scanStrictJson(R"({"a":1,"a":2})", {}, &scan).ok());
  EXPECT_TRUE(scan.members().empty());
}

TEST(JsonScan, ObjectReaderFindsStringsByPathLikeTheDom) {
  const std::string text =
      R"({"sub":"a\"b","k":{"n\u0061me":"x","deep":{"v":"\u00e9t\u00e9","num":7}},)"
      R"("s":"plain","arr":["q"],"o":{}})";
  const auto dom = nlohmann::json::parse(text);
  JsonObjectReader reader(text);
  EXPECT_EQ(reader.stringAt({"sub"}), dom["sub"].get<std::string>());
  EXPECT_EQ(reader.stringAt({"k", "name"}), "x") << "member names are decoded";
  EXPECT_EQ(reader.stringAt({"k", "deep", "v"}), dom["k"]["deep"]["v"].get<std::string>());
  EXPECT_EQ(reader.stringAt({"s"}), "plain");
  // Absent, or a step or leaf of another kind: "".
  EXPECT_EQ(reader.stringAt({"k", "deep", "num"}), "");
  EXPECT_EQ(reader.stringAt({"s", "x"}), "") << "a string is not an object";
  EXPECT_EQ(reader.stringAt({"arr", "0"}), "") << "arrays are not walked";
  EXPECT_EQ(reader.stringAt({"o", "x"}), "");
  EXPECT_EQ(reader.stringAt({"missing"}), "");
  EXPECT_EQ(reader.stringAt({"k", "missing", "v"}), "");
  ASSERT_NE(reader.find({"k", "deep"}), nullptr);
  EXPECT_EQ(reader.find({"k", "deep"})->kind, JsonKind::kObject);
  EXPECT_EQ(reader.find({"k", "deep", "num"})->raw, "7");
  // Text that is not an object reads as empty.
  JsonObjectReader array("[1]");
  EXPECT_EQ(array.find({"a"}), nullptr);
}

TEST(JsonScan, LazyJsonBuildsOnceAndCopiesAndMoves) {
  LazyJson a{std::string(R"({"k":[1,2]})")};
  std::vector<std::thread> threads;
  std::vector<const nlohmann::json*> seen(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] { seen[static_cast<std::size_t>(i)] = &a.get(); });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (const auto* p : seen) {
    EXPECT_EQ(p, seen[0]);  // one DOM, shared
  }
  EXPECT_EQ(a->at("k")[1], 2);
  LazyJson b = a;
  EXPECT_EQ(*b, *a);
  LazyJson c = std::move(b);
  EXPECT_EQ(c->at("k")[0], 1);
  c = a;
  EXPECT_EQ(c.text(), a.text());
  LazyJson d;
  d = std::move(c);
  EXPECT_EQ(d->at("k").size(), 2u);
}

}  // namespace
}  // namespace tessera::jose
