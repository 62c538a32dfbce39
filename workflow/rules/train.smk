# Train: every instance of an experiment as one batched tensor program (GPU when present).


rule train:
    conda:
        "../envs/pipeline.yaml"
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
        # gpu=1 only when the config asks for CUDA (nothing overrides it, the SLURM profile neither).
        gpu=lambda w: dag.train_gpus(PIPELINE.experiment(w.experiment)),
        # more memory on each retry (the SLURM profile retries a failed job twice)
        mem_mb=lambda w, attempt: 4000 * attempt,
        runtime=240,
    benchmark:
        f"{RESULTS}/{TRAIN_BENCHMARK}"
    log:
        f"{RESULTS}/logs/train/{{experiment}}.log",
    shell:
        "{params.command} > {log} 2>&1"
