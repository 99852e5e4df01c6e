"""Built-in mini corpora, synthesized with eSpeak NG and written in the real corpora's layouts."""
