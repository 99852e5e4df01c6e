#!/usr/bin/env bash
# LJSpeech text to speech: FastSpeech 2 with Griffin-Lim (or a HiFi-GAN trained in stage 5), scored by MCD, F0,
# durations and an ASR model's WER. With no --corpus-root it synthesizes the built-in mini corpus first.
# Durations come from MFA TextGrids with --textgrids DIR, else from speechkit's own aligner.
set -euo pipefail
cd "$(dirname "$0")"

stage=0
stop_stage=100
nj=2
seed=0
corpus_root=
mini_opts=     # extra options of `speechkit prep mini-ljspeech`, e.g. "--limit 100" for a smaller corpus
textgrids=
train_vocoder=false
config=conf/train.yaml
exp=exp/tts
device=cpu
help_message="Usage: $0 [--stage N] [--stop-stage M] [--nj J] [--seed S] [--corpus-root LJSPEECH_ROOT]
          [--mini-opts '...'] [--textgrids MFA_DIR] [--train-vocoder false|true] [--config conf/train.yaml] [--exp exp/tts]
          [--device cpu|cuda]"
. ../../utils/parse_options.sh

log() { echo "$(date '+%Y-%m-%d %H:%M:%S') $*"; }
if [ -z "$corpus_root" ]; then corpus_root=downloads/mini_ljspeech; build_mini=true; else build_mini=false; fi
if $train_vocoder; then vocoder=exp/hifigan; else vocoder=griffinlim; fi

if [ $stage -le 0 ] && [ $stop_stage -ge 0 ] && $build_mini; then
  log "Stage 0: synthesize the mini LJSpeech corpus in $corpus_root"
  [ -f "$corpus_root/metadata.csv" ] || speechkit prep mini-ljspeech --out "$corpus_root" --seed $seed --nj $nj $mini_opts
fi

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
  log "Stage 1: prepare and validate data/{train,dev,test}"
  speechkit prep ljspeech --corpus-root "$corpus_root" --out data ${textgrids:+--textgrids "$textgrids"}
  for set in train dev test; do speechkit data validate data/$set; done
fi

if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then
  if [ -n "$textgrids" ]; then
    log "Stage 2: durations from the TextGrids in $textgrids"
    for set in train dev test; do speechkit align import --data data/$set; done
  else
    log "Stage 2: train speechkit's aligner on data/train, align every set, import the durations"
    speechkit align --data data/train --out exp/align/train --train --seed $seed --device $device
    for set in dev test; do
      speechkit align --data data/$set --out exp/align/$set --model exp/align/train/model --device $device
    done
    for set in train dev test; do speechkit align import --data data/$set --textgrids exp/align/$set; done
  fi
fi

if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
  log "Stage 3: log-mels, token pitch and energy, and their statistics in exp/feats/{train,dev}"
  for set in train dev; do speechkit prep tts-features --data data/$set --out exp/feats/$set --nj $nj; done
fi

if [ $stage -le 4 ] && [ $stop_stage -ge 4 ]; then
  log "Stage 4: train FastSpeech 2 in $exp (resumes if interrupted)"
  speechkit train --recipe . --config $config --device $device exp_dir=$exp train.seed=$seed
fi

if [ $stage -le 5 ] && [ $stop_stage -ge 5 ] && $train_vocoder; then
  log "Stage 5: train the HiFi-GAN vocoder in $vocoder (resumes if interrupted)"
  speechkit train --recipe . --config conf/vocoder.yaml --device $device exp_dir=$vocoder train.seed=$seed
fi

if [ $stage -le 6 ] && [ $stop_stage -ge 6 ]; then
  log "Stage 6: synthesize data/test with $vocoder into $exp/synth_test"
  speechkit synth --model $exp --vocoder $vocoder --data data/test --out $exp/synth_test --device $device
fi

if [ $stage -le 7 ] && [ $stop_stage -ge 7 ]; then
  log "Stage 7: train the ASR model that scores intelligibility (exp/asr), then score $exp/synth_test"
  speechkit train --recipe . --config conf/asr.yaml --device $device train.seed=$seed
  speechkit score tts --ref-data data/test --syn $exp/synth_test --asr-model exp/asr --device $device \
    --results RESULTS.md
fi
