# msdl: microstructure simulation -> deep-learning datasets -> trained models -> figures.
# Full scale by default (config.yaml); `--profile profiles/local` runs the demo scale.


configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/synthetic.smk"
include: "workflow/rules/potts.smk"
include: "workflow/rules/uhcsdb.smk"
include: "workflow/rules/localization.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/evaluation.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/results.smk"


localrules:
    all,


rule all:
    default_target: True
    input:
        SYNTHETIC_TARGETS,
        POTTS_TARGETS,
        UHCSDB_TARGETS,
        LOCALIZATION_TARGETS,
        TRAINING_TARGETS,
        EVALUATION_TARGETS,
        SEARCH_TARGETS,
        RESULTS_TARGETS,
