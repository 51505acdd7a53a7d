'use strict';
/*
 * common.js - what the differential suites share: jsonwebtoken's outcome
 * of a case, the outcome a client rebuilds from an engine (or daemon)
 * reply, and how two outcomes are compared and reported.
 *
 *   diff.test.js    the cases through the engine driver (build/san/agjwt)
 *   daemon.test.js  the same cases through agauthd and agauthctl
 */
const crypto = require('node:crypto');
const path = require('node:path');
const util = require('node:util');

const jwt = require('jsonwebtoken');

const gen = require('./gen');

const ROOT = path.resolve(__dirname, '..', '..');
const { rebuildError } = require(path.join(ROOT, 'client', 'node', 'lib', 'errors.js'));
const SHOW = Number(process.env.DIFF_SHOW) || 10;  /* disagreements shown per category */

// ---------------------------------------------------------------- outcomes

/* Runs fn with Date.now pinned to `now` (ms). */
function atClock(now, fn) {
	const real = Date.now;

	Date.now = () => now;
	try {
		return { ok: true, value: fn() };
	} catch (error) {
		return { ok: false, error };
	} finally {
		Date.now = real;
	}
}

function jsSign(c) {
	return atClock(c.now, () => jwt.sign(JSON.parse(c.payload), c.key,
					     JSON.parse(c.options)));
}

function jsVerify(c) {
	return atClock(c.now, () => jwt.verify(c.token, c.key,
					       JSON.parse(c.options)));
}

function unb64(s, enc) {
	return Buffer.from(s, 'base64url').toString(enc);
}

/* The engine's reply as the value jsonwebtoken returns, or the error a
 * client rebuilds. */
function engineOutcome(c, reply) {
	if (!reply.ok)
		return { ok: false, error: rebuildError(reply, c.token) };
	if (c.op === 'sign')
		return { ok: true, value: reply.token };
	const text = unb64(reply.payload, 'utf8');
	const payload = reply.kind === 'json' ? JSON.parse(text) : text;

	if (JSON.parse(c.options).complete !== true)
		return { ok: true, value: payload };
	return {
		ok: true,
		value: {
			/* the header text as jws reads it (latin1), in UTF-8 */
			header: JSON.parse(unb64(reply.header, 'utf8')),
			payload,
			signature: reply.signature,
		},
	};
}

function time(d) {
	return d instanceof Date ? d.getTime() : d;
}

/* What must be equal about two errors. */
function errorView(e) {
	const chain = [];

	for (let p = Object.getPrototypeOf(e); p && p !== Object.prototype;
	     p = Object.getPrototypeOf(p))
		chain.push(p.constructor && p.constructor.name);
	return {
		chain,
		name: e.name,
		message: e.message,
		keys: Object.keys(e),
		expiredAt: time(e.expiredAt),
		date: time(e.date),
	};
}

function view(o) {
	return o.ok ? { ok: true, value: o.value } :
	       { ok: false, error: errorView(o.error) };
}

function sameOutcome(a, b) {
	return util.isDeepStrictEqual(view(a), view(b));
}

function show(o) {
	return util.inspect(view(o), { depth: 6, breakLength: 120 });
}

function headerAlg(token) {
	try {
		return JSON.parse(unb64(token.split('.')[0], 'latin1')).alg;
	} catch (_) {
		return undefined;
	}
}

function publicOf(c) {
	return c.pub || crypto.createPublicKey(c.key).export({ type: 'spki',
							      format: 'pem' });
}

// ---------------------------------------------------------------- on purpose

const PEM_NEVER = 'PEM text is never taken as an HMAC secret';

/* PEM text is a key or an error, never an HMAC secret (jsonwebtoken
 * takes text Node cannot parse as the key it needs for a secret: a
 * public key's text to sign with, a certificate's, damaged PEM). */
