// A short seeded run of the REST API fuzzer (test/support/api-fuzz.ts): random
// methods, paths, queries, headers and bodies (mutated PNG, JPEG, PGM and raw
// frames, mutated models, JSON, junk) through src/api.ts and the model service
// on WebAssembly. Every answer well-formed, nothing thrown, and the known
// frames answered exactly as a fresh server with the same model answers them.
// `npm run fuzz:long` runs the same fuzzer for as long as it is given.
import test from 'ava';
import { fuzzApi, problemOf } from './support/api-fuzz.js';

test('1200 random requests: every answer well-formed, known frames exact throughout', (t) => {
  const r = fuzzApi({ seed: 20261204, requests: 1200, checkEvery: 200 });
  t.deepEqual(r.failures, []);
  t.is(r.executions, 1200);
  t.true(r.knownFrameChecks >= 7, `${r.knownFrameChecks} checks`);
  // The run reached the paths that matter, with the answers they should give.
  const seen = (pattern: RegExp): number => [...r.outcomes].filter(([k]) => pattern.test(k)).reduce((n, [, v]) => n + v, 0);
  t.true(seen(/^POST \/detect 200$/) > 0, 'known frames detected');
  t.true(seen(/^POST \/detect 400 CORRUPT_IMAGE$/) > 0, 'damaged images refused');
  t.true(seen(/^POST \/detect 415 /) > 0, 'unsupported media refused');
  t.true(seen(/^POST \/detect 413 /) > 0, 'oversized bodies or images refused');
  t.true(seen(/^PUT \/model 200$/) > 0 && r.installs > 0, 'a model installed');
  t.true(seen(/^PUT \/model 422 XTML_STATUS_/) > 0, 'damaged models refused with the core\'s code');
  t.true(seen(/^POST \/model\/rollback (200|409 NO_ROLLBACK)$/) > 0, 'rollbacks');
  t.true(seen(/ 405 METHOD_NOT_ALLOWED$/) > 0 && seen(/ 404 NOT_FOUND$/) > 0, 'wrong methods and paths');
  t.true(seen(/^GET \/(metrics|drift|profile|healthz) 200$/) > 0, 'monitoring endpoints');
  t.is(seen(/ 5\d\d /), 0, 'no server errors');
});

test('the fuzzer\'s checker rejects malformed answers', (t) => {
  const get = { method: 'GET', path: '/healthz', query: {}, body: null };
  const json = 'application/json; charset=utf-8';
  t.is(problemOf(get, { status: 200, contentType: json, body: '{"status":"ok"}' }), null);
  t.is(problemOf(get, { status: 404, contentType: json, body: '{"error":{"code":"NOT_FOUND","message":"no"}}' }), null);
  t.regex(problemOf(get, { status: 500, contentType: json, body: '{"error":{"code":"INTERNAL","message":"x is undefined"}}' })!, /unexpected exception/);
  t.regex(problemOf(get, { status: 200, contentType: json, body: '{"status":' })!, /not JSON/);
  t.regex(problemOf(get, { status: 400, contentType: json, body: '{"error":{"code":"BAD"}}' })!, /message/);
  t.regex(problemOf(get, { status: 400, contentType: json, body: '{"error":{"code":"bad code","message":"m"}}' })!, /error code/);
  t.regex(problemOf(get, { status: 405, contentType: json, body: '{"error":{"code":"METHOD_NOT_ALLOWED","message":"m"}}' })!, /Allow/);
  t.regex(problemOf(get, { status: 200, contentType: 'text/plain', body: 'ok' })!, /text\/plain/);
  t.regex(problemOf(get, { status: 99, contentType: json, body: '{}' })!, /status/);
});
