// RFC 8693 token exchange at the hub's token endpoint with npm openid-client (v6) as the client:
// a workload token signed by npm jose for a local OIDC issuer this test serves (discovery + JWKS)
// is exchanged at `tessera hub` for the hub-signed token its access policy grants, which jose
// verifies against the hub's JWKS; refusals come back as RFC 6749 errors (unauthorized_client
// with the reason, invalid_grant for an expired token, invalid_target for an unknown audience).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import * as client from 'openid-client';
import { freePort, obj, startHub } from './hub_harness.mjs';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

let issuerServer, issuerUrl, signingKey, hub, config, adminToken, auditorToken;

async function workloadToken(sub, { lifetime = 600, iatOffset = 0, aud = 'tessera' } = {}) {
  const now = Math.floor(Date.now() / 1000) + iatOffset;
  return new jose.SignJWT({ sub, aud, iat: now, nbf: now, exp: now + lifetime, jti: randomUUID() })
    .setProtectedHeader({ alg: 'RS256', kid: signingKey.kid, typ: 'JWT' })
    .setIssuer(issuerUrl)
    .sign(signingKey.privateKey);
}

const exchange = (subjectToken, target) => client.genericGrantRequest(config, TOKEN_EXCHANGE, {
  subject_token: subjectToken, subject_token_type: JWT_TYPE, ...target,
});

async function refusal(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof client.ResponseBodyError, `${e.name}: ${e.message}`);
    return e;
  }
  assert.fail('the exchange was not refused');
}

