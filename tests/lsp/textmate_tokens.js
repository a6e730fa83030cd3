// Tokenise files with a TextMate grammar, using VS Code's own engine (vscode-textmate and
// vscode-oniguruma), and print as JSON, per file, the tokens whose scopes include
// `invalid` and the scopes seen for each distinct token text (tests/lsp/test_highlight.py).
//
//   node textmate_tokens.js GRAMMAR.json SCOPE FILE...     (NODE_PATH names the node_modules)
"use strict";

const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

async function main() {
  const [grammarPath, scopeName, ...files] = process.argv.slice(2);
  const wasm = fs.readFileSync(path.join(path.dirname(require.resolve("vscode-oniguruma")), "onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (name) =>
      name === scopeName ? vsctm.parseRawGrammar(fs.readFileSync(grammarPath, "utf8"), grammarPath) : null,
  });
  const grammar = await registry.loadGrammar(scopeName);
  const out = {};
  for (const file of files) {
    const lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
    let stack = vsctm.INITIAL;
    const invalid = [];
    const scopes = {};
    lines.forEach((line, i) => {
      const result = grammar.tokenizeLine(line, stack);
      for (const token of result.tokens) {
        const text = line.slice(token.startIndex, token.endIndex);
        if (token.scopes.some((s) => s.startsWith("invalid"))) {
          invalid.push({ line: i + 1, col: token.startIndex + 1, text, scopes: token.scopes });
        }
        if (text.trim() && !(text in scopes)) scopes[text] = token.scopes.slice(1);
      }
      stack = result.ruleStack;
    });
    out[file] = { invalid, scopes };
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
  process.exit(1);
});
