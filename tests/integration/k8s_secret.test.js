'use strict';
/*
 * Keys from a Kubernetes Secret volume, and the keyring from a ConfigMap
 * volume, as the kubelet writes them (its AtomicWriter): each volume's
 * files in a timestamped directory, `..data` a link to it, and every file
 * a link `NAME -> ..data/NAME`; files root's, mode 0440 (Secret,
 * defaultMode 0400 with fsGroup) or 0444 (ConfigMap), their group the
 * pod's fsGroup, which the daemon has as a supplementary group.  An update
 * writes a new timestamped directory, points `..data_tmp` at it, renames
 * that over `..data` and removes the old directory.
 *
 * agauthd runs as nobody with gid `daemon` and the supplementary group
 * nogroup (the fsGroup): it starts from the volumes, picks up an update
 * with `agauthctl reload`, and refuses every link the kubelet does not
 * make, keeping the running keyring.  (A link swapped while it is read:
 * tests/unit/test_keyring.c, where the race can be run thousands of
 * times.)
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');

const jwt = require('jsonwebtoken');

const h = require('./harness');

const IS_ROOT = process.getuid() === 0;
const NOBODY = IS_ROOT ? Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })) : 65534;
const FS_GROUP = IS_ROOT ? Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' })) : 65534;
const RUN_GID = 1;      /* `daemon`: not the files' group */
const OTHER_UID = 1;

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/* One volume the kubelet's way: files { name: text } at stamp, mode. */
class Volume {
	constructor(dir, mode) {
		this.dir = dir;
		this.mode = mode;
		this.stamp = null;
		fs.mkdirSync(dir, { mode: 0o755 });
		fs.chownSync(dir, 0, FS_GROUP);
		fs.chmodSync(dir, 0o2755);
	}

	/* a new timestamped directory with files, ..data switched to it
	 * atomically, links for new names, the old directory removed */
	write(stamp, files) {
		const ts = path.join(this.dir, stamp);
		fs.mkdirSync(ts);
		fs.chownSync(ts, 0, FS_GROUP);
		fs.chmodSync(ts, 0o2755);
		for (const [name, text] of Object.entries(files)) {
			const f = path.join(ts, name);
			fs.writeFileSync(f, text);
			fs.chownSync(f, 0, FS_GROUP);
			fs.chmodSync(f, this.mode);
		}
		const tmp = path.join(this.dir, '..data_tmp');
		fs.symlinkSync(stamp, tmp);
		fs.renameSync(tmp, path.join(this.dir, '..data'));
		for (const name of Object.keys(files))
			if (!fs.existsSync(path.join(this.dir, name)))
				fs.symlinkSync(path.join('..data', name), path.join(this.dir, name));
		if (this.stamp)
			fs.rmSync(path.join(this.dir, this.stamp), { recursive: true });
		this.stamp = stamp;
	}

	file(name) {
		return path.join(this.dir, name);
	}
}

const keyringText = (secret, primary, names) => names.map((n) => `[key ${n}]\nfile = ${secret.file(`${n}.key`)}\n` +
	`encoding = base64\nalgorithm = HS256\nstate = ${n === primary ? 'primary' : 'verify'}\n`).join('\n');

function reload(env) {
	const r = spawnSync(path.resolve(h.ROOT, process.env.AGAUTHCTL || 'build/agauthctl'),
			    ['--socket', env.sock, 'reload'], { encoding: 'utf8', timeout: 20000 });
	return { status: r.status, out: r.stdout + r.stderr };
}

