"""Kaldi-style data directories, audio I/O and their checks."""
