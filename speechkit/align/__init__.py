"""Forced alignment: token durations for TTS, from MFA TextGrids (:mod:`speechkit.align.durations`).

Everything that turns time alignments into frames per token goes through
:func:`speechkit.align.durations.segments_to_durations`, so imported and self-made alignments agree.
"""
