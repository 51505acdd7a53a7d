'use strict';
/*
 * daemon.test.js - the differential suite through agauthd and agauthctl.
 *
 *   node --test --test-reporter=tap tests/diff/
 *
 * The cases of gen.js, grouped by key: one daemon (AGAUTHD, default
 * build/san/agauthd) per key a keyring can hold as its single primary key
 * without a kid (`kid =` empty, so headers match jsonwebtoken's): HMAC
 * secrets (the secret's bytes, `encoding = raw`, HS256), the RSA keys
 * (RS256) and the EC keys (ES256/384/512 by curve).  Each daemon runs
 * under libfaketime with its clock frozen at NOW_D, and jsonwebtoken runs
 * every case with Date.now pinned to NOW_D too.  Requests go pipelined
 * over one connection per daemon; outcomes are compared as in
 * diff.test.js (the daemon's reply rebuilt as a client would).
 *
 * Cases that cannot agree by design are left out of the comparison,
 * counted, and where the daemon answers otherwise on purpose, that answer
 * is asserted instead:
 *  - sign with `keyid` or `header.kid`: the key sets the kid
 *    (AG_E_SIGN_OPTION);
 *  - sign with alg "none": the daemon runs with allow_none = no
 *    (AG_E_NONE_DISABLED where jsonwebtoken signs; its errors otherwise);
 *  - sign with an RSA or EC key and no algorithm: the daemon defaults to
 *    the key's algorithm, jsonwebtoken to HS256 (compared with
 *    jsonwebtoken told the key's algorithm);
 *  - sign with a public key PEM (jsonwebtoken takes its text as an HMAC
 *    secret; a keyring's signing key is a private key): not run;
 *  - verify with key null: the daemon always verifies with a key.
 *
 * Then a sample of the compared cases runs through agauthctl (AGAUTHCTL,
 * default build/agauthctl): its --json output and exit status against
 * jsonwebtoken's outcome.
 *
 * Needs libfaketime (Debian package faketime; FAKETIME_LIB overrides the
 * library's path).
 */
const test = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const jwt = require('jsonwebtoken');
const jws = require('jws');

const gen = require('./gen');
const {
	ROOT, SHOW, rebuildError, atClock, jsSign, jsVerify, engineOutcome, show,
	sameOutcome, headerAlg, publicOf, report,
} = require('./common');
const h = require('../integration/harness');

const AGAUTHCTL = path.resolve(ROOT, process.env.AGAUTHCTL || 'build/agauthctl');
const FAKETIME_LIB = process.env.FAKETIME_LIB ||
	'/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
/* the daemons' frozen clock, in seconds: 15 days into the cases' 30 */
const NOW_D = Math.floor(gen.NOW0 / 1000) + 15 * 86400;
const NOW_MS = NOW_D * 1000;
const CTL_SIGN = Number(process.env.DIFF_CTL_SIGN) || 240;    /* agauthctl sample */
const CTL_VERIFY = Number(process.env.DIFF_CTL_VERIFY) || 240;
const CTL_EXPECTED = 24;        /* and of the cases agauthd refuses on purpose */
const CALL_TIMEOUT = 60000;

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
		if (/-----BEGIN [A-Z0-9 ]+-----/.test(key))
			return { excluded: 'PEM text that is not a test key' };
		return { id: 'hs:' + key, alg: 'HS256', material: key, encoding: 'raw',
			 label: JSON.stringify(key.length > 24 ? key.slice(0, 12) + '…(' +
						key.length + ')' : key) };
	}
	const [name, form] = pem;

	if (op === 'sign' && !PRIVATE_FORMS.has(form))
		return { excluded: 'sign with a public key PEM (jsonwebtoken: an HMAC secret)' };
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
	if (ex && ex.alg === 'none') {
		/* refused last, after every check jsonwebtoken makes too: where
		 * jsonwebtoken fails, agauthd must fail alike */
		return js.ok ? { ...p, mode: 'expect', reason: 'alg "none" (AG_E_NONE_DISABLED)',
				 expect: { code: 'AG_E_NONE_DISABLED', name: 'Error',
					   message: NONE_MSG } } : p;
	}
	if (ex || k.alg.startsWith('HS'))
		return p;
	/* RSA/EC key, no algorithm: agauthd signs with the key's, as
	 * jsonwebtoken does when told it */
	if (Object.prototype.hasOwnProperty.call(o, 'algorithm'))
		/* a falsy algorithm is refused, by some check or other */
		return { ...p, mode: 'expect', reason: 'falsy algorithm, RSA/EC key',
			 expect: (r) => r.ok === false && !/symmetric/.test(r.message) };
	return { ...p, mode: 'default', reason: 'no algorithm: the key\'s',
		 js: atClock(NOW_MS, () => jwt.sign(JSON.parse(c.payload), c.key,
						     { ...JSON.parse(c.options), algorithm: k.alg })) };
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

