// Access decisions against real identity providers, through the `tessera hub` binary:
// - npm oidc-provider runs as an external IdP; an ID token obtained by the authorization code
//   flow is verified by the generic OIDC trust provider (discovery, JWKS);
// - Kubernetes, GitHub Actions and GitLab CI tokens in their exact shapes, signed by npm jose
//   with keys made here and served from a local discovery/JWKS server this test starts;
// - the hub refreshes keys on an unknown kid (the issuer rotated) and refuses forged tokens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import * as jose from 'jose';
import Provider from 'oidc-provider';
import { freePort, obj, sleep, startHub } from './hub_harness.mjs';

const CALIFORNIA = '214.78.120.1';  // US-CA in ../shared/testdata/geoip

// ---- The local issuers (Kubernetes, GitHub, GitLab): discovery + JWKS ---------------------------
const issuers = {};  // name -> {url, keys: [{kid, privateKey, publicJwk}], alg, jwksFetches}
let issuerServer, issuerBase;

async function newKey(alg) {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  const publicJwk = await jose.exportJWK(publicKey);
  publicJwk.kid = randomUUID();
  publicJwk.alg = alg;
  publicJwk.use = 'sig';
  return { kid: publicJwk.kid, privateKey, publicJwk };
}

async function sign(name, claims, { key, lifetime = 600, alg } = {}) {
  const issuer = issuers[name];
  const k = key ?? issuer.keys[issuer.keys.length - 1];
  const now = Math.floor(Date.now() / 1000);
  return new jose.SignJWT({ iat: now, nbf: now, exp: now + lifetime, jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: alg ?? issuer.alg, kid: k.kid, typ: 'JWT' })
    .setIssuer(issuer.url)
    .sign(k.privateKey);
}

// ---- oidc-provider as an external IdP -------------------------------------------------------------
let idp, idpServer, idpUrl;
const IDP_CLIENT = { client_id: 'tessera-interop', client_secret: randomBytes(24).toString('base64url') };
const REDIRECT = 'http://127.0.0.1/callback';

