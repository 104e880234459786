#include "policy/client_matcher.hpp"

#include <algorithm>

#include "common/glob.hpp"
#include "conditions/network_condition.hpp"

namespace tessera::policy {

struct ClientMatcher::Node {
  enum class Kind { kAll, kAny, kEquals, kOneOf, kGlob, kCidr };
  Kind kind = Kind::kEquals;
  std::string attribute;
  std::vector<std::string> values;
  std::string test;  // "equals 'x'", "matches 'sales-*'", ...: for traces, made once at compile
  conditions::CidrBlock block;
  std::vector<Node> children;
};

namespace {
using Node = ClientMatcher::Node;

std::string describeTest(const Node& node);

Result<Node> compileNode(const nlohmann::json& m, const std::string& pointer) {
  const auto bad = [&](const std::string& why) {
    return fail(ErrorCode::kInvalidArgument, "client workload matcher " + pointer + ": " + why);
  };
  if (!m.is_object()) {
    return bad("not an object");
  }
  Node node;
  for (const char* group : {"all", "any"}) {
    if (auto it = m.find(group); it != m.end()) {
      if (!it->is_array()) {
        return bad(std::string(group) + " is not an array");
      }
      node.kind = std::string_view(group) == "all" ? Node::Kind::kAll : Node::Kind::kAny;
      for (std::size_t i = 0; i < it->size(); ++i) {
        TESSERA_DECLARE_OR_RETURN(
            auto child, compileNode((*it)[i], pointer + "/" + group + "/" + std::to_string(i)));
        node.children.push_back(std::move(child));
      }
      return node;
    }
  }
  const auto attribute = m.find("attribute");
  if (attribute == m.end() || !attribute->is_string()) {
    return bad("no attribute");
  }
  node.attribute = attribute->get<std::string>();
  if (auto it = m.find("equals"); it != m.end() && it->is_string()) {
    node.kind = Node::Kind::kEquals;
    node.values.push_back(it->get<std::string>());
  } else if (auto list = m.find("oneOf"); list != m.end() && list->is_array()) {
    node.kind = Node::Kind::kOneOf;
    for (const auto& v : *list) {
      node.values.push_back(v.get<std::string>());
    }
  } else if (auto glob = m.find("glob"); glob != m.end() && glob->is_string()) {
    node.kind = Node::Kind::kGlob;
    node.values.push_back(glob->get<std::string>());
  } else if (auto cidr = m.find("cidr"); cidr != m.end() && cidr->is_string()) {
    node.kind = Node::Kind::kCidr;
    const std::string text = cidr->get<std::string>();
    node.values.push_back(text);
    auto block = conditions::parseCidr(text);
    if (!block) {
      return bad("invalid cidr " + text);
    }
    node.block = *block;
  } else {
    return bad("no equals, oneOf, glob or cidr");
  }
  node.test = describeTest(node);
  return node;
}

std::string quoteList(const std::vector<std::string>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    out += (i ? ", '" : "'") + values[i] + "'";
  }
  return out + "]";
}

std::string describeTest(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kEquals:
      return "equals '" + node.values[0] + "'";
    case Node::Kind::kOneOf:
      return "one of " + quoteList(node.values);
    case Node::Kind::kGlob:
      return "matches '" + node.values[0] + "'";
    case Node::Kind::kCidr:
      return "in " + node.values[0];
    default:
      return "";
  }
}

bool evaluateNode(const Node& node, const AttributeLayers& attributes, MatchOutcome& out) {
  if (node.kind == Node::Kind::kAll || node.kind == Node::Kind::kAny) {
    const bool all = node.kind == Node::Kind::kAll;
    for (const auto& child : node.children) {
      if (evaluateNode(child, attributes, out) != all) {
        return !all;  // the first failing child of all / matching child of any decides
      }
    }
    return all;
  }
  const Attribute* found = attributes.find(node.attribute);
  if (found == nullptr) {
    out.trace.push_back(node.attribute + ": absent, no match");
    if (!out.firstMismatch) {
      out.firstMismatch = Mismatch{node.attribute, node.test, "(absent)"};
    }
    return false;
  }
  const Attribute& a = *found;
  bool matched = false;
  const std::string& test = node.test;
  switch (node.kind) {
    case Node::Kind::kEquals:
      matched = a.value == node.values[0];
      break;
    case Node::Kind::kOneOf:
      matched = std::find(node.values.begin(), node.values.end(), a.value) != node.values.end();
      break;
    case Node::Kind::kGlob:
      matched = globMatch(node.values[0], a.value);
      break;
    case Node::Kind::kCidr: {
      const auto address = conditions::parseIpAddress(a.value);
      matched = address && node.block.contains(*address);
      break;
    }
    default:
      break;
  }
  if (!matched && !out.firstMismatch) {
    out.firstMismatch = Mismatch{node.attribute, test, "'" + a.value + "'"};
  }
  if (matched && !a.verified) {
    out.usedUnverified = true;
  }
  out.trace.push_back(node.attribute + " '" + a.value + "' (" +
                      (a.verified ? "verified by " + a.source : std::string("unverified")) + ") " +
                      test + (matched ? ": match" : ": no match"));
  return matched;
}
}  // namespace

Result<ClientMatcher> ClientMatcher::compile(const nlohmann::json& match) {
  TESSERA_DECLARE_OR_RETURN(auto root, compileNode(match, "/spec/match"));
  return ClientMatcher(std::make_shared<const Node>(std::move(root)));
}

const Attribute* AttributeLayers::find(std::string_view name) const {
  for (auto layer = layers_.rbegin(); layer != layers_.rend(); ++layer) {
    if (const auto it = (*layer)->find(name); it != (*layer)->end()) {
      return &it->second;
    }
  }
  return nullptr;
}

MatchOutcome ClientMatcher::evaluate(const Attributes& attributes) const {
  return evaluate(AttributeLayers(attributes));
}

MatchOutcome ClientMatcher::evaluate(const AttributeLayers& attributes) const {
  MatchOutcome out;
  out.matched = evaluateNode(*root_, attributes, out);
  return out;
}

}  // namespace tessera::policy
