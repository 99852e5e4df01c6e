"""The Conformer encoder: an utterance's outputs do not depend on what is padded into its batch."""

from __future__ import annotations

import torch
from torchaudio.models.conformer import ConformerLayer as TorchaudioLayer

from speechkit.models.conformer import ConformerEncoder, ConformerLayer, padding_mask
from speechkit.models.ctc import ASRModel, ASRModelConfig, EncoderConfig


def test_an_utterance_decodes_the_same_alone_and_beside_a_longer_one() -> None:
    torch.manual_seed(0)
    enc = EncoderConfig(d_model=32, num_heads=2, ffn_dim=64, num_layers=3, kernel_size=15, subsampling_channels=8)
    model = ASRModel(ASRModelConfig(encoder=enc, n_tokens=12)).eval()
    short, long = torch.randn(9000), torch.randn(32000)
    batch = torch.stack([torch.nn.functional.pad(short, (0, 23000)), long])
    with torch.no_grad():
        alone = model(*model.features(short[None], torch.tensor([9000])))
        beside = model(*model.features(batch, torch.tensor([9000, 32000])))
    n = int(alone["lengths"][0])
    assert int(beside["lengths"][0]) == n
    assert beside["log_probs"].shape[1] > n + enc.kernel_size // 2  # the padding reaches into the kernel's span
    torch.testing.assert_close(beside["log_probs"][0, :n], alone["log_probs"][0, :n], atol=1e-5, rtol=0)


def test_the_layer_is_torchaudios_in_training_and_without_padding() -> None:
    torch.manual_seed(1)
    ours, theirs = ConformerLayer(16, 32, 2, 7, 0.0), TorchaudioLayer(16, 32, 2, 7, 0.0)
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(20, 3, 16)
    padded, none = padding_mask(torch.tensor([20, 12, 9])), padding_mask(torch.tensor([20, 20, 20]))
    torch.testing.assert_close(ours(x, padded), theirs(x, padded), atol=0, rtol=0)  # training: the padding as it is
    ours.eval(), theirs.eval()
    torch.testing.assert_close(ours(x, none), theirs(x, none), atol=0, rtol=0)
    assert not torch.allclose(ours(x, padded)[:12, 1], theirs(x, padded)[:12, 1])  # eval: zeros past the end


def test_the_encoder_keeps_the_layers_asked_for() -> None:
    encoder = ConformerEncoder(16, 2, 32, 3, 7, 0.0).eval()
    out = encoder(torch.randn(2, 10, 16), torch.tensor([10, 6]), {1, 3})
    assert sorted(out) == [1, 3] and all(v.shape == (2, 10, 16) for v in out.values())