// The authorization code flow with the provider's development interactions (login, consent),
// driven over HTTP with a cookie jar; returns the ID token.
async function idTokenFor(login) {
  const jar = new Map();
  const go = async (url, init = {}) => {
    const headers = { ...(init.headers ?? {}) };
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const r = await fetch(new URL(url, idpUrl), { ...init, headers, redirect: 'manual' });
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const at = pair.indexOf('=');
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return r;
  };
  const auth = new URL('/auth', idpUrl);
  auth.search = new URLSearchParams({
    client_id: IDP_CLIENT.client_id, response_type: 'code', scope: 'openid email',
    redirect_uri: REDIRECT, state: randomUUID(), nonce: randomUUID(),
  });
  let r = await go(auth);
  for (let step = 0; step < 10; step++) {
    const location = r.headers.get('location');
    assert.ok(location, `oidc-provider step ${step}: status ${r.status} ${await r.text()}`);
    if (location.startsWith(REDIRECT)) {
      const code = new URL(location).searchParams.get('code');
      assert.ok(code, location);
      const token = await fetch(new URL('/token', idpUrl), {
        method: 'POST',
        headers: {
          authorization: 'Basic ' + Buffer.from(`${IDP_CLIENT.client_id}:${IDP_CLIENT.client_secret}`).toString('base64'),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }),
      });
      assert.equal(token.status, 200, await token.clone().text());
      return (await token.json()).id_token;
    }
    const match = location.match(/\/interaction\/([^/?]+)/);
    if (match) {
      const page = await go(location);
      const html = await page.text();
      const prompt = html.includes('name="login"') ? 'login' : 'consent';
      const form = prompt === 'login'
        ? { prompt, login, password: 'any' }
        : { prompt };
      r = await go(`/interaction/${match[1]}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form),
      });
    } else {
      r = await go(location);
    }
  }
  throw new Error('oidc-provider never redirected back with a code');
}

// ---- The hub -----------------------------------------------------------------------------------
let hub, edgeToken, adminToken, auditorToken;
const call = (...args) => hub.call(...args);

async function access(tokens, host, port = 443, protocol = 'http', sourceIp = CALIFORNIA) {
  const body = { evidence: { tokens }, target: { host, port, protocol }, context: { sourceIp } };
  const decided = await call('/v1/access', edgeToken, body);
  assert.equal(decided.status, 200, JSON.stringify(decided.body));
  const explained = await call('/v1/access/explain', auditorToken, body);
  assert.equal(explained.status, 200, JSON.stringify(explained.body));
  assert.equal(explained.body.outcome, decided.body.outcome);
  return { ...decided.body, trace: explained.body.trace };
}

before(async () => {
  // Issuers.
  const issuerPort = await freePort();
  issuerBase = `http://127.0.0.1:${issuerPort}`;
  for (const [name, alg] of [['k8s', 'RS256'], ['github', 'RS256'], ['gitlab', 'RS256']]) {
    issuers[name] = { url: `${issuerBase}/${name}`, alg, keys: [await newKey(alg)], jwksFetches: 0 };
  }
  issuerServer = createServer((req, res) => {
    const [, name, ...rest] = req.url.split('/');
    const issuer = issuers[name];
    const path = '/' + rest.join('/');
    if (!issuer) { res.writeHead(404).end(); return; }
    if (path === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        issuer: issuer.url, jwks_uri: `${issuer.url}/jwks`, response_types_supported: ['id_token'],
        subject_types_supported: ['public'], id_token_signing_alg_values_supported: [issuer.alg],
      }));
    } else if (path === '/jwks') {
      issuer.jwksFetches++;
      res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'max-age=3600' })
        .end(JSON.stringify({ keys: issuer.keys.map((k) => k.publicJwk) }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => issuerServer.listen(issuerPort, '127.0.0.1', r));

  // oidc-provider.
  const idpPort = await freePort();
  idpUrl = `http://127.0.0.1:${idpPort}`;
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const signingJwk = { ...(await jose.exportJWK(privateKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' };
  idp = new Provider(idpUrl, {
    clients: [{ ...IDP_CLIENT, redirect_uris: [REDIRECT], grant_types: ['authorization_code'],
      response_types: ['code'] }],
    jwks: { keys: [signingJwk] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    findAccount: async (ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, email: `${id}@corp.example`, email_verified: true }),
    }),
    pkce: { required: () => false },
    conformIdTokenClaims: false,  // the email scope's claims go into the ID token itself
    ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600,
      AuthorizationCode: 60 },
    features: { devInteractions: { enabled: true } },
  });
  idpServer = createServer(idp.callback());
  await new Promise((r) => idpServer.listen(idpPort, '127.0.0.1', r));

  // The hub.
  const geoip = join(process.cwd(), '..', 'shared', 'testdata', 'geoip', 'GeoIP2-City-Test.mmdb');
  hub = await startHub({ prefix: 'tessera-access-interop-',
    config: [`access: {geoipDatabase: "${geoip}"}`, 'events: {file: events.jsonl}'] });
  adminToken = hub.token('admin');
  edgeToken = hub.token('edge');
  auditorToken = hub.token('auditor');

  const creds = (name) => obj('CredentialProvider', name, { type: 'oidc-id-token', audience: name });
  const server = (name, host, port = 443, protocol = 'http', method = 'bearer') =>
    obj('ServerWorkload', name, { host, port, protocol, authentication: { method } });
  const policy = (name, cw, tp, sw, cp, conditions = []) => obj('AccessPolicy', name, {
    clientWorkloads: [cw], trustProviders: { match: 'any', names: [tp] },
    accessConditions: conditions, credentialProvider: cp, serverWorkload: sw,
  });
  const objects = [
    obj('TrustProvider', 'sales-cluster', { type: 'kubernetes', issuer: issuers.k8s.url, audiences: ['tessera'],
      rules: [{ attribute: 'namespace', equals: 'sales' }] }),
    obj('TrustProvider', 'github-acme', { type: 'github-actions', issuer: issuers.github.url,
      audiences: ['https://github.com/acme'], rules: [{ attribute: 'repository_owner', equals: 'acme' }] }),
    obj('TrustProvider', 'gitlab-self-managed', { type: 'gitlab-ci', issuer: issuers.gitlab.url,
      audiences: ['tessera'], rules: [{ attribute: 'ref_protected', equals: 'true' }] }),
    obj('TrustProvider', 'corporate-idp', { type: 'oidc', issuer: idpUrl, audiences: [IDP_CLIENT.client_id],
      rules: [{ attribute: 'email', glob: '*@corp.example' }] }),
    obj('ClientWorkload', 'sales-analytics', { match: { attribute: 'k8s.podName', glob: 'sales-analytics-*' } }),
    obj('ClientWorkload', 'release-pipeline', { match: { all: [
      { attribute: 'github.repository', glob: 'acme/*' },
      { attribute: 'github.job_workflow_ref', glob: 'acme/workflows/.github/workflows/release.yml@*' }] } }),
    obj('ClientWorkload', 'gitlab-deployer', { match: { all: [
      { attribute: 'gitlab.project_path', equals: 'platform/deployer' },
      { attribute: 'gitlab.ref_path', equals: 'refs/heads/main' }] } }),
    obj('ClientWorkload', 'alice', { match: { attribute: 'oidc.sub', equals: 'alice' } }),
    server('bedrock', 'bedrock-runtime.us-east-1.amazonaws.com', 443, 'http', 'aws-sigv4'),
    server('registry', 'registry.acme.example'),
    server('orders-db', 'orders-db.internal.example', 5432, 'postgres', 'password'),
    server('wiki', 'wiki.corp.example'),
    obj('AccessCondition', 'california', { type: 'geoip', subdivisions: ['US-CA'] }),
    creds('bedrock-token'), creds('registry-token'), creds('db-token'), creds('wiki-token'),
    policy('sales-to-bedrock', 'sales-analytics', 'sales-cluster', 'bedrock', 'bedrock-token', ['california']),
    policy('release-to-registry', 'release-pipeline', 'github-acme', 'registry', 'registry-token'),
    policy('deployer-to-db', 'gitlab-deployer', 'gitlab-self-managed', 'orders-db', 'db-token'),
    policy('alice-to-wiki', 'alice', 'corporate-idp', 'wiki', 'wiki-token'),
  ];
  const applied = await call('/v1/apply', adminToken, { objects });
  assert.equal(applied.status, 200, JSON.stringify(applied.body));
});

