"""Training: a generic loop (:mod:`.loop`) and one module per task that supplies data, losses and metrics."""
