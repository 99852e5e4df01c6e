"""Corpus preparation: read a corpus in its real layout, write Kaldi data directories."""
