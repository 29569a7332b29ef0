//! Training throughput of din-ml (candle) on the shipped digits: samples per second of
//! `din_ml::train::train` for an MLP or a CNN, SGD + momentum, fixed batch size.
//!
//! `scripts/bench/train_candle_vs_torch.sh` runs this next to the same loop in PyTorch
//! (`scripts/bench/train_torch.py`) with the same thread count. Options (after `--`):
//!
//! ```text
//! --model mlp:128,64   mlp:W[,W…] (64 → W → … → 10) or cnn:C[,C…] (3×3 convolutions
//!                      with C channels, ReLU and 2×2 max-pool over the 8×8 image)
//! --batch 32           samples per step
//! --epochs 20          timed epochs (one untimed warm-up epoch runs first)
//! --repeats 3          timed runs; the best is reported
//! --export PATH        also write the training split as CSV (label last) for PyTorch
//! --export-test PATH   and the test split
//! ```
//!
//! Threads follow `RAYON_NUM_THREADS`, as in candle. The last line is JSON.

use std::time::Instant;

use candle_core::Device;
use din_fl::ModelSpec;
use din_ml::data::digits::digits_train_test;
use din_ml::eval::evaluate;
use din_ml::model::Model;
use din_ml::optim::ParamsSgd;
use din_ml::train::{train, OptimizerConfig, TrainConfig};

struct Options {
	model: String,
	spec: ModelSpec,
	batch: usize,
	epochs: usize,
	repeats: usize,
	export: Option<String>,
	export_test: Option<String>,
}

fn parse() -> Result<Options, String> {
	let mut options = Options {
		model: "mlp:128,64".into(),
		spec: ModelSpec::Mlp { inputs: 64, hidden: vec![128, 64], classes: 10 },
		batch: 32,
		epochs: 20,
		repeats: 3,
		export: None,
		export_test: None,
	};
	let mut args = std::env::args().skip(1);
	while let Some(arg) = args.next() {
		let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
		match arg.as_str() {
			"--model" => {
				options.model = value()?;
				options.spec = spec(&options.model)?;
			},
			"--batch" => options.batch = value()?.parse().map_err(|_| "bad --batch")?,
			"--epochs" => options.epochs = value()?.parse().map_err(|_| "bad --epochs")?,
			"--repeats" => options.repeats = value()?.parse().map_err(|_| "bad --repeats")?,
			"--export" => options.export = Some(value()?),
			"--export-test" => options.export_test = Some(value()?),
			// cargo bench passes --bench to harness-less benches.
			"--bench" => {},
			other => return Err(format!("unknown argument {other}")),
		}
	}
	Ok(options)
}

/// `set` as CSV rows, features then label.
fn csv(set: &din_ml::data::Dataset) -> String {
	let mut csv = String::new();
	for index in 0..set.len() {
		if let Some((features, label)) = set.sample(index) {
			for value in features {
				csv.push_str(&format!("{value},"));
			}
			csv.push_str(&format!("{label}\n"));
		}
	}
	csv
}

/// The digits model `mlp:W[,W…]` or `cnn:C[,C…]` names.
fn spec(model: &str) -> Result<ModelSpec, String> {
	let (kind, sizes) = model.split_once(':').ok_or(format!("bad --model {model:?}"))?;
	let sizes = sizes
		.split(',')
		.map(|size| size.trim().parse().map_err(|_| format!("bad size {size:?}")))
		.collect::<Result<Vec<u32>, _>>()?;
	match kind {
		"mlp" => Ok(ModelSpec::Mlp { inputs: 64, hidden: sizes, classes: 10 }),
		"cnn" => Ok(ModelSpec::Cnn { side: 8, channels: sizes, classes: 10 }),
		_ => Err(format!("bad --model {model:?}: expected mlp:W,… or cnn:C,…")),
	}
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
	let options = parse()?;
	let (train_set, test_set) = digits_train_test()?;
	for (path, set) in [(&options.export, &train_set), (&options.export_test, &test_set)] {
		if let Some(path) = path {
			std::fs::write(path, csv(set))?;
		}
	}
	let spec = &options.spec;
	let config = |epochs| TrainConfig {
		epochs,
		batch_size: options.batch,
		optimizer: OptimizerConfig::Sgd(ParamsSgd {
			lr: 0.05,
			momentum: 0.9,
			..Default::default()
		}),
		seed: 1,
		proximal_mu: None,
	};
	let threads = candle_core::utils::get_num_threads();
	let mut best = 0.0f64;
	let mut accuracy = 0.0;
	for repeat in 0..options.repeats {
		let model = Model::new(spec, repeat as u64, &Device::Cpu)?;
		train(&model, &train_set, &config(1))?;
		let start = Instant::now();
		let report = train(&model, &train_set, &config(options.epochs))?;
		let seconds = start.elapsed().as_secs_f64();
		let rate = report.samples as f64 / seconds;
		accuracy = evaluate(&model, &test_set)?.accuracy;
		eprintln!(
			"candle run {repeat}: {rate:.0} samples/s ({} steps in {seconds:.3} s)",
			report.steps
		);
		best = best.max(rate);
	}
	println!(
        "{{\"framework\":\"candle\",\"model\":{:?},\"batch\":{},\"threads\":{threads},\"epochs\":{},\"samples_per_s\":{best:.1},\"test_accuracy\":{accuracy:.4}}}",
        options.model, options.batch, options.epochs
    );
	Ok(())
}
