//! `din model …`: a task's global model outside the protocol.
//!
//! - `fetch` writes the newest global model the chain fixed (or the one of `--round`)
//!   as safetensors, after checking it against its on-chain commitment;
//! - `evaluate` reports the accuracy of a safetensors model, or of a task's current global
//!   model, on a dataset (candle inference, plus the integer reference the circuit proves).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;
use din_fl::Update;

use crate::common::{
	fetch_checked, global_model_before, task_data, task_model, ChainArgs, CsvArgs, DataSource,
	StoreArgs,
};
use crate::invalid;

/// The `din model` subcommands.
#[derive(Debug, Subcommand)]
pub enum ModelCommand {
	/// Write a task's global model as safetensors.
	Fetch {
		/// The task whose global model is fetched.
		#[arg(long)]
		task: u32,
		/// The round whose global model to fetch (default: the newest fixed one).
		#[arg(long)]
		round: Option<u32>,
		/// Output file.
		#[arg(long, short)]
		output: PathBuf,
		#[command(flatten)]
		store: StoreArgs,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Accuracy of a task's newest global model on a dataset.
	Evaluate {
		/// The task whose global model is evaluated.
		#[arg(long)]
		task: u32,
		/// digits-test, digits, csv:PATH, idx:DIR.
		#[arg(long, default_value = "digits-test")]
		data: DataSource,
		#[command(flatten)]
		csv: CsvArgs,
		/// Print JSON.
		#[arg(long)]
		json: bool,
		#[command(flatten)]
		store: StoreArgs,
		#[command(flatten)]
		chain: ChainArgs,
	},
}

/// The global model of `task` (round `round`, or the newest), checked.
async fn global(
	task: u32,
	round: Option<u32>,
	store: &StoreArgs,
	chain: &ChainArgs,
) -> anyhow::Result<(din_fl::TaskModel, Update, Option<u32>)> {
	let chain = chain.connect().await?;
	let info = chain.task(task).await?.ok_or_else(|| invalid!("task {task} does not exist"))?;
	let model = task_model(&info)?;
	let spec = &model.spec;
	let (cid, commitment, round) = match round {
		Some(round) => {
			let model = chain
				.global_model(task, round)
				.await?
				.ok_or_else(|| invalid!("task {task} has no global model for round {round}"))?;
			(model.cid.0, model.commitment, Some(round))
		},
		None => {
			let (cid, commitment) =
				global_model_before(&chain, task, &info, info.spec.rounds).await?;
			(cid, commitment, None)
		},
	};
	let timeout = Duration::from_secs(store.store_timeout);
	let store = store.start().await?;
	let schema = spec.schema().map_err(|e| invalid!("{e:?}"))?;
	let update = fetch_checked(&store, &cid, &schema, &commitment, timeout)
		.await
		.map_err(|why| anyhow::anyhow!("global model: {why}"))?;
	Ok((model, update, round))
}

pub async fn run(command: ModelCommand) -> anyhow::Result<()> {
	match command {
		ModelCommand::Fetch { task, round, output, store, chain } => {
			let (task_model, update, _) = global(task, round, &store, &chain).await?;
			let model = din_ml::model::Model::from_update(
				&task_model.spec,
				&update,
				&candle_core::Device::Cpu,
			)?;
			model.save(&output)?;
			println!("wrote the global model of task {task} to {}", output.display());
			if let Some(map) = &task_model.preprocessing {
				// The weights expect preprocessed inputs: a user of the file needs the map.
				let path = output.with_extension("preprocessing.json");
				let json = serde_json::json!({
					"transform": "clamp((x - shift) * scale, -clip, clip), per feature",
					"shift": map.shift, "scale": map.scale, "clip": map.clip,
				});
				std::fs::write(&path, serde_json::to_string_pretty(&json)?)
					.with_context(|| format!("writing {}", path.display()))?;
				println!("its inputs are preprocessed: the map is in {}", path.display());
			}
		},
		ModelCommand::Evaluate { task, data, csv, json, store, chain } => {
			let (task_model, update, _) = global(task, None, &store, &chain).await?;
			let spec = &task_model.spec;
			let raw = data.load_with(&csv, Some(spec.classes() as usize))?;
			let data = task_data(&raw, &task_model)?;
			let model =
				din_ml::model::Model::from_update(spec, &update, &candle_core::Device::Cpu)?;
			let candle = din_ml::eval::evaluate(&model, &data)?;
			let correct = din_fl::count_correct(spec, &update.values, &data.to_test_set()?)?;
			let total = data.len();
			if json {
				println!(
					"{}",
					serde_json::json!({
						"task": task, "samples": total, "correct": correct,
						"accuracy": f64::from(correct) / total as f64, "candle_accuracy": candle.accuracy,
					})
				);
			} else {
				println!(
					"task {task}: {correct}/{total} correct ({:.2}%; candle {:.2}%)",
					100.0 * f64::from(correct) / total as f64,
					100.0 * candle.accuracy
				);
			}
		},
	}
	Ok(())
}
