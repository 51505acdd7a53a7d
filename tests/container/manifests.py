#!/usr/bin/env python3
"""manifests.py - the container recipes agree with each other and with
agauthd's configuration (there is no docker or Kubernetes here to try
them).

    manifests.py CHECK      CHECK: parse, pod, compose, image

parse    every manifest under deploy/ parses (YAML), with the kinds each
         file should hold
pod      deploy/kubernetes/pod.yaml: every mount names a volume and every
         volume is mounted; agauthd's container mounts the socket, state,
         keys (a Secret, mode 0400, read-only, in its container alone) and
         keyring (a ConfigMap) where deploy/agauthd.conf says; the app
         mounts the socket's volume where its AGAUTHD_SOCKET points; the
         securityContext: runAsNonRoot, readOnlyRootFilesystem, ALL
         capabilities dropped, no privilege escalation, fsGroup the
         image's group; the image tagged with VERSION
compose  deploy/docker-compose.yml: the socket's volume at the same path in
         agauthd and the app, AGAUTHD_SOCKET matching, the app in the
         image's group, the keys volume read-only, a memlock limit that
         covers agauthd's need, read_only and cap_drop ALL
image    the Dockerfile's user, volumes and files agree with
         deploy/agauthd.conf; the ConfigMap's keyring is the image's
Exits 1 with what disagrees.
"""
import configparser
import os
import re
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
DEPLOY = os.path.join(ROOT, 'deploy')


def load(rel):
    with open(os.path.join(DEPLOY, rel), encoding='utf-8') as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def conf():
    c = configparser.ConfigParser(inline_comment_prefixes=None)
    c.read(os.path.join(DEPLOY, 'agauthd.conf'))
    return c


def dockerfile():
    """USER, VOLUME and COPY destinations of the Dockerfile's last stage."""
    text = open(os.path.join(ROOT, 'Dockerfile'), encoding='utf-8').read()
    last = text[text.rindex('\nFROM '):]
    user = re.search(r'^USER (\d+):(\d+)$', last, re.M)
    vols = re.search(r'^VOLUME (\[.*\])$', last, re.M)
    copies = dict((dst, src) for src, dst in re.findall(r'^COPY (deploy/\S+) (\S+)$', last, re.M))
    return {'uid': int(user.group(1)), 'gid': int(user.group(2)),
            'volumes': yaml.safe_load(vols.group(1)), 'copies': copies,
            'groupadd': re.search(r'groupadd --gid (\d+)', last).group(1)}


def fail(msg):
    print(f'manifests.py: {msg}')
    sys.exit(1)


def want(cond, msg):
    if not cond:
        fail(msg)


def check_parse():
    kinds = {'kubernetes/pod.yaml': ['Pod'], 'kubernetes/keyring-configmap.yaml': ['ConfigMap']}
    found = set()
    for dirpath, _, files in os.walk(DEPLOY):
        for f in files:
            if f.endswith(('.yaml', '.yml')):
                rel = os.path.relpath(os.path.join(dirpath, f), DEPLOY)
                docs = load(rel)
                want(docs, f'{rel}: no document')
                found.add(rel)
                if rel in kinds:
                    want([d.get('kind') for d in docs] == kinds[rel], f'{rel}: kinds {[d.get("kind") for d in docs]}')
    want(set(kinds) | {'docker-compose.yml'} <= found, f'missing manifests: {set(kinds) - found}')
    print(f'# {len(found)} manifests parse: {", ".join(sorted(found))}')


