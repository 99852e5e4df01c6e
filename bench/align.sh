#!/usr/bin/env bash
# How good is speechkit's own aligner? Builds the mini LJSpeech corpus (eSpeak's phone timings are exact ground
# truth), trains the aligner on all of it with `speechkit align --train` (the TextGrids are never read for
# training), then scores (bench/align_accuracy.py):
#   1. the lexicon's alignment (phones where its sequence matches eSpeak's; words everywhere);
#   2. the reference phone sequences aligned with --phones (every utterance);
#   3. throughput of alignment alone with the trained model (--model).
# Usage: [THREADS=n] bench/align.sh [WORK_DIR] [extra `speechkit align --train` arguments, e.g. model.n_states=2]
set -euo pipefail
threads=${THREADS:-2}
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-/tmp/speechkit_align_bench}
shift || true
mkdir -p "$work"
[ -f "$work/corpus/metadata.csv" ] || speechkit prep mini-ljspeech --out "$work/corpus"
# One data dir with every utterance (train, dev and test together: the aligner is unsupervised), and the
# reference phone sequences for --phones.
speechkit prep ljspeech --corpus-root "$work/corpus" --out "$work/data" >/dev/null
data=$work/data/all
python - "$work/corpus/textgrids" "$work/data" > "$work/ref_phones" <<'EOF'
import sys
from pathlib import Path
from speechkit.data.datadir import load_data_dir, write_data_dir
from speechkit.data.textgrid import SILENCE_LABELS, read_alignment
data = Path(sys.argv[2])
utts = [u for split in ("train", "dev", "test") for u in load_data_dir(data / split)]
write_data_dir(data / "all", utts)
for utt in sorted(u.utt for u in utts):
    labels = ["sil" if p.label in SILENCE_LABELS else p.label for p in read_alignment(Path(sys.argv[1]) / f"{utt}.TextGrid").phones]
    print(utt, " ".join(l for i, l in enumerate(labels) if l != "sil" or i == 0 or labels[i - 1] != "sil"))
EOF
# Wall and CPU seconds (user + system) of each run: on a shared machine the CPU time is the steadier figure.
timed() { local out=$1; shift; /usr/bin/time -f "%e %U %S" -o "$out" "$@"; }
timed "$work/train.time" speechkit align --data "$data" --out "$work/lexicon" --train --threads "$threads" "$@"
timed "$work/align.time" speechkit align --data "$data" --out "$work/given" --model "$work/lexicon/model" \
  --phones "$work/ref_phones" --threads "$threads"
audio=$(python -c "import soundfile as sf, sys; print(sum(sf.info(l.split()[1]).duration for l in open(sys.argv[1])))" "$data/wav.scp")
echo "== lexicon alignment (trained on the corpus itself) =="
python "$here/align_accuracy.py" --ref "$work/corpus/textgrids" --hyp "$work/lexicon" --json "$work/lexicon.json"
echo "== reference phone sequences (--phones) =="
python "$here/align_accuracy.py" --ref "$work/corpus/textgrids" --hyp "$work/given" --json "$work/given.json"
echo "== the same, without the references' interpolated boundaries (split eSpeak units) =="
python "$here/align_accuracy.py" --ref "$work/corpus/textgrids" --hyp "$work/lexicon" --skip-interpolated
python "$here/align_accuracy.py" --ref "$work/corpus/textgrids" --hyp "$work/given" --skip-interpolated
python - "$work/train.time" "$work/align.time" "$audio" <<'EOF'
import sys
(train_wall, *train_cpu), (align_wall, *align_cpu) = ([float(x) for x in open(p).read().split()[-3:]] for p in sys.argv[1:3])
audio = float(sys.argv[3])
print(f"audio {audio / 3600:.2f} h; --train (train, then align): {train_wall:.0f} s wall, {sum(train_cpu):.0f} s CPU; "
      f"--model alone: {align_wall:.0f} s wall, {sum(align_cpu):.0f} s CPU = {audio / align_wall:.0f} s of audio per "
      f"wall second, {audio / sum(align_cpu):.0f} per CPU second")
EOF
