#!/usr/bin/env bash
# Fluent Speech Commands intent recognition (Conformer-CTC + intent head). With no --corpus-root it
# synthesizes the built-in mini corpus first. Run from anywhere; paths are relative to this directory.
set -euo pipefail
cd "$(dirname "$0")"

stage=0
stop_stage=100
nj=2
seed=0
corpus_root=
mini_opts=     # extra options of `speechkit prep mini-fsc`, e.g. "--train-speakers 4" for a smaller corpus
config=conf/train.yaml
bpe_size=300   # soft limit: FSC's vocabulary is small, so this makes every word one unit (word-level CTC)
lm_order=3
beam=16
exp=exp/slu
device=cpu
help_message="Usage: $0 [--stage N] [--stop-stage M] [--nj J] [--seed S] [--corpus-root FSC_ROOT] [--mini-opts '...']
          [--bpe-size 300] [--lm-order 3] [--beam 16] [--config conf/train.yaml] [--exp exp/slu] [--device cpu|cuda]"
. ../../utils/parse_options.sh
. ./cmd.sh

log() { echo "$(date '+%Y-%m-%d %H:%M:%S') $*"; }
if [ -z "$corpus_root" ]; then corpus_root=downloads/mini_fsc; build_mini=true; else build_mini=false; fi

if [ $stage -le 0 ] && [ $stop_stage -ge 0 ] && $build_mini; then
  log "Stage 0: synthesize the mini FSC corpus in $corpus_root"
  [ -f "$corpus_root/data/test_data.csv" ] || speechkit prep mini-fsc --out "$corpus_root" --seed $seed --nj $nj $mini_opts
fi

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
  log "Stage 1: prepare and validate data/{train,valid,test}"
  speechkit prep fsc --corpus-root "$corpus_root" --out data
  for set in train valid test; do speechkit data validate data/$set; done
fi

if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then
  log "Stage 2: lexicon, phone and BPE tokens in data/lang; ${lm_order}-gram LM of the training transcripts"
  speechkit prep lang --data data/train --out data/lang --bpe-size $bpe_size
  mkdir -p data/lm && cut -d' ' -f2- data/train/text > data/lm/train.txt
  speechkit lm train --text data/lm/train.txt --order $lm_order --out data/lm/${lm_order}gram.arpa
fi

if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
  log "Stage 3: train $exp (resumes if interrupted)"
  speechkit train --recipe . --config $config --device $device exp_dir=$exp train.seed=$seed
fi

if [ $stage -le 4 ] && [ $stop_stage -ge 4 ]; then
  log "Stage 4: decode data/test greedily, tune the LM weights on data/valid, decode data/test with the LM"
  lm=data/lm/${lm_order}gram.arpa
  speechkit decode --model $exp --data data/test --device $device
  speechkit decode --model $exp --data data/valid --device $device --lm $lm --beam $beam --nj $nj --tune
  speechkit decode --model $exp --data data/test --device $device --lm $lm --beam $beam --nj $nj \
    --alpha-beta-from $exp/decode_valid_tune/tune.json
fi

if [ $stage -le 5 ] && [ $stop_stage -ge 5 ]; then
  log "Stage 5: score"
  speechkit score intent --ref data/test/utt2intent --hyp $exp/decode_test/utt2intent --out $exp/decode_test --results RESULTS.md
  speechkit score asr --ref data/test/text --hyp $exp/decode_test/text --out $exp/decode_test --results RESULTS.md
  speechkit score asr --ref data/test/text --hyp $exp/decode_test_lm/text --out $exp/decode_test_lm --results RESULTS.md
fi
