// ClientWorkload spec: how to recognise the caller — matchers over attributes (verified by trust
// providers, or context such as source IP and hostname), combined in all/any groups.
#include "model/types/builtin_types.hpp"
#include "model/types/spec_checks.hpp"

namespace tessera::model {

namespace {
constexpr int kMaxDepth = 8;
constexpr std::size_t kMaxMatchers = 256;

void validateMatcher(const nlohmann::json& m, const std::string& pointer, int depth,
                     std::size_t& count, FieldErrors& errors) {
  if (!m.is_object()) {
    return errors.add(pointer,
                      "must be an object: {attribute, equals|oneOf|glob|cidr} or "
                      "{all: [...]} or {any: [...]}");
  }
  if (++count > kMaxMatchers) {
    return errors.add(pointer, "too many matchers (at most 256)");
  }
  if (m.contains("all") || m.contains("any")) {
    if (m.size() != 1) {
      return errors.add(pointer, "a group has exactly one field, all or any");
    }
    if (depth >= kMaxDepth) {
      return errors.add(pointer, "groups nest at most 8 deep");
    }
    // Not `*m.items().begin()`: nlohmann's iteration_proxy_value::operator* returns a reference to
    // the temporary iterator itself, which dies at the end of that statement.
    const std::string key = m.contains("all") ? "all" : "any";
    const auto& items = m.at(key);
    const std::string itemsPointer = pointerAppend(pointer, key);
    if (!items.is_array() || items.empty()) {
      return errors.add(itemsPointer, "must be a non-empty array of matchers");
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      validateMatcher(items[i], pointerAppend(itemsPointer, i), depth + 1, count, errors);
    }
    return;
  }
  static const Schema kLeaf =
      Schema::object(
          {
              requiredField("attribute", Schema::string("Attribute name, e.g. "
                                                        "k8s.namespace, "
                                                        "github.repository, "
                                                        "sourceIp.")
                                             .length(1, 256)),
              optionalField("equals", Schema::string().length(0, 1024)),
              optionalField("oneOf", Schema::array(Schema::string().length(0, 1024)).items(1, 256)),
              optionalField("glob", Schema::string().length(1, 1024)),
              optionalField("cidr", cidrSchema("For sourceIp.")),
          })
          .objectCheck([](const nlohmann::json& v, const std::string& p, FieldErrors& e) {
            const int n =
                static_cast<int>(v.contains("equals")) + static_cast<int>(v.contains("oneOf")) +
                static_cast<int>(v.contains("glob")) + static_cast<int>(v.contains("cidr"));
            if (n != 1) {
              e.add(p, "must have exactly one of equals, oneOf, glob, cidr");
            }
          });
  kLeaf.validate(m, pointer, errors);
}
}  // namespace

Schema clientWorkloadSpecSchema() {
  const nlohmann::json matcherSchema = {
      {"type", "object"},
      {"description",
       "A matcher {attribute, equals|oneOf|glob|cidr}, or a group {all: [matchers]} or "
       "{any: [matchers]}; groups nest at most 8 deep."},
  };
  return Schema::object(
      {
          requiredField("match", Schema::custom(
                                     [](const nlohmann::json& v, const std::string& pointer,
                                        FieldErrors& errors) {
                                       std::size_t count = 0;
                                       validateMatcher(v, pointer, 0, count, errors);
                                     },
                                     matcherSchema)),
      },
      "How the caller is recognised.");
}

}  // namespace tessera::model
