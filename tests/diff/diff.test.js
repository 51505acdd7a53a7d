'use strict';
/*
 * diff.test.js - jsonwebtoken 9.0.3 against the engine, case by case.
 *
 *   node --test --test-reporter=tap tests/diff/
 *
 * Every case of gen.js runs through real jsonwebtoken (sign/verify,
 * synchronously, with Date.now pinned to the case's clock) and through
 * the engine driver (AGJWT, default build/san/agjwt under the repository
 * root), one driver process per category, all requests written at once
 * and the replies read back in order.  Outcomes must be equal:
 *
 *  - sign, HS and none: the same token string.  RS/PS/ES: the same header
 *    and payload segments; jsonwebtoken verifies the engine's token (its
 *    jws signature check passes and jwt.verify answers as for its own
 *    token), and the driver verifies jsonwebtoken's token (compared like
 *    any verify case).
 *  - verify: the same payload (with complete: true also header and
 *    signature), or the same error: class chain, name, message, own
 *    properties and expiredAt/date.  Engine errors are rebuilt with
 *    client/node/lib/errors.js, as a JavaScript client would.
 *  - cases the engine refuses on purpose (common.js deliberateRefusal):
 *    its refusal, word for word, instead of jsonwebtoken's outcome.
 *
 * The last test pins the documented differences (docs: what the engine
 * refuses on purpose), asserting the engine's side of each.
 */
const test = require('node:test');
const assert = require('node:assert');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const jwt = require('jsonwebtoken');
const jws = require('jws');

const gen = require('./gen');
const {
	ROOT, SHOW, atClock, jsSign, jsVerify, unb64, engineOutcome, show,
	sameOutcome, headerAlg, publicOf, report, deliberateRefusal, iatRefusal,
} = require('./common');

const AGJWT = path.resolve(ROOT, process.env.AGJWT || 'build/san/agjwt');

// ---------------------------------------------------------------- driver

/* Runs one driver process over all requests; resolves to the replies. */
function drive(requests) {
	return new Promise((resolve, reject) => {
		if (!fs.existsSync(AGJWT)) {
			reject(new Error(`driver ${AGJWT} not found: run ` +
					 '`make build/san/agjwt` or set AGJWT'));
			return;
		}
		const child = spawn(AGJWT, [], { stdio: ['pipe', 'pipe', 'pipe'] });
		const out = [];
		let err = '';

		child.stdout.setEncoding('utf8');
		child.stderr.setEncoding('utf8');
		child.stdout.on('data', (d) => out.push(d));
		child.stderr.on('data', (d) => { err += d; });
		child.on('error', reject);
		/* a crashed driver closes its stdin: report it at exit */
		child.stdin.on('error', () => {});
		child.on('close', (code, signal) => {
			const lines = out.join('').split('\n');

			if (lines[lines.length - 1] === '')
				lines.pop();
			if (code !== 0 || lines.length !== requests.length) {
				reject(new Error(`driver exited with ${signal || code} after ` +
						 `${lines.length} of ${requests.length} replies` +
						 (lines.length < requests.length ? '; next request: ' +
						  JSON.stringify(requests[lines.length]) : '') +
						 '\n' + err.slice(0, 8000)));
				return;
			}
			try {
				resolve(lines.map((l) => JSON.parse(l)));
			} catch (e) {
				reject(e);
			}
		});
		child.stdin.end(requests.map((q) => JSON.stringify(q)).join('\n') + '\n');
	});
}

function request(c) {
	if (c.op === 'sign')
		return { op: 'sign', key: c.key, payload: c.payload,
			 options: c.options, now: c.now, allowNone: true };
	return { op: 'verify', key: c.key, token: c.token, options: c.options,
		 now: c.now };
}

// ---------------------------------------------------------------- category

/*
 * Compares one category.  Returns the disagreements (each with the case,
 * both outcomes and what differed) and the number of cases compared.
 */
