# Report: the claims table (dvc metrics), CSV exports for dvc plots, and results/report.html.
# Inputs and commands come from pipeline.dag.report_stages, which dvc.yaml is generated from.

REPORT_STAGES = {stage.name: stage for stage in dag.report_stages(PIPELINE)}


rule claims:
    conda:
        "../envs/pipeline.yaml"
    input:
        dag.expand_code(REPORT_STAGES["claims"].deps),
    output:
        table=REPORT_STAGES["claims"].outs[0],
        summary=REPORT_STAGES["claims"].metrics[0],
    params:
        command=REPORT_STAGES["claims"].cmd,
    log:
        f"{RESULTS}/logs/claims.log",
    shell:
        "{params.command} > {log} 2>&1"


rule plots:
    conda:
        "../envs/pipeline.yaml"
    input:
        dag.expand_code(REPORT_STAGES["plots"].deps),
    output:
        REPORT_STAGES["plots"].outs,
    params:
        command=REPORT_STAGES["plots"].cmd,
    log:
        f"{RESULTS}/logs/plots.log",
    shell:
        "{params.command} > {log} 2>&1"


rule report:
    conda:
        "../envs/pipeline.yaml"
    input:
        dag.expand_code(REPORT_STAGES["report"].deps),
    output:
        REPORT_STAGES["report"].outs,
    params:
        command=REPORT_STAGES["report"].cmd,
    log:
        f"{RESULTS}/logs/report.log",
    shell:
        "{params.command} > {log} 2>&1"
