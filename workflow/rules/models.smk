# Models: layer tables and training (checkpoint each epoch, resumable).


rule layer_table:
    output:
        f"{RESULTS}/models/{{model}}/layers.txt",
    log:
        f"{RESULTS}/logs/models/{{model}}/layers.log",
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("summary")["threads"]
    resources:
        mem_mb=resources_of("summary")["mem_mb"],
        runtime=resources_of("summary")["runtime"],
    params:
        architecture=lambda wc: MODELS[wc.model]["architecture"],
    script:
        "../../scripts/layer_table.py"


rule train_autoencoder:
    input:
        unpack(model_inputs),
    output:
        model=f"{RESULTS}/models/{{model}}/model.pt",
        metrics=f"{RESULTS}/models/{{model}}/metrics.csv",
    log:
        f"{RESULTS}/logs/models/{{model}}/train.log",
    benchmark:
        f"{RESULTS}/benchmarks/models/{{model}}/train.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("train")["threads"]
    resources:
        mem_mb=resources_of("train")["mem_mb"],
        runtime=resources_of("train")["runtime"],
    params:
        model=lambda wc: MODELS[wc.model],
        device=config["device"],
        state_dir=lambda wc: f"{RESULTS}/models/{wc.model}/state",
    script:
        "../../scripts/train_autoencoder.py"
