#!/usr/bin/env bash
# The pages' third-party code: CodeMirror 6 (the editor) and xterm.js (the terminal), at the
# exact versions of web/package-lock.json, bundled by esbuild into static/vendor/ with their
# licences. Installs Debian's nodejs and npm when missing. Skipped when static/vendor/ was
# built from the same lockfile, entry files and this script (docs/frontend.md).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

web=web
out=static/vendor
stamp="$out/.inputs"

inputs_hash() {
    cat scripts/frontend.sh "$web/package.json" "$web/package-lock.json" "$web"/src/* | sha256sum | cut -d' ' -f1
}

hash=$(inputs_hash)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] \
    && [ -f "$out/codemirror.js" ] && [ -f "$out/xterm.js" ] && [ -f "$out/xterm.css" ]; then
    exit 0
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install $(missing_packages nodejs npm)
fi

say "installing the pinned editor and terminal packages (npm ci in $web/)"
npm ci --prefix "$web" --no-audit --no-fund --loglevel=error >&2

say "bundling them into $out/"
rm -rf "$out"
mkdir -p "$out"
"$web/node_modules/.bin/esbuild" "$web/src/codemirror.js" "$web/src/xterm.js" \
    --bundle --format=esm --minify --target=es2020 --legal-comments=eof \
    --log-level=warning --outdir="$out"

# Every package in the bundles, with its licence text (CodeMirror's files carry none inline).
{
    echo "Third-party code in static/vendor/, as bundled from $web/package-lock.json."
    for dir in "$web"/node_modules/*/ "$web"/node_modules/@*/*/; do
        pkg="${dir#"$web"/node_modules/}"
        pkg="${pkg%/}"
        [[ "$pkg" == @* && "$pkg" != */* ]] && continue # a scope, not a package
        [[ "$pkg" == esbuild || "$pkg" == @esbuild/* ]] && continue # the bundler, not bundled
        version=$(node -p "require('./$dir/package.json').version")
        printf '\n==== %s %s ====\n\n' "$pkg" "$version"
        licence=$(ls "$dir" | grep -iE '^(licen[cs]e|copying)' | head -n1 || true)
        if [ -n "$licence" ]; then
            cat "$dir/$licence"
        else
            node -p "'License: ' + require('./$dir/package.json').license"
        fi
    done
} >"$out/LICENSES.txt"

echo "$hash" >"$stamp"
