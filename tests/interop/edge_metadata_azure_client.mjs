// An unmodified @azure/identity ManagedIdentityCredential fetching a token from Azure IMDS or
// from the App Service managed-identity endpoint.
//
// Usage: node edge_metadata_azure_client.mjs --scope SCOPE
//          (--imds http://127.0.0.1:PORT | --identity-endpoint URL --identity-header SECRET)
//          [--max-retries N]
// Prints one JSON line: {"ok": true, "token", "expiresOnTimestamp"} or {"ok": false, "errorName",
// "message"}. Used by edge_metadata_interop.py against edge_metadata_tool, and usable against a
// running `tessera edge`.
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    scope: { type: 'string' },
    imds: { type: 'string' },
    'identity-endpoint': { type: 'string' },
    'identity-header': { type: 'string' },
    'max-retries': { type: 'string' },
  },
});
if (!values.scope || (!values.imds && !values['identity-endpoint'])) {
  console.error('--scope and --imds or --identity-endpoint are required');
  process.exit(2);
}
// MSAL picks the managed-identity source from the environment when the credential is built:
// clear every variable of the other sources (Service Fabric, Arc, Cloud Shell, Machine Learning,
// workload identity), then set the chosen one.
for (const name of ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'IDENTITY_SERVER_THUMBPRINT',
  'IMDS_ENDPOINT', 'MSI_ENDPOINT', 'MSI_SECRET', 'AZURE_POD_IDENTITY_AUTHORITY_HOST',
  'AZURE_FEDERATED_TOKEN_FILE', 'AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_AUTHORITY_HOST',
  'DEFAULT_IDENTITY_CLIENT_ID', 'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) {
  delete process.env[name];
}
if (values.imds) {
  process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = values.imds;
} else {
  process.env.IDENTITY_ENDPOINT = values['identity-endpoint'];
  process.env.IDENTITY_HEADER = values['identity-header'] ?? '';
}
process.env.NO_PROXY = process.env.no_proxy = '127.0.0.1,localhost';

const { ManagedIdentityCredential } = await import('@azure/identity');
try {
  const options = {};
  if (values['max-retries'] !== undefined) {
    options.retryOptions = { maxRetries: Number(values['max-retries']) };
  }
  const credential = new ManagedIdentityCredential(options);
  const token = await credential.getToken(values.scope);
  console.log(JSON.stringify({ ok: true, token: token.token,
    expiresOnTimestamp: token.expiresOnTimestamp }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, errorName: e?.name, message: String(e?.message ?? e) }));
  process.exit(1);
}