// ---------------------------------------------------------------- tests

const ALL = gen.generate(process.env.DIFF_SEED || gen.SEED);
const PLANS = {};
const daemons = new Map();      /* key id -> {d, c, sock, key} */
const TOTAL = new Tally();
const CTL_POOL = [];            /* plans compared with jsonwebtoken, and agreeing */
const CTL_EXPECT = [];          /* plans the daemon refuses on purpose */

test.before(async () => {
	assert.ok(fs.existsSync(h.AGAUTHD), `${h.AGAUTHD} not found: run ` +
		  '`make build/san/agauthd` or set AGAUTHD');
	assert.ok(fs.existsSync(FAKETIME_LIB), `${FAKETIME_LIB} not found: ` +
		  'apt-get install faketime, or set FAKETIME_LIB');
	const keys = new Map();

	for (const [name, cases] of Object.entries(ALL)) {
		PLANS[name] = cases.map(plan);
		for (const p of PLANS[name])
			if (p.k)
				keys.set(p.k.id, p.k);
	}
	const started = await Promise.all([...keys.values()].map(startDaemon));

	for (const s of started)
		daemons.set(s.key.id, s);
});

test.after(async () => {
	const errors = [];

	for (const s of daemons.values()) {
		try {
			await s.d.stop();
		} catch (e) {
			errors.push(`${s.key.label}: ${e.message}`);
		}
	}
	assert.deepStrictEqual(errors, [], 'daemons stopped cleanly');
});

test('agauthd runs on a frozen clock', async () => {
	const s = daemons.get('hs:secret');
	const a = h.ok(await s.c.call('sign', { payload: '{}' }));

	await h.sleep(1100);
	const b = h.ok(await s.c.call('sign', { payload: '{}' }));

	assert.strictEqual(h.decodeToken(a.token).payload.iat, NOW_D);
	assert.strictEqual(h.decodeToken(b.token).payload.iat, NOW_D);
	assert.strictEqual(a.token, b.token);
});

for (const name of Object.keys(ALL)) {
	test(`${name} (agauthd)`, async (t) => {
		const plans = PLANS[name];
		const tally = new Tally();
		const bad = [];
		const pending = [];

		for (const p of plans) {
			if (p.mode === 'skip') {
				tally.excluded('(no daemon)', p.reason);
				continue;
			}
			const s = daemons.get(p.k.id);
			const call = (req) => s.c.send(req, { timeout: CALL_TIMEOUT });

			p.reply = call(request(p.c));
			if ((p.mode === 'compare' || p.mode === 'default') && p.c.op === 'sign' &&
			    p.js.ok && /^(RS|PS|ES)/.test(headerAlg(p.js.value))) {
				p.cross = crossOf(p);
				p.crossReply = call(request(p.cross));
			}
			pending.push(p);
		}
		for (const p of pending) {
			const r = await p.reply;
			const label = p.k.label;
			const fail = (why, extra = {}) =>
				bad.push({ c: p.c, js: p.js, eng: driverOutcome(p.c, r), why,
					   reply: r, ...extra });

			if (r.ok && r.kid !== undefined) {
				fail('a reply with a kid, from a key without one');
				continue;
			}
			if (p.mode === 'expect') {
				tally.excluded(label, p.reason);
				if (!expectedReply(r, p.expect))
					fail('expected ' + (typeof p.expect === 'function' ?
							     p.expect.toString() : JSON.stringify(p.expect)));
				else
					CTL_EXPECT.push({ p, category: name });
				continue;
			}
			if (p.mode === 'default')
				tally.excluded(label, p.reason);
			else
				tally.compared(label);
			const cross = p.crossReply ? engineOutcome(p.cross,
				driverReply(p.cross, await p.crossReply)) : undefined;
			const d = disagreement(p, driverOutcome(p.c, r), cross);

			if (d)
				fail(d.why, { detail: d.detail });
			else
				CTL_POOL.push({ p, category: name });
		}
		for (const line of tally.lines())
			t.diagnostic(line);
		TOTAL.add(tally);
		if (bad.length > 0)
			assert.fail(`${bad.length} cases disagree; the first ` +
				    `${Math.min(SHOW, bad.length)}:\n` + report(bad, 'agauthd'));
	});
}

