"""Removable media: the PC's register of USB memory, the identity file each
registered medium carries, the usage log on it, the insertion log of the PC,
and erasing a medium before it is returned.

:mod:`.devices` is the one OS-specific part (device identity and insertion
events); everything else works through it.
"""