async function compareCategory(cases) {
	const requests = [], plan = [], bad = [];
	let refused = 0;

	for (const c of cases) {
		const js = c.op === 'sign' ? jsSign(c) : jsVerify(c);
		const item = { c, js, at: requests.length, refusal: deliberateRefusal(c, js) };

		requests.push(request(c));
		/* the driver verifies jsonwebtoken's RS/PS/ES token */
		if (c.op === 'sign' && js.ok && !item.refusal &&
		    /^(RS|PS|ES)/.test(headerAlg(js.value))) {
			const alg = headerAlg(js.value);

			item.cross = {
				op: 'verify', key: publicOf(c), token: js.value, now: c.now,
				options: JSON.stringify({ algorithms: [alg],
							  ignoreExpiration: true,
							  ignoreNotBefore: true }),
				note: 'driver verifies jsonwebtoken\'s token of: ' + c.note,
			};
			item.crossAt = requests.length;
			requests.push(request(item.cross));
		}
		plan.push(item);
	}
	const replies = await drive(requests);

	for (const { c, js, at, cross, crossAt, refusal } of plan) {
		const eng = engineOutcome(c, replies[at]);
		const fail = (why, extra = {}) =>
			bad.push({ c, js, eng, why, reply: replies[at], ...extra });

		if (refusal) {
			const r = replies[at];

			refused++;
			if (r.ok || r.name !== refusal.name || r.message !== refusal.message)
				fail('not the refusal documented', { detail: 'expected: ' +
					JSON.stringify(refusal) });
			continue;
		}
		if (js.ok !== eng.ok || !js.ok) {
			if (!sameOutcome(js, eng))
				fail('outcomes differ');
			continue;
		}
		if (c.op === 'verify') {
			if (!sameOutcome(js, eng))
				fail('payloads differ');
			continue;
		}
		const alg = headerAlg(js.value);

		if (!/^(RS|PS|ES)/.test(alg)) {
			if (js.value !== eng.value)
				fail('tokens differ');
			continue;
		}
		/* randomized signatures: compare what is signed, then verify
		 * across */
		const [jh, jp] = js.value.split('.'), [eh, ep] = eng.value.split('.');

		if (jh !== eh || jp !== ep) {
			fail('header or payload segments differ');
			continue;
		}
		const pub = cross.key;
		const sigOk = atClock(c.now, () => jws.verify(eng.value, alg, pub));

		if (!sigOk.ok || sigOk.value !== true) {
			fail('jsonwebtoken (jws) refuses the engine\'s signature',
			     { detail: show(sigOk) });
			continue;
		}
		const own = jsVerify({ ...cross });
		const theirs = jsVerify({ ...cross, token: eng.value });

		if (!sameOutcome(own, theirs)) {
			fail('jsonwebtoken verifies the engine\'s token differently',
			     { detail: 'own token: ' + show(own) + '\nengine token: ' +
				       show(theirs) });
			continue;
		}
		const driverOnJs = engineOutcome(cross, replies[crossAt]);

		if (!sameOutcome(own, driverOnJs))
			fail('the driver verifies jsonwebtoken\'s token differently',
			     { detail: 'jsonwebtoken: ' + show(own) + '\ndriver: ' +
				       show(driverOnJs) + '\nreply: ' +
				       JSON.stringify(replies[crossAt]) });
	}
	return { bad, compared: cases.length - refused, refused };
}

// ---------------------------------------------------------------- tests

const ALL = gen.generate(process.env.DIFF_SEED || gen.SEED);  /* another seed explores more */

for (const [name, cases] of Object.entries(ALL)) {
	test(name, async (t) => {
		const { bad, compared, refused } = await compareCategory(cases);

		t.diagnostic(`${compared} cases compared, ${refused} refused on purpose, ` +
			     `${bad.length} disagreements`);
		if (bad.length > 0)
			assert.fail(`${bad.length} of ${compared + refused} cases disagree; the first ` +
				    `${Math.min(SHOW, bad.length)}:\n` + report(bad));
	});
}

