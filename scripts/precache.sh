#!/bin/sh
# Writes DIR/sw.js, the service worker, from sw/service-worker.js: the list of every file of
# the build in DIR with its SHA-256, and a build id made from that list. Trunk runs it after
# each release build (Trunk.toml); tests run it on a copy of a build they changed.
#
#   scripts/precache.sh DIR
set -eu
dir="$1"
template="$(cd "$(dirname "$0")/.." && pwd)/sw/service-worker.js"
cd "$dir"
# A compressed copy of an earlier sw.js would be served in place of the new one.
rm -f sw.js.gz sw.js.br
# The build's files, not the compressed copies beside them (the browser decodes those) nor
# the worker itself.
files="$(find . -type f ! -name '*.gz' ! -name '*.br' ! -name sw.js | sed 's|^\./||' | LC_ALL=C sort)"
list="$(for file in $files; do
  printf '  ["/%s", "%s"],\n' "$file" "$(sha256sum "$file" | cut -d' ' -f1)"
done)"
build="$(printf '%s' "$list" | sha256sum | cut -c1-16)"
{
  sed -n '1,/^const FILES = __FILES__;$/p' "$template" | sed "s/__BUILD__/$build/; s/^const FILES = __FILES__;\$/const FILES = [/"
  printf '%s\n];\n' "$list"
  sed '1,/^const FILES = __FILES__;$/d' "$template"
} > sw.js
