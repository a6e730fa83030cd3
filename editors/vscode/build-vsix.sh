#!/bin/sh
# Build graphspec.vsix from this folder: installs the pinned npm packages (package.json) into
# ./node_modules (not committed), then packages with @vscode/vsce. Needs node and npm, and the
# npm registry (or a mirror configured for npm) the first time.
set -eu
cd "$(dirname "$0")"
npm install --no-audit --no-fund --loglevel=error
npx --no-install vsce package --skip-license --out "${1:-graphspec.vsix}"
