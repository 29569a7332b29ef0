#!/usr/bin/env python3
"""PyTorch CPU twin of din-ml's `train_throughput` bench.

Same data (the digits training split exported by the Rust bench as CSV, label last),
same model (`--model mlp:W,W` = 64 -> W -> ... -> 10 with ReLU, or `--model cnn:C,C` =
per channel count a 3x3 convolution with padding 1, ReLU and 2x2 max-pool over the
8x8 image, then a linear head; PyTorch's default init, which din-ml copies),
same loop (per-epoch shuffle, mini-batches without drop_last, mean cross-entropy,
SGD lr 0.05 momentum 0.9, the loss read back every step as din-ml does), same thread
count. Prints one JSON line like the Rust bench.
"""
import argparse
import json
import sys
import time

import torch
from torch import nn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True, help="CSV from train_throughput --export")
    parser.add_argument("--test-data", help="optional CSV to report accuracy on")
    parser.add_argument("--model", default="mlp:128,64", help="mlp:W[,W...] or cnn:C[,C...]")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    def load(path: str):
        raw = torch.tensor([[float(v) for v in line.split(",")] for line in open(path) if line.strip()])
        return raw[:, :-1].contiguous(), raw[:, -1].long()

    xs, ys = load(args.data)
    kind, _, sizes = args.model.partition(":")
    sizes = [int(w) for w in sizes.split(",")]

    def model_for(seed: int) -> nn.Module:
        torch.manual_seed(seed)
        layers = []
        if kind == "mlp":
            widths = [xs.shape[1]] + sizes + [10]
            for i, (fan_in, fan_out) in enumerate(zip(widths, widths[1:])):
                layers.append(nn.Linear(fan_in, fan_out))
                if i < len(widths) - 2:
                    layers.append(nn.ReLU())
        elif kind == "cnn":
            side = int(round(xs.shape[1] ** 0.5))
            layers.append(nn.Unflatten(1, (1, side, side)))
            channels = 1
            for out in sizes:
                layers += [nn.Conv2d(channels, out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
                channels, side = out, side // 2
            layers += [nn.Flatten(), nn.Linear(channels * side * side, 10)]
        else:
            sys.exit(f"unknown model {args.model}")
        return nn.Sequential(*layers)

    def train(model: nn.Module, opt: torch.optim.Optimizer, epochs: int) -> int:
        steps = 0
        n = xs.shape[0]
        for _ in range(epochs):
            order = torch.randperm(n)
            ex, ey = xs[order], ys[order]
            for start in range(0, n, args.batch):
                logits = model(ex[start : start + args.batch])
                loss = nn.functional.cross_entropy(logits, ey[start : start + args.batch])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                loss.item()
                steps += 1
        return steps

    best, accuracy = 0.0, None
    for repeat in range(args.repeats):
        model = model_for(repeat)
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        train(model, opt, 1)  # warm-up, untimed
        start = time.perf_counter()
        steps = train(model, opt, args.epochs)
        seconds = time.perf_counter() - start
        rate = args.epochs * xs.shape[0] / seconds
        print(f"torch run {repeat}: {rate:.0f} samples/s ({steps} steps in {seconds:.3f} s)", file=sys.stderr)
        best = max(best, rate)
        if args.test_data:
            test_xs, test_ys = load(args.test_data)
            with torch.no_grad():
                accuracy = (model(test_xs).argmax(1) == test_ys).float().mean().item()
    print(json.dumps({
        "framework": "torch",
        "version": torch.__version__,
        "model": args.model,
        "batch": args.batch,
        "threads": torch.get_num_threads(),
        "epochs": args.epochs,
        "samples_per_s": round(best, 1),
        "test_accuracy": None if accuracy is None else round(accuracy, 4),
    }))


if __name__ == "__main__":
    main()
