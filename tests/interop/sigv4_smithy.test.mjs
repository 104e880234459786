// Tessera's SigV4 signer agrees with npm @smithy/signature-v4 (the AWS SDK for JavaScript v3
// signer) on generated requests: header signing and presigning, S3 and other services, paths with
// spaces, UTF-8, escapes, dot segments and repeated slashes, repeated and empty query parameters,
// headers with folded whitespace, bodies, with and without a session token.
// Environment: SIGV4_TOOL (tests/interop/sigv4_tool), SIGV4_CASES (default 400).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { SignatureV4 } from "@smithy/signature-v4";
import { Hash } from "@smithy/hash-node";

const TOOL = process.env.SIGV4_TOOL;
const CASES = Number(process.env.SIGV4_CASES || 400);
const TIME = 1796061600; // 2026-11-30T18:00:00Z
const UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";

// A small seeded generator (mulberry32) so a failure reproduces.
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
  };
}

function encodedComponent(r, n) {
  let out = "";
  for (let i = 0; i < n; i++) {
    if (r.next() < 0.2) {
      out += encodeURIComponent(r.pick([..." !\"#$%&'()*+,/:;=?@[]^`{|}\u00e9\u1234"]))
        .replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
    } else {
      out += r.pick([...UNRESERVED]);
    }
  }
  return out;
}

function segment(r, s3) {
  const choices = ["a", "key", "Zz9", "x-y_z.~", "caf\u00e9", "\u1234", "sp ace", "%20", "+", "=", "@"];
  if (!s3) choices.push(".", "..", "");
  let seg = "";
  for (let i = r.int(1, 3); i > 0; i--) seg += r.pick(choices);
  // S3 paths are sent encoded and signed as sent.
  return s3 ? seg.split("%").map((p) => encodeURIComponent(p)).join("%") : seg;
}

function generate(r, index) {
  const s3 = r.next() < 0.4;
  const mode = r.next() < 0.35 ? "query" : "header";
  const method = r.pick(["GET", "PUT", "POST", "DELETE", "HEAD"]);
  let path = "/" + Array.from({ length: r.int(0, 4) }, () => segment(r, s3)).join("/");
  if (r.next() < 0.3) path += "/";
  const pairs = [];
  for (let i = r.int(0, 4); i > 0; i--) {
    const name = encodedComponent(r, r.int(1, 6));
    pairs.push([name, r.next() < 0.15 ? "" : encodedComponent(r, r.int(0, 8))]);
    if (r.next() < 0.2) pairs.push([name, encodedComponent(r, 3)]);
  }
  const headers = [["host", `svc${index}.us-west-2.amazonaws.com`]];
  const names = mode === "query"
    ? ["content-type", "my-header", "accept"] // x-amz-* would be hoisted into the query
    : ["x-amz-meta-color", "content-type", "x-amz-target", "my-header", "accept", "user-agent"];
  for (let i = r.int(0, 3); i > 0; i--) {
    const name = r.pick(names);
    if (headers.some(([n]) => n === name)) continue; // one value per name in smithy's request
    headers.push([name, r.pick(["  leading", "trailing  ", "in   between", "a\tb", "plain", "\"q   v\""])]);
  }
  let body = "";
  if ((method === "PUT" || method === "POST") && mode === "header" && r.next() < 0.7) {
    for (let i = r.int(1, 200); i > 0; i--) body += r.pick([...UNRESERVED, " ", "{", "}", "\n"]);
  }
  let token = "";
  if (r.next() < 0.5) {
    token = "FwoGZXIvYXdzE";
    for (let i = 0; i < 60; i++) token += r.pick([...UNRESERVED, "/", "+", "="]);
  }
  let secret = "";
  for (let i = 0; i < 40; i++) secret += r.pick([...UNRESERVED, "/", "+"]);
  return {
    mode, method, path, query: pairs.map(([k, v]) => `${k}=${v}`).join("&"), headers, body,
    region: r.pick(["us-east-1", "eu-central-1", "ap-southeast-2"]),
    service: s3 ? "s3" : r.pick(["sts", "execute-api", "dynamodb", "bedrock"]),
    time: TIME, accessKeyId: "ASIAEXAMPLE" + index, secretAccessKey: secret, sessionToken: token,
    s3, expires: r.pick([60, 900, 3600, 604800]),
  };
}

async function smithySign(c) {
  const query = {};
  for (const p of c.query ? c.query.split("&") : []) {
    const [k, v] = [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)];
    const key = decodeURIComponent(k);
    const value = decodeURIComponent(v);
    query[key] = key in query ? [].concat(query[key], value) : value;
  }
  const headers = Object.fromEntries(c.headers);
  const signer = new SignatureV4({
    credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey,
                   ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) },
    region: c.region, service: c.service, sha256: Hash.bind(null, "sha256"),
    uriEscapePath: !c.s3, applyChecksum: c.s3,
  });
  const request = { method: c.method, protocol: "http:", hostname: c.headers[0][1], path: c.path,
                    query, headers, body: c.body || undefined };
  const signingDate = new Date(c.time * 1000);
  if (c.mode === "header") {
    const signed = await signer.sign(request, { signingDate });
    const auth = signed.headers.authorization;
    return [auth.split("Signature=")[1], auth.split("SignedHeaders=")[1].split(",")[0]];
  }
  if (c.s3) {
    // What the S3 presigner does: UNSIGNED-PAYLOAD, neither signed nor hoisted.
    request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
  }
  const only = new Set(["x-amz-content-sha256"]);
  const presigned = await signer.presign(request, {
    signingDate, expiresIn: c.expires, unsignableHeaders: only, unhoistableHeaders: only });
  return [presigned.query["X-Amz-Signature"], presigned.query["X-Amz-SignedHeaders"]];
}

test("Tessera's SigV4 signer agrees with @smithy/signature-v4", async () => {
  assert.ok(TOOL, "SIGV4_TOOL is the sigv4_tool binary");
  const r = rng(8);
  const cases = Array.from({ length: CASES }, (_, i) => generate(r, i));
  const run = spawnSync(TOOL, { input: cases.map((c) => JSON.stringify(c) + "\n").join(""),
                                encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const ours = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(ours.length, cases.length);
  const modes = { header: 0, query: 0 };
  for (const [i, c] of cases.entries()) {
    assert.equal(ours[i].error, undefined, JSON.stringify(c));
    const [signature, signedHeaders] = await smithySign(c);
    assert.equal(ours[i].signedHeaders, signedHeaders, JSON.stringify(c));
    assert.equal(ours[i].signature, signature,
                 `${JSON.stringify(c)}\ncanonical request:\n${ours[i].canonicalRequest}`);
    modes[c.mode]++;
  }
  assert.ok(modes.header > CASES / 3 && modes.query > CASES / 5, JSON.stringify(modes));
  assert.ok(cases.some((c) => c.s3) && cases.some((c) => !c.s3));
});
