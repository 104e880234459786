// What the node interop tests share: a free loopback port, a `tessera hub` started in a fresh
// directory (SQLite store, a new key-encryption key, the listener and issuer on 127.0.0.1), admin
// tokens, and calls to its API. Used by access_trust, hub_issuer and oauth_client_credentials.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, chmodSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const TESSERA = process.env.TESSERA_BIN;
assert.ok(TESSERA, 'TESSERA_BIN must be set');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

export function tessera(...args) {
  return execFileSync(TESSERA, args, { encoding: 'utf8' }).trim();
}

export function obj(kind, name, spec) {
  return { apiVersion: 'tessera.dev/v1', kind, metadata: { name }, spec };
}

// Starts the hub and waits until it is ready. `config`: further hub.yaml lines; `logFile`: a name
// in the hub's directory for its output (default: this process's stdout and stderr).
export async function startHub({ prefix = 'tessera-interop-', config = [], logFile } = {}) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const kek = join(dir, 'kek');
  writeFileSync(kek, randomBytes(32).toString('base64url'));
  chmodSync(kek, 0o600);
  const configPath = join(dir, 'hub.yaml');
  writeFileSync(configPath, [
    `issuer: ${url}`,
    `server: {listen: "127.0.0.1:${port}"}`,
    'store: {sqlite: {path: hub.db}}',
    'keyEncryptionKey: {file: kek}',
    ...config,
    '',
  ].join('\n'));
  const logPath = logFile ? join(dir, logFile) : undefined;
  const out = logPath ? openSync(logPath, 'w') : 'inherit';
  const child = spawn(TESSERA, ['hub', '--config', configPath], { stdio: ['ignore', out, out] });
  if (logPath) closeSync(out);
  const hub = {
    url, dir, configPath, logPath, process: child,
    token: (role) => tessera('admin', 'token', 'create', '--config', configPath, '--role', role),
    async call(path, token, body) {
      const r = await fetch(url + path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : null };
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return hub;
    } catch { /* not up yet */ }
    await sleep(100);
  }
  await hub.stop();
  throw new Error('the hub did not become ready');
}
