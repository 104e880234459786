// Metadata routes: the edge's emulation of the credential endpoints cloud SDKs already know — the
// AWS container credentials endpoint (ECS / EKS Pod Identity), the GCE metadata server, Azure
// IMDS and the App Service managed-identity endpoint — so that unmodified SDKs fetch the grant of
// a server workload from the edge instead of holding a secret. The edge adds them to the Router
// of its loopback metadata HttpServer at start-up; the interop test tool serves them alone.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "edge/grant.hpp"
#include "edge/grant_source.hpp"
#include "net/router.hpp"

namespace tessera::edge {

// AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:<port><path> with
// AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE): serves an "aws" grant as ECS / EKS Pod Identity do.
struct AwsContainerCredentialsOptions {
  std::string path = "/aws/credentials";
  Target target{};  // the server workload whose grant is served
  // The Authorization header must equal this token, or the content of this file (re-read on
  // every request so that a rotated token applies at once; trailing CR/LF ignored). At least one
  // must be set: an unauthenticated credential endpoint would serve any local process (SSRF).
  std::string authorizationToken{};
  std::string authorizationTokenFile{};
};

// An ID-token audience the GCE `identity` endpoint serves, and the server workload whose
// "id-token" / "bearer-token" grant answers it.
struct GceAudienceTarget {
  std::string audience;
  Target target{};
};

// GCE_METADATA_HOST=127.0.0.1:<port>: the GCE metadata server under /computeMetadata/v1.
struct GceMetadataOptions {
  Target target{};  // whose "gcp" / "oauth" grant the token endpoint serves
  // The service account the SDK sees. Empty: the grant's `serviceAccount` field when it has one.
  std::string serviceAccountEmail{};
  std::vector<std::string> scopes{"https://www.googleapis.com/auth/cloud-platform"};
  std::string projectId{};         // project/project-id (404 when empty)
  std::string numericProjectId{};  // project/numeric-project-id (404 when empty)
  std::string universeDomain = "googleapis.com";
  std::vector<GceAudienceTarget> identityAudiences{};
};

// A resource (what SDKs send: the scope without "/.default") and the server workload whose
// "azure" / "oauth" grant answers it. Compared without a trailing "/" or "/.default"; a trailing
// '*' matches every resource that starts with the text before it.
struct AzureResourceTarget {
  std::string resource;
  Target target{};
};

// Azure managed identity: IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:<port>) and
// the App Service form (IDENTITY_ENDPOINT=http://127.0.0.1:<port><appServicePath>,
// IDENTITY_HEADER=<identityHeader>).
struct AzureManagedIdentityOptions {
  std::vector<AzureResourceTarget> resources{};
  // The identity the SDK asked for with client_id / object_id / msi_res_id (IMDS) or client_id /
  // principal_id / mi_res_id (App Service) must be this one; an unset one accepts none.
  std::string clientId{};
  std::string objectId{};
  std::string resourceId{};
  bool imds = true;  // GET /metadata/identity/oauth2/token
  std::string appServicePath = "/msi/token";
  std::string identityHeader{};  // the App Service form is served only when set
};

struct MetadataRoutesOptions {
  std::optional<AwsContainerCredentialsOptions> aws{};
  std::optional<GceMetadataOptions> gce{};
  std::optional<AzureManagedIdentityOptions> azure{};
};

// Adds the routes of every configured emulator to `router`. `grants` and `clock` must outlive the
// server that runs the routes. kConfigInvalid for an unusable option (AWS without a token, a
// path that is not absolute or collides with another route).
Result<void> addMetadataRoutes(net::Router& router, MetadataRoutesOptions options,
                               GrantSource& grants, const Clock& clock);

}  // namespace tessera::edge
