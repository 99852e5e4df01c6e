"""Text to speech: the text front end, TTS features, Griffin-Lim and synthesis with a trained FastSpeech 2."""
