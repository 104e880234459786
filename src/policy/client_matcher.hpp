// ClientWorkload matchers compiled from a validated spec (model/types/client_workload_spec):
// {attribute, equals|oneOf|glob|cidr} leaves combined in all/any groups. Evaluation explains
// itself: every leaf says what it compared, and whether the attribute was verified, so that an
// access event shows why a workload was (not) recognised. Pure; used by the access pipeline.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>
#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "trust/attributes.hpp"

namespace tessera::policy {

using trust::Attribute;
using trust::Attributes;

// A leaf that did not hold, for the access event's MatchRuleFailed reason.
struct Mismatch {
  std::string attribute;
  std::string expected;  // "matches 'sales-analytics-*'"
  std::string actual;    // "'web-1'" or "(absent)"
};

struct MatchOutcome {
  bool matched = false;
  std::optional<Mismatch> firstMismatch;  // set when a leaf failed
  bool usedUnverified = false;     // a leaf that decided the outcome read an unverified value
  std::vector<std::string> trace;  // one line per leaf evaluated, in order
};

// The attributes a matcher reads, as layers searched from the last pushed to the first (a later
// layer's value wins). Lets a decision show a policy's verified identities over the request's
// context without merging them into a copy per request. The layers must outlive this.
class AttributeLayers {
 public:
  AttributeLayers() = default;
  explicit AttributeLayers(const Attributes& only) { push(only); }
  void push(const Attributes& layer) { layers_.push_back(&layer); }
  const Attribute* find(std::string_view name) const;

 private:
  boost::container::small_vector<const Attributes*, 4> layers_;
};

class ClientMatcher {
 public:
  // `match` is spec.match of a ClientWorkload the model has validated; kInvalidArgument (with
  // the pointer) if it is not shaped as validation guarantees.
  static Result<ClientMatcher> compile(const nlohmann::json& match);

  MatchOutcome evaluate(const Attributes& attributes) const;
  MatchOutcome evaluate(const AttributeLayers& attributes) const;

  struct Node;

 private:
  explicit ClientMatcher(std::shared_ptr<const Node> root) : root_(std::move(root)) {}
  std::shared_ptr<const Node> root_;
};

}  // namespace tessera::policy
