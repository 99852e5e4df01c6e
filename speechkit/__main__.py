"""``python -m speechkit``: the same command as ``speechkit`` (what ``speechkit train --nproc`` hands torchrun)."""

from speechkit.cli import main

main()
