# The N-API addon: native/*.c with what it needs of libagauth and the
# shared code compiled in (vendor/, scripts/vendor.js: the cache's
# reader, no protocol, no msgpack-c), so that the built agauthd.node
# needs nothing at run time but libc; the SHA-256 of a cache hit is the
# running Node's own OpenSSL (its headers come with Node's, its symbols
# with the process).  Built by scripts/build.js.  Debian's node-gyp
# links every addon with -lnode (its Node is libnode.so): taken out, so
# that the addon binds to the Node that loads it, whichever (a second
# Node runtime in the process crashed it under Node 18 and 22 builds).
{
  "targets": [{
    "target_name": "agauthd",
    "sources": [
      "native/attach.c", "native/lookup.c", "native/module.c",
      "<!@(node scripts/vendor.js --list)"
    ],
    "include_dirs": ["vendor"],
    "libraries!": ["-lnode"],
    "defines": ["_GNU_SOURCE", "OPENSSL_API_COMPAT=0x10101000L"],
    "cflags_c": [
      "-std=c11", "-Wall", "-Wextra", "-ffp-contract=off",
      "-fstack-protector-strong", "-fvisibility=hidden"
    ],
    "ldflags": [
      "-Wl,--version-script=<(module_root_dir)/native/addon.map"
    ]
  }]
}
