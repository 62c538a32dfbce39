"""Training: one step for every instance at once (:mod:`.step`), the same step compiled into a
few fused kernels (:mod:`.compiled`), the batched trainer (:mod:`.trainer`) and its benchmark
against a plain reference loop (:mod:`.benchmark`)."""
