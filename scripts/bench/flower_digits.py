#!/usr/bin/env python3
"""Flower's half of `scripts/bench/vs-flower.sh`: FedAvg on the shipped digits, as DIN runs it.

A Flower simulation (flwr 1.41.0, `flwr[simulation]`: the Message API's `ServerApp` and
`ClientApp`, `flwr.serverapp.strategy.FedAvg.start`, launched by
`flwr.simulation.run_simulation` on the Ray backend) of `--clients` IID participants,
each doing what a DIN participant daemon does in a round, so that the rounds to 95%
test accuracy and the final accuracy compare with a DIN task's. Everything seeded (the
split, the shares, the initial model, every shuffle) is reproduced exactly; the f32
training follows candle's formulas but not its summation order, so trained values
agree with DIN's to rounding, not bit for bit:

* Data: `client/ml/data/digits.csv.gz`, features `pixel / 16` (`din_ml::data::digits::
  digits`). The owner's split is `digits_train_test` / `digits_test_indices`: the
  shuffle `shuffled_indices(1797, DIGITS_SPLIT_SEED = b"DINdigit")`, the last 360 for
  test (`data/split.rs: train_test_split`). Client k (0-based) holds `--data
  digits:k+1/N` (`client/cli/src/common.rs: DataSource::load_with`): share k of
  `iid_split(train, N, DIGITS_SHARE_SEED = b"DINshare")`, in that share's order.
* Randomness: `ChaCha8Rng::seed_from_u64` (rand_chacha 0.3 / rand_core 0.6: the seed
  expanded by PCG32) and din-ml's Fisher-Yates with `j = (u64 * (i + 1)) >> 64`
  (`data/split.rs: seeded_rng, shuffle`). `digits()` checks the first test indices
  `digits::tests::owner_split_is_fixed` pins.
* Model: `--model mlp:64` = 64 -> 64 (ReLU) -> 10, weights `[out, in]`, initialised by
  `din_ml::model::Model::new(spec, genesis_seed = 0)`: one ChaCha8 stream over the
  schema (fc1.weight, fc1.bias, fc2.weight, fc2.bias), `((u32 >> 8) / 2^24 * 2 - 1) /
  sqrt(fan_in)` in f32.
* Local training: `din participant run` defaults (`client/cli/src/participant.rs`):
  5 epochs, batch 16, SGD lr 0.05 momentum 0.9 (`optim.rs: SgdMomentum`: v = g on the
  first step, then v = 0.9 v + g; w -= lr v; the velocity starts afresh every round), mean
  cross-entropy, ReLU's gradient passed where the pre-activation is >= 0 (candle). Each
  epoch reshuffles the previous epoch's order with one ChaCha8 stream seeded
  `seed * 1_000_003 + round` (0-based round; `RunArgs::train_config`), where participant
  k+1 runs with `--seed k+1` as `scripts/fl-run.sh` starts it; batches are
  consecutive slices, the last one shorter (`train.rs: run`). All arithmetic in f32.
* Aggregation: Flower's own FedAvg (sample-weighted float mean), with the server
  evaluating the global model on the 360-sample test split after every round
  (centralized evaluation, as `din model evaluate --data digits-test` does). With
  `--fixed-point` the models instead travel in DIN's 16.16 fixed point
  (`primitives/fl/src/encoding.rs: quantize`, round half away from zero) and the mean
  is DIN's exact integer FedAvg (`primitives/fl/src/rules/fedavg.rs`), the genesis model
  included; DIN combines subgroup aggregates in a second such FedAvg, which this does
  not repeat (a difference of at most one 2^-16 step per value).

`flwr run`, the CLI flwr 1.41 steers simulations to, needs a packaged app
(pyproject.toml) and starts a detached local SuperLink that outlives the command; the
deprecated but present `run_simulation` runs the same Simulation Runtime and Ray backend
in this process, which a one-shot benchmark wants. The script imports itself as the
module `flower_digits` so that Ray pickles the apps by reference: each actor process
then loads the digits once, not once per round.

Usage (the venv is $REPO/.venv-flower, made by scripts/bench/lib-flower.sh):

    source scripts/bench/lib-flower.sh && ensure_flower_venv
    "$FLOWER_PYTHON" scripts/bench/flower_digits.py [--rounds 20] [--clients 10]
        [--local-epochs 5] [--batch 16] [--lr 0.05] [--target 0.95] [--fixed-point]
        [--client-cpus 1] [--json OUT]

where `ensure_flower_venv` is, in short:

    python3 -m venv .venv-flower &&
        .venv-flower/bin/python -m pip install 'flwr[simulation]==1.41.0' numpy

Prints one JSON line: framework, flwr version, the settings, accuracy_per_round (after
rounds 1..N; initial_accuracy before), rounds_to_target (first round at or above
--target, else null), final_accuracy, seconds_per_round (mean wall time of a round:
train, aggregate, evaluate; round_seconds lists them), startup_seconds (Ray and the
actors loading the data, up to the first round) and client_train_seconds (a client's
local training per round, the sample-weighted mean over clients, averaged over rounds).
"""

