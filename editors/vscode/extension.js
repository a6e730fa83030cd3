// The graphspec extension: the .gspec language (grammar, brackets, comments) and a client
// of the graphspec language server, started as `graphspec lsp` over stdio.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("graphspec");
  const serverOptions = {
    command: config.get("server.path", "graphspec"),
    args: config.get("server.args", ["lsp"]),
    transport: TransportKind.stdio, // appends --stdio, which `graphspec lsp` accepts
  };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "gspec" },
      { scheme: "untitled", language: "gspec" },
    ],
  };
  client = new LanguageClient("graphspec", "graphspec language server", serverOptions, clientOptions);
  client.start().catch((err) => {
    vscode.window.showErrorMessage(
      `graphspec: cannot start \`${serverOptions.command} ${serverOptions.args.join(" ")}\` ` +
        `(${err.message}). Install it with \`pip install 'graphspec[lsp]'\` or set graphspec.server.path.`
    );
  });
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
