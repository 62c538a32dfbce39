# Figures: one script per figure (src/toy_superposition/figures/<id>.py), PNG + SVG + its data table.


rule figure:
    conda:
        "../envs/pipeline.yaml"
    input:
        data=lambda w: [str(p) for p in dag.figure_inputs(PIPELINE, w.figure)],
        code=lambda w: code("figure", w.figure),
    output:
        png=report(
            f"{RESULTS}/figures/{{figure}}.png",
            caption="../report/figure.rst",
            # the report links categories by name in reStructuredText, where ":" ends a link target
            category=lambda w: (PIPELINE.figure(w.figure).section or "Other").replace(":", " –"),
            labels={"figure": "{figure}"},
        ),
        svg=f"{RESULTS}/figures/{{figure}}.svg",
        table=f"{RESULTS}/figures/{{figure}}.parquet",
    params:
        command=lambda w: stage_command("figure", w.figure),
    log:
        f"{RESULTS}/logs/figures/{{figure}}.log",
    shell:
        "{params.command} > {log} 2>&1"
