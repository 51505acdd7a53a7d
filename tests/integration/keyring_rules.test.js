'use strict';
/*
 * keyring_rules.test.js - every rule the keyring loader enforces, at
 * every door a keyring comes in by.  One row per rule: the same bad
 * keyring is
 *
 *   start   refused by a starting agauthd (exit 78, the reason, no socket);
 *   reload  refused by the reload op (AG_E_KEYRING, the reason), and the
 *           running keyring stays: same keys and generation, signs with
 *           its primary, verifies tokens of each of its keys;
 *   SIGHUP  refused likewise (the reason in the log);
 *   rotate  refused when a rotation would produce it (the rule is about a
 *           key file the rotation reads again), leaving the manifest and
 *           keys/ as they were.  Rules about the manifest's text cannot
 *           come from a rotation, which writes the manifest itself from
 *           the live keyring: those rows say so.
 */
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const jwt = require('jsonwebtoken');

const h = require('./harness');

const EX_CONFIG = 78;
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/* the running keyring's material, made once: an HS256 primary and ES256
 * and RS256 verify keys */
const pem = (type, opts) => crypto.generateKeyPairSync(type, opts).privateKey
	.export({ type: 'pkcs8', format: 'pem' });
const MATERIAL = {
	hs1: `${crypto.randomBytes(32).toString('base64')}\n`,
	es1: pem('ec', { namedCurve: 'P-256' }),
	rs1: pem('rsa', { modulusLength: 2048 }),
};
const OTHER = {
	rsa1024: pem('rsa', { modulusLength: 1024 }),
	p384: pem('ec', { namedCurve: 'P-384' }),
	es1Public: crypto.createPublicKey(MATERIAL.es1).export({ type: 'spki', format: 'pem' }),
};

function goodEnv() {
	return h.setup({ keys: [
		{ name: 'hs1', type: 'hs256', state: 'primary', material: MATERIAL.hs1 },
		{ name: 'es1', type: 'p256', state: 'verify', material: MATERIAL.es1 },
		{ name: 'rs1', type: 'rsa2048', state: 'verify', material: MATERIAL.rs1 },
	] });
}

const file = (env, name) => env.keys[name].file;
const write = (f, text, mode = 0o600) => {
	fs.rmSync(f, { recursive: true, force: true });
	fs.writeFileSync(f, text, { mode });
	fs.chmodSync(f, mode);
};
/* the manifest with a section's line changed (or added) */
const manifestSet = (env, name, key, value) => {
	const text = fs.readFileSync(env.keyring, 'utf8');
	const sec = `[key ${name}]\n`;
	const at = text.indexOf(sec) + sec.length;
	const end = text.indexOf('\n\n', at);
	const body = text.slice(at, end).split('\n').filter((l) => !l.startsWith(`${key} =`));

	body.push(`${key} = ${value}`);
	fs.writeFileSync(env.keyring, text.slice(0, at) + body.join('\n') + text.slice(end));
};

/*
 * [rule, spoil(env), reason (a RegExp source after "FILE: " for a key
 * file, or matching the whole message), rotate: whether a rotation reads
 * what spoil changed]
 */
