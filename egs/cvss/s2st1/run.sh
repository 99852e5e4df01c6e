#!/usr/bin/env bash
# Speech-to-speech translation, Spanish speech to English speech (CVSS-C): a direct Translatotron-2-style model and
# a cascade (Spanish ASR -> MT -> English FastSpeech 2), both scored by an English ASR judge (ASR-BLEU). With no
# --corpus-root it synthesizes the built-in mini corpus first. Run from anywhere; paths are relative to this dir.
set -euo pipefail
cd "$(dirname "$0")"

stage=0
stop_stage=100
nj=2
seed=0
corpus_root=   # CVSS-C folder: {train,dev,test}.tsv and {train,dev,test}/*.mp3.wav
source_root=   # Common Voice folder: validated.tsv and clips/
mini_opts=     # extra options of `speechkit prep mini-cvss`, e.g. "--train-pairs 500" for a smaller corpus
vocoder=griffinlim
device=cpu
help_message="Usage: $0 [--stage N] [--stop-stage M] [--nj J] [--seed S] [--corpus-root CVSS_ROOT --source-root CV_ROOT]
          [--mini-opts '...'] [--vocoder griffinlim|MODEL_DIR] [--device cpu|cuda]"
. ../../utils/parse_options.sh
. ./cmd.sh
. ../../utils/train_jobs.sh

log() { echo "$(date '+%Y-%m-%d %H:%M:%S') $*"; }
if [ -z "$corpus_root" ]; then
  corpus_root=downloads/mini_cvss/cvss; source_root=downloads/mini_cvss/cv; build_mini=true
else
  [ -n "$source_root" ] || { echo "$0: --corpus-root needs --source-root (the Common Voice folder)" >&2; exit 1; }
  build_mini=false
fi

if [ $stage -le 0 ] && [ $stop_stage -ge 0 ] && $build_mini; then
  log "Stage 0: synthesize the mini CVSS corpus in downloads/mini_cvss"
  [ -f "$corpus_root/test.tsv" ] || speechkit prep mini-cvss --out downloads/mini_cvss --seed $seed --nj $nj $mini_opts
fi

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
  log "Stage 1: prepare and validate data/{train,dev,test} (Spanish speech) and data/{train,dev,test}_en (English)"
  speechkit prep cvss --corpus-root "$corpus_root" --source-root "$source_root" --out data
  for set in train dev test; do speechkit data validate data/$set; speechkit data validate data/${set}_en; done
fi

if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then
  log "Stage 2: English lexicon of every split (CMUdict, eSpeak G2P for the rest) in data/lang_en"
  speechkit prep lang --data data/train_en --extra-data data/dev_en --extra-data data/test_en --out data/lang_en
fi

if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
  log "Stage 3: align the English target speech (durations), TTS features of train and dev"
  speechkit align --data data/train_en --out exp/align/train --train --lexicon data/lang_en/lexicon.txt --seed $seed --nj $nj
  for set in dev test; do
    speechkit align --data data/${set}_en --out exp/align/$set --model exp/align/train/model --lexicon data/lang_en/lexicon.txt \
      --nj $nj
  done
  for set in train dev test; do speechkit align import --data data/${set}_en --textgrids exp/align/$set; done
  for set in train dev; do speechkit prep tts-features --data data/${set}_en --out exp/feats/${set}_en --nj $nj; done
fi

if [ $stage -le 4 ] && [ $stop_stage -ge 4 ]; then
  log "Stage 4: train the cascade: Spanish ASR (exp/asr_es), MT (exp/mt) and English FastSpeech 2 (exp/tts)"
  train conf/asr_es.yaml
  train conf/mt.yaml conf/tts.yaml
  wait_jobs
fi

if [ $stage -le 5 ] && [ $stop_stage -ge 5 ]; then
  log "Stage 5: train the direct model (exp/s2st, from the cascade's parts) and the English ASR judge (exp/asr_en)"
  train conf/direct.yaml
  train conf/asr_en.yaml
  wait_jobs
fi

if [ $stage -le 6 ] && [ $stop_stage -ge 6 ]; then
  log "Stage 6: translate data/test with both systems"
  speechkit decode --model exp/s2st --data data/test --vocoder $vocoder --device $device
  speechkit decode --model exp/mt --data data/test --asr-model exp/asr_es --tts-model exp/tts --vocoder $vocoder \
    --device $device --out exp/cascade/decode_test
fi

if [ $stage -le 7 ] && [ $stop_stage -ge 7 ]; then
  log "Stage 7: ASR-BLEU of both (the judge on the reference speech is the upper bound)"
  for dir in exp/s2st/decode_test exp/cascade/decode_test; do
    speechkit score s2st --ref-data data/test --syn $dir --asr-model exp/asr_en --device $device --results RESULTS.md
  done
fi
