# Train: every instance of an experiment as one batched tensor program (GPU when present).


rule train:
    input:
        plan=f"{RESULTS}/{{experiment}}/plan.parquet",
        distribution=f"{RESULTS}/{{experiment}}/distribution.safetensors",
        code=code("train"),
    output:
        model=f"{RESULTS}/{{experiment}}/model.safetensors",
        snapshots=f"{RESULTS}/{{experiment}}/snapshots.safetensors",
        instances=f"{RESULTS}/{{experiment}}/instances.parquet",
        loss_curve=f"{RESULTS}/{{experiment}}/loss_curve.parquet",
    params:
        spec=lambda w: spec_hash(PIPELINE.experiment(w.experiment)),
        command=lambda w: stage_command("train", w.experiment),
    # The command pins torch's thread count itself (results are bit-identical only for the
    # same thread count); `threads` here tells the scheduler what the job uses.
    threads: dag.TRAIN_THREADS
    resources:
        # gpu=1 when the config asks for CUDA; the SLURM profile sets it for every train job.
        gpu=lambda w: dag.train_gpus(PIPELINE.experiment(w.experiment)),
        mem_mb=4000,
        runtime=120,
    log:
        f"{RESULTS}/logs/train/{{experiment}}.log",
    shell:
        "{params.command} > {log} 2>&1"
