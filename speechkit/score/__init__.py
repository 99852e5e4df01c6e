"""Scoring decodes against references: ASR word and character error rates, and SLU intent accuracy.

Each scorer writes ``scores.json`` (metric name to number, plus ``n_utts``) and its own detail files into the decode
directory; :mod:`speechkit.score.report` holds what they share.
"""
