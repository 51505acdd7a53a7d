'use strict';
/*
 * 14. systemd notification (sd_notify): a python3 helper plays systemd's
 * notify socket (an AF_UNIX datagram socket; Node has none) and prints
 * each datagram as a JSON line.  agauthd must say READY=1 only once it
 * accepts connections, RELOADING=1 then READY=1 around a SIGHUP reload
 * (good or bad), WATCHDOG=1 while WATCHDOG_USEC is set, and STOPPING=1 on
 * SIGTERM.
 */
const test = require('node:test');
const assert = require('node:assert');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./harness');

const RECEIVER = `
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps('bound'), flush=True)
while True:
    m = s.recv(4096).decode()
    print(json.dumps([m, time.monotonic() * 1000]), flush=True)
`;

/* The helper, with every message it has received in `messages`: {text,
 * at}, at the helper's CLOCK_MONOTONIC in ms when it took it (not when
 * this process read its line, later on a loaded machine). */
async function receiver(sockPath) {
	const proc = spawn('python3', ['-c', RECEIVER, sockPath], { stdio: ['ignore', 'pipe', 'inherit'] });
	const r = { proc, messages: [], bound: false };
	let buf = '';
	proc.stdout.setEncoding('utf8');
	proc.stdout.on('data', (d) => {
		buf += d;
		let i;
		while ((i = buf.indexOf('\n')) >= 0) {
			const m = JSON.parse(buf.slice(0, i));
			buf = buf.slice(i + 1);
			if (m === 'bound')
				r.bound = true;
			else
				r.messages.push({ text: m[0], at: m[1] });
		}
	});
	await h.waitFor(() => r.bound, { timeout: 5000, what: 'the notify receiver' });
	return r;
}

/* The messages (not watchdog pings) from index `from` on. */
const states = (r, from = 0) => r.messages.slice(from).map((m) => m.text).filter((t) => t !== 'WATCHDOG=1');

test('sd_notify: READY once listening, RELOADING/READY around SIGHUP, WATCHDOG, STOPPING', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	const notifySock = path.join(env.dir, 'notify.sock');
	const r = await receiver(notifySock);
	t.after(() => r.proc.kill());
	const d = new h.Daemon(env);
	t.after(() => d.cleanup());
	await d.spawn({ wait: false, env: { NOTIFY_SOCKET: notifySock, WATCHDOG_USEC: '2000000' } });

	await h.waitFor(() => states(r).length > 0, { timeout: 15000, what: 'READY=1' });
	assert.deepStrictEqual(states(r), ['READY=1\nSTATUS=keyring generation 1 live: 1 key, primary hs1']);
	/* READY=1 came after the socket listened: it answers at once */
	const c = await d.client();
	h.ok(await c.call('ping'));

	/* a good reload */
	let seen = r.messages.length;
	d.signal('SIGHUP');
	await h.waitFor(() => states(r, seen).length >= 3, { what: 'RELOADING=1 and READY=1' });
	let got = states(r, seen);
	assert.match(got[0], /^RELOADING=1\nSTATUS=reloading the keyring\nMONOTONIC_USEC=\d+$/);
	const mono = BigInt(/MONOTONIC_USEC=(\d+)/.exec(got[0])[1]);
	const now = process.hrtime.bigint() / 1000n;   /* CLOCK_MONOTONIC on Linux */
	assert.ok(mono <= now && now - mono < 10000000n, `MONOTONIC_USEC ${mono} is not CLOCK_MONOTONIC (now ${now})`);
	/* the swap updates STATUS= (as agauthctl reload and rotate do), then
	 * the reload is over */
	assert.deepStrictEqual(got.slice(1), ['STATUS=keyring generation 2 live: 1 key, primary hs1',
					      'READY=1\nSTATUS=keyring generation 2 live: 1 key, primary hs1']);

	/* a reload that fails: READY=1 all the same, and which generation
	 * still answers */
	fs.writeFileSync(env.keyring, '[key broken]\nfile = keys/none.key\nalgorithm = HS256\nstate = primary\n');
	seen = r.messages.length;
	d.signal('SIGHUP');
	await h.waitFor(() => states(r, seen).length >= 2, { what: 'READY=1 after a failed reload' });
	got = states(r, seen);
	assert.match(got[0], /^RELOADING=1\n/);
	assert.match(got[1], /^READY=1\nSTATUS=reload failed, keyring generation 2 still live: .*none\.key/);
	h.ok(await c.call('ping'));

	/* WATCHDOG_USEC=2 s: a ping every 400 ms or at the next beat, so
	 * typically under a second apart, and never as far apart as the
	 * 2 s after which systemd would kill agauthd (the margin is for a
	 * loaded machine: the helper takes a datagram late, or two at once) */
	const from = r.messages.length;
	const watchdog = () => r.messages.slice(from).filter((m) => m.text === 'WATCHDOG=1').map((m) => m.at);
	await h.waitFor(() => watchdog().length >= 6, { timeout: 15000, what: 'six watchdog pings' });
	const pings = watchdog();
	const gaps = pings.slice(1).map((at, i) => at - pings[i]).sort((a, b) => a - b);
	assert.ok(gaps[gaps.length >> 1] < 1000, `watchdog pings typically ${gaps[gaps.length >> 1]} ms apart: ${gaps}`);
	assert.ok(gaps[gaps.length - 1] < 2000, `watchdog pings ${gaps[gaps.length - 1]} ms apart: ${gaps}`);

	seen = r.messages.length;
	await d.stop();
	await h.waitFor(() => states(r, seen).length >= 1, { what: 'STOPPING=1' });
	assert.deepStrictEqual(states(r, seen), ['STOPPING=1\nSTATUS=stopping']);
});

test('sd_notify: WATCHDOG_PID of another process turns the watchdog off; no NOTIFY_SOCKET, no messages', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	const notifySock = path.join(env.dir, 'notify.sock');
	const r = await receiver(notifySock);
	t.after(() => r.proc.kill());
	const d = new h.Daemon(env);
	t.after(() => d.cleanup());
	await d.spawn({ wait: false, env: { NOTIFY_SOCKET: notifySock, WATCHDOG_USEC: '1000000', WATCHDOG_PID: '1' } });
	await h.waitFor(() => states(r).length > 0, { timeout: 15000, what: 'READY=1' });
	await h.sleep(800);
	assert.ok(!r.messages.some((m) => m.text === 'WATCHDOG=1'), 'the watchdog was for pid 1');
	const ready = r.messages.length;
	await d.stop();
	/* its last message, relayed by the receiver in its own time */
	await h.waitFor(() => states(r, ready).length >= 1, { what: 'STOPPING=1' });
	assert.deepStrictEqual(states(r, ready), ['STOPPING=1\nSTATUS=stopping']);

	/* the same daemon without NOTIFY_SOCKET: nothing arrives */
	const seen = r.messages.length;
	const d2 = new h.Daemon(env);
	t.after(() => d2.cleanup());
	await d2.spawn({ env: { WATCHDOG_USEC: '1000000' } });
	await h.sleep(600);
	await d2.stop();
	assert.strictEqual(r.messages.length, seen);
});
