"""Acoustic features and their training-time augmentations.

One log-mel definition (:mod:`~speechkit.features.mel`) serves every model that consumes or produces mels (the
intent model, TTS, the vocoder); only its sizes change with the config. Beside it: global CMVN whose statistics
travel in the model's ``state_dict``, SpecAugment, and Kaldi-style speed perturbation.
"""
