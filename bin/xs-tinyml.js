#!/usr/bin/env node
// npx xs-tinyml: the compiled CLI (host-sim/node/cli.ts; `npm run build` compiles it).
import "../dist/host-sim/node/cli.js";
