'use strict';
/*
 * 13. The state directory: one agauthd at a time (a second one stops at
 * the lock having changed nothing, and the first one's acknowledged
 * revocations survive a SIGKILL), a revocation log whose last record is
 * damaged refuses the start while only a torn one is cut (and logged),
 * and `agauthd -t` refuses what a start refuses, with the same exit
 * status, without writing anything.
 */
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./harness');

const EX_CONFIG = 78;
const REVOKED = { message: 'jwt revoked' };
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/* inode, mode and bytes of every file under dir */
function snapshot(dir, out = {}, rel = '') {
	/* a walk of its own: Node 18's readdirSync({recursive}) descends
	 * into a socket and fails with ENOTDIR */
	for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
		const name = path.join(rel, e.name);
		const f = path.join(dir, name);
		const st = fs.lstatSync(f);
		out[name] = { ino: st.ino, mode: st.mode, size: st.size,
			      sha: st.isFile() ? crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex') : null };
		if (e.isDirectory())
			snapshot(dir, out, name);
	}
	return out;
}

async function sign(c, payload) {
	return h.ok(await c.call('sign', { payload: JSON.stringify(payload), opts: '{"expiresIn":"1h"}' })).token;
}

/* A daemon that must refuse to start: its exit status and stderr.  One
 * that starts instead is stopped, and the test fails. */
async function refusal(env, argv, what) {
	const d = new h.Daemon(env);
	await d.spawn({ wait: false, argv });
	await h.waitFor(() => !d.alive || /agauthd ready/.test(d.stderr), { timeout: 15000, what: `${what}: an exit` });
	if (d.alive) {
		await d.stop();
		assert.fail(`${what}: agauthd started:\n${d.stderr}`);
	}
	const ex = await d.waitExit();
	return { code: ex.code, stderr: d.stderr };
}

/* A daemon with three tokens signed, a log a start would compact (70
 * lines, one record) and the first token's revocation acknowledged:
 * { env, d, c, tok, before (snapshot), held (the refusal, as a RegExp) } */
async function liveDaemon(t) {
	const env = h.setup();
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	const tok = [];
	for (let i = 0; i < 3; i++)
		tok.push(await sign(c, { sub: `u${i}` }));
	for (let i = 0; i < 70; i++)
		h.ok(await c.call('revoke', { jti: 'again' }));
	h.ok(await c.call('revoke', { token: tok[0] }));
	const lockFile = path.join(env.dir, 'agauthd.lock');
	const held = new RegExp(`${esc(lockFile)}: locked by process ${d.pid}: another agauthd uses the state directory ${esc(env.dir)}; stop it first, or give this one a \\[daemon\\] state_dir of its own`);
	return { env, d, c, tok, before: snapshot(env.dir), held };
}

/* The refusal of a second daemon on conf: exit 78 at the lock, nothing in
 * the state directory changed, no socket made. */
async function refusedAtTheLock(live, conf, what) {
	const r = await refusal(live.env, [h.AGAUTHD, '-c', conf], what);
	assert.deepStrictEqual(snapshot(live.env.dir), live.before, `${what}: the state directory changed`);
	assert.strictEqual(r.code, EX_CONFIG, `${what}: exit ${r.code}\n${r.stderr}`);
	assert.match(r.stderr, live.held, what);
	assert.doesNotMatch(r.stderr, /revocations in force|listening on/, what);
	assert.ok(live.before['agauthd.lock'], 'no lock file');
}

test('a second agauthd on the state directory, on another socket: refused at the lock; the first one\'s acknowledged revocations survive SIGKILL', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const live = await liveDaemon(t);
	const other = h.setup({ conf: { daemon: { state_dir: live.env.dir } } });
	await refusedAtTheLock(live, other.conf, 'another socket');
	assert.ok(!fs.existsSync(other.sock), 'the refused daemon made its socket');
	/* the live daemon goes on appending to its log; what it acknowledges
	 * survives SIGKILL and a restart */
	h.ok(await live.c.call('revoke', { token: live.tok[1] }));
	live.d.signal('SIGKILL');
	await live.d.waitExit(10000);
	let d = await h.Daemon.start(live.env);
	const c = await d.client();
	for (const i of [0, 1])
		h.fails(await c.call('verify', { token: live.tok[i] }), 'AG_E_REVOKED', { ...REVOKED, what: `token ${i}` });
	h.ok(await c.call('verify', { token: live.tok[2] }));
	await d.stop();
	/* the lock is let go at the stop: another start takes it */
	d = await h.Daemon.start(live.env);
	await d.stop();
});

test('a second agauthd with the same configuration: refused at the lock before it compacts the live log', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const live = await liveDaemon(t);
	await refusedAtTheLock(live, live.env.conf, 'same configuration');
	h.ok(await live.c.call('revoke', { token: live.tok[1] }));
	live.d.signal('SIGKILL');
	await live.d.waitExit(10000);
	const d = await h.Daemon.start(live.env);
	const c = await d.client();
	h.fails(await c.call('verify', { token: live.tok[1] }), 'AG_E_REVOKED', REVOKED);
	await d.stop();
});

/* A stopped daemon's log with two records, the last one revoking the
 * token alice and the first bob's subject: { env, log, good, alice, bob } */
async function twoRecords() {
	const env = h.setup();
	const d = await h.Daemon.start(env);
	let alice, bob;
	try {
		const c = await d.client();
		alice = await sign(c, { sub: 'alice' });
		bob = await sign(c, { sub: 'bob' });
		h.ok(await c.call('revoke', { sub: 'bob' }));
		h.ok(await c.call('revoke', { token: alice }));
	} finally {
		await d.stop();
	}
	const log = path.join(env.dir, 'revocations');
	return { env, log, good: fs.readFileSync(log), alice, bob };
}