function pemRefusal(c) {
	const refused = (message) => ({ name: 'AgauthError', message });

	if (typeof c.key !== 'string' || !c.key.includes('-----BEGIN'))
		return null;
	if (c.key.includes('-----BEGIN CERTIFICATE'))
		return refused('a certificate is not a key: give its public key ' +
			       `(openssl x509 -pubkey -noout -in FILE); ${PEM_NEVER}`);
	try {
		crypto.createPrivateKey(c.key);
		return null;
	} catch (_) { /* not a private key */ }
	try {
		crypto.createPublicKey(c.key);
	} catch (_) {
		return refused('PEM text that holds no RSA or EC key agauthd can read ' +
			       `(damaged, encrypted, or another kind of key); ${PEM_NEVER}`);
	}
	return c.op === 'sign' ?
	       refused(`a public key cannot sign: give the private key (${PEM_NEVER})`) : null;
}

/* No token dated after the second it is signed in: the payload's own
 * iat (the last one, if truthy: jsonwebtoken keeps it) may not be later
 * than the signing second, unless noTimestamp leaves it out.  The
 * engine checks it after every check jsonwebtoken makes: this holds
 * only where jsonwebtoken signs. */
function iatRefusal(c) {
	let p, o;

	if (c.op !== 'sign')
		return null;
	try {
		p = JSON.parse(c.payload);
		o = JSON.parse(c.options);
	} catch (_) {
		return null;
	}
	const second = Math.floor(c.now / 1000);

	if (p === null || typeof p !== 'object' || Array.isArray(p) || o.noTimestamp ||
	    typeof p.iat !== 'number' || !p.iat || p.iat <= second)
		return null;
	return { name: 'Error', message: `"iat" ${String(p.iat)} is later than ${second}, ` +
		 'the second the token is signed in: agauthd signs no token dated after it ' +
		 'is issued, which a revocation of its subject could not cover; leave "iat" ' +
		 'out to have the current time' };
}

/*
 * What agauthd refuses on purpose where jsonwebtoken goes on
 * (docs/engine.md, "Deliberate differences"), for a generated case and
 * jsonwebtoken's outcome of it: the {name, message} the engine answers
 * instead, or null when it must agree with jsonwebtoken.
 */
function deliberateRefusal(c, js) {
	return pemRefusal(c) || (js.ok ? iatRefusal(c) : null);
}

// ---------------------------------------------------------------- report

/* The first SHOW disagreements, for an assertion message; `who` names
 * the side compared with jsonwebtoken. */
function report(bad, who = 'engine') {
	return bad.slice(0, SHOW).map((b, i) => {
		const input = { ...b.c };

		for (const k of ['key', 'pub']) {
			/* PEM keys by name, secrets in full */
			if (typeof input[k] === 'string' && input[k].includes('-----BEGIN ') &&
			    input[k].length > 200)
				input[k] = keyName(input[k]);
		}
		return `#${i + 1} ${b.why} [${b.c.note}]\n` +
		       `  input:          ${JSON.stringify(input)}\n` +
		       `  jsonwebtoken:   ${show(b.js).replace(/\n/g, '\n  ')}\n` +
		       `  ${(who + ':').padEnd(16)}${show(b.eng).replace(/\n/g, '\n  ')}\n` +
		       `  ${(who + ' reply:').padEnd(16)}${JSON.stringify(b.reply)}` +
		       (b.detail ? '\n  ' + b.detail.replace(/\n/g, '\n  ') : '');
	}).join('\n');
}

function keyName(pem) {
	for (const [k, forms] of Object.entries(gen.KEYS))
		for (const [f, v] of Object.entries(forms))
			if (v === pem)
				return `<tests/vectors/keys ${k}.${f}>`;
	return pem;
}

module.exports = {
	ROOT, SHOW, rebuildError, atClock, jsSign, jsVerify, unb64, engineOutcome,
	errorView, view, sameOutcome, show, headerAlg, publicOf, report, keyName,
	deliberateRefusal, iatRefusal,
};
