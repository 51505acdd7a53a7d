#!/usr/bin/env python3
"""syscalls.py UNIT TRACE BINARY - are the system calls agauthd made (an
`strace -f` log, from the execve of BINARY on) all allowed by the
SystemCallFilter= lines of UNIT?

The filter is built the way systemd builds it: the first line decides
allow-list or deny-list; after it, plain lines add to an allow list and
~lines take away from it.  Groups (@system-service, ...) are expanded with
`systemd-analyze syscall-filter`, nested groups included.  Prints the calls
seen and exits 1 if any is outside the filter.
"""
import re
import subprocess
import sys


def groups():
    out = subprocess.run(['systemd-analyze', 'syscall-filter'], check=True,
                         capture_output=True, text=True).stdout
    g, cur = {}, None
    for line in out.splitlines():
        s = line.strip()
        if not s or s.startswith('#'):
            continue
        if not line[0].isspace() and s.startswith('@'):
            cur = g.setdefault(s, [])
        elif cur is not None:
            cur.append(s)
    return g


def expand(items, g, seen=None):
    seen = seen if seen is not None else set()
    out = set()
    for it in items:
        if it.startswith('@'):
            if it in seen:
                continue
            seen.add(it)
            if it not in g:
                sys.exit(f'unknown group {it}')
            out |= expand(g[it], g, seen)
        else:
            out.add(it)
    return out


def allowed(unit, g):
    allow = None
    for line in open(unit):
        m = re.match(r'\s*SystemCallFilter=(.*)$', line)
        if not m:
            continue
        v = m.group(1).strip()
        deny = v.startswith('~')
        names = expand(v.lstrip('~').split(), g)
        if allow is None:
            if deny:
                sys.exit('a deny-list filter: this check wants an allow list')
            allow = names
        elif deny:
            allow -= names
        else:
            allow |= names
    if allow is None:
        sys.exit(f'{unit}: no SystemCallFilter=')
    return allow


def traced(trace, binary):
    calls, started = set(), False
    call = re.compile(r'^\d+\s+([a-z_0-9]+)\(')
    for line in open(trace, errors='replace'):
        if not started:
            started = re.match(r'^\d+\s+execve\("' + re.escape(binary) + '"',
                               line) is not None and ' = 0' in line
            continue
        m = call.match(line)
        if m:
            calls.add(m.group(1))
    if not started:
        sys.exit(f'{trace}: no execve of {binary}')
    return calls


def main():
    unit, trace, binary = sys.argv[1:4]
    allow = allowed(unit, groups())
    seen = traced(trace, binary)
    outside = sorted(seen - allow)
    print(f'{len(seen)} distinct system calls: {" ".join(sorted(seen))}')
    if outside:
        print(f'outside SystemCallFilter=: {" ".join(outside)}')
        return 1
    print(f'# {len(seen)} distinct system calls under a workload, '
          'all in SystemCallFilter=')
    return 0


if __name__ == '__main__':
    sys.exit(main())
