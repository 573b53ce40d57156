"""wardbot, the application: one sub-package per job (storage, channels, delivery, officials,
privacy, reports, ops, cli, devtools, testing), configuration and the application at the top.
Exports nothing: DEVELOPERS.md lists what lives where."""
