"""Synthetic twins: profile the live files' structure (:mod:`.profile`), then make
test data shaped like it (:mod:`.synth`) — the council's "test data, never live
data", with the live files' mess."""

from ikou.pipeline.twin.profile import profile_files
from ikou.pipeline.twin.synth import synthesize

__all__ = ["profile_files", "synthesize"]
