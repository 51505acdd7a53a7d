'use strict';
/*
 * tokens.js - tokens as a SocketCluster server issues them, made fast:
 * jsonwebtoken.sign({username, channels}, authKey, {expiresIn: 86400})
 * with the authKey string socketcluster-server makes by default, byte for
 * byte (check() proves it), but with one HMAC per token and nothing else;
 * or, with an RS256 or ES256 private key (authPrivateKey), one signature
 * per token, in jsonwebtoken's form.  Token i carries username
 * userName(i).  Slices of a set go to worker processes as files, one
 * token a line.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const MODULES = path.join(__dirname, '..', '..', 'tests', 'node_modules');
const EXPIRES_IN = 86400;          /* SocketCluster's authDefaultExpiry */
/* jws's header for jsonwebtoken's algorithm `alg` */
const header = (alg) => Buffer.from(`{"alg":"${alg}","typ":"JWT"}`).toString('base64url');
/* the key pairs of the asymmetric storms, as node makes them */
const KEYGEN = {
	RS256: ['rsa', { modulusLength: 2048 }],
	ES256: ['ec', { namedCurve: 'prime256v1' }],
};

/* socketcluster-server's default authKey: 32 random bytes, in hex */
function authKey() {
	return crypto.randomBytes(32).toString('hex');
}

function userName(i) {
	return `user-${i}`;
}

/* what the server passes to setAuthToken for user i */
function authToken(i) {
	return { username: userName(i), channels: [`room-${i % 1000}`, userName(i)] };
}

/* A new RS256 or ES256 key pair: { alg, priv, pub } as PEM (PKCS#8,
 * SPKI), the same for the daemon and every peer of a run. */
function keyPair(alg) {
	const [type, opts] = KEYGEN[alg];
	const { privateKey, publicKey } = crypto.generateKeyPairSync(type, opts);

	return {
		alg,
		priv: privateKey.export({ type: 'pkcs8', format: 'pem' }),
		pub: publicKey.export({ type: 'spki', format: 'pem' }),
	};
}

/* The signature of `input` with `key` (an HS256 secret, or a keyPair's
 * private KeyObject) as jws spells it. */
function signature(alg, key, input) {
	if (alg === 'HS256')
		return crypto.createHmac('sha256', key).update(input).digest('base64url');
	/* ES256 in JOSE's r || s, not DER */
	return crypto.sign('sha256', Buffer.from(input), alg === 'ES256' ?
		{ key, dsaEncoding: 'ieee-p1363' } : key).toString('base64url');
}

/* n tokens for users from .. from + n - 1, issued at `iat` (seconds):
 * HS256 with the authKey string `key`, or with a keyPair() */
function make(key, from, n, iat) {
	const alg = key.alg || 'HS256';
	const sk = alg === 'HS256' ? key : crypto.createPrivateKey(key.priv);
	const hdr = header(alg);
	const out = new Array(n);

	for (let k = 0; k < n; k++) {
		const claims = { ...authToken(from + k), iat, exp: iat + EXPIRES_IN };
		const input = `${hdr}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;

		out[k] = `${input}.${signature(alg, sk, input)}`;
	}
	return out;
}

/* Throws unless a few tokens are exactly what jsonwebtoken makes (for
 * ES256, whose signatures are random: what jsonwebtoken verifies, with
 * the payload it signs): a benchmark of other tokens would measure
 * something else. */
function check(key, tokens, from, iat) {
	const jwt = require(path.join(MODULES, 'jsonwebtoken'));
	const alg = key.alg || 'HS256';
	const sk = alg === 'HS256' ? key : key.priv;

	for (const k of [0, tokens.length >> 1, tokens.length - 1]) {
		const want = jwt.sign({ ...authToken(from + k), iat }, sk,
				      { expiresIn: EXPIRES_IN, algorithm: alg });
		const same = alg === 'ES256' ?
			tokens[k].split('.').slice(0, 2).join('.') === want.split('.').slice(0, 2).join('.') &&
			jwt.verify(tokens[k], key.pub, { algorithms: [alg] }).username === userName(from + k) :
			tokens[k] === want;

		if (!same)
			throw new Error(`token ${from + k} differs from jsonwebtoken's:\n${tokens[k]}\n${want}`);
	}
}

/* Files of slices of one token set (tokens[0] is user `base`), written
 * once each in `dir`. */
class TokenFiles {
	constructor(dir, tokens, base = 0) {
		this.dir = dir;
		this.tokens = tokens;
		this.base = base;
		this.written = new Map();
	}

	/* the file of users from .. to - 1 */
	slice(from, to) {
		const name = path.join(this.dir, `tokens.${from}-${to}`);

		if (!this.written.has(name)) {
			fs.writeFileSync(name, this.tokens.slice(from - this.base, to - this.base).join('\n'));
			this.written.set(name, true);
		}
		return name;
	}
}

/* A slice file's tokens (none in an empty slice). */
function read(file) {
	const s = fs.readFileSync(file, 'utf8');

	return s === '' ? [] : s.split('\n');
}

/* [from, to) for each of `parts` workers sharing users from .. from + n - 1 */
function split(from, n, parts) {
	return Array.from({ length: parts }, (_, w) => ({
		from: from + Math.floor(n * w / parts),
		to: from + Math.floor(n * (w + 1) / parts),
	}));
}

module.exports = { MODULES, authKey, keyPair, userName, make, check, TokenFiles, read, split };
