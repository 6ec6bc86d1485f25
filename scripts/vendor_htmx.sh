#!/usr/bin/env sh
# Refresh the Playground's one vendored JavaScript library from npm (a dev step, never run by promptlib).
# Writes promptlib/web/static/htmx.min.js and, beside it, htmx.min.js.version (the version and the sha256 of
# the file), so a reviewer can check the bytes against `npm pack htmx.org@VERSION` themselves.
# Usage: scripts/vendor_htmx.sh [VERSION]   (default: the newest 2.x: htmx 4 changes inheritance and 4xx swaps)
set -eu
version_spec="htmx.org@${1:-2}"
here="$(cd "$(dirname "$0")/.." && pwd)"
static="$here/promptlib/web/static"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
tarball="$(npm pack --silent "$version_spec")"
tar -xzf "$tarball"
version="$(node -p "require('./package/package.json').version")"
cp package/dist/htmx.min.js "$static/htmx.min.js"
sha="$(sha256sum "$static/htmx.min.js" | cut -d' ' -f1)"
printf 'htmx.org %s\nsha256 %s\nsource npm pack %s (package/dist/htmx.min.js), license 0BSD\n' \
  "$version" "$sha" "htmx.org@$version" > "$static/htmx.min.js.version"
echo "vendored htmx.org $version ($sha)"
