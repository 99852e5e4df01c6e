"""Language resources shared by training, alignment and TTS: lexicon, G2P fallback, token inventories."""
