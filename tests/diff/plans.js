'use strict';
/*
 * plans.js - what the suites that run gen.js's cases through agauthd share
 * (daemon.test.js here, and tests/node/diff.test.js through the npm
 * package's AuthEngine): one daemon per key under libfaketime, frozen at
 * NOW_D; the plan of each case (compared with jsonwebtoken, compared with
 * jsonwebtoken told the key's algorithm, an answer agauthd gives on
 * purpose, or skipped); how a sign's token or a verify's value disagrees
 * with jsonwebtoken's; and the tallies the suites print.
 *
 * Needs libfaketime (Debian package faketime; FAKETIME_LIB overrides the
 * library's path).
 */
const { spawnSync } = require('node:child_process');

const jwt = require('jsonwebtoken');
const jws = require('jws');

const gen = require('./gen');
const {
	atClock, jsSign, jsVerify, engineOutcome, show, sameOutcome, headerAlg, publicOf,
	iatRefusal,
} = require('./common');
const h = require('../integration/harness');

const FAKETIME_LIB = process.env.FAKETIME_LIB ||
	'/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
/* the daemons' frozen clock, in seconds: 15 days into the cases' 30 */
const NOW_D = Math.floor(gen.NOW0 / 1000) + 15 * 86400;
const NOW_MS = NOW_D * 1000;

// ---------------------------------------------------------------- keys

const CURVE_ALG = { p256: 'ES256', p384: 'ES384', p521: 'ES512' };
const PRIVATE_FORMS = new Set(['pkcs1', 'pkcs8', 'sec1']);

/* PEM text -> [material name, form] (tests/vectors/keys). */
const PEMS = new Map();
for (const [name, forms] of Object.entries(gen.KEYS))
	for (const [form, pem] of Object.entries(forms))
		PEMS.set(pem, [name, form]);

/*
 * The keyring key a case's key stands for: {id, alg, material, encoding,
 * label}, or {excluded: reason} when no keyring key signs (verifies) as
 * jsonwebtoken does with it.
 */
function keyOf(key, op) {
	if (key === null)
		return { excluded: 'key null (the daemon always verifies with a key)' };
	const pem = PEMS.get(key);

	if (pem === undefined) {
		/* jsonwebtoken takes any other text as an HMAC secret of its
		 * UTF-8 bytes; agauthd, a raw key file of those bytes */
		if (key.includes('-----BEGIN'))
			return { excluded: 'PEM text that is not a test key (a keyring refuses it)' };
		return { id: 'hs:' + key, alg: 'HS256', material: key, encoding: 'raw',
			 label: JSON.stringify(key.length > 24 ? key.slice(0, 12) + '…(' +
						key.length + ')' : key) };
	}
	const [name, form] = pem;

	if (op === 'sign' && !PRIVATE_FORMS.has(form))
		return { excluded: 'sign with a public key PEM (jsonwebtoken: an HMAC secret; a keyring refuses it)' };
	/* the private key verifies as the public one does */
	const priv = gen.KEYS[name].pkcs1 || gen.KEYS[name].sec1;

	return { id: name, alg: CURVE_ALG[name] || 'RS256', material: priv,
		 encoding: 'pem', label: name };
}

// ---------------------------------------------------------------- daemons

let preloaded;

/* LD_PRELOAD for the daemon: ASan's runtime must come first. */
function preload() {
	if (preloaded === undefined) {
		const r = spawnSync('ldd', [h.AGAUTHD], { encoding: 'utf8', timeout: 10000 });
		const asan = /libasan\.so\.\d+ => (\S+)/.exec(r.stdout || '');

		preloaded = (asan ? asan[1] + ' ' : '') + FAKETIME_LIB;
	}
	return preloaded;
}