test('a revocation log whose last record is damaged: -t and the start refuse, naming the line and byte', { timeout: h.TEST_TIMEOUT }, async () => {
	const { env, log, good } = await twoRecords();
	const last = good.lastIndexOf(10, good.length - 2) + 1;
	/* one bit of the last record's value flipped, with and without its
	 * newline */
	const flipped = Buffer.from(good);
	flipped[last + 40] ^= 1;
	for (const [what, bytes] of [['a flipped bit', flipped], ['a flipped bit, no newline', flipped.subarray(0, flipped.length - 1)]]) {
		fs.writeFileSync(log, bytes);
		const damaged = new RegExp(`${esc(log)}: line 2 \\(byte ${last}\\) is damaged: its checksum does not match; agauthd will not start rather than forget a revocation: restore the file from a backup, or delete that line`);
		const r = await refusal(env, [h.AGAUTHD, '-c', env.conf], what);
		assert.strictEqual(r.code, EX_CONFIG, `${what}: exit ${r.code}\n${r.stderr}`);
		assert.match(r.stderr, damaged, what);
		assert.ok(!fs.existsSync(env.sock), `${what}: the socket stayed`);
		assert.deepStrictEqual(fs.readFileSync(log), bytes, `${what}: the log was changed`);
		const check = h.run(['-t', '-c', env.conf]);
		assert.strictEqual(check.status, EX_CONFIG, `${what}, -t: exit ${check.status}\n${check.stderr}`);
		assert.match(check.stderr, damaged, `${what}, -t`);
	}
});

test('a revocation log whose last record lost only its newline keeps it; a torn one is cut, and logged', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const { env, log, good, alice, bob } = await twoRecords();
	/* the whole record without its newline: in force, and mended */
	fs.writeFileSync(log, good.subarray(0, good.length - 1));
	let d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	let c = await d.client();
	h.fails(await c.call('verify', { token: alice }), 'AG_E_REVOKED', REVOKED);
	h.fails(await c.call('verify', { token: bob }), 'AG_E_REVOKED', REVOKED);
	await d.stop();
	assert.deepStrictEqual(fs.readFileSync(log), good);
	assert.match(d.stderr, /the last record lacked its newline; added it/);

	/* a record torn by a crash before its checksum: -t says it will be
	 * cut and leaves it; the start cuts it and says so */
	const torn = Buffer.concat([good, Buffer.from('v1 j 1800000000000 18')]);
	fs.writeFileSync(log, torn);
	const check = h.run(['-t', '-c', env.conf]);
	assert.strictEqual(check.status, 0, check.stderr);
	assert.match(check.stderr, new RegExp(`${esc(log)}: agauthd will cut an incomplete last record \\(21 bytes at byte ${good.length}\\)`));
	assert.match(check.stdout, /2 revocations in force/);
	assert.deepStrictEqual(fs.readFileSync(log), torn, '-t changed the log');
	d = await h.Daemon.start(env);
	assert.match(d.stderr, new RegExp(`${esc(log)}: cutting an incomplete last record \\(21 bytes at byte ${good.length}\\) that a crash in the middle of an append left; it was never acknowledged`));
	c = await d.client();
	h.fails(await c.call('verify', { token: alice }), 'AG_E_REVOKED', REVOKED);
	await d.stop();
	assert.deepStrictEqual(fs.readFileSync(log), good);
});

test('SIGTERM the moment agauthd is started on a long revocation log: it was ready, and stops cleanly', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const { env, log, good } = await twoRecords();
	/* 100,000 lines, every one checked and merged (into two revocations)
	 * and then folded, while the socket, held since the lock, already
	 * takes connections: a start that went by the socket alone came
	 * back with the daemon still loading, before its signal handlers */
	fs.writeFileSync(log, Buffer.concat(new Array(50000).fill(good)));
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	assert.match(d.stderr, /2 revocations in force/);
	await d.stop();
	assert.strictEqual(fs.readFileSync(log, 'latin1').split('\n').length - 1, 2, 'the log was not folded');
});

test('agauthd -t checks the state directory as a start does, exits 78 where it fails, and writes nothing', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	/* a state directory others may write: both refuse */
	fs.chmodSync(env.dir, 0o777);
	const open = new RegExp(`${esc(env.dir)}: writable by others than agauthd \\(mode 0777`);
	const check = h.run(['-t', '-c', env.conf]);
	assert.strictEqual(check.status, EX_CONFIG, check.stderr);
	assert.match(check.stderr, open);
	const r = await refusal(env, [h.AGAUTHD, '-c', env.conf], 'state directory 0777');
	assert.strictEqual(r.code, EX_CONFIG, r.stderr);
	assert.match(r.stderr, open);
	assert.ok(!fs.existsSync(path.join(env.dir, 'agauthd.lock')), 'a file was made in a directory others may write');
	fs.chmodSync(env.dir, 0o755);

	/* beside a running daemon: -t passes, and changes nothing */
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	h.ok(await c.call('revoke', { sub: 'alice' }));
	const before = snapshot(env.dir);
	const again = h.run(['-t', '-c', env.conf]);
	assert.strictEqual(again.status, 0, again.stderr);
	assert.match(again.stdout, new RegExp(`are valid \\(1 key\\); state directory ${esc(env.dir)}: 1 revocation in force`));
	assert.deepStrictEqual(snapshot(env.dir), before);
	await d.stop();

	/* a state directory not there yet: nothing to check, nothing made */
	const fresh = h.setup({ conf: { daemon: { state_dir: 'state' } } });
	const none = h.run(['-t', '-c', fresh.conf]);
	assert.strictEqual(none.status, 0, none.stderr);
	assert.ok(!fs.existsSync(path.join(fresh.dir, 'state')), '-t made the state directory');
});