after(async () => {
  if (hub) await hub.stop();
  await new Promise((r) => (issuerServer ? issuerServer.close(r) : r()));
  await new Promise((r) => (idpServer ? idpServer.close(r) : r()));
});

function k8sClaims(pod, namespace = 'sales') {
  return {
    aud: ['tessera'], sub: `system:serviceaccount:${namespace}:analytics`,
    'kubernetes.io': {
      namespace, serviceaccount: { name: 'analytics', uid: randomUUID() },
      pod: { name: pod, uid: randomUUID() }, node: { name: 'ip-10-0-1-7', uid: randomUUID() },
    },
  };
}

function githubClaims(repository, owner = 'acme') {
  return {
    aud: `https://github.com/${owner}`, sub: `repo:${repository}:ref:refs/heads/main`,
    ref: 'refs/heads/main', sha: 'a'.repeat(40), repository, repository_owner: owner,
    repository_owner_id: '65', repository_id: '74', repository_visibility: 'private',
    actor: 'octocat', actor_id: '12', run_id: '1', run_number: '10', run_attempt: '1',
    runner_environment: 'github-hosted', event_name: 'push', ref_type: 'branch',
    workflow: 'release', workflow_ref: `${repository}/.github/workflows/release.yml@refs/heads/main`,
    job_workflow_ref: 'acme/workflows/.github/workflows/release.yml@refs/heads/main',
  };
}

test('a Kubernetes pod of the sales-analytics deployment reaches Bedrock from California', async () => {
  const token = await sign('k8s', k8sClaims('sales-analytics-7d9f'));
  const d = await access([token], 'bedrock-runtime.us-east-1.amazonaws.com');
  assert.equal(d.outcome, 'authorized', JSON.stringify(d.trace));
  assert.equal(d.clientWorkload, 'sales-analytics');
  assert.equal(d.credentialProvider, 'bedrock-token');
  assert.equal(d.identities[0].attributes['k8s.namespace'], 'sales');

  const other = await access([await sign('k8s', k8sClaims('checkout-5c4b'))], 'bedrock-runtime.us-east-1.amazonaws.com');
  assert.equal(other.reasonCode, 'MatchRuleFailed');
  const abroad = await access([token], 'bedrock-runtime.us-east-1.amazonaws.com', 443, 'http', '2.125.160.216');
  assert.equal(abroad.reasonCode, 'ConditionFailed');
  const wrongNamespace = await access([await sign('k8s', k8sClaims('sales-analytics-1', 'web'))],
    'bedrock-runtime.us-east-1.amazonaws.com');
  assert.equal(wrongNamespace.reasonCode, 'MatchRuleFailed');
  const rule = wrongNamespace.trace.find((s) => s.stage === 'trustProvider' && !s.passed);
  assert.deepEqual(rule.details, { attribute: 'namespace', expected: "equals 'sales'", actual: "'web'" });
});

test('a GitHub Actions release job of the acme organisation reaches the registry', async () => {
  const d = await access([await sign('github', githubClaims('acme/api'))], 'registry.acme.example');
  assert.equal(d.outcome, 'authorized', JSON.stringify(d.trace));
  assert.equal(d.clientWorkload, 'release-pipeline');
  assert.equal(d.identities[0].attributes['github.repository'], 'acme/api');

  const fork = await access([await sign('github', githubClaims('evil/api', 'evil'))], 'registry.acme.example');
  assert.equal(fork.outcome, 'unauthorized');
  assert.notEqual(fork.reasonCode, 'Authorized');
});

