// The six kinds of configuration object and their names on the wire: the kind name in documents
// ("ServerWorkload"), the collection in the admin API ("serverWorkloads"). Used by the model, the
// admin API and the CLI.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tessera::model {

enum class Kind : std::uint8_t {
  kClientWorkload,
  kServerWorkload,
  kTrustProvider,
  kAccessCondition,
  kCredentialProvider,
  kAccessPolicy,
};

// Every kind, in the order that creates referenced objects before their referrers.
inline constexpr std::array<Kind, 6> kAllKinds = {
    Kind::kClientWorkload,  Kind::kServerWorkload,     Kind::kTrustProvider,
    Kind::kAccessCondition, Kind::kCredentialProvider, Kind::kAccessPolicy,
};

std::string_view kindName(Kind kind) noexcept;        // "ServerWorkload"
std::string_view collectionName(Kind kind) noexcept;  // "serverWorkloads"

// Exact kind name, as in documents.
std::optional<Kind> parseKindName(std::string_view name) noexcept;
// What an operator may type on the command line: the kind or collection name in any case, with
// or without dashes ("ServerWorkload", "serverworkloads", "server-workload").
std::optional<Kind> parseKindLoose(std::string_view text);

}  // namespace tessera::model
