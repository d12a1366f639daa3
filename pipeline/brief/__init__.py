"""``ikou brief PLAN``: the migration explained to the privacy council, from the plan.

A privacy council (個人情報保護運営審議会) deliberates on a written
consultation before a contractor may handle personal data. Every answer it
needs is already in an ikou plan: what is moved and whether it is personal
(:mod:`.tables`), where the work happens and what is written, how data is
handed over, what test data is used, who witnesses and approves, every copy
and its end (:mod:`.copies`), the contractor's certifications and the record
(:mod:`.model`). :func:`write_brief` writes them as ``brief.json`` and a
printable ``brief.html`` (:mod:`.render`, words in :mod:`.labels`) without
opening a single source file.
"""

from ikou.pipeline.brief.model import SECTIONS, build_brief, describe_target
from ikou.pipeline.brief.profile import Profile, load_profile
from ikou.pipeline.brief.render import render_brief, warning_text
from ikou.pipeline.brief.write import BriefResult, write_brief

__all__ = [
    "SECTIONS",
    "BriefResult",
    "Profile",
    "build_brief",
    "describe_target",
    "load_profile",
    "render_brief",
    "warning_text",
    "write_brief",
]
