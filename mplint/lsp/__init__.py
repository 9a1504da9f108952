"""`mplint server`: a language server over stdio (needs the `lsp` extra: pygls and lsprotocol)."""
