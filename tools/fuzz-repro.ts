// Writes the reproducers of bugs fuzzing found (test/support/fuzz-repro.ts) to
// native/test/fuzz/repro/, where native/test/fuzz.sh replays them.
//
//   tsc -p . && node dist/tools/fuzz-repro.js
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reproducers } from '../test/support/fuzz-repro.js';
import { repoRoot } from '../test/support/reference.js';

const dir = join(repoRoot, 'native/test/fuzz/repro');
mkdirSync(dir, { recursive: true });
for (const r of reproducers()) {
  writeFileSync(join(dir, r.file), r.bytes);
  console.log(`${r.file}: ${r.bytes.length} bytes`);
}