const ROWS = [
	['two primary keys', (env) => manifestSet(env, 'es1', 'state', 'primary'),
	 (env) => `^${esc(env.keyring)}: more than one primary key \\(hs1, es1\\)$`, false],
	['the same kid twice', (env) => manifestSet(env, 'rs1', 'kid', 'es1'),
	 (env) => `^${esc(env.keyring)}: kid 'es1' used twice$`, false],
	['an algorithm agauthd does not know', (env) => manifestSet(env, 'es1', 'algorithm', 'ES257'),
	 (env) => `^${esc(env.keyring)}:\\d+: unknown algorithm 'ES257'$`, false],
	['algorithm none', (env) => manifestSet(env, 'hs1', 'algorithm', 'none'),
	 (env) => `^${esc(env.keyring)}:\\d+: unknown algorithm 'none'$`, false],
	['a bad state', (env) => manifestSet(env, 'es1', 'state', 'sometimes'),
	 (env) => `^${esc(env.keyring)}:\\d+: \\[key es1\\] bad state 'sometimes': want primary, verify or retired$`, false],
	['a bad retire time', (env) => manifestSet(env, 'es1', 'retire', 'soon'),
	 (env) => `^${esc(env.keyring)}:\\d+: \\[key es1\\] bad retire 'soon': want 2026-11-27T10:00:00Z or seconds since the epoch$`, false],
	['a bad activation time', (env) => manifestSet(env, 'es1', 'activate', 'in a while'),
	 (env) => `^${esc(env.keyring)}:\\d+: \\[key es1\\] bad activate 'in a while': want 2026-11-27T10:00:00Z or seconds since the epoch$`, false],
	['an activation on the primary', (env) => manifestSet(env, 'hs1', 'activate', '2030-01-01T00:00:00Z'),
	 (env) => `^${esc(env.keyring)}: \\[key hs1\\] activate: only for a key in state verify without retire`, false],
	['a kid that could be a path', (env) => manifestSet(env, 'es1', 'kid', '../es1'),
	 (env) => `^${esc(env.keyring)}:\\d+: kid must be empty or 1 to 64 of`, false],
	['an unknown option', (env) => manifestSet(env, 'es1', 'colour', 'red'),
	 (env) => `^${esc(env.keyring)}:\\d+: unknown option 'colour'$`, false],
	['a key without a file', (env) => fs.appendFileSync(env.keyring, '[key lone]\nalgorithm = HS256\n'),
	 (env) => `^${esc(env.keyring)}: \\[key lone\\] needs file and algorithm$`, false],
	['a manifest that is not INI', (env) => fs.appendFileSync(env.keyring, '[key broken\n'),
	 (env) => `^${esc(env.keyring)}:\\d+: `, false],
	['more keys than a keyring holds', (env) => fs.appendFileSync(env.keyring, Array.from({ length: 62 },
		(_, i) => `[key x${i}]\nfile = keys/hs1.key\nencoding = base64\nalgorithm = HS256\n`).join('\n')),
	 (env) => `^${esc(env.keyring)}:\\d+: more than 64 keys$`, false],
	['a primary that holds only a public key', (env) => {
		manifestSet(env, 'es1', 'state', 'primary');
		manifestSet(env, 'hs1', 'state', 'verify');
		write(file(env, 'es1'), OTHER.es1Public);
	}, (env) => `^${esc(file(env, 'es1'))}: a public key cannot sign: give the private key \\(PEM text is never taken as an HMAC secret\\) \\[key es1\\]$`, false],
	['an RSA key under ES256', (env) => write(file(env, 'es1'), MATERIAL.rs1),
	 (env) => `^${esc(file(env, 'es1'))}: not a key for ES256 \\[key es1\\]$`, true],
	['a P-384 key under ES256', (env) => write(file(env, 'es1'), OTHER.p384),
	 (env) => `^${esc(file(env, 'es1'))}: not a key for ES256 \\[key es1\\]$`, true],
	['an EC key under RS256', (env) => write(file(env, 'rs1'), MATERIAL.es1),
	 (env) => `^${esc(file(env, 'rs1'))}: not a key for RS256 \\[key rs1\\]$`, true],
	['a PEM key under HS256', (env) => {
		manifestSet(env, 'rs1', 'algorithm', 'HS256');
		manifestSet(env, 'rs1', 'encoding', 'raw');
	}, (env) => `^${esc(file(env, 'rs1'))}: not a key for HS256 \\[key rs1\\]$`, false],
	['an HMAC secret under RS256', (env) => {
		write(file(env, 'rs1'), MATERIAL.hs1);
		manifestSet(env, 'rs1', 'encoding', 'base64');
	}, (env) => `^${esc(file(env, 'rs1'))}: not a key for RS256 \\[key rs1\\]$`, false],
	['an RSA key of 1024 bits', (env) => write(file(env, 'rs1'), OTHER.rsa1024),
	 (env) => `^${esc(file(env, 'rs1'))}: RSA keys must have 2048 to 8192 bits, this one has 1024 \\[key rs1\\]$`, true],
	['an HMAC secret of no bytes', (env) => write(file(env, 'hs1'), ''),
	 (env) => `^${esc(file(env, 'hs1'))}: key material must be 1 to \\d+ bytes \\[key hs1\\]$`, true],
	['a base64 key file that is not base64', (env) => write(file(env, 'hs1'), 'not*base64!'),
	 (env) => `^${esc(file(env, 'hs1'))}: not base64$`, true],
	['a key file readable by others (0644)', (env) => fs.chmodSync(file(env, 'es1'), 0o644),
	 (env) => `^${esc(file(env, 'es1'))}: readable by group or others \\(mode 0644\\); chmod 600 it$`, true],
	['a key file readable by its group (0640)', (env) => fs.chmodSync(file(env, 'hs1'), 0o640),
	 (env) => `^${esc(file(env, 'hs1'))}: readable by group or others \\(mode 0640\\); chmod 600 it$`, true],
	['a key file writable by its group (0620)', (env) => fs.chmodSync(file(env, 'rs1'), 0o620),
	 (env) => `^${esc(file(env, 'rs1'))}: writable by group or others \\(mode 0620\\); chmod 600 it$`, true],
	['a key file owned by another user', (env) => fs.chownSync(file(env, 'es1'), 65534, 65534),
	 (env) => `^${esc(file(env, 'es1'))}: owned by nobody \\(uid 65534\\), but this agauthd runs as root and only reads files owned by root or by the user it runs as; if the service runs as nobody, check as that user: runuser -u nobody -- agauthd -t$`, true],
	['a key file that is a symbolic link out of its directory', (env) => {
		const f = file(env, 'es1');
		const real = path.join(env.dir, 'es1.real');

		fs.renameSync(f, real);
		fs.symlinkSync(real, f);
	}, (env) => `^${esc(file(env, 'es1'))}: a symbolic link to ${esc(fs.realpathSync(env.dir))}/es1\\.real, outside ${esc(fs.realpathSync(path.dirname(file(env, 'es1'))))}: a key file's link must stay inside its directory \\(as a Kubernetes Secret's do\\); copy the key there$`, true],
	['a key file that is a directory', (env) => {
		fs.rmSync(file(env, 'rs1'));
		fs.mkdirSync(file(env, 'rs1'), { mode: 0o700 });
	}, (env) => `^${esc(file(env, 'rs1'))}: not a regular file$`, true],
	['a key file larger than 16 KiB', (env) => write(file(env, 'hs1'), 'A'.repeat(16385)),
	 (env) => `^${esc(file(env, 'hs1'))}: larger than 16384 bytes$`, true],
	['a missing key file', (env) => fs.rmSync(file(env, 'es1')),
	 (env) => `^${esc(file(env, 'es1'))}: No such file or directory$`, true],
	['a missing manifest', (env) => fs.rmSync(env.keyring),
	 (env) => `^${esc(env.keyring)}: cannot read: No such file or directory$`, false],
];

