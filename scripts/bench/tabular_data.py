"""Tabular data made to need preprocessing, and the centralized baseline on it.

Used by scripts/bench/tabular.sh. scikit-learn's make_classification draws an ordinary
classification problem; each feature is then rescaled to its own order of magnitude, from
1e-3 to 1e3, and shifted off zero, as raw columns of a real table are (a price next to a
ratio). The rows are split once: the owner's test set, and equal IID shares for the
participants, written as plain CSV (a header of feature names, the label in the last
column). The baseline is what a data scientist holding all of the participants' rows would
fit: scikit-learn's logistic regression on standardized features, scored on the same test
set.

    python tabular_data.py --out DIR [--seed S] [--participants P]

writes DIR/test.csv, DIR/participant-1.csv … DIR/participant-P.csv and prints a JSON
object: the baseline's test accuracy and the data's shape.

With --generator gaussian it needs nothing beyond the standard library (the test command's
tabular-e2e uses it): one Gaussian cluster per class around a mean drawn per class and
feature, unit spread, then the same rescaling; no baseline.
"""

import argparse
import json
import os
import random


def write_csv(path, features, labels, names):
    with open(path, "w", encoding="ascii") as out:
        out.write(",".join(names + ["label"]) + "\n")
        for row, label in zip(features, labels):
            out.write(",".join(f"{value:.9g}" for value in row) + f",{int(label)}\n")


def gaussian_rows(samples, features, classes, seed, scales):
    """Rows of one Gaussian cluster per class, rescaled per feature (stdlib only)."""
    rng = random.Random(seed)
    means = [[rng.gauss(0.0, 1.5) for _ in range(features)] for _ in range(classes)]
    rows, labels = [], []
    for _ in range(samples):
        label = rng.randrange(classes)
        rows.append(
            [(means[label][j] + rng.gauss(0.0, 1.0) + 3.0) * scales[j] for j in range(features)]
        )
        labels.append(label)
    return rows, labels


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--participants", type=int, default=4)
    parser.add_argument("--per-participant", type=int, default=500)
    parser.add_argument("--test", type=int, default=400)
    parser.add_argument("--features", type=int, default=8)
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument("--generator", choices=["sklearn", "gaussian"], default="sklearn")
    args = parser.parse_args()

    samples = args.test + args.participants * args.per_participant
    # Feature j lives on the scale 10^(−3 + 6j/(F−1)) and is centred three scales off zero.
    steps = max(args.features - 1, 1)
    scales = [10.0 ** (-3.0 + 6.0 * j / steps) for j in range(args.features)]
    names = [f"x{j}" for j in range(args.features)]
    if args.generator == "gaussian":
        features, labels = gaussian_rows(
            samples, args.features, args.classes, args.seed, scales
        )
        write_split(args, features, labels, names)
        print(json.dumps({"baseline_accuracy": None, **shape(args, scales)}))
        return

    import numpy as np
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, labels = make_classification(
        n_samples=samples,
        n_features=args.features,
        n_informative=args.features - 2,
        n_redundant=1,
        n_classes=args.classes,
        n_clusters_per_class=1,
        class_sep=1.5,
        random_state=args.seed,
    )
    features = features * np.array(scales) + 3.0 * np.array(scales)
    train_x, train_y = write_split(args, features, labels, names)
    baseline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    baseline.fit(train_x, train_y)
    accuracy = float(baseline.score(features[: args.test], labels[: args.test]))
    print(json.dumps({"baseline_accuracy": accuracy, **shape(args, scales)}))


def write_split(args, features, labels, names):
    """The owner's test rows first, then each participant's share; returns the training rows."""
    os.makedirs(args.out, exist_ok=True)
    write_csv(os.path.join(args.out, "test.csv"), features[: args.test], labels[: args.test], names)
    train_x, train_y = features[args.test :], labels[args.test :]
    for p in range(args.participants):
        rows = slice(p * args.per_participant, (p + 1) * args.per_participant)
        write_csv(
            os.path.join(args.out, f"participant-{p + 1}.csv"), train_x[rows], train_y[rows], names
        )
    return train_x, train_y


def shape(args, scales):
    return {
        "test_samples": args.test,
        "participants": args.participants,
        "per_participant": args.per_participant,
        "features": args.features,
        "classes": args.classes,
        "scales": [float(s) for s in scales],
        "seed": args.seed,
    }


if __name__ == "__main__":
    main()
