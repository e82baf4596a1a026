"""Public-corpus adapters: one module per corpus, each exposing prepare(args, params) -> int."""
