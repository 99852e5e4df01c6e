# Training jobs for run.sh, sourced after parse_options.sh (uses the recipe's $nj, $device and $seed).
# `train CONF...` trains each config in turn with `speechkit train --recipe . --config CONF`. With --nj 2 or more
# the call runs in the background, logging to exp/log/<conf>.log, and `wait_jobs` waits for all such calls (one
# that fails fails the stage): independent models then train side by side, one CPU thread each.
pids=()
train() {
  if [ "$nj" -lt 2 ]; then
    for conf in "$@"; do speechkit train --recipe . --config "$conf" --device "$device" train.seed="$seed"; done
    return
  fi
  mkdir -p exp/log
  (for conf in "$@"; do
     log=exp/log/$(basename "$conf" .yaml).log
     echo "$(date '+%Y-%m-%d %H:%M:%S') training $conf (log: $log)"
     speechkit train --recipe . --config "$conf" --device "$device" train.seed="$seed" > "$log" 2>&1 ||
       { echo "training $conf failed; the end of $log:" >&2; tail -n 5 "$log" >&2; exit 1; }
   done) &
  pids+=($!)
}
wait_jobs() { for pid in "${pids[@]}"; do wait "$pid"; done; pids=(); }
