// libFuzzer target for configuration documents: arbitrary bytes parsed as JSON go through
// parseConfigObject and, when the envelope parses, planApply against an empty snapshot,
// toDocument in every secret view and the store mapping. Nothing may throw or crash; a document
// the model produced must parse back to the same content.
#include <cstddef>
#include <cstdint>
#include <string>

#include "model/config_object.hpp"
#include "model/config_plan.hpp"
#include "model/config_snapshot.hpp"

namespace {

using namespace tessera;
using namespace tessera::model;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

void roundTrip(const ConfigObject& object, const SpecRegistry& registry) {
  for (auto view : {SecretView::kRemove, SecretView::kMask, SecretView::kKeep}) {
    (void)toDocument(object, registry, view, false);
  }
  // Server fields only for a planned object: an input's version 0 ("any") is not written back.
  FieldErrors errors;
  auto back = parseConfigObject(
      toDocument(object, registry, SecretView::kKeep, object.metadata.version > 0), object.kind, "",
      errors);
  check(back.has_value() && errors.empty());
  check(sameContent(*back, object));
  auto stored = fromStoredDocument(object.kind, object.metadata.name, toStoredDocument(object),
                                   object.metadata.createdAt, object.metadata.updatedAt,
                                   object.metadata.version);
  check(stored.ok() && sameContent(*stored, object));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto doc = nlohmann::json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) {
    return 0;
  }
  const SpecRegistry& registry = SpecRegistry::builtin();
  // Every kind's spec schema, whatever the envelope says.
  if (const auto spec = doc.find("spec"); doc.is_object() && spec != doc.end()) {
    for (Kind kind : kAllKinds) {
      FieldErrors errors;
      registry.validateSpec(kind, *spec, "/spec", errors);
      (void)errors.toError("invalid");
    }
  }
  FieldErrors errors;
  auto object = parseConfigObject(doc, std::nullopt, "/objects/0", errors);
  check(object.has_value() == errors.empty());
  (void)errors.toError("invalid");
  if (!object) {
    return 0;
  }
  (void)referencesOf(*object);
  roundTrip(*object, registry);
  const auto empty = ConfigSnapshot::empty();
  std::vector<DesiredObject> desired(1);
  desired[0].object = *object;
  desired[0].pointer = "/objects/0";
  auto plan = planApply(*empty, std::move(desired), ApplyMode::kUpsert, 1700000000, registry);
  if (!plan.ok()) {
    check(plan.error().code == ErrorCode::kInvalidArgument ||
          plan.error().code == ErrorCode::kPreconditionFailed);
    return 0;
  }
  check(plan->size() == 1 && (*plan)[0].action == PlannedChange::Action::kCreate);
  const ConfigObject& created = *(*plan)[0].after;
  check(created.metadata.version == 1);
  roundTrip(created, registry);
  auto next = applyPlan(*empty, *plan, 1);
  check(next->find(created.kind, created.metadata.name) != nullptr);
  auto again =
      planApply(*next, {DesiredObject{created, ""}}, ApplyMode::kUpsert, 1700000001, registry);
  check(again.ok() && (*again)[0].action == PlannedChange::Action::kUnchanged);
  auto removed = planDelete(*next, created.kind, created.metadata.name, 1);
  check(removed.ok() || removed.error().code == ErrorCode::kConflict);
  return 0;
}
