#!/usr/bin/env bash
# Fluent Speech Commands intent recognition. With no --corpus-root it synthesizes the mini corpus first.
set -euo pipefail
cd "$(dirname "$0")"

stage=0
stop_stage=100
nj=2
seed=0
corpus_root=
help_message="Usage: $0 [--stage N] [--stop-stage M] [--nj J] [--seed S] [--corpus-root FSC_ROOT]"
. ../../utils/parse_options.sh

log() { echo "$(date '+%Y-%m-%d %H:%M:%S') $*"; }
if [ -z "$corpus_root" ]; then corpus_root=downloads/mini_fsc; build_mini=true; else build_mini=false; fi

if [ $stage -le 0 ] && [ $stop_stage -ge 0 ] && $build_mini; then
  log "Stage 0: synthesize the mini FSC corpus in $corpus_root"
  [ -f "$corpus_root/data/test_data.csv" ] || speechkit prep mini-fsc --out "$corpus_root" --seed $seed --nj $nj
fi

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
  log "Stage 1: prepare and validate data/{train,valid,test}"
  speechkit prep fsc --corpus-root "$corpus_root" --out data
  for set in train valid test; do speechkit data validate data/$set; done
fi
