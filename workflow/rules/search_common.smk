# Architecture search: trial names expanded from config `search.<name>.grid` at parse
# time, wildcard constraints and input functions (rules in workflow/rules/search.smk).
from msdl.search.grid import trial_names, trial_regex

SEARCHES = config.get("search") or {}
SEARCH_TRIALS = {name: trial_names(s) for name, s in SEARCHES.items()}


wildcard_constraints:
    search=_names_regex([name for name, trials in SEARCH_TRIALS.items() if trials]),
    trial=trial_regex([t for trials in SEARCH_TRIALS.values() for t in trials]),


def search_trial_inputs(wildcards):
    """Train shards (the first ones holding `max_train` images), test shards, statistics."""
    search = SEARCHES[wildcards.search]
    dataset = search["dataset"]
    train = shard_arrays(dataset, "train")
    if search.get("max_train"):
        shard_size = generator_dataset(config, dataset)["shard_size"]
        train = train[: -(-search["max_train"] // shard_size)]
    return {
        "train": train,
        "test": shard_arrays(dataset, "test"),
        "normalization": f"{RESULTS}/datasets/{dataset}/normalization.json",
    }


def search_records(wildcards):
    return expand(
        f"{RESULTS}/search/{wildcards.search}/{{trial}}/trial.json",
        trial=SEARCH_TRIALS[wildcards.search],
    )


def search_outputs():
    """The leaderboard, figures and findings of every enabled search."""
    out = []
    for name, trials in SEARCH_TRIALS.items():
        if trials:
            out += [
                f"{RESULTS}/search/{name}/leaderboard.csv",
                f"{RESULTS}/search/{name}/findings.json",
                f"{RESULTS}/search/{name}/findings.txt",
                f"{RESULTS}/figures/search_{name}_leaderboard.png",
                f"{RESULTS}/figures/search_{name}_curves.png",
            ]
    return out