function driverOutcome(c, r) {
	return engineOutcome(c, driverReply(c, r));
}

test('default algorithm of RSA and EC keys (agauthd)', async () => {
	/* no generated case signs with an RSA/EC key without an algorithm */
	const failed = [];

	for (const s of daemons.values()) {
		if (s.key.alg.startsWith('HS'))
			continue;
		for (const [options, mode] of [['{}', 'default'],
					       ['{"expiresIn":60,"header":{"x":1}}', 'default'],
					       ['{"algorithm":""}', 'expect'],
					       ['{"algorithm":null,"expiresIn":"1h"}', 'expect']]) {
			const p = plan({ op: 'sign', note: 'default algorithm', key: s.key.material,
					 payload: '{"a":1}', options, now: NOW_MS });
			const r = await s.c.send(request(p.c), { timeout: CALL_TIMEOUT });
			const d = p.mode === 'default' ? disagreement(p, driverOutcome(p.c, r)) :
				  !expectedReply(r, p.expect) && { why: 'not refused' };

			assert.strictEqual(p.mode, mode);
			if (d || (mode === 'default' && headerAlg(r.token) !== s.key.alg))
				failed.push(`${s.key.label} ${options}: ${JSON.stringify(r)} ` +
					    (d ? d.why : ''));
		}
	}
	assert.deepStrictEqual(failed, []);
});

test('per key, all categories (agauthd)', (t) => {
	for (const line of TOTAL.lines())
		t.diagnostic(line);
});

// ---------------------------------------------------------------- agauthctl

/* Exit statuses of agauthctl, by outcome. */
function ctlStatus(op, o) {
	if (o.ok)
		return 0;
	if (op === 'sign')
		return 4;
	return { TokenExpiredError: 2, NotBeforeError: 3, JsonWebTokenError: 1,
		 TypeError: 1, SyntaxError: 1, Error: 1 }[o.error.name] || 4;
}

/* Every step-th plan of each (category, key) group, round robin over the
 * groups until n are taken: a spread no seed change can skew. */
function sample(pool, n) {
	const groups = new Map();

	for (const e of pool) {
		const g = e.category + '|' + e.p.k.id;

		if (!groups.has(g))
			groups.set(g, []);
		groups.get(g).push(e);
	}
	const lists = [...groups.values()].map((l) => {
		/* a fixed stride through the group, then the rest */
		const stride = 7, out = [];

		for (let s = 0; s < stride; s++)
			for (let i = s; i < l.length; i += stride)
				out.push(l[i]);
		return out;
	});
	const out = [];

	for (let i = 0; out.length < n && lists.some((l) => i < l.length); i++)
		for (const l of lists)
			if (i < l.length && out.length < n)
				out.push(l[i]);
	return out;
}

/*
 * One agauthctl run for plan p: {status, json, stdout, stderr}.  Options
 * go as --options, the payload or token as the argument (after "--":
 * payloads such as -1e400 are not flags).  complete: true inside
 * --options must give jsonwebtoken's {header, payload, signature} as the
 * --complete flag does.
 */