/* libfaketime's absolute (frozen) time: "YYYY-MM-DD hh:mm:ss", in TZ */
function faketime(s) {
	return new Date(s * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
}

async function startDaemon(k) {
	const env = h.setup({
		keys: [{ name: 'k', material: k.material, encoding: k.encoding,
			 algorithm: k.alg, kid: '', state: 'primary' }],
		conf: { keys: { allow_none: 'no' } },
		dir: h.tmpdir('diff'),
	});
	const d = await h.Daemon.start(env, { argv: [
		'/usr/bin/env', 'LD_PRELOAD=' + preload(), 'TZ=UTC',
		'FAKETIME=' + faketime(NOW_D), 'FAKETIME_DONT_FAKE_MONOTONIC=1',
		h.AGAUTHD, '-c', env.conf] });

	return { d, c: await d.client(), sock: env.sock, key: k };
}

// ---------------------------------------------------------------- plans

const KID_MSG = '"keyid" is set by agauthd: the signing key\'s kid';
const NONE_MSG = 'signing with "none" is disabled by configuration';

function isObj(v) {
	return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/* The sign options' header.alg, else a truthy algorithm, as agauthd and
 * jsonwebtoken pick it (undefined: the default). */
function explicitAlg(o) {
	if (isObj(o.header) && Object.prototype.hasOwnProperty.call(o.header, 'alg'))
		return { alg: o.header.alg };
	return o.algorithm ? { alg: o.algorithm } : undefined;
}

/*
 * What to do with a case: {c, k, js, mode, reason}.  c is the case at
 * NOW_D, js jsonwebtoken's outcome; mode is 'compare', 'default'
 * (compared, but js is jsonwebtoken's outcome when told the key's
 * algorithm), 'expect' (the daemon's reply must be `expect`: {code, name,
 * message}, or pass it as a predicate) or 'skip' (no daemon holds the key).
 */
function plan(c0) {
	const c = { ...c0, now: NOW_MS };
	const k = keyOf(c.key, c.op);

	if (k.excluded)
		return { c, mode: 'skip', reason: k.excluded };
	const js = c.op === 'sign' ? jsSign(c) : jsVerify(c);
	const p = { c, k, js, mode: 'compare' };

	if (c.op !== 'sign')
		return p;
	const o = JSON.parse(c.options);
	const ex = explicitAlg(o);

	if (Object.prototype.hasOwnProperty.call(o, 'keyid') ||
	    (isObj(o.header) && Object.prototype.hasOwnProperty.call(o.header, 'kid')))
		return { ...p, mode: 'expect', reason: 'keyid or header.kid (AG_E_SIGN_OPTION)',
			 expect: { code: 'AG_E_SIGN_OPTION', name: 'Error', message: KID_MSG } };
	/* an RSA/EC key and no algorithm at all: agauthd signs with the
	 * key's, as jsonwebtoken does when told it */
	const keysAlg = !ex && !k.alg.startsWith('HS') &&
			!Object.prototype.hasOwnProperty.call(o, 'algorithm');
	const asDaemon = keysAlg ? atClock(NOW_MS, () => jwt.sign(JSON.parse(c.payload), c.key,
								  { ...o, algorithm: k.alg })) : js;
	/* an iat after the second of signing: refused after every check
	 * jsonwebtoken makes, and before "none" */
	const iat = asDaemon.ok ? iatRefusal(c) : null;

	if (iat)
		return { ...p, mode: 'expect', reason: 'iat after the second of signing (AG_E_IAT_FUTURE)',
			 expect: { code: 'AG_E_IAT_FUTURE', ...iat } };
	if (ex && ex.alg === 'none') {
		/* refused last, after every check jsonwebtoken makes too: where
		 * jsonwebtoken fails, agauthd must fail alike */
		return js.ok ? { ...p, mode: 'expect', reason: 'alg "none" (AG_E_NONE_DISABLED)',
				 expect: { code: 'AG_E_NONE_DISABLED', name: 'Error',
					   message: NONE_MSG } } : p;
	}
	if (keysAlg)
		return { ...p, mode: 'default', reason: 'no algorithm: the key\'s', js: asDaemon };
	if (!ex && !k.alg.startsWith('HS'))
		/* RSA/EC key and a falsy algorithm: refused, by some check or
		 * other */
		return { ...p, mode: 'expect', reason: 'falsy algorithm, RSA/EC key',
			 expect: (r) => r.ok === false && !/symmetric/.test(r.message) };
	return p;
}

function request(c) {
	return c.op === 'sign' ? { op: 'sign', payload: c.payload, opts: c.options } :
	       { op: 'verify', token: c.token, opts: c.options };
}

/* A daemon reply in the driver's shape, for engineOutcome. */
function driverReply(c, r) {
	if (!r.ok || c.op === 'sign')
		return r;
	return {
		ok: true, kind: r.kind,
		payload: Buffer.from(r.payload).toString('base64url'),
		header: r.header && Buffer.from(r.header).toString('base64url'),
		signature: c.token.split('.')[2],
	};
}

/* A verify request on jsonwebtoken's RS/PS/ES token of a sign case. */
function crossOf(p) {
	const alg = headerAlg(p.js.value);

	return {
		op: 'verify', key: publicOf(p.c), token: p.js.value, now: NOW_MS,
		options: JSON.stringify({ algorithms: [alg], ignoreExpiration: true,
					  ignoreNotBefore: true }),
		note: 'agauthd verifies jsonwebtoken\'s token of: ' + p.c.note,
	};
}

/*
 * Why outcome `got` (a sign token or verify value, or an error) of case
 * p disagrees with jsonwebtoken, or null.  crossGot: the other side's
 * verification of jsonwebtoken's RS/PS/ES token, if there is one.
 */
function disagreement(p, got, crossGot) {
	const { c, js } = p;

	if (js.ok !== got.ok || !js.ok)
		return sameOutcome(js, got) ? null : { why: 'outcomes differ' };
	if (c.op === 'verify')
		return sameOutcome(js, got) ? null : { why: 'payloads differ' };
	const alg = headerAlg(js.value);

	if (!/^(RS|PS|ES)/.test(alg))
		return js.value === got.value ? null : { why: 'tokens differ' };
	const [jh, jp] = js.value.split('.'), [eh, ep] = got.value.split('.');

	if (jh !== eh || jp !== ep)
		return { why: 'header or payload segments differ' };
	const cross = crossOf(p);
	let sigOk;

	try {
		sigOk = jws.verify(got.value, alg, cross.key);
	} catch (e) {
		sigOk = e;
	}
	if (sigOk !== true)
		return { why: 'jsonwebtoken (jws) refuses the signature', detail: String(sigOk) };
	const own = jsVerify(cross), theirs = jsVerify({ ...cross, token: got.value });

	if (!sameOutcome(own, theirs))
		return { why: 'jsonwebtoken verifies the token differently',
			 detail: 'own token: ' + show(own) + '\nother token: ' + show(theirs) };
	if (crossGot && !sameOutcome(own, crossGot))
		return { why: 'agauthd verifies jsonwebtoken\'s token differently',
			 detail: 'jsonwebtoken: ' + show(own) + '\nagauthd: ' + show(crossGot) };
	return null;
}

function expectedReply(r, e) {
	if (typeof e === 'function')
		return e(r);
	return r.ok === false && r.code === e.code && r.name === e.name &&
	       r.message === e.message;
}

// ---------------------------------------------------------------- counts

class Tally {
	constructor() { this.keys = new Map(); }
	key(label) {
		if (!this.keys.has(label))
			this.keys.set(label, { compared: 0, excluded: new Map() });
		return this.keys.get(label);
	}
	compared(label) { this.key(label).compared++; }
	excluded(label, reason) {
		const ex = this.key(label).excluded;

		ex.set(reason, (ex.get(reason) || 0) + 1);
	}
	add(other) {
		for (const [label, v] of other.keys) {
			const mine = this.key(label);

			mine.compared += v.compared;
			for (const [r, n] of v.excluded)
				mine.excluded.set(r, (mine.excluded.get(r) || 0) + n);
		}
	}
	lines(prefix = 'key ') {
		const out = [];
		let compared = 0;
		const reasons = new Map();

		for (const [label, v] of [...this.keys].sort()) {
			const ex = [...v.excluded].map(([r, n]) => `${n} ${r}`);
			const nex = [...v.excluded.values()].reduce((a, b) => a + b, 0);

			compared += v.compared;
			for (const [r, n] of v.excluded)
				reasons.set(r, (reasons.get(r) || 0) + n);
			out.push(`${prefix}${label}: ${v.compared} compared, ${nex} excluded` +
				 (ex.length ? ' (' + ex.join('; ') + ')' : ''));
		}
		const nex = [...reasons.values()].reduce((a, b) => a + b, 0);

		out.push(`total: ${compared} compared, ${nex} excluded` +
			 (reasons.size ? ' (' + [...reasons].map(([r, n]) => `${n} ${r}`).join('; ') + ')' : ''));
		return out;
	}
}

/*
 * The cases of seed, planned: {all, plans: {category: [plan]}, keys:
 * Map(key id -> key)}, the keys being those some plan needs a daemon of.
 */
function planAll(seed = process.env.DIFF_SEED || gen.SEED) {
	const all = gen.generate(seed);
	const plans = {};
	const keys = new Map();

	for (const [name, cases] of Object.entries(all)) {
		plans[name] = cases.map(plan);
		for (const p of plans[name])
			if (p.k)
				keys.set(p.k.id, p.k);
	}
	return { all, plans, keys };
}

module.exports = {
	FAKETIME_LIB, NOW_D, NOW_MS, keyOf, preload, faketime, startDaemon, plan, planAll,
	request, driverReply, crossOf, disagreement, expectedReply, Tally,
};
