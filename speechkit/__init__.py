"""speechkit: Kaldi-style speech recipes that install with pip."""

__version__ = "0.1.0"