import argparse
import functools
import gzip
import json
import os
import pathlib
import sys
import time

# Each Ray actor runs one client at a time on one core; BLAS threads would only contend.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
DIGITS_CSV_GZ = HERE.parents[1] / "client" / "ml" / "data" / "digits.csv.gz"

# client/ml/src/data/digits.rs
DIGITS_SAMPLES = 1797
DIGITS_TEST_SAMPLES = 360
DIGITS_MAX_PIXEL = 16.0
DIGITS_SPLIT_SEED = int.from_bytes(b"DINdigit", "big")
# client/cli/src/common.rs
DIGITS_SHARE_SEED = int.from_bytes(b"DINshare", "big")
# `--model mlp:64` on the digits (client/cli/src/task/create.rs: model_spec)
INPUTS, HIDDEN, CLASSES = 64, 64, 10
# primitives/fl/src/encoding.rs
SCALE = 1 << 16

MASK32 = (1 << 32) - 1
MASK64 = (1 << 64) - 1


class ChaCha8:
    """`rand_chacha::ChaCha8Rng::seed_from_u64(seed)` (rand_chacha 0.3, rand_core 0.6).

    The u32 outputs are the keystream words in order, next_u64 is two of them low word
    first; rand_core's block buffer does not change that order.
    """

    def __init__(self, seed):
        self.key = []
        state = seed & MASK64
        for _ in range(8):  # rand_core's seed_from_u64: PCG32 fills the 32-byte seed.
            state = (state * 6364136223846793005 + 11634580027462260723) & MASK64
            xorshifted = (((state >> 18) ^ state) >> 27) & MASK32
            rot = state >> 59
            self.key.append(((xorshifted >> rot) | (xorshifted << (32 - rot))) & MASK32)
        self.counter = 0
        self.words = []
        self.index = 0

    def _refill(self):
        x = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574, *self.key,
             self.counter & MASK32, self.counter >> 32, 0, 0]
        initial = list(x)

        def quarter(a, b, c, d):
            x[a] = (x[a] + x[b]) & MASK32
            x[d] ^= x[a]
            x[d] = ((x[d] << 16) | (x[d] >> 16)) & MASK32
            x[c] = (x[c] + x[d]) & MASK32
            x[b] ^= x[c]
            x[b] = ((x[b] << 12) | (x[b] >> 20)) & MASK32
            x[a] = (x[a] + x[b]) & MASK32
            x[d] ^= x[a]
            x[d] = ((x[d] << 8) | (x[d] >> 24)) & MASK32
            x[c] = (x[c] + x[d]) & MASK32
            x[b] ^= x[c]
            x[b] = ((x[b] << 7) | (x[b] >> 25)) & MASK32

        for _ in range(4):  # 8 rounds
            quarter(0, 4, 8, 12), quarter(1, 5, 9, 13)
            quarter(2, 6, 10, 14), quarter(3, 7, 11, 15)
            quarter(0, 5, 10, 15), quarter(1, 6, 11, 12)
            quarter(2, 7, 8, 13), quarter(3, 4, 9, 14)
        self.words = [(a + b) & MASK32 for a, b in zip(x, initial)]
        self.index = 0
        self.counter += 1

    def next_u32(self):
        if self.index == len(self.words):
            self._refill()
        self.index += 1
        return self.words[self.index - 1]

    def next_u64(self):
        low = self.next_u32()
        return low | (self.next_u32() << 32)


