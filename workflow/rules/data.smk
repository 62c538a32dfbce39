# Data: the per-instance plan (settings, seeds) and feature distributions of an experiment.
# Feature samples themselves are drawn on the training device, from a seeded generator.


rule data:
    conda:
        "../envs/pipeline.yaml"
    input:
        code=code("data"),
    output:
        plan=f"{RESULTS}/{{experiment}}/plan.parquet",
        distribution=f"{RESULTS}/{{experiment}}/distribution.safetensors",
    params:
        # Reruns the stage when this experiment's settings change (Snakemake's params trigger).
        spec=lambda w: spec_hash(PIPELINE.experiment(w.experiment)),
        command=lambda w: stage_command("data", w.experiment),
    log:
        f"{RESULTS}/logs/data/{{experiment}}.log",
    shell:
        "{params.command} > {log} 2>&1"
