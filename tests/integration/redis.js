'use strict';
/*
 * redis.js - a real redis-server (Debian's, 7) in a temporary directory,
 * for the fleet's tests and bench: on a Unix socket, or on loopback TCP
 * too; with requirepass or an ACL user; killed and started again, with
 * its data (appendonly, fsync always) or empty.
 *
 *   const r = await Redis.start({ tcp: true, password: 'pw' });
 *   r.sock, r.port, r.cli('XLEN', 'agauthd:revocations')
 *   await r.kill(); await r.restart();  // same socket, same port
 *   await r.stop();
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const h = require('./harness');

const REDIS = process.env.REDIS_SERVER || 'redis-server';
const CLI = process.env.REDIS_CLI || 'redis-cli';

/* A free loopback port (free when asked; redis binds it at once). */
function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

class Redis {
	/* tcp: listen on 127.0.0.1 too; persist: appendonly (fsync always)
	 * so that a restart keeps the data; password: requirepass; acl:
	 * {user, password} an ACL user limited to the prefix's keys (the
	 * default user is then off). */
	static async start({ tcp = false, persist = false, password, acl, dir = h.tmpdir('redis') } = {}) {
		const r = new Redis();
		r.dir = dir;
		r.sock = path.join(dir, 'redis.sock');
		r.port = tcp ? await freePort() : 0;
		r.persist = persist;
		r.password = password;
		r.acl = acl;
		await r.spawn();
		return r;
	}

	args() {
		const a = ['--port', String(this.port), '--bind', '127.0.0.1',
			   '--unixsocket', this.sock, '--unixsocketperm', '700',
			   '--dir', this.dir, '--save', '', '--daemonize', 'no',
			   '--logfile', path.join(this.dir, 'redis.log'),
			   '--appendonly', this.persist ? 'yes' : 'no', '--appendfsync', 'always'];
		if (this.password)
			a.push('--requirepass', this.password);
		if (this.acl) {
			const acl = path.join(this.dir, 'users.acl');
			fs.writeFileSync(acl, `user default off\nuser ${this.acl.user} on >${this.acl.password} ~agauthd:* +@all -@dangerous\n`);
			a.push('--aclfile', acl);
		}
		return a;
	}

	async spawn() {
		try { fs.unlinkSync(this.sock); } catch (e) { /* none */ }
		this.proc = spawn(REDIS, this.args(), { stdio: 'ignore' });
		this.exited = new Promise((resolve) => this.proc.on('exit', resolve));
		await h.waitFor(() => this.ping(), { timeout: 10000, what: 'redis-server up' });
	}

	/* redis-cli on the socket, as the admin; the reply's text */
	cli(...args) {
		const auth = this.acl ? ['--user', this.acl.user, '--pass', this.acl.password] :
			this.password ? ['-a', this.password] : [];
		const r = spawnSync(CLI, ['-s', this.sock, '--no-auth-warning', ...auth, ...args],
				    { encoding: 'utf8', timeout: 10000 });
		return r.status === 0 ? r.stdout.trim() : null;
	}

	ping() {
		return fs.existsSync(this.sock) && this.cli('PING') === 'PONG';
	}

	async kill() {
		if (this.proc.exitCode === null)
			this.proc.kill('SIGKILL');
		await this.exited;
	}

	/* the same socket and port; empty unless it persists */
	async restart() {
		await this.kill();
		await this.spawn();
	}

	async stop() {
		await this.kill();
	}
}

module.exports = { Redis };