before(async () => {
  const { privateKey, publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await jose.exportJWK(publicKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };
  signingKey = { kid: publicJwk.kid, privateKey };
  const port = await freePort();
  issuerUrl = `http://127.0.0.1:${port}/ci`;
  issuerServer = createServer((req, res) => {
    if (req.url === '/ci/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        issuer: issuerUrl, jwks_uri: `${issuerUrl}/jwks`, response_types_supported: ['id_token'],
        subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
      }));
    } else if (req.url === '/ci/jwks') {
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' })
        .end(JSON.stringify({ keys: [publicJwk] }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => issuerServer.listen(port, '127.0.0.1', r));

  hub = await startHub({ prefix: 'tessera-token-exchange-' });
  adminToken = hub.token('admin');
  auditorToken = hub.token('auditor');
  const objects = [
    obj('TrustProvider', 'ci-issuer', { type: 'oidc', issuer: issuerUrl, audiences: ['tessera'] }),
    obj('ClientWorkload', 'deploy-job', { match: { attribute: 'oidc.sub', equals: 'repo:acme/app:ref:refs/heads/main' } }),
    obj('ServerWorkload', 'registry', { host: 'registry.acme.example', port: 443, protocol: 'http',
      authentication: { method: 'bearer' } }),
    obj('CredentialProvider', 'registry-token', { type: 'oidc-id-token', audience: 'registry' }),
    obj('AccessPolicy', 'deploy-to-registry', {
      clientWorkloads: ['deploy-job'], trustProviders: { match: 'any', names: ['ci-issuer'] },
      accessConditions: [], credentialProvider: 'registry-token', serverWorkload: 'registry' }),
  ];
  const applied = await hub.call('/v1/apply', adminToken, { objects });
  assert.equal(applied.status, 200, JSON.stringify(applied.body));

  // Public client: the subject token is the only credential.
  config = await client.discovery(new URL(hub.url), 'tessera-ci', undefined, client.None(),
    { execute: [client.allowInsecureRequests] });
});

after(async () => {
  if (hub) await hub.stop();
  await new Promise((r) => (issuerServer ? issuerServer.close(r) : r()));
});

test('discovery publishes the token endpoint and the token-exchange grant', () => {
  const metadata = config.serverMetadata();
  assert.equal(metadata.token_endpoint, `${hub.url}/token`);
  assert.ok(metadata.grant_types_supported.includes(TOKEN_EXCHANGE));
});

test('an authorized job gets a hub-signed token for the server workload (audience = name)', async () => {
  const sub = 'repo:acme/app:ref:refs/heads/main';
  const answer = await exchange(await workloadToken(sub), { audience: 'registry' });
  assert.equal(answer.issued_token_type, JWT_TYPE);
  assert.equal(answer.token_type, 'bearer');  // openid-client lower-cases it
  assert.ok(answer.expires_in > 0 && answer.expires_in <= 3600, String(answer.expires_in));
  assert.equal(answer.tessera_credential.type, 'id-token');
  const jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
  const { payload } = await jose.jwtVerify(answer.access_token, jwks,
    { issuer: hub.url, audience: 'registry' });
  assert.ok(payload.sub, JSON.stringify(payload));

  // The decision was recorded as an access event (events are stored asynchronously: poll).
  let events;
  let event;
  for (let attempt = 0; attempt < 100 && !event; ++attempt) {
    if (attempt > 0) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    events = await hub.call('/v1/events?serverWorkload=registry', auditorToken);
    assert.equal(events.status, 200);
    event = events.body.items.find((e) => e.contextId === answer.tessera_context_id);
  }
  assert.ok(event, JSON.stringify(events.body));
  assert.equal(event.outcome, 'authorized');
  assert.ok(!JSON.stringify(event).includes(answer.access_token), 'no credential in the event');
});

test('resource = https://host names the server workload too', async () => {
  const answer = await exchange(await workloadToken('repo:acme/app:ref:refs/heads/main'),
    { resource: 'https://registry.acme.example' });
  await jose.jwtVerify(answer.access_token, jose.createRemoteJWKSet(new URL(`${hub.url}/jwks`)),
    { audience: 'registry' });
});

test('an unauthorized workload gets unauthorized_client with the reason', async () => {
  const e = await refusal(exchange(await workloadToken('repo:acme/app:ref:refs/heads/feature'),
    { audience: 'registry' }));
  assert.equal(e.error, 'unauthorized_client', e.error_description);
  assert.equal(e.status, 400);
  assert.match(e.error_description, /access event [0-9a-f]{14}/);
});

test('an expired subject token is invalid_grant', async () => {
  const e = await refusal(exchange(await workloadToken('repo:acme/app:ref:refs/heads/main',
    { lifetime: 60, iatOffset: -3600 }), { audience: 'registry' }));
  assert.equal(e.error, 'invalid_grant', e.error_description);
  assert.match(e.error_description, /Expired/);
});

test('a token of an unknown issuer is invalid_grant', async () => {
  const { privateKey } = await jose.generateKeyPair('RS256');
  const now = Math.floor(Date.now() / 1000);
  const token = await new jose.SignJWT({ sub: 'x', aud: 'tessera', iat: now, exp: now + 600 })
    .setProtectedHeader({ alg: 'RS256', kid: 'k' }).setIssuer('https://unknown.example')
    .sign(privateKey);
  const e = await refusal(exchange(token, { audience: 'registry' }));
  assert.equal(e.error, 'invalid_grant', e.error_description);
});

test('an unknown audience is invalid_target', async () => {
  const token = await workloadToken('repo:acme/app:ref:refs/heads/main');
  for (const target of [{ audience: 'no-such-workload' }, { resource: 'https://nowhere.example' }]) {
    const e = await refusal(exchange(token, target));
    assert.equal(e.error, 'invalid_target', e.error_description);
  }
});

test('bad requests are invalid_request / unsupported_grant_type, never cached', async () => {
  const post = (body) => fetch(`${hub.url}/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body),
  });
  let r = await post({ grant_type: 'client_credentials' });
  assert.equal(r.status, 400);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.equal((await r.json()).error, 'unsupported_grant_type');
  r = await post({ grant_type: TOKEN_EXCHANGE, subject_token: 'x', audience: 'registry' });
  assert.equal((await r.json()).error, 'invalid_request');
  r = await post({ grant_type: TOKEN_EXCHANGE, subject_token: 'x', audience: 'registry',
    subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' });
  assert.equal((await r.json()).error, 'invalid_request');
});