/* What the running daemon answers, for "nothing changed". */
async function state(c) {
	const keys = h.ok(await c.call('keys'), 'keys');

	return { generation: keys.generation,
		 keys: keys.keys.map((k) => `${k.name}/${k.kid}/${k.alg}/${k.state}/${k.retire}`) };
}

/* The files a rotation writes or reads, for "nothing changed". */
function files(env) {
	const kdir = path.join(env.dir, 'keys');

	return { manifest: fs.existsSync(env.keyring) ? fs.readFileSync(env.keyring, 'utf8') : null,
		 keys: fs.readdirSync(kdir).sort(), next: fs.existsSync(`${env.keyring}.new`) };
}

test('each keyring rule is enforced at start, reload, SIGHUP and rotate', { timeout: 4 * h.TEST_TIMEOUT }, async (t) => {
	const env = goodEnv();
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const tokens = {
		hs1: h.ok(await c.call('sign', { payload: '{"who":"hs1"}', opts: '{"expiresIn":"1h"}' })).token,
		es1: jwt.sign({ who: 'es1' }, MATERIAL.es1, { algorithm: 'ES256', keyid: 'es1', expiresIn: '1h' }),
		rs1: jwt.sign({ who: 'rs1' }, MATERIAL.rs1, { algorithm: 'RS256', keyid: 'rs1', expiresIn: '1h' }),
	};
	const before = await state(c);
	const pristine = files(env);
	assert.deepStrictEqual(before.keys.map((k) => k.split('/')[3]), ['primary', 'verify', 'verify']);

	/* the running keyring, whole and still in charge */
	async function unchanged(what) {
		assert.deepStrictEqual(await state(c), before, `keys or generation changed by ${what}`);
		const s = h.ok(await c.call('sign', { payload: '{"n":1}' }), `sign after ${what}`);
		assert.strictEqual(s.kid, 'hs1', `signed after ${what} with ${s.kid}`);
		jwt.verify(s.token, Buffer.from(MATERIAL.hs1.trim(), 'base64'));
		for (const [name, token] of Object.entries(tokens))
			assert.strictEqual(h.payloadOf(h.ok(await c.call('verify', { token }), `${name}'s token after ${what}`)).who, name);
	}

	for (const [rule, spoil, reasonOf, rotates] of ROWS) {
		await t.test(rule, async () => {
			/* start: a fresh directory with the same damage */
			const fresh = goodEnv();
			spoil(fresh);
			const reason = new RegExp(reasonOf(fresh));
			const r = h.run(['-c', fresh.conf], { timeout: h.slow(10000) });
			assert.strictEqual(r.status, EX_CONFIG, `start with ${rule}: exit ${r.status}, ${r.stderr}`);
			const line = r.stderr.split('\n').find((l) => / agauthd error: /.test(l)) || '';
			assert.match(line.replace(/^.* agauthd error: /, ''), reason, `start with ${rule}: ${r.stderr}`);
			assert.ok(!fs.existsSync(fresh.sock), `start with ${rule}: the socket was made`);

			/* the running daemon's own keyring, damaged the same way */
			spoil(env);
			const message = new RegExp(reasonOf(env));
			const re = h.fails(await c.call('reload'), 'AG_E_KEYRING', { message, what: `reload with ${rule}` });
			assert.ok(re);
			await unchanged(`a reload with ${rule}`);

			const logged = d.stderr.length;
			d.signal('SIGHUP');
			await h.waitFor(() => /reload failed, keeping generation \d+: /.test(d.stderr.slice(logged)),
					{ timeout: 10000, what: `the failed SIGHUP reload with ${rule} logged` });
			const hup = d.stderr.slice(logged).split('\n').find((l) => /reload failed/.test(l));
			assert.match(hup.replace(/^.*reload failed, keeping generation \d+: /, ''), message,
				     `SIGHUP with ${rule}: ${hup}`);
			await unchanged(`SIGHUP with ${rule}`);

			if (rotates) {
				const spoilt = files(env);
				h.fails(await c.call('rotate'), 'AG_E_KEYRING', { message, what: `rotate with ${rule}` });
				assert.deepStrictEqual(files(env), spoilt, `rotate with ${rule} left files behind or changed`);
				await unchanged(`a rotate with ${rule}`);
			}

			/* repaired: the good keyring's files again */
			for (const name of Object.keys(MATERIAL)) {
				fs.rmSync(`${file(env, name)}.real`, { force: true });
				write(file(env, name), MATERIAL[name]);
			}
			fs.writeFileSync(env.keyring, pristine.manifest);
			assert.deepStrictEqual(files(env), pristine);
		});
	}

	/* and a good keyring still goes live by each door */
	assert.strictEqual(h.ok(await c.call('reload')).generation, before.generation + 1);
	d.signal('SIGHUP');
	await h.waitFor(async () => (await state(c)).generation === before.generation + 2,
			{ timeout: 10000, what: 'the SIGHUP reload' });
	const rot = h.ok(await c.call('rotate'), 'rotate');
	assert.strictEqual(rot.generation, before.generation + 3);
	for (const [name, token] of Object.entries(tokens))
		h.ok(await c.call('verify', { token }), `${name}'s token after the good reloads`);
	await d.stop();
});