test('documented differences', async (t) => {
	const K = gen.KEYS;
	const nowMs = gen.NOW0;
	const checks = [];
	/* {name, req, expect: {name, message} or fn(reply), js: fn() -> note} */
	const add = (name, req, expect) => checks.push({ name, req: { now: nowMs, ...req }, expect });
	const sign = (key, payload, options) => ({ op: 'sign', key, payload,
						   options: JSON.stringify(options),
						   allowNone: true });
	const verify = (key, token, options = {}) => ({ op: 'verify', key, token,
							options: JSON.stringify(options) });
	const token = (alg, key, payload = '{"a":1}') =>
		gen.craft({ header: gen.hdr(alg), payload, alg, key });

	/* 1. RS/PS/ES signatures spelled with non-zero unused low bits:
	 * jsonwebtoken (Node's base64) accepts them, the engine keeps one
	 * spelling per signature.  (RSA-2048 and P-256 signatures end in a
	 * character with unused bits; P-384 and P-521 ones do not.) */
	for (const [alg, priv, pub] of [['RS256', K.rsa.pkcs1, K.rsa.spki],
					['PS256', K.rsa.pkcs1, K.rsa.spki],
					['PS512', K.rsa.pkcs8, K.rsa.pkcs1pub],
					['ES256', K.p256.sec1, K.p256.spki]]) {
		const tok = token(alg, priv);
		const i = tok.length - 1;
		const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
		const v = B64.indexOf(tok[i]);
		const unused = { 2: 4, 3: 2 }[tok.split('.')[2].length % 4];
		const odd = tok.slice(0, i) + B64[v | 1];

		assert.ok(unused && (v & 1) === 0, 'the last character carries unused bits');
		assert.deepStrictEqual(jwt.verify(odd, pub), { a: 1 },
				       'jsonwebtoken accepts the other spelling');
		add(`${alg} signature with non-zero unused bits`, verify(pub, odd),
		    { name: 'JsonWebTokenError', message: 'invalid signature' });
		add(`${alg} canonical signature still verifies`, verify(pub, tok),
		    (r) => r.ok === true);
	}

	/* 2. allowInvalidAsymmetricKeyTypes: true does not switch the key
	 * checks off. */
	add('sign RS256 with an EC key, allowInvalidAsymmetricKeyTypes', sign(
		K.p256.sec1, '{"a":1}', { algorithm: 'RS256',
					   allowInvalidAsymmetricKeyTypes: true }),
	    { name: 'Error', message: '"alg" parameter for "ec" key type must be one of: ES256, ES384, ES512.' });
	add('verify ES384 with a P-256 key, allowInvalidAsymmetricKeyTypes', verify(
		K.p256.spki, token('ES384', K.p384.sec1),
		{ algorithms: ['ES384'], allowInvalidAsymmetricKeyTypes: true }),
	    { name: 'Error', message: '"alg" parameter "ES384" requires curve "secp384r1".' });
	add('verify RS256 with an EC key, allowInvalidAsymmetricKeyTypes', verify(
		K.p256.spki, token('RS256', K.rsa.pkcs1),
		{ algorithms: ['RS256'], allowInvalidAsymmetricKeyTypes: true }),
	    { name: 'Error', message: '"alg" parameter for "ec" key type must be one of: ES256, ES384, ES512.' });

	/* 3. clockTolerance must be a number (jsonwebtoken would add a
	 * string to the clock with `+`). */
	for (const tol of ['5', true, [], {}])
		add(`clockTolerance ${JSON.stringify(tol)}`, verify('secret',
			token('HS256', 'secret'), { clockTolerance: tol }),
		    { name: 'TypeError', message: 'clockTolerance must be a number' });

	/* 4. RegExp audiences cannot cross JSON: one arrives as {} and
	 * matches nothing. */
	assert.deepStrictEqual(jwt.verify(token('HS256', 'secret', '{"aud":"abc"}'),
					  'secret', { audience: /^a/ }), { aud: 'abc' });
	add('RegExp audience (as JSON: {})', verify('secret',
		token('HS256', 'secret', '{"aud":"abc"}'),
		JSON.parse(JSON.stringify({ audience: [/^a/] }))),
	    { name: 'JsonWebTokenError', message: 'jwt audience invalid. expected: [object Object]' });

	/* 5. payload encodings other than utf8 and latin1 */
	for (const enc of ['hex', 'base64', 'ucs2', 'utf16le', 'ascii8'])
		add(`encoding ${enc}`, sign('secret', '{"a":1}', { encoding: enc }),
		    { name: 'Error', message: '"encoding" must be utf8 or latin1 for agauthd' });

	/* 6. RSA keys below 2048 bits are refused outright */
	const small = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
	const smallPriv = small.privateKey.export({ type: 'pkcs1', format: 'pem' });
	const smallPub = small.publicKey.export({ type: 'spki', format: 'pem' });
	const smallTok = jwt.sign({ a: 1 }, smallPriv, { algorithm: 'RS256',
							 allowInsecureKeySizes: true });
	for (const [what, req] of [
		['sign', sign(smallPriv, '{"a":1}', { algorithm: 'RS256', allowInsecureKeySizes: true })],
		['verify', verify(smallPub, smallTok)]])
		add(`RSA-1024 key (${what})`, req, (r) => !r.ok && r.name === 'AgauthError' &&
		    r.message === 'RSA keys must have 2048 to 8192 bits, this one has 1024');

	/* 7. PEM text is a key or an error, never an HMAC secret: Node
	 * verifies with a certificate, and takes a public key's text (to
	 * sign with) or text that only looks like PEM as a secret */
	const cert = fs.readFileSync(path.join(ROOT, 'tests', 'vectors', 'keys',
					       'rsa2048.cert.pem'), 'utf8');
	const never = 'PEM text is never taken as an HMAC secret';
	assert.deepStrictEqual(jwt.verify(token('RS256', K.rsa.pkcs1), cert), { a: 1 });
	for (const opts of [{}, { algorithms: ['RS256'] }])
		add(`certificate as a verification key ${JSON.stringify(opts)}`,
		    verify(cert, token('RS256', K.rsa.pkcs1), opts),
		    { name: 'AgauthError', message: 'a certificate is not a key: give its public ' +
		      `key (openssl x509 -pubkey -noout -in FILE); ${never}` });
	const forged = jwt.sign({ a: 1 }, K.rsa.spki, { algorithm: 'HS256' });
	assert.strictEqual(forged.split('.').length, 3, 'jsonwebtoken signs with a public key\'s text');
	for (const [alg, pub] of [['HS256', K.rsa.spki], ['HS512', K.p256.spki], ['RS256', K.rsa.pkcs1pub]])
		add(`sign ${alg} with a public key`, sign(pub, '{"a":1}', { algorithm: alg }),
		    { name: 'AgauthError', message: `a public key cannot sign: give the private key (${never})` });
	const looksPem = '-----BEGIN not a key-----';
	assert.strictEqual(jwt.verify(jwt.sign({ a: 1 }, looksPem), looksPem).a, 1);
	for (const req of [sign(looksPem, '{"a":1}', {}), verify(looksPem, token('HS256', looksPem)),
			   verify(K.rsa.spki.slice(0, 100), token('HS256', 'secret'))])
		add(`PEM-looking text as a secret (${req.op})`, req,
		    { name: 'AgauthError', message: 'PEM text that holds no RSA or EC key agauthd ' +
		      `can read (damaged, encrypted, or another kind of key); ${never}` });

	/* 8. "__proto__" in a payload: jsonwebtoken's validatePayload finds
	 * Object.prototype under that name and throws; the engine refuses
	 * it the same way (so sign no longer differs), and verify hands the
	 * member back as JSON.parse makes it */
	const protoPayload = '{"__proto__":{"x":1},"a":1}';
	assert.throws(() => jwt.sign(JSON.parse(protoPayload), 'secret'),
		      { name: 'TypeError', message: 'validator.isValid is not a function' });
	for (const mutatePayload of [false, true])
		add(`sign a payload key "__proto__" (mutatePayload ${mutatePayload})`,
		    sign('secret', protoPayload, { mutatePayload }),
		    { name: 'TypeError', message: 'validator.isValid is not a function' });
	add('verify a payload key "__proto__"', verify('secret', gen.craft({
		header: gen.hdr('HS256'), payload: protoPayload, alg: 'HS256', key: 'secret' })),
	    (r) => r.ok && r.kind === 'json' && unb64(r.payload, 'utf8') === protoPayload);

	/* 9. JSON deeper than 32 levels or with more than 1024 values */
	const deep = '['.repeat(33) + ']'.repeat(33);
	const wide = '[' + Array(1100).fill('0').join(',') + ']';
	for (const [what, body] of [['deep', deep], ['wide', wide]]) {
		add(`sign a ${what} payload`, sign('secret', `{"v":${body}}`, {}),
		    (r) => !r.ok && r.name === 'AgauthError' && /^payload exceeds/.test(r.message));
		add(`verify a ${what} payload`, verify('secret', gen.craft({
			header: gen.hdr('HS256'), payload: `{"v":${body}}`, alg: 'HS256', key: 'secret' })),
		    { name: 'JsonWebTokenError', message: 'jwt JSON too deeply nested or too complex' });
	}

	/* 10. tokens longer than 16384 bytes */
	const big = gen.craft({ header: gen.hdr('HS256'), alg: 'HS256', key: 'secret',
				payload: JSON.stringify({ pad: 'x'.repeat(13000) }) });
	assert.ok(big.length > 16384);
	add('token over 16384 bytes', verify('secret', big),
	    { name: 'JsonWebTokenError', message: 'jwt too large' });

	/* 11. a payload iat later than the second of signing: jsonwebtoken
	 * keeps it; agauthd signs nothing a subject revocation could miss */
	const sec = Math.floor(nowMs / 1000);
	for (const iat of [99999999999, sec + 1, sec + 0.5]) {
		const p = JSON.stringify({ sub: 'alice', iat });
		assert.strictEqual(atClock(nowMs, () => jwt.decode(jwt.sign(JSON.parse(p), 'secret')).iat).value, iat);
		add(`sign with iat ${iat}`, sign('secret', p, {}), iatRefusal({ op: 'sign', payload: p, options: '{}', now: nowMs }));
	}
	add('sign with iat at the second of signing', sign('secret', JSON.stringify({ iat: sec }), {}),
	    (r) => r.ok === true);

	const replies = await drive(checks.map((ch) => ch.req));
	const failed = [];

	checks.forEach((ch, i) => {
		const r = replies[i];
		const ok = typeof ch.expect === 'function' ? ch.expect(r) :
			   !r.ok && r.name === ch.expect.name && r.message === ch.expect.message;

		if (!ok)
			failed.push(`${ch.name}: expected ${typeof ch.expect === 'function' ?
				ch.expect.toString() : JSON.stringify(ch.expect)}, got ${JSON.stringify(r)}`);
	});
	t.diagnostic(`${checks.length} documented differences checked`);
	assert.deepStrictEqual(failed, []);
});
