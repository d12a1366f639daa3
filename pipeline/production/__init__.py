"""The supervised production run, reconciliation afterwards, and the end of custody.

- :mod:`.preflight` — the checks that need no person (rehearsal evidence from
  the verified chain, certifications, scratch, swap, target, sources);
- :mod:`.signon` — the witness and approvers confirm;
- :mod:`.migrate` — ``ikou migrate``: preflight, sign-on, the stages on the
  production sources into the real target, once;
- :mod:`.seal` — the keyed manifest of the loaded rows, chained before the commit;
- :mod:`.reconcile` — ``ikou reconcile``: the target now against that manifest;
- :mod:`.certificate` — ``ikou shred --certificate``: destroy every copy, certify it.
"""

from ikou.pipeline.production.certificate import ShredResult, shred_workspace
from ikou.pipeline.production.migrate import MigrationResult, migrate
from ikou.pipeline.production.preflight import Check, find_seal, preflight
from ikou.pipeline.production.reconcile import ReconcileResult, reconcile_later
from ikou.pipeline.production.signon import Confirmation, read_signoff, sign_on

__all__ = [
    "Check",
    "Confirmation",
    "MigrationResult",
    "ReconcileResult",
    "ShredResult",
    "find_seal",
    "migrate",
    "preflight",
    "read_signoff",
    "reconcile_later",
    "shred_workspace",
    "sign_on",
]
