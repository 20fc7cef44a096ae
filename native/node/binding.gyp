# The Node addon: the core (../src, every .c file) + the shared binding
# helpers + xtml_napi.c, built by host-sim/node/build-addon.mjs (npm install,
# npm run build:addon) into native/node/build/Release/xtml.node.
{
  "targets": [
    {
      "target_name": "xtml",
      "sources": [
        "xtml_napi.c",
        "../bind/xtml_bind.c",
        "<!@(node -p \"require('fs').readdirSync('../src').filter((f) => f.endsWith('.c')).sort().map((f) => '../src/' + f).join(' ')\")"
      ],
      "include_dirs": ["../include", "../src", "../bind"],
      "defines": ["NAPI_VERSION=8"],
      # -ffp-contract=off: no fused multiply-add, so float kernels round as in
      # every other build (bit-exact with TFLM). -O2 as the other builds.
      "cflags_c": ["-std=c99", "-O2", "-ffp-contract=off", "-Wall", "-Wextra"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-std=c99", "-O2", "-ffp-contract=off"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "AdditionalOptions": ["/fp:precise"] }
      }
    }
  ]
}
