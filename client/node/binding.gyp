# The N-API addon: native/*.c with what it needs of libagauth and the
# shared code compiled in (vendor/, scripts/vendor.js: the cache's
# reader, no protocol, no msgpack-c), so that the built agauthd.node
# needs nothing at run time but libc; the SHA-256 of a cache hit is the
# running Node's own OpenSSL (its headers come with Node's, its symbols
# with the process).  Built by scripts/build.js.
{
  "targets": [{
    "target_name": "agauthd",
    "sources": [
      "native/attach.c", "native/lookup.c", "native/module.c",
      "<!@(node scripts/vendor.js --list)"
    ],
    "include_dirs": ["vendor"],
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