test('a GitLab CI job on the protected main branch reaches the database', async () => {
  const claims = {
    aud: 'tessera', sub: 'project_path:platform/deployer:ref_type:branch:ref:main',
    namespace_id: '72', namespace_path: 'platform', project_id: '20', project_path: 'platform/deployer',
    user_id: '1', user_login: 'deploy-bot', user_email: 'deploy-bot@corp.example', pipeline_id: '501',
    pipeline_source: 'push', job_id: '3001', ref: 'main', ref_type: 'branch', ref_path: 'refs/heads/main',
    ref_protected: 'true', runner_id: '7', runner_environment: 'self-hosted', sha: 'b'.repeat(40),
  };
  const d = await access([await sign('gitlab', claims)], 'orders-db.internal.example', 5432, 'postgres');
  assert.equal(d.outcome, 'authorized', JSON.stringify(d.trace));
  assert.equal(d.clientWorkload, 'gitlab-deployer');

  const unprotected = await access([await sign('gitlab', { ...claims, ref_protected: 'false' })],
    'orders-db.internal.example', 5432, 'postgres');
  assert.equal(unprotected.reasonCode, 'MatchRuleFailed');
});

test('an ID token from oidc-provider (authorization code flow) is verified through discovery', async () => {
  const idToken = await idTokenFor('alice');
  const d = await access([idToken], 'wiki.corp.example');
  assert.equal(d.outcome, 'authorized', JSON.stringify(d.trace));
  assert.equal(d.clientWorkload, 'alice');
  assert.equal(d.identities[0].attributes['oidc.email'], 'alice@corp.example');

  const bob = await access([await idTokenFor('bob')], 'wiki.corp.example');
  assert.equal(bob.reasonCode, 'MatchRuleFailed');
});

test('forged, expired and unexpected tokens each get their own reason', async () => {
  const forger = await newKey('RS256');
  forger.kid = issuers.k8s.keys[0].kid;  // claims a real kid
  const forged = await sign('k8s', k8sClaims('sales-analytics-7d9f'), { key: forger });
  assert.equal((await access([forged], 'bedrock-runtime.us-east-1.amazonaws.com')).reasonCode, 'InvalidSignature');

  const expired = await sign('k8s', k8sClaims('sales-analytics-7d9f'), { lifetime: -120 });
  assert.equal((await access([expired], 'bedrock-runtime.us-east-1.amazonaws.com')).reasonCode, 'Expired');

  const none = await access([], 'bedrock-runtime.us-east-1.amazonaws.com');
  assert.equal(none.reasonCode, 'NoDataFound');
  const nowhere = await access([], 'api.openai.com');
  assert.equal(nowhere.reasonCode, 'NoPolicy');
});

test('after the issuer rotates its key the hub fetches the new JWKS on the unknown kid', async () => {
  const before = issuers.k8s.jwksFetches;
  issuers.k8s.keys.push(await newKey('RS256'));
  const d = await access([await sign('k8s', k8sClaims('sales-analytics-7d9f'))], 'bedrock-runtime.us-east-1.amazonaws.com');
  assert.equal(d.outcome, 'authorized', JSON.stringify(d.trace));
  assert.ok(issuers.k8s.jwksFetches > before, 'the JWKS was fetched again');
});

test('every decision made through /v1/access is an event, without any token', async () => {
  const token = await sign('k8s', k8sClaims('sales-analytics-events'));
  const d = await access([token], 'bedrock-runtime.us-east-1.amazonaws.com');
  let event;
  for (let i = 0; i < 50 && !event; i++) {
    const r = await call(`/v1/events/${d.contextId}`, auditorToken);
    if (r.status === 200) event = r.body;
    else await sleep(100);
  }
  assert.ok(event, 'the event was stored');
  assert.equal(event.outcome, 'authorized');
  assert.equal(event.policy, 'sales-to-bedrock');
  assert.ok(!JSON.stringify(event).includes(token));
  const page = await call('/v1/events?outcome=unauthorized&limit=100', auditorToken);
  const codes = new Set(page.body.items.map((e) => e.reasonCode));
  for (const code of ['MatchRuleFailed', 'ConditionFailed', 'InvalidSignature', 'Expired', 'NoDataFound', 'NoPolicy']) {
    assert.ok(codes.has(code), `an event with ${code}: ${[...codes]}`);
  }
  const fingerprint = createHash('sha256').update(token).digest('hex');
  assert.ok(!JSON.stringify(page.body).includes(fingerprint.slice(0, 64)));
});