def shuffle(values, rng):
    """din-ml's Fisher-Yates (`data/split.rs: shuffle`), in place on a list or array."""
    for i in range(len(values) - 1, 0, -1):
        j = (rng.next_u64() * (i + 1)) >> 64
        values[i], values[j] = values[j], values[i]


def shuffled_indices(n, seed):
    indices = list(range(n))
    shuffle(indices, ChaCha8(seed))
    return indices


@functools.cache
def digits():
    """(features f32 [1797, 64], labels, train indices, test indices), split as the owner's."""
    with gzip.open(DIGITS_CSV_GZ, "rt") as file:
        raw = np.loadtxt(file, delimiter=",", dtype=np.float32, ndmin=2)
    features = raw[:, :-1] / np.float32(DIGITS_MAX_PIXEL)
    labels = raw[:, -1].astype(np.int64)
    order = shuffled_indices(DIGITS_SAMPLES, DIGITS_SPLIT_SEED)
    cut = DIGITS_SAMPLES - DIGITS_TEST_SAMPLES
    # A wrong RNG would still give a plausible split; the Rust test pins these.
    assert order[cut:cut + 8] == [593, 1282, 1766, 1661, 745, 1194, 1287, 602], order[cut:cut + 8]
    return features, labels, np.array(order[:cut]), np.array(order[cut:])


@functools.cache
def shard(index, of):
    """`--data digits:{index + 1}/{of}`: the rows of one IID share, in the share's order."""
    features, labels, train, _ = digits()
    order = shuffled_indices(len(train), DIGITS_SHARE_SEED)
    start, end = index * len(train) // of, (index + 1) * len(train) // of
    rows = train[order[start:end]]
    return features[rows], labels[rows]


def test_split():
    features, labels, _, test = digits()
    return features[test], labels[test]


def genesis(seed):
    """`Model::new(mlp:64, seed)`: [fc1.weight, fc1.bias, fc2.weight, fc2.bias] as f32."""
    rng = ChaCha8(seed)
    params = []
    for shape, fan_in in (((HIDDEN, INPUTS), INPUTS), ((HIDDEN,), INPUTS),
                          ((CLASSES, HIDDEN), HIDDEN), ((CLASSES,), HIDDEN)):
        bound = np.float32(1.0) / np.sqrt(np.float32(fan_in))
        bits = np.array([rng.next_u32() >> 8 for _ in range(int(np.prod(shape)))], np.float32)
        unit = bits / np.float32(1 << 24) * np.float32(2.0) - np.float32(1.0)
        params.append((unit * bound).reshape(shape))
    return params


def logits(params, xs):
    w1, b1, w2, b2 = params
    return np.maximum(xs @ w1.T + b1, np.float32(0.0)) @ w2.T + b2


def accuracy(params, xs, ys):
    return float(np.mean(np.argmax(logits(params, xs), axis=1) == ys))


def train(params, xs, ys, epochs, batch, lr, seed):
    """`din_ml::train::train` with SGD + momentum 0.9 on a copy of `params` (module docs)."""
    w1, b1, w2, b2 = (p.copy() for p in params)
    weights = (w1, b1, w2, b2)
    velocity = None
    lr, momentum = np.float32(lr), np.float32(0.9)
    rng = ChaCha8(seed)
    # The order carries over: each epoch shuffles the previous epoch's permutation.
    order = np.arange(len(xs))
    for _ in range(epochs):
        shuffle(order, rng)
        epoch_x, epoch_y = xs[order], ys[order]
        for start in range(0, len(xs), batch):
            x, y = epoch_x[start:start + batch], epoch_y[start:start + batch]
            pre = x @ w1.T + b1
            hidden = np.maximum(pre, np.float32(0.0))
            out = hidden @ w2.T + b2
            probs = np.exp(out - out.max(axis=1, keepdims=True))
            probs /= probs.sum(axis=1, keepdims=True)
            probs[np.arange(len(y)), y] -= np.float32(1.0)
            d_out = probs / np.float32(len(y))
            d_pre = (d_out @ w2) * (pre >= 0)  # candle's ReLU gradient includes 0
            grads = (d_pre.T @ x, d_pre.sum(axis=0), d_out.T @ hidden, d_out.sum(axis=0))
            if velocity is None:
                velocity = [g.astype(np.float32, copy=True) for g in grads]
            else:
                for v, g in zip(velocity, grads):
                    v *= momentum
                    v += g
            for w, v in zip(weights, velocity):
                w -= lr * v
    return list(weights)


