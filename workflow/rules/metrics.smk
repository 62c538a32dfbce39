# Metrics: the per-feature table (norm, interference, dimensionality, ...) and a JSON summary.


rule metrics:
    conda:
        "../envs/pipeline.yaml"
    input:
        model=f"{RESULTS}/{{experiment}}/model.safetensors",
        instances=f"{RESULTS}/{{experiment}}/instances.parquet",
        distribution=f"{RESULTS}/{{experiment}}/distribution.safetensors",
        code=code("metrics"),
    output:
        features=f"{RESULTS}/{{experiment}}/features.parquet",
        summary=f"{RESULTS}/{{experiment}}/summary.json",
    params:
        command=lambda w: stage_command("metrics", w.experiment),
    log:
        f"{RESULTS}/logs/metrics/{{experiment}}.log",
    shell:
        "{params.command} > {log} 2>&1"
