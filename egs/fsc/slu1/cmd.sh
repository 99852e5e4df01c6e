# Where the --nj jobs of this recipe's align and decode stages run (speechkit's --cmd, which every stage reads from
# SPEECHKIT_CMD), as Kaldi's cmd.sh: "local" (this machine), or "slurm [sbatch options]", e.g.
#   export SPEECHKIT_CMD="slurm --partition cpu --mem 4G --time 2:00:00"    (--gpu N asks each job for N GPUs)
export SPEECHKIT_CMD="${SPEECHKIT_CMD:-local}"
