'use strict';
/*
 * 8. A failed reload changes nothing: the old keyring keeps signing and
 * verifying, the error names the file and the reason; SIGHUP likewise.
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const jwt = require('jsonwebtoken');

const h = require('./harness');

test('a failed reload keeps the old keyring (reload op and SIGHUP)', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ keys: [
		{ name: 'hs1', type: 'hs256', state: 'primary' },
		{ name: 'es1', type: 'p256', state: 'verify' },
	] });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const hsTok = h.ok(await c.call('sign', { payload: '{"who":"hs"}', opts: '{"expiresIn":"1h"}' })).token;
	const esTok = jwt.sign({ who: 'es' }, env.keys.es1.pem, { algorithm: 'ES256', keyid: 'es1', expiresIn: '1h' });
	const generation = async () => h.ok(await c.call('stats')).generation;

	/* sign and verify work exactly as with the first keyring */
	async function unchanged(what) {
		const s = h.ok(await c.call('sign', { payload: '{"n":1}' }), `sign after ${what}`);
		assert.strictEqual(s.kid, 'hs1');
		jwt.verify(s.token, env.keys.hs1.secret);
		assert.strictEqual(h.payloadOf(h.ok(await c.call('verify', { token: hsTok }), `HS verify after ${what}`)).who, 'hs');
		assert.strictEqual(h.payloadOf(h.ok(await c.call('verify', { token: esTok }), `ES verify after ${what}`)).who, 'es');
		const ks = h.ok(await c.call('keys')).keys.map((k) => `${k.name}:${k.state}`);
		assert.deepStrictEqual(ks, ['hs1:primary', 'es1:verify']);
		assert.strictEqual(await generation(), 1, `generation changed by a failed ${what}`);
	}

	const esFile = env.keys.es1.file;
	const esText = fs.readFileSync(esFile);
	const breakages = [
		['a key file mode 0644', () => fs.chmodSync(esFile, 0o644),
		 new RegExp(`${esFile.replace(/[.]/g, '\\.')}: readable by group or others \\(mode 0644\\)`)],
		['a key file with garbage PEM', () => {
			fs.writeFileSync(esFile, '-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n');
			fs.chmodSync(esFile, 0o600);
		}, new RegExp(`${esFile.replace(/[.]/g, '\\.')}: `)],
		['a missing key file', () => fs.unlinkSync(esFile),
		 new RegExp(`${esFile.replace(/[.]/g, '\\.')}: No such file or directory`)],
		['a manifest syntax error', () => fs.appendFileSync(env.keyring, '\n[key broken\n'),
		 new RegExp(`${env.keyring.replace(/[.]/g, '\\.')}:\\d+: `)],
		['an unknown manifest option', () => fs.appendFileSync(env.keyring, '\n[key x]\ncolour = red\n'),
		 new RegExp(`${env.keyring.replace(/[.]/g, '\\.')}:\\d+: unknown option 'colour'`)],
	];
	const manifest = fs.readFileSync(env.keyring);
	const repair = () => {
		fs.writeFileSync(esFile, esText, { mode: 0o600 });
		fs.chmodSync(esFile, 0o600);
		fs.writeFileSync(env.keyring, manifest);
	};

	for (const [what, breakIt, reason] of breakages) {
		breakIt();
		const r = h.fails(await c.call('reload'), 'AG_E_KEYRING', { what: `reload with ${what}` });
		assert.match(r.message, reason, `reload error for ${what}`);
		await unchanged(`reload with ${what}`);

		/* SIGHUP: logged, and the daemon keeps serving the old keyring */
		const before = d.stderr.length;
		d.signal('SIGHUP');
		await h.waitFor(() => /reload failed, keeping generation 1/.test(d.stderr.slice(before)),
				{ timeout: 10000, what: `the failed SIGHUP reload with ${what} logged` });
		assert.match(d.stderr.slice(before), reason);
		assert.ok(d.alive);
		await unchanged(`SIGHUP with ${what}`);
		repair();
	}

	/* repaired, a reload goes through */
	assert.strictEqual(h.ok(await c.call('reload')).generation, 2);
	h.ok(await c.call('verify', { token: esTok }));
	await d.stop();
});