function ctl(p) {
	const s = daemons.get(p.k.id);
	const c = p.c;
	const args = ['--socket', s.sock, '--json', c.op, '--options', c.options];

	args.push('--', c.op === 'sign' ? c.payload : c.token);
	const r = spawnSync(AGAUTHCTL, args, { encoding: 'utf8', timeout: 20000 });

	if (r.error)
		throw r.error;
	let json;

	try {
		json = JSON.parse(r.stdout);
	} catch (e) {
		json = undefined;
	}
	return { status: r.status, json, stdout: r.stdout, stderr: r.stderr };
}

/* agauthctl's --json output as jsonwebtoken's value, or the error. */
function ctlOutcome(c, out) {
	if (!out.ok)
		return { ok: false, error: rebuildError(out, c.token) };
	if (c.op === 'sign')
		return { ok: true, value: out.token };
	if (JSON.parse(c.options).complete !== true)
		return { ok: true, value: out.payload };
	return { ok: true, value: { header: out.header, payload: out.payload,
				    signature: out.signature } };
}

test('agauthctl, a sample of the cases', async (t) => {
	assert.ok(fs.existsSync(AGAUTHCTL), `${AGAUTHCTL} not found: run \`make all\``);
	/* argv cannot carry a NUL byte: such inputs go by standard input,
	 * which a shell pipe would end with a newline agauthctl strips */
	const fits = (e) => !(e.p.c.op === 'sign' ? e.p.c.payload : e.p.c.token).includes('\0');
	const pool = CTL_POOL.filter(fits);
	const unfit = CTL_POOL.length - pool.length;
	const picked = sample(pool.filter((e) => e.p.c.op === 'sign'), CTL_SIGN)
		.concat(sample(pool.filter((e) => e.p.c.op === 'verify'), CTL_VERIFY),
			sample(CTL_EXPECT.filter(fits), CTL_EXPECTED));
	const byCategory = new Tally(), byKey = new Tally();
	const tally = {
		compared: (cat, key) => { byCategory.compared(cat); byKey.compared(key); },
		excluded: (cat, key, r) => { byCategory.excluded(cat, r); byKey.excluded(key, r); },
	};
	const bad = [];
	const statuses = {};

	for (const { p, category } of picked) {
		const out = ctl(p);
		const fail = (why, extra = {}) =>
			bad.push({ c: p.c, js: p.js, eng: out.json && ctlOutcome(p.c, out.json),
				   why, reply: { status: out.status, stdout: out.stdout,
						 stderr: out.stderr }, ...extra });

		statuses[out.status] = (statuses[out.status] || 0) + 1;
		if (out.json === undefined || typeof out.json.ok !== 'boolean') {
			fail('no JSON result');
			continue;
		}
		if (p.mode === 'expect') {
			tally.excluded(category, p.k.label, p.reason);
			if (out.status !== 4 || !expectedReply(out.json, p.expect))
				fail('expected status 4 and ' + (typeof p.expect === 'function' ?
						p.expect.toString() : JSON.stringify(p.expect)));
			continue;
		}
		tally.compared(category, p.k.label);
		const got = ctlOutcome(p.c, out.json);
		const want = ctlStatus(p.c.op, p.js);

		if (out.status !== want) {
			fail(`exit status ${out.status}, expected ${want}`);
			continue;
		}
		const d = disagreement(p, got);

		if (d)
			fail(d.why, { detail: d.detail });
	}
	for (const line of byCategory.lines('').slice(0, -1).concat(byKey.lines()))
		t.diagnostic(line);
	t.diagnostic(`exit statuses: ${JSON.stringify(statuses)}; ` +
		     `${unfit} cases with a NUL byte not sampled (argv cannot carry one)`);
	const n = (op) => picked.filter((e) => e.p.c.op === op && e.p.mode !== 'expect').length;

	assert.ok(n('sign') >= Math.min(200, CTL_SIGN) && n('verify') >= Math.min(200, CTL_VERIFY),
		  `sampled ${n('sign')} sign and ${n('verify')} verify cases`);
	if (bad.length > 0)
		assert.fail(`${bad.length} of ${picked.length} agauthctl runs disagree; the first ` +
			    `${Math.min(SHOW, bad.length)}:\n` + report(bad, 'agauthctl'));
});
