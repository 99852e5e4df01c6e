"""Direct speech-to-speech translation after Translatotron 2 (Jia et al., 2022), with a duration-based synthesizer.

Three parts tied by one attention:

1. **Speech encoder**: the Conformer-CTC stack of :class:`~speechkit.models.ctc.ConformerCTC` (log-mel, CMVN,
   SpecAugment, 4x subsampling, Conformer layers) with a CTC head on the *source* transcript at ``ctc_layer``
   (an auxiliary loss, as the FSC model pretrains on phones), then ``adapter_layers`` Transformer layers at the
   decoder's width.
2. **Linguistic decoder**: an autoregressive Transformer decoder over target text units (sentencepiece pieces;
   with a vocabulary as large as the domain's, whole words). Its last layer's cross-attention output is *the*
   attention context.
3. **Acoustic synthesizer**: non-autoregressive and duration-based, FastSpeech 2's variance adaptor, length
   regulator, decoder and postnet (:class:`~speechkit.models.fastspeech2.MelDecoder`). Its input is the target
   phone sequence (the words of the decoded text through the lexicon), each phone carrying its embedding plus a
   projection of its word's decoder state and attention context (the mean over the word's pieces); silences
   carry their embedding alone. Durations, pitch and energy are trained on the target speech's alignment.

Mels are the TTS mel (:data:`~speechkit.features.mel.TTS_MEL`), so any vocoder of the toolkit renders them.
Decoder ids are :class:`~speechkit.lang.tokens.BpeTokenizer` ids plus one: 0 is padding and 1 (the tokenizer's
CTC blank, which text never holds) marks the start and end of a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from speechkit.features.mel import TTS_MEL, MelConfig
from speechkit.models.conformer import padding_mask
from speechkit.models.ctc import ConformerCTC, EncoderConfig, SpecAugConfig
from speechkit.models.fastspeech2 import FastSpeech2Config, FFTStack, MelDecoder
from speechkit.models.text_decoder import EOS_ID, PIECE_OFFSET, TextDecoder, TextDecoderConfig
from speechkit.models.variance import Controls

SOURCE_UNITS, TARGET_UNITS = "lang/source.model", "lang/target.model"
"""The sentencepiece models of a model dir: the source transcript's CTC units and the decoder's target units."""


@dataclass
class S2STModelConfig:
    """Architecture. ``mel``: the source front end; ``synth``: the synthesizer's FastSpeech 2 sizes (its
    ``tokens`` are the target phones, ``<pad>`` first, filled in with the edge-silence flags from the alignments);
    ``n_source_units`` (source CTC outputs) and ``n_pieces`` (target tokenizer ids), both blank included, are filled
    in from the data."""

    mel: MelConfig = field(default_factory=MelConfig)
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    specaug: SpecAugConfig = field(default_factory=SpecAugConfig)
    ctc_layer: int = 0  # 0: the top layer
    adapter_layers: int = 2
    decoder: TextDecoderConfig = field(default_factory=TextDecoderConfig)
    synth: FastSpeech2Config = field(default_factory=lambda: FastSpeech2Config(mel=TTS_MEL))
    n_source_units: int = 0
    n_pieces: int = 0
    max_pieces: int = 60


class PhoneSynthesizer(MelDecoder):
    """Phones with their words' decoder states and contexts -> mels (see the module docstring, part 3)."""

    def __init__(self, cfg: FastSpeech2Config, d_text: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(len(cfg.tokens), cfg.d_model, padding_idx=0)
        self.condition = nn.Linear(2 * d_text, cfg.d_model)
        nn.init.zeros_(self.condition.weight)  # starts as a plain TTS: the decoder's influence is learned
        nn.init.zeros_(self.condition.bias)
        self.encoder = FFTStack(cfg.d_model, cfg.encoder)
        self.build_mel_decoder(cfg)

    def encode(self, phones: Tensor, n_phones: Tensor, phone_words: Tensor, word_states: Tensor) -> Tensor:
        """``phones``/``phone_words`` ``(B, N)`` (word index, -1 for silence), ``word_states`` ``(B, W, 2 d_text)``
        -> token states ``(B, N, d)``."""
        index = phone_words.clamp_min(0)[..., None].expand(-1, -1, word_states.shape[-1])
        cond = torch.gather(word_states, 1, index) * (phone_words >= 0)[..., None]
        return self.encoder(self.embed(phones) + self.condition(cond), n_phones)


def word_means(states: Tensor, piece_words: Tensor, n_words: int) -> Tensor:
    """Mean of ``states`` ``(B, L, d)`` over the pieces of each word (``piece_words`` ``(B, L)``, -1 for pieces
    outside every word) -> ``(B, n_words, d)``."""
    B, _, d = states.shape
    sums = states.new_zeros(B, n_words + 1, d)
    index = torch.where(piece_words >= 0, piece_words, n_words)
    sums.scatter_add_(1, index[..., None].expand(-1, -1, d), states)
    counts = states.new_zeros(B, n_words + 1).scatter_add_(1, index, torch.ones_like(index, dtype=states.dtype))
    return (sums / counts.clamp_min(1)[..., None])[:, :n_words]


class S2STModel(ConformerCTC):
    """Source waveforms in; source CTC log-probabilities, target piece logits and the synthesizer's mels out."""

    def __init__(self, cfg: S2STModelConfig) -> None:
        super().__init__(cfg.mel, cfg.encoder, cfg.specaug)
        self.cfg = cfg
        d_enc, d_text = cfg.encoder.d_model, cfg.decoder.d_model
        self.ctc_head = nn.Linear(d_enc, cfg.n_source_units)
        # the acoustic encoder's frames to the decoder's width, then Transformer layers that turn letter-level CTC
        # states into what a text decoder attends to (a text encoder's job in MT)
        self.bridge = nn.Sequential(nn.Linear(d_enc, d_text), nn.LayerNorm(d_text))
        dec = cfg.decoder
        layer = nn.TransformerEncoderLayer(d_text, dec.heads, dec.ffn_dim, dec.dropout, batch_first=True,
                                           norm_first=True)  # fmt: skip
        self.adapter = nn.TransformerEncoder(layer, cfg.adapter_layers, enable_nested_tensor=False)
        self.adapter_norm = nn.LayerNorm(d_text)
        self.text_decoder = TextDecoder(cfg.decoder, cfg.n_pieces + PIECE_OFFSET)
        self.synth = PhoneSynthesizer(cfg.synth, d_text)

    def encode_source(self, feats: Tensor, lengths: Tensor) -> dict[str, Tensor]:
        """``feats`` from :meth:`features` -> ``ctc`` log-probs, ``memory`` for the decoder and their ``lengths``."""
        top = self.cfg.encoder.num_layers
        ctc_layer = self.cfg.ctc_layer or top
        layers, xlens = self.encode(feats, lengths, {ctc_layer, top})
        memory = self.adapter(self.bridge(layers[top]), src_key_padding_mask=padding_mask(xlens, layers[top].shape[1]))
        return {"ctc": self.ctc_head(layers[ctc_layer]).log_softmax(-1), "memory": self.adapter_norm(memory),
                "lengths": xlens}  # fmt: skip

    def forward(self, feats: Tensor, lengths: Tensor, b: dict[str, Tensor]) -> dict[str, Tensor]:
        """Teacher-forced training pass. ``b``: ``pieces`` ``(B, L)`` (decoder ids, end marker last) with
        ``pieces_lengths``, ``piece_words`` ``(B, L)``, the phones as ``tokens``/``phone_words`` ``(B, N)`` with
        ``token_lengths``, and the targets ``durations``, ``pitch``, ``energy`` ``(B, N)``.

        Returns ``ctc``, ``lengths``, ``logits`` ``(B, L, n_ids)`` and :meth:`MelDecoder.decode_mels`'s entries.
        """
        enc = self.encode_source(feats, lengths)
        inputs = torch.cat([torch.full_like(b["pieces"][:, :1], EOS_ID), b["pieces"][:, :-1]], 1)
        memory_mask = padding_mask(enc["lengths"], enc["memory"].shape[1])
        logits, states, context = self.text_decoder(inputs, b["pieces_lengths"], enc["memory"], memory_mask)
        out = self._synthesize(states, context, b, b["durations"], b["pitch"], b["energy"])
        return {"ctc": enc["ctc"], "lengths": enc["lengths"], "logits": logits, **out}

    def _synthesize(self, states: Tensor, context: Tensor, b: dict[str, Tensor], durations: Tensor | None = None,
                    pitch: Tensor | None = None, energy: Tensor | None = None,
                    controls: Controls = Controls()) -> dict[str, Tensor]:  # fmt: skip
        n_words = int(b["phone_words"].max().clamp_min(0)) + 1
        words = word_means(torch.cat([states, context], -1), b["piece_words"], n_words)
        x = self.synth.encode(b["tokens"], b["token_lengths"], b["phone_words"], words)
        return self.synth.decode_mels(x, b["token_lengths"], durations, pitch, energy, controls)

    @torch.no_grad()
    def translate(self, feats: Tensor, lengths: Tensor, beam: int = 1) -> tuple[list[list[int]], dict[str, Tensor]]:
        """Each utterance's target tokenizer ids (greedy, or beam search with ``beam`` > 1) and the encoder output
        for :meth:`synthesize`."""
        enc = self.encode_source(feats, lengths)
        memory_mask = padding_mask(enc["lengths"], enc["memory"].shape[1])
        if beam > 1:
            return self.text_decoder.beam_search(enc["memory"], memory_mask, self.cfg.max_pieces, beam), enc
        return self.text_decoder.greedy(enc["memory"], memory_mask, self.cfg.max_pieces), enc

    @torch.no_grad()
    def synthesize(self, enc: dict[str, Tensor], b: dict[str, Tensor],
                   controls: Controls = Controls()) -> dict[str, Tensor]:  # fmt: skip
        """Mels for decoded pieces: ``b`` as for :meth:`forward` without the acoustic targets (``pieces`` end with
        the end marker). Returns :meth:`MelDecoder.log_mel`'s entries."""
        inputs = torch.cat([torch.full_like(b["pieces"][:, :1], EOS_ID), b["pieces"][:, :-1]], 1)
        memory_mask = padding_mask(enc["lengths"], enc["memory"].shape[1])
        _, states, context = self.text_decoder(inputs, b["pieces_lengths"], enc["memory"], memory_mask)
        return self.synth.log_mel(self._synthesize(states, context, b, controls=controls))