/* Each key file broken in turn - garbage, truncated, a symbolic link,
 * readable by others - under the HS256 primary and under an ES256
 * verify key: the reload op and SIGHUP both keep the running keyring,
 * whose tokens keep verifying, and both say which file and why. */
test('a corrupted, truncated, symlinked or group-readable key file keeps the old keyring', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const crypto = require('node:crypto');
	const env = h.setup({ keys: [
		{ name: 'hs1', type: 'hs256', state: 'primary' },
		{ name: 'es1', type: 'p256', state: 'verify' },
	] });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const hsTok = h.ok(await c.call('sign', { payload: '{"who":"hs"}', opts: '{"expiresIn":"1h"}' })).token;
	const esTok = jwt.sign({ who: 'es' }, env.keys.es1.pem, { algorithm: 'ES256', keyid: 'es1', expiresIn: '1h' });

	async function unchanged(what) {
		const s = h.ok(await c.call('sign', { payload: '{"n":1}' }), `sign after ${what}`);
		assert.strictEqual(s.kid, 'hs1');
		jwt.verify(s.token, env.keys.hs1.secret);
		assert.strictEqual(h.payloadOf(h.ok(await c.call('verify', { token: hsTok }), `HS verify after ${what}`)).who, 'hs');
		assert.strictEqual(h.payloadOf(h.ok(await c.call('verify', { token: esTok }), `ES verify after ${what}`)).who, 'es');
		assert.strictEqual(h.ok(await c.call('stats')).generation, 1, `generation changed by ${what}`);
	}

	const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	const write = (file, bytes) => {
		fs.writeFileSync(file, bytes, { mode: 0o600 });
		fs.chmodSync(file, 0o600);
	};
	/* [what, break it, the reason after "FILE: "] for a key file */
	const outside = path.join(env.dir, 'outside.key');
	const breakages = (file, text) => [
		['overwritten with random bytes', () => write(file, crypto.randomBytes(300)),
		 file.endsWith('.pem') ? /not a key for ES256/ : /not base64/],
		['truncated to nothing', () => write(file, ''),
		 /key material must be 1 to \d+ bytes/],
		/* PEM text is a key or an error, never a secret */
		...(file.endsWith('.pem') ? [['truncated to half', () => write(file, text.subarray(0, text.length >> 1)),
					      /PEM text that holds no RSA or EC key/]] : []),
		['replaced by a symbolic link to a good copy out of its directory', () => {
			write(outside, text);
			fs.unlinkSync(file);
			fs.symlinkSync(outside, file);
		}, /a symbolic link to .*, outside .*: a key file's link must stay inside its directory/],
		['made mode 0644', () => fs.chmodSync(file, 0o644),
		 /readable by group or others \(mode 0644\); chmod 600 it/],
	];

	for (const name of ['hs1', 'es1']) {
		const file = env.keys[name].file;
		const text = fs.readFileSync(file);
		for (const [what, breakIt, reason] of breakages(file, text)) {
			const label = `${name}'s key file ${what}`;
			breakIt();
			const r = h.fails(await c.call('reload'), 'AG_E_KEYRING', { what: `reload with ${label}` });
			assert.match(r.message, new RegExp(`^${esc(file)}: ${reason.source}`), `reload error with ${label}`);
			await unchanged(`the reload op with ${label}`);

			const before = d.stderr.length;
			d.signal('SIGHUP');
			await h.waitFor(() => /reload failed, keeping generation 1: /.test(d.stderr.slice(before)),
					{ timeout: 10000, what: `the failed SIGHUP reload with ${label} logged` });
			const line = d.stderr.slice(before).split('\n').find((l) => /reload failed/.test(l));
			assert.match(line, new RegExp(`keeping generation 1: ${esc(file)}: ${reason.source}`), `log line with ${label}`);
			assert.ok(d.alive);
			await unchanged(`SIGHUP with ${label}`);

			fs.rmSync(file, { force: true });
			fs.rmSync(outside, { force: true });
			write(file, text);
		}
	}
	/* repaired, a reload goes through, with the same keys */
	assert.strictEqual(h.ok(await c.call('reload')).generation, 2);
	h.ok(await c.call('verify', { token: hsTok }));
	h.ok(await c.call('verify', { token: esTok }));
	await d.stop();
});
