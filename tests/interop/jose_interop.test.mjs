// JOSE interop with npm `jose`, both directions, every algorithm Tessera supports:
// tokens jose signs verify with `tessera token verify`; tokens Tessera signs verify in jose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';

const TESSERA = process.env.TESSERA_BIN;
const JOSE_TOOL = process.env.JOSE_TOOL;
assert.ok(TESSERA && JOSE_TOOL, 'TESSERA_BIN and JOSE_TOOL must be set');

const ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const ISS = 'https://issuer.interop.test';
const AUD = 'tessera-interop';
const dir = mkdtempSync(join(tmpdir(), 'tessera-jose-node-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function tesseraVerify(jwksPath, token, extra = []) {
  return spawnSync(TESSERA, ['token', 'verify', '--jwks', jwksPath, '--issuer', ISS,
    '--audience', AUD, ...extra, '-'], { input: token, encoding: 'utf8' });
}

for (const alg of ALGS) {
  test(`jose signs ${alg}, tessera verifies`, async () => {
    const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true, crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
    const jwk = { ...(await jose.exportJWK(publicKey)), kid: `node-${alg}`, alg, use: 'sig' };
    const jwksPath = join(dir, `node-${alg}.jwks.json`);
    writeFileSync(jwksPath, JSON.stringify({ keys: [jwk] }));
    const token = await new jose.SignJWT({ sub: 'workload-1', custom: 'x' })
      .setProtectedHeader({ alg, kid: jwk.kid, typ: 'JWT' })
      .setIssuer(ISS).setAudience(AUD).setIssuedAt().setExpirationTime('5m')
      .sign(privateKey);
    const ok = tesseraVerify(jwksPath, token);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /VERIFIED/);
    assert.match(ok.stdout, /"sub": "workload-1"/);

    // A flipped signature byte is rejected with the signature code.
    const [h, p, s] = token.split('.');
    const sig = Buffer.from(s, 'base64url');
    sig[sig.length - 1] ^= 0x01;
    const bad = tesseraVerify(jwksPath, `${h}.${p}.${sig.toString('base64url')}`);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /token_signature_invalid/);
  });

  test(`tessera signs ${alg}, jose verifies`, async () => {
    const keyPath = join(dir, `tessera-${alg}.jwk.json`);
    writeFileSync(keyPath, execFileSync(JOSE_TOOL, ['generate', alg], { encoding: 'utf8' }));
    const jwks = JSON.parse(execFileSync(JOSE_TOOL, ['public', keyPath], { encoding: 'utf8' }));
    const now = Math.floor(Date.now() / 1000);
    const claims = JSON.stringify({ iss: ISS, aud: AUD, sub: 'workload-2', iat: now, exp: now + 300 });
    const token = execFileSync(JOSE_TOOL, ['sign', alg, keyPath, claims], { encoding: 'utf8' }).trim();
    const { payload, protectedHeader } = await jose.jwtVerify(token, jose.createLocalJWKSet(jwks), {
      issuer: ISS, audience: AUD, algorithms: [alg],
    });
    assert.equal(payload.sub, 'workload-2');
    assert.equal(protectedHeader.alg, alg);
    assert.equal(protectedHeader.kid, jwks.keys[0].kid);
    // The kid Tessera assigns is the RFC 7638 thumbprint, as jose computes it.
    assert.equal(jwks.keys[0].kid, await jose.calculateJwkThumbprint(jwks.keys[0], 'sha256'));
  });
}

test('tessera rejects an HS256 token made with the RSA public key as HMAC secret', async () => {
  const { publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'k' };
  const jwksPath = join(dir, 'confusion.jwks.json');
  writeFileSync(jwksPath, JSON.stringify({ keys: [jwk] }));
  const secret = new TextEncoder().encode(JSON.stringify(jwk));
  const token = await new jose.SignJWT({ sub: 'attacker' })
    .setProtectedHeader({ alg: 'HS256', kid: 'k' })
    .setIssuer(ISS).setAudience(AUD).setExpirationTime('5m').sign(secret);
  const r = tesseraVerify(jwksPath, token);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /token_alg_hmac_rejected/);
});