def check_pod():
    pod = load('kubernetes/pod.yaml')[0]
    c, img = conf(), dockerfile()
    spec = pod['spec']
    vols = {v['name']: v for v in spec['volumes']}
    want(len(vols) == len(spec['volumes']), 'two volumes of one name')
    used = set()
    ctrs = {x['name']: x for x in spec['containers']}
    for x in spec['containers']:
        for m in x.get('volumeMounts', []):
            want(m['name'] in vols, f'{x["name"]} mounts {m["name"]}, which is no volume')
            used.add(m['name'])
    want(used == set(vols), f'volumes never mounted: {set(vols) - used}')
    ag = ctrs['agauthd']
    mounts = {m['mountPath']: m for m in ag['volumeMounts']}
    sock = c['socket']['path']
    sock_vol = mounts.get(os.path.dirname(sock))
    want(sock_vol is not None and 'emptyDir' in vols[sock_vol['name']],
         f'agauthd.conf socket {sock}: its directory is not an emptyDir mount of agauthd')
    state = mounts.get(c['daemon']['state_dir'])
    want(state is not None, f'state_dir {c["daemon"]["state_dir"]} is not mounted (readOnlyRootFilesystem)')
    keyring = c['keys']['keyring']
    kr = mounts.get(os.path.dirname(keyring))
    want(kr is not None and 'configMap' in vols[kr['name']], f'keyring {keyring}: not in a ConfigMap mount')
    cm = load('kubernetes/keyring-configmap.yaml')[0]
    want(vols[kr['name']]['configMap']['name'] == cm['metadata']['name'], 'the ConfigMap volume names another ConfigMap')
    want(os.path.basename(keyring) in cm['data'], f'the ConfigMap has no {os.path.basename(keyring)}')
    files = re.findall(r'^file = (\S+)$', cm['data'][os.path.basename(keyring)], re.M)
    want(files, 'the keyring names no key file')
    for f in files:
        km = mounts.get(os.path.dirname(f))
        want(km is not None and 'secret' in vols[km['name']], f'key {f}: not in a Secret mount')
        want(km.get('readOnly') is True, f'{f}: the Secret mount is not read-only')
        want(vols[km['name']]['secret'].get('defaultMode') == 0o400,
             f'{f}: the Secret\'s defaultMode is not 0400 (agauthd refuses keys others can read)')
        for name, x in ctrs.items():
            if name != 'agauthd':
                want(km['name'] not in [m['name'] for m in x.get('volumeMounts', [])],
                     f'container {name} mounts the keys')
    app = ctrs['app']
    env = {e['name']: e.get('value') for e in app.get('env', [])}
    want(env.get('AGAUTHD_SOCKET') == sock, f'the app\'s AGAUTHD_SOCKET {env.get("AGAUTHD_SOCKET")} is not {sock}')
    want(any(m['mountPath'] == os.path.dirname(sock) and m['name'] == sock_vol['name']
             for m in app['volumeMounts']), 'the app does not mount the socket\'s volume at its directory')
    psc = spec['securityContext']
    want(psc.get('runAsNonRoot') is True, 'runAsNonRoot is not true')
    want(psc.get('fsGroup') == img['gid'], f'fsGroup {psc.get("fsGroup")} is not the image\'s group {img["gid"]}')
    for name, x in ctrs.items():
        sc = x.get('securityContext', {})
        want(sc.get('readOnlyRootFilesystem') is True, f'{name}: readOnlyRootFilesystem is not true')
        want(sc.get('allowPrivilegeEscalation') is False, f'{name}: allowPrivilegeEscalation is not false')
        want(sc.get('capabilities', {}).get('drop') == ['ALL'], f'{name}: capabilities are not all dropped')
    want(ag['securityContext'].get('runAsUser') == img['uid'], 'agauthd\'s runAsUser is not the image\'s user')
    version = open(os.path.join(ROOT, 'VERSION')).read().strip()
    want(ag['image'] == f'agauthd:{version}', f'agauthd\'s image {ag["image"]} is not agauthd:{version} (VERSION)')
    want(ag['readinessProbe']['exec']['command'] == ['/usr/bin/agauthctl', 'ping'], 'readiness is not agauthctl ping')
    print(f'# pod: {len(vols)} volumes, {len(ctrs)} containers, socket {sock}')


def check_compose():
    comp = load('docker-compose.yml')[0]
    c, img = conf(), dockerfile()
    sock = c['socket']['path']
    svc = comp['services']

    def mounts(name):
        return {m.split(':')[1]: m.split(':') for m in svc[name].get('volumes', [])}
    ag, app = mounts('agauthd'), mounts('app')
    d = os.path.dirname(sock)
    want(d in ag and d in app and ag[d][0] == app[d][0] and ag[d][0] in comp['volumes'],
         f'the socket\'s directory {d} is not one named volume in agauthd and app')
    want(svc['app']['environment'].get('AGAUTHD_SOCKET') == sock, 'the app\'s AGAUTHD_SOCKET is not the socket')
    want(str(img['gid']) in [str(g) for g in svc['app'].get('group_add', [])],
         f'the app is not in group {img["gid"]} (the socket is mode {c["socket"]["mode"]})')
    keys = [m for p, m in ag.items() if p == '/etc/agauthd/keys']
    want(keys and keys[0][-1] == 'ro', 'agauthd\'s keys volume is not read-only')
    want(svc['agauthd'].get('read_only') is True, 'agauthd\'s root filesystem is not read-only')
    want(svc['agauthd'].get('cap_drop') == ['ALL'], 'agauthd keeps capabilities')
    threads = int(c['daemon'].get('threads', '0'))
    need = 16 * 2**20 + max(threads, 1) * 256 * 2**10
    memlock = svc['agauthd']['ulimits']['memlock']
    want(isinstance(memlock, int) and memlock >= need, f'memlock {memlock} < {need} bytes agauthd needs')
    print(f'# compose: socket volume {ag[d][0]}, memlock {memlock} >= {need}')


def check_image():
    c, img = conf(), dockerfile()
    sock = c['socket']['path']
    for p in (os.path.dirname(sock), c['daemon']['state_dir'], '/etc/agauthd/keys'):
        want(p in img['volumes'], f'{p} is not a VOLUME of the image')
    want(img['groupadd'] == str(img['gid']), 'USER\'s group is not the one groupadd makes')
    want(img['copies'].get('/etc/agauthd/agauthd.conf') == 'deploy/agauthd.conf', 'the image\'s agauthd.conf is not deploy/agauthd.conf')
    want(img['copies'].get(c['keys']['keyring']) == 'deploy/keyring.conf',
         f'the keyring {c["keys"]["keyring"]} is not deploy/keyring.conf in the image')
    cm = load('kubernetes/keyring-configmap.yaml')[0]
    want(cm['data']['keyring.conf'].strip() == re.sub(r'^#.*\n', '', open(os.path.join(DEPLOY, 'keyring.conf')).read(), flags=re.M).strip(),
         'the ConfigMap\'s keyring.conf is not deploy/keyring.conf (less its comments)')
    want(c['access']['admin'] == f'uid:{img["uid"]}', 'admin is not the image\'s user (agauthctl inside the container)')
    print(f'# image: user {img["uid"]}:{img["gid"]}, volumes {img["volumes"]}')


if __name__ == '__main__':
    {'parse': check_parse, 'pod': check_pod, 'compose': check_compose, 'image': check_image}[sys.argv[1]]()
