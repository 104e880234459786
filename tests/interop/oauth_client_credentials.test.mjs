// The oauth-client-credentials credential provider end to end, through the `tessera hub` binary,
// with npm oidc-provider as the authorization server (client credentials grant, resource
// indicators, JWT access tokens):
// - private_key_jwt (RS256 and ES256): the hub signs the client assertion and oidc-provider checks
//   it against the hub's JWKS (jwks_uri from the hub's discovery document); no secret anywhere;
// - client_secret_basic and client_secret_post with a sealed, write-only client secret;
// - the token endpoint configured, or discovered from the issuer;
// - a wrong client secret is an `error` decision naming invalid_client, with no grant, and the
//   secret is neither in GET of the object nor in the hub's log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import * as jose from 'jose';
import Provider from 'oidc-provider';
import { freePort, obj, startHub } from './hub_harness.mjs';

const RESOURCE = 'https://api.example.test';
const BASIC_SECRET = randomBytes(24).toString('base64url');
const POST_SECRET = randomBytes(24).toString('base64url');
const WRONG_SECRET = randomBytes(24).toString('base64url');

// ---- The workloads' issuer (a Kubernetes-like OIDC issuer made with jose) -----------------------
let issuerServer, issuerUrl, issuerKey;

async function workloadToken(pod) {
  const now = Math.floor(Date.now() / 1000);
  return new jose.SignJWT({
    aud: ['tessera'], sub: `system:serviceaccount:sales:${pod}`, iat: now, nbf: now, exp: now + 600,
    jti: randomUUID(),
    'kubernetes.io': {
      namespace: 'sales', serviceaccount: { name: pod, uid: randomUUID() },
      pod: { name: `${pod}-7d9f`, uid: randomUUID() },
    },
  }).setProtectedHeader({ alg: 'RS256', kid: issuerKey.kid, typ: 'JWT' })
    .setIssuer(issuerUrl)
    .sign(issuerKey.privateKey);
}

// ---- oidc-provider as the authorization server --------------------------------------------------
let as, asServer, asUrl, asJwks;
const assertions = [];  // the client assertions oidc-provider accepted: {claims, header, clientId}

// ---- The hub ------------------------------------------------------------------------------------
let hub, hubUrl, edgeToken, adminToken;
const call = (...args) => hub.call(...args);

async function access(pod, host) {
  const body = {
    evidence: { tokens: [await workloadToken(pod)] },
    target: { host, port: 443, protocol: 'http' },
  };
  const decided = await call('/v1/access', edgeToken, body);
  assert.equal(decided.status, 200, JSON.stringify(decided.body));
  return decided.body;
}

// The access token oidc-provider issued: a JWT signed with its key, for the resource, to the client.
async function verifyAccessToken(credential, clientId) {
  assert.equal(credential.type, 'oauth');
  assert.match(credential.tokenType, /^bearer$/i);
  assert.ok(credential.expiresAt);
  const { payload } = await jose.jwtVerify(credential.accessToken, asJwks, {
    issuer: asUrl, audience: RESOURCE, typ: 'at+jwt',
  });
  assert.equal(payload.client_id, clientId);
  assert.equal(payload.scope, 'read');
  return payload;
}

// An error decision with the authorization server's reason, and no grant.
function assertRefused(d, reason) {
  assert.equal(d.outcome, 'error', JSON.stringify(d));
  assert.equal(d.reasonCode, 'ProviderError');
  assert.match(d.reason, reason);
  assert.equal(d.grant, undefined);
}

