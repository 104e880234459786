// The hub as an OIDC issuer, checked by real relying-party libraries: openid-client discovers it,
// jose verifies hub-signed tokens through the remote JWKS, and after `tessera keys rotate` old
// tokens keep verifying until the retired key leaves the JWKS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import * as client from 'openid-client';
import { sleep, startHub, tessera } from './hub_harness.mjs';

const PREPUBLISH_S = 5;
const MAX_LIFETIME_S = 10;

let hub, issuer, config;

function signToken(alg, ttl = '10s') {
  return tessera('token', 'sign', '--config', config, '--sub', 'system:serviceaccount:demo:app',
    '--aud', 'sts.amazonaws.com', '--alg', alg, '--ttl', ttl);
}

async function jwksKids() {
  const r = await fetch(`${issuer}/jwks`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /application\/jwk-set\+json/);
  return (await r.json()).keys.map((k) => k.kid).sort();
}

before(async () => {
  hub = await startHub({ prefix: 'tessera-hub-issuer-',
    config: [`keys: {rotationPeriod: 1h, prepublish: ${PREPUBLISH_S}s, maxTokenLifetime: ${MAX_LIFETIME_S}s}`] });
  issuer = hub.url;
  config = hub.configPath;
});

after(async () => {
  if (hub) await hub.stop();
});

test('openid-client discovers the hub', async () => {
  const cfg = await client.discovery(new URL(issuer), 'tessera-test', undefined, undefined,
    { execute: [client.allowInsecureRequests] });
  const md = cfg.serverMetadata();
  assert.equal(md.issuer, issuer);
  assert.equal(md.jwks_uri, `${issuer}/jwks`);
  assert.deepEqual(md.id_token_signing_alg_values_supported, ['RS256', 'ES256']);
});

test('health, readiness and metrics', async () => {
  assert.equal((await fetch(`${issuer}/healthz`)).status, 200);
  assert.equal((await fetch(`${issuer}/readyz`)).status, 200);
  await sleep(1200);  // one maintenance tick publishes key gauges
  const metrics = await (await fetch(`${issuer}/metrics`)).text();
  assert.match(metrics, /# TYPE tessera_http_requests_total counter/);
  assert.match(metrics, /tessera_http_requests_total\{route="\/readyz",code="200"\} [1-9]/);
  assert.match(metrics, /tessera_signing_keys\{state="current"\} 2/);
});

test('hub-signed tokens verify with jose remote JWKS; rotation keeps old tokens valid until their key leaves', async () => {
  const remote = () => jose.createRemoteJWKSet(new URL(`${issuer}/jwks`), { cooldownDuration: 0, cacheMaxAge: 0 });
  const opts = { issuer, audience: 'sts.amazonaws.com' };
  const oldRs = signToken('RS256');
  const oldEs = signToken('ES256');
  for (const t of [oldRs, oldEs]) {
    const { payload } = await jose.jwtVerify(t, remote(), opts);
    assert.equal(payload.sub, 'system:serviceaccount:demo:app');
  }
  const before = await jwksKids();
  assert.equal(before.length, 2);

  const rotatedAt = Date.now();
  const out = tessera('keys', 'rotate', '--config', config);
  assert.match(out, /RS256: next key signs from/);
  await sleep(1200);  // the running hub reloads within a second
  const during = await jwksKids();
  assert.equal(during.length, 4, 'next keys are published before they sign');
  // Still signing with the old keys during the prepublish window.
  assert.equal(jose.decodeProtectedHeader(signToken('RS256')).kid, jose.decodeProtectedHeader(oldRs).kid);

  assert.ok(Date.now() - rotatedAt < (PREPUBLISH_S - 1) * 1000, 'test machine too slow to observe the window');
  await sleep(rotatedAt + (PREPUBLISH_S + 1) * 1000 - Date.now());
  const newRs = signToken('RS256');
  assert.notEqual(jose.decodeProtectedHeader(newRs).kid, jose.decodeProtectedHeader(oldRs).kid);
  await jose.jwtVerify(newRs, remote(), opts);
  await jose.jwtVerify(oldRs, remote(), opts);  // old token, retired key: still verifies
  await jose.jwtVerify(oldEs, remote(), opts);

  // After maxTokenLifetime the retired keys leave the JWKS; an old token (judged at its own
  // issue time so that expiry is not what fails) no longer finds its key.
  await sleep(MAX_LIFETIME_S * 1000 + 1500);
  const afterKids = await jwksKids();
  assert.equal(afterKids.length, 2);
  assert.ok(!afterKids.includes(jose.decodeProtectedHeader(oldRs).kid));
  const iat = new Date(jose.decodeJwt(oldRs).iat * 1000);
  await assert.rejects(jose.jwtVerify(oldRs, remote(), { ...opts, currentDate: iat }),
    (e) => e.code === 'ERR_JWKS_NO_MATCHING_KEY');
});
