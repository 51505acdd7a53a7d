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
 *  - sign with a public key PEM, and PEM-looking text that is not a
 *    test key (jsonwebtoken takes such text as an HMAC secret; a keyring
 *    refuses to load it, as diff.test.js checks of the engine): not run;
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

const {
	ROOT, SHOW, rebuildError, engineOutcome, headerAlg, report,
} = require('./common');
const {
	FAKETIME_LIB, NOW_D, NOW_MS, startDaemon, plan, planAll, request, driverReply,
	crossOf, disagreement, expectedReply, Tally,
} = require('./plans');
const h = require('../integration/harness');

const AGAUTHCTL = path.resolve(ROOT, process.env.AGAUTHCTL || 'build/agauthctl');
const CTL_SIGN = Number(process.env.DIFF_CTL_SIGN) || 240;    /* agauthctl sample */
const CTL_VERIFY = Number(process.env.DIFF_CTL_VERIFY) || 240;
const CTL_EXPECTED = 24;        /* and of the cases agauthd refuses on purpose */
const CALL_TIMEOUT = 60000;

// ---------------------------------------------------------------- tests

const { all: ALL, plans: PLANS, keys: KEYS } = planAll();
const daemons = new Map();      /* key id -> {d, c, sock, key} */
const TOTAL = new Tally();
const CTL_POOL = [];            /* plans compared with jsonwebtoken, and agreeing */
const CTL_EXPECT = [];          /* plans the daemon refuses on purpose */

test.before(async () => {
	assert.ok(fs.existsSync(h.AGAUTHD), `${h.AGAUTHD} not found: run ` +
		  '`make build/san/agauthd` or set AGAUTHD');
	assert.ok(fs.existsSync(FAKETIME_LIB), `${FAKETIME_LIB} not found: ` +
		  'apt-get install faketime, or set FAKETIME_LIB');
	const started = await Promise.all([...KEYS.values()].map(startDaemon));

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
