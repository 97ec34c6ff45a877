"""The kernel below every package: settings, database, clock, crypto, errors, work log, batching,
the web kit. It imports no package of ours."""
