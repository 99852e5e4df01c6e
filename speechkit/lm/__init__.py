"""N-gram language models for shallow fusion: estimate (modified Kneser-Ney, as KenLM's lmplz), read and write
ARPA, score perplexity. Knows no acoustic model: the decoder imports this package, never the other way."""
