"""ikou (移行): verified migration of personal data out of legacy Office files.

One import name, four parts, each a folder at the top of the repository:

- :mod:`ikou.pipeline` — the flow: plan, session, stages, production, reports,
  twins and the ``ikou`` command line;
- :mod:`ikou.validation` — contracts and checks: pandera rows,
  great-expectations datasets, reconciliation;
- :mod:`ikou.mappings` — mapping specs and the transform library;
- :mod:`ikou.audit` — the authenticated chain and its stand-alone verifier,
  the artifact store, shredding, fingerprints and the sweep.

Imports run one way: ``pipeline`` → ``validation`` → ``mappings``; ``audit``
imports none of them. Every part may import this root package's
:mod:`ikou.errors` (the one exception tree) and :mod:`ikou.findings` (the
catalog of every finding slug). See docs/architecture.md.
"""

__version__ = "0.1.0"
