# Toy Models of Superposition: data -> train -> metrics -> figures.
#
#   snakemake --cores all                       # the paper profile
#   snakemake --cores all --config profile=ci   # the same DAG, small (minutes on 2 CPU cores)
#
# Every setting lives in config/config.yaml; the rules below only wire stages together and
# call the library's command line (`toy-superposition <stage> NAME`), the same commands
# dvc.yaml runs.

from snakemake.utils import min_version

min_version("8.20")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/metrics.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        all_targets(),
    default_target: True
