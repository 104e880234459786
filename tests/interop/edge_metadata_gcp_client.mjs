// An unmodified google-auth-library fetching credentials from a GCE metadata server.
//
// Usage: node edge_metadata_gcp_client.mjs --host 127.0.0.1:PORT [--audience AUD]
// Prints one JSON line: {"ok": true, "accessToken", "projectId", "email", "idToken"?} or
// {"ok": false, "message", "status"?}. Used by edge_metadata_interop.py against
// edge_metadata_tool, and usable against a running `tessera edge`.
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { host: { type: 'string' }, audience: { type: 'string' } },
});
if (!values.host) {
  console.error('--host is required');
  process.exit(2);
}
// Application Default Credentials must come from the metadata server alone: no key file, no
// gcloud configuration or project, no proxy.
for (const name of ['GOOGLE_APPLICATION_CREDENTIALS', 'GCLOUD_PROJECT', 'GOOGLE_CLOUD_PROJECT',
  'GCE_METADATA_IP', 'GCE_METADATA_ROOT', 'METADATA_SERVER_DETECTION', 'HTTP_PROXY',
  'HTTPS_PROXY', 'http_proxy', 'https_proxy']) {
  delete process.env[name];
}
process.env.GCE_METADATA_HOST = values.host;
process.env.NO_PROXY = process.env.no_proxy = '127.0.0.1,localhost';

const { GoogleAuth } = await import('google-auth-library');
try {
  const auth = new GoogleAuth();
  const accessToken = await auth.getAccessToken();
  const projectId = await auth.getProjectId();
  const { client_email: email } = await auth.getCredentials();
  const out = { ok: true, accessToken, projectId, email };
  if (values.audience) {
    const client = await auth.getClient();
    out.idToken = await client.fetchIdToken(values.audience);
  }
  console.log(JSON.stringify(out));
} catch (e) {
  console.log(JSON.stringify({ ok: false, message: String(e?.message ?? e),
    status: e?.response?.status ?? e?.status }));
  process.exit(1);
}
