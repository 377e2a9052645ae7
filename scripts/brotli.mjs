// Writes a brotli copy (quality 11) beside each wasm, JavaScript and CSS file of a build, as
// the gzip hook writes gzip ones: the relay sends it to browsers that accept brotli (a wasm
// file is about 23% smaller than gzip -9). Node's own zlib: no tool to install.
//
//   node scripts/brotli.mjs DIR
import { readdirSync, readFileSync, writeFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants } from "node:zlib";

const dir = process.argv[2];
for (const name of readdirSync(dir)) {
  const path = join(dir, name);
  if (!/\.(wasm|js|css)$/.test(name) || !statSync(path).isFile()) continue;
  const bytes = readFileSync(path);
  const compressed = brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
  writeFileSync(`${path}.br`, compressed);
}