before(async () => {
  // The workloads' issuer.
  const issuerPort = await freePort();
  issuerUrl = `http://127.0.0.1:${issuerPort}`;
  const { privateKey, publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
  issuerKey = { kid: randomUUID(), privateKey, publicJwk: await jose.exportJWK(publicKey) };
  issuerServer = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        issuer: issuerUrl, jwks_uri: `${issuerUrl}/jwks`, response_types_supported: ['id_token'],
        subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
      }));
    } else if (req.url === '/jwks') {
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({
        keys: [{ ...issuerKey.publicJwk, kid: issuerKey.kid, alg: 'RS256', use: 'sig' }],
      }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => issuerServer.listen(issuerPort, '127.0.0.1', r));

  // The hub (its issuer URL is needed for the private_key_jwt clients' jwks_uri).
  hub = await startHub({ prefix: 'tessera-oauth-interop-', config: ['events: {file: events.jsonl}'],
    logFile: 'hub.log' });
  hubUrl = hub.url;
  adminToken = hub.token('admin');
  edgeToken = hub.token('edge');
  const discovery = await (await fetch(`${hubUrl}/.well-known/openid-configuration`)).json();
  assert.ok(discovery.jwks_uri, JSON.stringify(discovery));

  // oidc-provider.
  const asPort = await freePort();
  asUrl = `http://127.0.0.1:${asPort}`;
  const asKey = await jose.generateKeyPair('RS256', { extractable: true });
  const signingJwk = { ...(await jose.exportJWK(asKey.privateKey)), kid: 'as-1', alg: 'RS256', use: 'sig' };
  asJwks = jose.createLocalJWKSet({ keys: [{ ...(await jose.exportJWK(asKey.publicKey)), kid: 'as-1', alg: 'RS256' }] });
  const cc = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'read write' };
  as = new Provider(asUrl, {
    clients: [
      { ...cc, client_id: 'hub-rs256', token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'RS256', jwks_uri: discovery.jwks_uri },
      { ...cc, client_id: 'hub-es256', token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256', jwks_uri: discovery.jwks_uri },
      // Trusts another issuer's keys, not the hub's.
      { ...cc, client_id: 'hub-untrusted', token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: `${issuerUrl}/jwks` },
      { ...cc, client_id: 'reports-basic', client_secret: BASIC_SECRET,
        token_endpoint_auth_method: 'client_secret_basic' },
      { ...cc, client_id: 'reports-post', client_secret: POST_SECRET,
        token_endpoint_auth_method: 'client_secret_post' },
    ],
    jwks: { keys: [signingJwk] },
    ttl: { ClientCredentials: 600 },
    assertJwtClientAuthClaimsAndHeader: async (ctx, claims, header, client) => {
      assertions.push({ claims, header, clientId: client.clientId });
    },
    // oidc-provider refuses to fetch from special-use addresses (SSRF protection); the hub under
    // test is on loopback, so its JWKS (and the workload issuer's) are fetched without that guard.
    fetch: (url, options) => {
      assert.ok([hubUrl, issuerUrl].some((u) => String(url).startsWith(`${u}/`)), `fetch ${url}`);
      const { dispatcher, ...rest } = options;
      return globalThis.fetch(url, rest);
    },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    scopes: ['read', 'write'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resourceIndicator) => {
          assert.equal(resourceIndicator, RESOURCE);
          return { scope: 'read write', audience: RESOURCE, accessTokenTTL: 600,
            accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
  });
  // TESSERA_OAUTH_DEBUG=1 prints why oidc-provider refused a token request.
  if (process.env.TESSERA_OAUTH_DEBUG) {
    as.on('grant.error', (ctx, err) => console.error('oidc-provider:', err.message, err.cause?.cause ?? err.cause ?? ''));
  }
  asServer = createServer(as.callback());
  await new Promise((r) => asServer.listen(asPort, '127.0.0.1', r));

  const oauth = (name, clientId, clientAuth, extra = {}) => obj('CredentialProvider', name, {
    type: 'oauth-client-credentials', tokenEndpoint: `${asUrl}/token`, clientId, clientAuth,
    scopes: ['read'], resource: RESOURCE, ...extra,
  });
  const workload = (name) => obj('ClientWorkload', name,
    { match: { attribute: 'k8s.serviceAccountName', equals: name } });
  const route = (name, cp) => [
    obj('ServerWorkload', name, { host: `${name}.api.example.test`, port: 443, protocol: 'http',
      authentication: { method: 'bearer' } }),
    workload(name),
    obj('AccessPolicy', name, { clientWorkloads: [name], trustProviders: { match: 'any', names: ['sales-cluster'] },
      credentialProvider: cp, serverWorkload: name }),
  ];
  const objects = [
    obj('TrustProvider', 'sales-cluster', { type: 'kubernetes', issuer: issuerUrl, audiences: ['tessera'] }),
    oauth('as-rs256', 'hub-rs256', 'private_key_jwt'),
    oauth('as-es256', 'hub-es256', 'private_key_jwt', { assertionAlgorithm: 'ES256' }),
    oauth('as-basic', 'reports-basic', 'client_secret_basic', { clientSecret: BASIC_SECRET }),
    oauth('as-post', 'reports-post', 'client_secret_post', { clientSecret: POST_SECRET }),
    oauth('as-wrong', 'reports-basic', 'client_secret_basic', { clientSecret: WRONG_SECRET }),
    oauth('as-untrusted', 'hub-untrusted', 'private_key_jwt'),
    { ...oauth('as-discovered', 'hub-rs256', 'private_key_jwt'),
      spec: { type: 'oauth-client-credentials', issuer: asUrl, clientId: 'hub-rs256',
        clientAuth: 'private_key_jwt', scopes: ['read'], resource: RESOURCE } },
    ...route('rs256', 'as-rs256'), ...route('es256', 'as-es256'), ...route('basic', 'as-basic'),
    ...route('post', 'as-post'), ...route('wrong', 'as-wrong'), ...route('discovered', 'as-discovered'),
    ...route('untrusted', 'as-untrusted'),
  ];
  const applied = await call('/v1/apply', adminToken, { objects });
  assert.equal(applied.status, 200, JSON.stringify(applied.body));
});

after(async () => {
  if (hub) await hub.stop();
  await new Promise((r) => (issuerServer ? issuerServer.close(r) : r()));
  await new Promise((r) => (asServer ? asServer.close(r) : r()));
});

test('private_key_jwt: oidc-provider accepts the hub-signed assertion (RS256 and ES256)', async () => {
  for (const [route, clientId] of [['rs256', 'hub-rs256'], ['es256', 'hub-es256']]) {
    const d = await access(route, `${route}.api.example.test`);
    assert.equal(d.outcome, 'authorized', JSON.stringify(d));
    assert.equal(d.credentialProvider, `as-${route}`);
    await verifyAccessToken(d.grant.credential, clientId);
    assert.equal(d.grant.injection.method, 'bearer');
    const { claims, header } = assertions.findLast((a) => a.clientId === clientId);
    assert.equal(header.alg, route.toUpperCase());
    assert.equal(claims.iss, clientId);
    assert.equal(claims.sub, clientId);
    assert.equal(claims.aud, `${asUrl}/token`);
    assert.ok(claims.jti && claims.jti.length >= 16);
    assert.ok(claims.exp - claims.iat > 0 && claims.exp - claims.iat <= 300, 'short-lived');
  }
  const jtis = assertions.map((a) => a.claims.jti);
  assert.equal(new Set(jtis).size, jtis.length, 'a fresh jti every time');
});

test('private_key_jwt to a server that does not trust the hub\'s keys: invalid_client', async () => {
  assertRefused(await access('untrusted', 'untrusted.api.example.test'), /invalid_client/);
});

test('client_secret_basic and client_secret_post get an access token', async () => {
  for (const [route, clientId] of [['basic', 'reports-basic'], ['post', 'reports-post']]) {
    const d = await access(route, `${route}.api.example.test`);
    assert.equal(d.outcome, 'authorized', JSON.stringify(d));
    await verifyAccessToken(d.grant.credential, clientId);
  }
});

test('the token endpoint is discovered from the issuer', async () => {
  const d = await access('discovered', 'discovered.api.example.test');
  assert.equal(d.outcome, 'authorized', JSON.stringify(d));
  await verifyAccessToken(d.grant.credential, 'hub-rs256');
});

test('a wrong client secret is an error naming invalid_client, with no grant', async () => {
  const d = await access('wrong', 'wrong.api.example.test');
  assertRefused(d, /invalid_client/);
  assert.ok(!JSON.stringify(d).includes(WRONG_SECRET));
});

test('client secrets are write-only and never logged', async () => {
  for (const [name, secret] of [['as-basic', BASIC_SECRET], ['as-post', POST_SECRET], ['as-wrong', WRONG_SECRET]]) {
    const got = await call(`/v1/credentialProviders/${name}`, adminToken);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.equal(got.body.spec.clientId.startsWith('reports-'), true);
    assert.equal(got.body.spec.clientSecret, undefined, 'write-only');
    assert.ok(!JSON.stringify(got.body).includes(secret));
  }
  const exported = await call('/v1/export', adminToken);
  assert.equal(exported.status, 200);
  const log = readFileSync(hub.logPath, 'utf8') + readFileSync(join(hub.dir, 'events.jsonl'), 'utf8');
  for (const secret of [BASIC_SECRET, POST_SECRET, WRONG_SECRET]) {
    assert.ok(!JSON.stringify(exported.body).includes(secret), 'not in the export');
    assert.ok(!log.includes(secret), 'not in the hub log or events');
  }
  // A JWT's shape, not a bare "eyJ": random base64url ids (context ids, key ids) contain that now
  // and then.
  assert.doesNotMatch(log, /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+/, 'no token or assertion in the hub log or events');
});
