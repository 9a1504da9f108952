"""stackql-deploy semantics: templates, scopes, bindings of props to schemas, the provider flavour, column names
and the engine target. Analyses only: nothing here makes findings or reads the run context."""
