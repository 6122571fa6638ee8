# msdl: microstructure simulation -> deep-learning datasets -> trained models -> figures.
# Full scale by default (config.yaml); `--profile profiles/local` runs the demo scale.


configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/datasets.smk"
include: "workflow/rules/potts.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/localization.smk"
include: "workflow/rules/uhcsdb_common.smk"
include: "workflow/rules/uhcsdb.smk"
include: "workflow/rules/search_common.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/evaluation.smk"


localrules:
    all,


rule all:
    default_target: True
    input:
        all_outputs(),
