#!/usr/bin/env node
/*
 * bench_peers.js - operations per second of jsonwebtoken 9 and fast-jwt 6
 * for the operations bench_engine.c measures.
 *
 *   node bench/bench_peers.js KEYDIR
 *
 * KEYDIR holds the keys bench_engine wrote (secret, rs256.key.pem,
 * rs256.pub.pem, es256.key.pem, es256.pub.pem; PS256 uses the RS256
 * pair), so both sides sign and verify with the same keys.  Same payload, same options, same scheme as
 * the engine: warm up, then BENCH_SECONDS (default 1) per repetition,
 * BENCH_REPS (default 5) repetitions, one line per measurement:
 *
 *   <library> <name> <median ops/s> <min ops/s> <max ops/s>
 *
 * where <library> is jsonwebtoken, fast-jwt, or fast-jwt-cache (a verifier
 * created with `cache: true`; the cache only exists for verification).
 * Keys are handed over as strings, as SocketCluster's ag-auth does.
 * Other lines start with '#'.  A benchmark, never a test.
 */
'use strict'

const fs = require('fs')
const path = require('path')

const modules = path.join(__dirname, '..', 'tests', 'node_modules')
const jwt = require(path.join(modules, 'jsonwebtoken'))
const { createSigner, createVerifier } = require(path.join(modules, 'fast-jwt'))

function envNumber (name, def, lo, hi) {
  const s = process.env[name]
  if (s === undefined || s === '') return def
  const v = Number(s)
  if (!(v >= lo && v <= hi)) {
    process.stderr.write(`bench_peers: ${name} must be a number in [${lo}, ${hi}]\n`)
    process.exit(2)
  }
  return v
}

const seconds = envNumber('BENCH_SECONDS', 1, 0.01, 3600)
const reps = Math.floor(envNumber('BENCH_REPS', 5, 1, 101))
const warmup = Math.min(0.1, Math.max(0.05, seconds / 10))

const dir = process.argv[2]
if (!dir) {
  process.stderr.write('usage: node bench/bench_peers.js KEYDIR\n')
  process.exit(2)
}
const read = (f) => fs.readFileSync(path.join(dir, f), 'utf8')

const nowNs = () => process.hrtime.bigint()

/* Runs fn for at least `secs` in batches of `batch` calls; ops/s. */
function run (fn, secs, batch) {
  const limit = BigInt(Math.round(secs * 1e9))
  const t0 = nowNs()
  let n = 0
  let t
  do {
    for (let i = 0; i < batch; i++) fn()
    n += batch
    t = nowNs() - t0
  } while (t < limit)
  return n / (Number(t) / 1e9)
}

/*
 * Measures a group of [library, name, fn] with repetitions interleaved
 * (rep 1 of each, rep 2 of each, ...), as bench_engine does, so that
 * the operations compared see the same machine conditions.
 */
function measureGroup (cases) {
  /* warm up (and let V8 optimise), then size batches at ~1 ms */
  const batch = cases.map(([, , fn]) => Math.max(1, Math.floor(run(fn, warmup, 1) / 1000)))
  const rates = cases.map(() => [])
  for (let r = 0; r < reps; r++) {
    cases.forEach(([, , fn], i) => rates[i].push(run(fn, seconds, batch[i])))
  }
  const f = (x) => Math.round(x).toString()
  cases.forEach(([lib, name], i) => {
    const v = rates[i].sort((a, b) => a - b)
    process.stdout.write(`${lib} ${name} ${f(v[reps >> 1])} ${f(v[0])} ${f(v[reps - 1])}\n`)
  })
}

/* A check outside the timed loop: a benchmark of failures means nothing. */
function expectValid (lib, name, decoded) {
  if (!decoded || decoded.username !== 'alice') {
    throw new Error(`${lib} ${name}: verification did not return the payload`)
  }
}

const now = Math.floor(Date.now() / 1000)
const payload = { username: 'alice', channels: ['a', 'b'], iat: now }

const algs = [
  { name: 'hs256', jwa: 'HS256', sign: read('secret'), verify: read('secret') },
  { name: 'rs256', jwa: 'RS256', sign: read('rs256.key.pem'), verify: read('rs256.pub.pem') },
  { name: 'es256', jwa: 'ES256', sign: read('es256.key.pem'), verify: read('es256.pub.pem') },
  /* PS256 with the RS256 pair, as bench_engine signs it */
  { name: 'ps256', jwa: 'PS256', sign: read('rs256.key.pem'), verify: read('rs256.pub.pem') }
]

process.stdout.write(`# node ${process.version}\n`)
process.stdout.write(`# payload ${JSON.stringify(payload)}\n`)

for (const a of algs) {
  /* jsonwebtoken: options exactly as the engine receives them */
  const signOpts = a.jwa === 'HS256' ? { expiresIn: 86400 } : { expiresIn: 86400, algorithm: a.jwa }
  const verifyOpts = { algorithms: [a.jwa] }
  const jwtToken = jwt.sign(payload, a.sign, signOpts)
  expectValid('jsonwebtoken', a.name, jwt.verify(jwtToken, a.verify, verifyOpts))

  /* fast-jwt: signer and verifier built once; expiresIn is in ms */
  const signer = createSigner({ key: a.sign, algorithm: a.jwa, expiresIn: 86400 * 1000 })
  const verifier = createVerifier({ key: a.verify, algorithms: [a.jwa] })
  const cached = createVerifier({ key: a.verify, algorithms: [a.jwa], cache: true })
  const fastToken = signer(payload)
  expectValid('fast-jwt', a.name, verifier(fastToken))
  expectValid('fast-jwt', a.name, verifier(jwtToken))
  expectValid('fast-jwt-cache', a.name, cached(fastToken))

  measureGroup([
    ['jsonwebtoken', `${a.name}_sign`, () => jwt.sign(payload, a.sign, signOpts)],
    ['jsonwebtoken', `${a.name}_verify`, () => jwt.verify(jwtToken, a.verify, verifyOpts)],
    ['fast-jwt', `${a.name}_sign`, () => signer(payload)],
    ['fast-jwt', `${a.name}_verify`, () => verifier(fastToken)],
    ['fast-jwt-cache', `${a.name}_verify`, () => cached(fastToken)]
  ])
}