def quantize(params):
    """DIN's `quantize`: round half away from zero of `x * 2^16`, saturated to i32."""
    out = []
    for p in params:
        scaled = p.astype(np.float64) * SCALE
        whole = np.trunc(scaled)
        fraction = scaled - whole
        rounded = whole + (fraction >= 0.5) - (fraction <= -0.5)
        out.append(np.clip(rounded, -(1 << 31), (1 << 31) - 1).astype(np.int64))
    return out


def dequantize(values):
    return [(v.astype(np.float32) / np.float32(SCALE)) for v in values]


def integer_fedavg(models, samples):
    """DIN's FedAvg: `round_half_away_from_zero(sum n_i v_i / sum n_i)` per value, exactly."""
    total = sum(samples)
    out = []
    for tensors in zip(*models):
        weighted = sum(int(n) * t for n, t in zip(samples, tensors))
        magnitude = (2 * np.abs(weighted) + total) // (2 * total)
        out.append(np.where(weighted < 0, -magnitude, magnitude))
    return out


# --- Flower apps -------------------------------------------------------------------------

from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MessageType  # noqa: E402
from flwr.app import MetricRecord, RecordDict  # noqa: E402
from flwr.clientapp import ClientApp  # noqa: E402
from flwr.serverapp import Grid, ServerApp  # noqa: E402
from flwr.serverapp.strategy import FedAvg  # noqa: E402

client_app = ClientApp()
server_app = ServerApp()
# What the ServerApp (a thread of this process) hands back to main().
SETTINGS = {}
OUTCOME = {}


def _shard_of(context):
    return shard(int(context.node_config["partition-id"]),
                 int(context.node_config["num-partitions"]))


@client_app.query()
def warm_up(msg: Message, context: Context) -> Message:
    """Loads the data in this actor before the clock starts."""
    _shard_of(context)
    return Message(RecordDict(), reply_to=msg)


@client_app.train()
def local_round(msg: Message, context: Context) -> Message:
    config = msg.content["config"]
    xs, ys = _shard_of(context)
    participant = int(context.node_config["partition-id"]) + 1
    seed = (participant * 1_000_003 + int(config["server-round"]) - 1) & MASK64
    started = time.perf_counter()
    params = train(msg.content["arrays"].to_numpy_ndarrays(), xs, ys,
                   int(config["local-epochs"]), int(config["batch"]),
                   float(config["lr"]), seed)
    seconds = time.perf_counter() - started
    if config["fixed-point"]:
        params = dequantize(quantize(params))
    metrics = MetricRecord({"num-examples": len(xs), "train-seconds": seconds})
    return Message(RecordDict({"arrays": ArrayRecord(params), "metrics": metrics}),
                   reply_to=msg)


class FixedPointFedAvg(FedAvg):
    """FedAvg whose mean is DIN's integer one over the 16.16 values the clients send."""

    def aggregate_train(self, server_round, replies):
        replies = list(replies)
        arrays, metrics = super().aggregate_train(server_round, replies)
        if arrays is None:
            return arrays, metrics
        valid = [r for r in replies if not r.has_error()]
        models = [quantize(r.content["arrays"].to_numpy_ndarrays()) for r in valid]
        samples = [int(r.content["metrics"]["num-examples"]) for r in valid]
        return ArrayRecord(dequantize(integer_fedavg(models, samples))), metrics


