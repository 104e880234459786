// Every YAML example in docs/objects.md is valid configuration: the blocks, taken together, parse
// and plan cleanly against an empty configuration (schemas and references), so the page cannot
// show an example the hub would refuse.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "model/config_plan.hpp"
#include "model/yaml_documents.hpp"

namespace tessera::model {
namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The bodies of the ```yaml fences.
std::vector<std::string> yamlBlocks(const std::string& markdown) {
  std::vector<std::string> blocks;
  std::istringstream in(markdown);
  std::string line, block;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```yaml") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      blocks.push_back(block);
    } else if (inside) {
      block += line + "\n";
    }
  }
  return blocks;
}

TEST(DocsExamples, ObjectsPageExamplesAreValidTogether) {
  const auto blocks = yamlBlocks(readFile(std::string(TESSERA_SOURCE_DIR) + "/docs/objects.md"));
  ASSERT_GE(blocks.size(), 6u) << "one example per kind at least";
  std::vector<DesiredObject> desired;
  std::set<Kind> kinds;
  FieldErrors errors;
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    auto docs = parseYamlDocuments(blocks[b], "docs/objects.md block " + std::to_string(b + 1));
    ASSERT_TRUE(docs.ok()) << docs.error().describe();
    for (const auto& doc : *docs) {
      const std::string pointer = "/block" + std::to_string(b + 1);
      auto object = parseConfigObject(doc.value, std::nullopt, pointer, errors);
      ASSERT_TRUE(object.has_value()) << errors.toError("example").message;
      kinds.insert(object->kind);
      desired.push_back(DesiredObject{std::move(*object), pointer});
    }
  }
  EXPECT_EQ(kinds.size(), kAllKinds.size()) << "every kind has an example";
  const ConfigSnapshot empty(0, {});
  auto plan = planApply(empty, std::move(desired), ApplyMode::kUpsert, 1, SpecRegistry::builtin());
  ASSERT_TRUE(plan.ok()) << plan.error().message;
}

}  // namespace
}  // namespace tessera::model
