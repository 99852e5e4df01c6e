"""Decoding: CTC search and task decoders that turn model outputs into hypothesis files."""
