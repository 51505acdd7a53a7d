'use strict';
/*
 * tokens.js - HS256 tokens as a SocketCluster server issues them, made
 * fast: jsonwebtoken.sign({username, channels}, authKey, {expiresIn:
 * 86400}) with the authKey string socketcluster-server makes by default,
 * byte for byte (check() proves it), but with one HMAC per token and
 * nothing else.  Token i carries username userName(i).  Slices of a set go
 * to worker processes as files, one token a line.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const MODULES = path.join(__dirname, '..', '..', 'tests', 'node_modules');
const EXPIRES_IN = 86400;          /* SocketCluster's authDefaultExpiry */
/* jws's header for jsonwebtoken's HS256 default */
const HEADER = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');

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

/* n tokens for users from .. from + n - 1, issued at `iat` (seconds) */
function make(key, from, n, iat) {
	const out = new Array(n);

	for (let k = 0; k < n; k++) {
		const claims = { ...authToken(from + k), iat, exp: iat + EXPIRES_IN };
		const input = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;

		out[k] = `${input}.${crypto.createHmac('sha256', key).update(input).digest('base64url')}`;
	}
	return out;
}

/* Throws unless a few tokens are exactly what jsonwebtoken makes: a
 * benchmark of other tokens would measure something else. */
function check(key, tokens, from, iat) {
	const jwt = require(path.join(MODULES, 'jsonwebtoken'));

	for (const k of [0, tokens.length >> 1, tokens.length - 1]) {
		const want = jwt.sign({ ...authToken(from + k), iat }, key, { expiresIn: EXPIRES_IN });

		if (tokens[k] !== want)
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

module.exports = { MODULES, authKey, userName, make, check, TokenFiles, read, split };
