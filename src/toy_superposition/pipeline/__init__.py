"""The pipeline: the stages (:mod:`.stages`), the DAG that Snakemake and dvc.yaml are both built
from (:mod:`.dag`), dvc.yaml's generation (:mod:`.dvc_yaml`), and the claims table, plot exports
and HTML report after the figures (:mod:`.report`)."""