@server_app.main()
def serve(grid: Grid, context: Context) -> None:
    s = SETTINGS
    while len(nodes := list(grid.get_node_ids())) < s["clients"]:
        time.sleep(0.1)
    grid.send_and_receive([Message(RecordDict(), dst_node_id=n, message_type=MessageType.QUERY)
                           for n in nodes])
    test_x, test_y = test_split()
    marks = []

    def evaluate(server_round, arrays):
        result = accuracy(arrays.to_numpy_ndarrays(), test_x, test_y)
        marks.append(time.perf_counter())
        return MetricRecord({"accuracy": result})

    params = genesis(s["genesis_seed"])
    if s["fixed_point"]:
        params = dequantize(quantize(params))
    everyone = dict(fraction_train=1.0, fraction_evaluate=0.0, min_train_nodes=s["clients"],
                    min_available_nodes=s["clients"])
    strategy = (FixedPointFedAvg if s["fixed_point"] else FedAvg)(**everyone)
    result = strategy.start(
        grid=grid, initial_arrays=ArrayRecord(params), num_rounds=s["rounds"],
        train_config=ConfigRecord({"local-epochs": s["local_epochs"], "batch": s["batch"],
                                   "lr": s["lr"], "fixed-point": s["fixed_point"]}),
        evaluate_fn=evaluate)
    OUTCOME["marks"] = marks
    OUTCOME["train_seconds"] = [float(m["train-seconds"])
                                for m in result.train_metrics_clientapp.values()]
    OUTCOME["accuracy"] = [float(result.evaluate_metrics_serverapp[r]["accuracy"])
                           for r in range(s["rounds"] + 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--local-epochs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--target", type=float, default=0.95)
    parser.add_argument("--genesis-seed", type=int, default=0)
    parser.add_argument("--fixed-point", action="store_true",
                        help="DIN's 16.16 models and integer FedAvg (module docs)")
    parser.add_argument("--client-cpus", type=float, default=1,
                        help="cores per Ray actor (Flower's default of 2 would run "
                             "one client at a time on a 2-core machine)")
    parser.add_argument("--json", help="also write the JSON line here")
    args = parser.parse_args()
    SETTINGS.update(clients=args.clients, rounds=args.rounds, local_epochs=args.local_epochs,
                    batch=args.batch, lr=args.lr, genesis_seed=args.genesis_seed,
                    fixed_point=args.fixed_point)

    import flwr
    from flwr.simulation import run_simulation

    started = time.perf_counter()
    run_simulation(server_app=server_app, client_app=client_app, num_supernodes=args.clients,
                   backend_config={"client_resources": {"num_cpus": args.client_cpus,
                                                        "num_gpus": 0.0},
                                   "init_args": {"logging_level": "error",
                                                 "log_to_driver": False}})
    if "accuracy" not in OUTCOME:
        sys.exit("the Flower simulation ended without a result (see its log above)")
    marks = OUTCOME["marks"]
    per_round = OUTCOME["accuracy"][1:]
    reached = [r for r, a in enumerate(per_round, 1) if a >= args.target]
    report = {
        "framework": "flower",
        "flwr": flwr.__version__,
        "rounds": args.rounds,
        "clients": args.clients,
        "local_epochs": args.local_epochs,
        "batch": args.batch,
        "lr": args.lr,
        "fixed_point": args.fixed_point,
        "target": args.target,
        "initial_accuracy": OUTCOME["accuracy"][0],
        "accuracy_per_round": per_round,
        "rounds_to_target": reached[0] if reached else None,
        "final_accuracy": per_round[-1],
        "seconds_per_round": (marks[-1] - marks[0]) / args.rounds,
        "round_seconds": [round(b - a, 4) for a, b in zip(marks, marks[1:])],
        "startup_seconds": marks[0] - started,
        # The local training alone; the rest of a round is mostly Flower's in-memory
        # grid polling for replies every 0.1 s.
        "client_train_seconds": sum(OUTCOME["train_seconds"]) / args.rounds,
    }
    line = json.dumps(report)
    print(line, flush=True)
    if args.json:
        pathlib.Path(args.json).write_text(line + "\n")


if __name__ == "__main__":
    # Run as the importable module so that Ray's workers find the apps by name (they
    # inherit this environment), leaving no __pycache__ in the work tree.
    sys.path.insert(0, str(HERE))
    sys.dont_write_bytecode = True
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
    import flower_digits

    flower_digits.main()
