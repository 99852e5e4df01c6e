# Kaldi-style option parsing, sourced by run.sh after its defaults.
# `--foo-bar v` sets an existing variable foo_bar; an unknown option or a missing value is an error;
# `--help` prints $help_message. Remaining positional arguments are left in "$@".
while [ $# -gt 0 ]; do
  case "$1" in
    --help|-h) echo "${help_message:-no help for this script}"; exit 0 ;;
    --*)
      name=$(echo "${1#--}" | tr '-' '_')
      if ! declare -p "$name" >/dev/null 2>&1; then
        echo "$0: unknown option $1 (see --help)" >&2; exit 1
      fi
      if [ $# -lt 2 ]; then echo "$0: option $1 needs a value" >&2; exit 1; fi
      printf -v "$name" '%s' "$2"; shift 2 ;;
    *) break ;;
  esac
done
