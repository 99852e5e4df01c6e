"""Jobs: a stage's work split into ``--nj`` parts, run through a backend (this machine, or Slurm) and merged."""
