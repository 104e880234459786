// npm `pg` (pure JavaScript, its own protocol code) through the edge's PostgreSQL listener.
// Run by tests/unit/edge/postgres_listener_test.cpp with the listener's port; no password given.
// Usage: node pg_client.mjs PORT DATABASE EXPECTED_ROLE. Prints JSON, exits 0 when all checks pass.
import assert from 'node:assert/strict';
import pg from 'pg';

const [port, database, expected] = process.argv.slice(2);
const client = new pg.Client({
  host: '127.0.0.1',
  port: Number(port),
  database,
  user: 'someone',
  ssl: false,
  connectionTimeoutMillis: 10000,
});
try {
  await client.connect();
  const who = await client.query('select current_user as role, $1::int + 1 as answer', [41]);
  assert.equal(who.rows[0].role, expected);
  assert.equal(who.rows[0].answer, 42);
  // A result of about 2 MB through the relay, checked against the server's own digest.
  const big = await client.query(
    "select string_agg(repeat(md5(i::text), 40), '' order by i) as s from generate_series(1, 1500) i");
  const digest = await client.query(
    "select md5(string_agg(repeat(md5(i::text), 40), '' order by i)) as d from generate_series(1, 1500) i");
  const { createHash } = await import('node:crypto');
  assert.equal(createHash('md5').update(big.rows[0].s).digest('hex'), digest.rows[0].d);
  console.log(JSON.stringify({ currentUser: who.rows[0].role, bytes: big.rows[0].s.length }));
} finally {
  await client.end().catch(() => {});
}