test('keys from a Secret volume and the keyring from a ConfigMap volume, as mounted: start, update, reload, attacks refused', { timeout: h.TEST_TIMEOUT, skip: IS_ROOT ? false : 'needs root (files of root in another group, another user)' }, async (t) => {
	const hs1 = Buffer.alloc(32, 1);
	const hs2 = Buffer.alloc(32, 2);
	const b64 = (b) => `${b.toString('base64')}\n`;
	const dir = h.tmpdir('k8s');
	const state = path.join(dir, 'state');
	const env = h.setup({ dir, conf: { daemon: { state_dir: state } } });
	fs.chownSync(env.dir, NOBODY, RUN_GID);
	const secret = new Volume(path.join(env.dir, 'secret'), 0o440);
	const config = new Volume(path.join(env.dir, 'config'), 0o444);
	secret.write('..2026_12_07_10_00_00.123456789', { 'hs1.key': b64(hs1) });
	config.write('..2026_12_07_10_00_00.123456790', { 'keyring.conf': keyringText(secret, 'hs1', ['hs1']) });
	/* agauthd.conf names the ConfigMap's link */
	const conf = fs.readFileSync(env.conf, 'utf8').replace(/^keyring = .*$/m, `keyring = ${config.file('keyring.conf')}`);
	fs.writeFileSync(env.conf, conf);
	fs.chmodSync(env.conf, 0o644);

	const o = h.forOthers();
	const d = await h.Daemon.start(env, { argv: ['setpriv', `--reuid=${NOBODY}`, `--regid=${RUN_GID}`,
						  `--groups=${FS_GROUP}`, o.agauthd, '-c', env.conf], env: o.env });
	t.after(() => d.cleanup());
	const c = await d.client();
	const t1 = h.ok(await c.call('sign', { payload: '{"u":1}' }), 'sign from the Secret').token;
	assert.strictEqual(jwt.verify(t1, hs1).u, 1);
	assert.strictEqual(h.decodeToken(t1).header.kid, 'hs1');

	/* the kubelet's update of both volumes: hs2 joins and signs */
	secret.write('..2026_12_07_11_00_00.000000001', { 'hs1.key': b64(hs1), 'hs2.key': b64(hs2) });
	config.write('..2026_12_07_11_00_00.000000002', { 'keyring.conf': keyringText(secret, 'hs2', ['hs1', 'hs2']) });
	const r = reload(env);
	assert.strictEqual(r.status, 0, `agauthctl reload: ${r.out}`);
	assert.strictEqual(h.ok(await c.call('stats')).generation, 2);
	const t2 = h.ok(await c.call('sign', { payload: '{"u":2}' })).token;
	assert.strictEqual(jwt.verify(t2, hs2).u, 2);
	h.ok(await c.call('verify', { token: t1 }), 'the token of before the update');

	/* each link the kubelet does not make, on hs2's: refused by the
	 * reload, which names the file and why; the keyring stays */
	const link = secret.file('hs2.key');
	const target = () => path.join(secret.dir, secret.stamp, 'hs2.key');
	const outside = path.join(env.dir, 'outside.key');
	fs.writeFileSync(outside, b64(Buffer.alloc(32, 9)), { mode: 0o600 });
	fs.chownSync(outside, NOBODY, RUN_GID);
	const relink = (to) => {
		fs.unlinkSync(link);
		fs.symlinkSync(to, link);
	};
	const attacks = [
		['a link out of the volume', () => relink(outside),
		 `a symbolic link to ${esc(fs.realpathSync(outside))}, outside ${esc(fs.realpathSync(secret.dir))}: a key file's link must stay inside its directory`],
		['a link out by ..', () => relink('../outside.key'), 'a symbolic link to .*/outside\\.key, outside '],
		['a link loop', () => {
			fs.symlinkSync('hs2.key', secret.file('loop.key'));
			relink('loop.key');
		}, 'its symbolic links loop'],
		['a link to a directory', () => relink('..data'), 'not a regular file'],
		['a target its group may write (0460)', () => fs.chmodSync(target(), 0o460), 'readable by group or others \\(mode 0460\\); chmod 600 it'],
		/* one who is not root could rewrite it */
		['a target of another user, 0440 in agauthd\'s group', () => fs.chownSync(target(), OTHER_UID, FS_GROUP),
		 'readable by group or others \\(mode 0440\\); chmod 600 it \\(mode 0440 only if root owns it'],
		/* a Secret without defaultMode: 0644, anyone in the pod may read
		 * it (root's 0440 in a group agauthd is not in: it cannot read
		 * it at all; test_keyring.c, as root) */
		['a target of the Secret default mode 0644', () => fs.chmodSync(target(), 0o644),
		 'readable by group or others \\(mode 0644\\); chmod 600 it'],
	];
	for (const [what, spoil, why] of attacks) {
		spoil();
		const bad = reload(env);
		assert.notStrictEqual(bad.status, 0, `${what}: reload went through`);
		assert.match(bad.out, new RegExp(`${esc(link)}: ${why}`), what);
		assert.strictEqual(h.ok(await c.call('stats')).generation, 2, `${what}: the keyring changed`);
		assert.strictEqual(jwt.verify(h.ok(await c.call('sign', { payload: '{"u":3}' })).token, hs2).u, 3, what);
		/* repaired as the kubelet would */
		relink(path.join('..data', 'hs2.key'));
		fs.rmSync(secret.file('loop.key'), { force: true });
		fs.chownSync(target(), 0, FS_GROUP);
		fs.chmodSync(target(), 0o440);
	}
	assert.strictEqual(reload(env).status, 0, 'repaired');
	assert.strictEqual(h.ok(await c.call('stats')).generation, 3);
	await d.stop();
});
