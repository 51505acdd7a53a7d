'use strict';
/*
 * verifiers.js - one verifyToken for each engine the Node benchmarks
 * compare, made the same way (each call's result is awaited by the
 * caller, as socketcluster-server awaits authEngine.verifyToken):
 *
 *   agauthd         the npm package's AuthEngine (client/node) against the
 *                   daemon at `socket`; ready once its cache is attached
 *   ag-auth         ag-auth 2.1, SocketCluster's default authEngine, with
 *                   the authKey string, as socketcluster-server passes it
 *   fast-jwt-cache  fast-jwt's createVerifier with its cache of
 *                   `cacheSize` tokens (an LRU keyed by the token's hash)
 *   fast-jwt        the same without its cache
 *   jsonwebtoken    jsonwebtoken 9's verify with the string, synchronous
 *
 * Every one verifies with SocketCluster's options { algorithms: [alg] }
 * (HS256 unless `alg` says otherwise) and returns the payload; `key` is
 * the authKey string, or the public key's PEM.
 */
const path = require('node:path');

const { MODULES } = require('./tokens');

/* SocketCluster's options, for the algorithm of the storm */
const options = (alg = 'HS256') => ({ algorithms: [alg] });
const ATTACH_MS = 10000;           /* the AuthEngine's cache must attach by then */

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function agauthd({ socket, alg }) {
	const { AuthEngine } = require(path.join(__dirname, '..', '..', 'client', 'node'));
	const engine = new AuthEngine({ socketPath: socket });
	const opts = options(alg);

	/* without the cache every verify would go to the daemon: a
	 * benchmark of hits would measure misses */
	for (const end = Date.now() + ATTACH_MS; !engine.cacheAttached; await sleep(5))
		if (Date.now() > end)
			throw new Error(`agauthd: the cache did not attach within ${ATTACH_MS} ms`);
	return {
		verify: (t) => engine.verifyToken(t, null, opts),
		close: () => engine.close(),
		engine,
	};
}

function agAuth({ key, alg }) {
	const AgAuth = require(path.join(MODULES, 'ag-auth'));
	const ag = new AgAuth();
	const opts = options(alg);

	return { verify: (t) => ag.verifyToken(t, key, opts), close: async () => {} };
}

function fastJwtCache({ key, cacheSize, alg }) {
	const { createVerifier } = require(path.join(MODULES, 'fast-jwt'));
	const v = createVerifier({ key, ...options(alg), cache: cacheSize });

	return { verify: v, close: async () => {} };
}

function fastJwt({ key, alg }) {
	const { createVerifier } = require(path.join(MODULES, 'fast-jwt'));

	return { verify: createVerifier({ key, ...options(alg) }), close: async () => {} };
}

function jsonwebtoken({ key, alg }) {
	const jwt = require(path.join(MODULES, 'jsonwebtoken'));
	const opts = options(alg);

	return { verify: (t) => jwt.verify(t, key, opts), close: async () => {} };
}

const MAKERS = {
	agauthd, 'ag-auth': agAuth, 'fast-jwt-cache': fastJwtCache, 'fast-jwt': fastJwt, jsonwebtoken,
};

/* {verify(token) -> payload or its promise, close()} of this kind */
async function make(kind, opts) {
	if (!MAKERS[kind])
		throw new Error(`unknown verifier ${kind}`);
	return MAKERS[kind](opts);
}

module.exports = { options, make };
