#!/usr/bin/env bash
# LJSpeech text to speech: FastSpeech 2 with Griffin-Lim (or a Vocos or HiFi-GAN vocoder trained in stage 5), scored
# by MCD, F0, durations and an ASR judge's WER on the synthesized and the real test speech. With no --corpus-root it
# synthesizes the built-in mini corpus first, and for the judge alone --judge-sentences more sentences of random
# words in the same voice. Durations come from MFA TextGrids with --textgrids DIR, else from speechkit's aligner.
set -euo pipefail
cd "$(dirname "$0")"

stage=0
stop_stage=100
nj=2
seed=0
corpus_root=
mini_opts=     # extra options of `speechkit prep mini-ljspeech`, e.g. "--limit 100" for a smaller corpus
textgrids=
vocoder=griffinlim   # griffinlim, or vocos / hifigan: trained in stage 5 with conf/<vocoder>.yaml into exp/<vocoder>
judge_sentences=1500 # mini corpus only: extra sentences (random words, same voice) that only the ASR judge trains on
config=conf/train.yaml
exp=exp/tts
device=cpu
help_message="Usage: $0 [--stage N] [--stop-stage M] [--nj J] [--seed S] [--corpus-root LJSPEECH_ROOT]
          [--mini-opts '...'] [--textgrids MFA_DIR] [--vocoder griffinlim|vocos|hifigan] [--judge-sentences N]
          [--config conf/train.yaml] [--exp exp/tts] [--device cpu|cuda]"
. ../../utils/parse_options.sh
. ./cmd.sh

log() { echo "$(date '+%Y-%m-%d %H:%M:%S') $*"; }
if [ -z "$corpus_root" ]; then corpus_root=downloads/mini_ljspeech; build_mini=true; else build_mini=false; fi
case $vocoder in
  griffinlim) vocoder_dir=griffinlim ;;
  vocos|hifigan) vocoder_dir=exp/$vocoder ;;
  *) echo "$0: --vocoder must be griffinlim, vocos or hifigan, not '$vocoder'" >&2; exit 1 ;;
esac
judge_corpus=downloads/mini_ljspeech_judge

if [ $stage -le 0 ] && [ $stop_stage -ge 0 ] && $build_mini; then
  log "Stage 0: synthesize the mini LJSpeech corpus in $corpus_root"
  [ -f "$corpus_root/metadata.csv" ] || speechkit prep mini-ljspeech --out "$corpus_root" --seed $seed --nj $nj $mini_opts
  if [ "$judge_sentences" -gt 0 ] && [ ! -f $judge_corpus/metadata.csv ]; then
    log "Stage 0: $judge_sentences sentences of random words in the same voice for the ASR judge in $judge_corpus"
    speechkit prep mini-ljspeech --out $judge_corpus --judge "$judge_sentences" --seed $seed --nj $nj
  fi
fi

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
  log "Stage 1: prepare and validate data/{train,dev,test}"
  speechkit prep ljspeech --corpus-root "$corpus_root" --out data ${textgrids:+--textgrids "$textgrids"}
  for set in train dev test; do speechkit data validate data/$set; done
  judge_sets=
  if $build_mini && [ "$judge_sentences" -gt 0 ]; then
    speechkit prep ljspeech --corpus-root $judge_corpus --out data_judge --speaker JG --dev 0 --test 0
    judge_sets="data_judge/train data_judge/dev data_judge/test"  # all of it: the judge validates on data/dev
  fi
  speechkit data combine data/judge_train data/train $judge_sets  # what the ASR judge trains on
fi

if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then
  if [ -n "$textgrids" ]; then
    log "Stage 2: durations from the TextGrids in $textgrids"
    for set in train dev test; do speechkit align import --data data/$set; done
  else
    log "Stage 2: train speechkit's aligner on data/train, align every set, import the durations"
    speechkit align --data data/train --out exp/align/train --train --seed $seed --device $device --nj $nj
    for set in dev test; do
      speechkit align --data data/$set --out exp/align/$set --model exp/align/train/model --device $device --nj $nj
    done
    for set in train dev test; do speechkit align import --data data/$set --textgrids exp/align/$set; done
  fi
fi

if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
  log "Stage 3: log-mels, token pitch and energy, and their statistics in exp/feats/{train,dev}"
  for set in train dev; do speechkit prep tts-features --data data/$set --out exp/feats/$set --nj $nj; done
fi

if [ $stage -le 4 ] && [ $stop_stage -ge 4 ]; then
  # each training uses one thread: with --nj 2 or more they run side by side, one per core
  log "Stage 4: train FastSpeech 2 in $exp and the ASR judge in exp/asr (both resume if interrupted)"
  judge="speechkit train --recipe . --config conf/asr.yaml --device $device train.seed=$seed"
  if [ $nj -gt 1 ]; then
    mkdir -p exp/log
    log "  the judge trains in the background: tail -f exp/log/train_asr.log"
    $judge > exp/log/train_asr.log 2>&1 &
    judge_pid=$!
    trap 'kill $judge_pid 2>/dev/null' EXIT
  fi
  speechkit train --recipe . --config $config --device $device exp_dir=$exp train.seed=$seed
  if [ $nj -gt 1 ]; then
    wait $judge_pid || { echo "$0: the ASR judge's training failed: see exp/log/train_asr.log" >&2; exit 1; }
    trap - EXIT
  else
    $judge
  fi
fi

if [ $stage -le 5 ] && [ $stop_stage -ge 5 ] && [ $vocoder != griffinlim ]; then
  log "Stage 5: train the $vocoder vocoder in $vocoder_dir (resumes if interrupted)"
  speechkit train --recipe . --config conf/$vocoder.yaml --device $device exp_dir=$vocoder_dir train.seed=$seed
fi

if [ $stage -le 6 ] && [ $stop_stage -ge 6 ]; then
  log "Stage 6: synthesize data/test with $vocoder into $exp/synth_test"
  speechkit synth --model $exp --vocoder $vocoder_dir --data data/test --out $exp/synth_test --device $device
fi

if [ $stage -le 7 ] && [ $stop_stage -ge 7 ]; then
  log "Stage 7: tune the ASR judge's LM weights on data/dev, score $exp/synth_test"
  speechkit lm words --top 50000 --out exp/lm/en_unigram.arpa
  speechkit decode --model exp/asr --data data/dev --lm exp/lm/en_unigram.arpa --tune --nj $nj --beam 32 \
    --alphas 0.2,0.3,0.4,0.5,0.7 --betas 0,1,2,3,4 --device $device
  speechkit score tts --ref-data data/test --syn $exp/synth_test --asr-model exp/asr --device $device \
    --lm exp/lm/en_unigram.arpa --alpha-beta-from exp/asr/decode_dev_tune/tune.json --results RESULTS.md
fi
