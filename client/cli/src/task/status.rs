//! `din task status`: a task and its per-round progress, as text or JSON.

use din_chain::types::{SubgroupResult, TaskPhase};

use din_fl::{ModelSpec, TaskModel};

use crate::common::{format_amount, task_model, ChainArgs};

fn phase_name(phase: &TaskPhase) -> String {
	format!("{phase:?}")
}

/// The model in a few words: what a participant's data must fit.
pub(crate) fn describe_model(model: &TaskModel) -> String {
	let architecture = match &model.spec {
		ModelSpec::SoftmaxRegression { inputs, classes } => {
			format!("softmax regression {inputs} → {classes}")
		},
		ModelSpec::Mlp { inputs, hidden, classes } => {
			let widths: Vec<String> =
				[*inputs].iter().chain(hidden).chain([classes]).map(u32::to_string).collect();
			format!("MLP {}", widths.join(" → "))
		},
		ModelSpec::Cnn { side, channels, classes } => {
			format!("CNN {side}×{side}, channels {channels:?}, {classes} classes")
		},
	};
	let inputs = match &model.preprocessing {
		Some(map) => {
			format!("inputs preprocessed (clamp((x - shift) · scale, ±{}) per feature)", map.clip)
		},
		None => "raw inputs".to_string(),
	};
	match &model.recipe {
		Some(recipe) => {
			let optimizer = match recipe.optimizer {
				din_fl::recipe::Optimizer::SgdMomentum => "sgd",
				din_fl::recipe::Optimizer::AdamW => "adamw",
			};
			let prox = if recipe.fedprox_mu > 0.0 {
				format!(", FedProx mu {}", recipe.fedprox_mu)
			} else {
				String::new()
			};
			format!(
				"{architecture}; {inputs}; recipe {optimizer} lr {} ×{} per round, {} epochs, \
				 batches of {}{prox}",
				recipe.learning_rate, recipe.decay, recipe.epochs, recipe.batch_size
			)
		},
		None => format!("{architecture}; {inputs}"),
	}
}

/// What `din task status` reports of a task, read at the latest finalized block.
pub(crate) struct TaskStatus {
	task: u32,
	info: din_chain::types::TaskInfo,
	model: TaskModel,
	unit: din_chain::Denomination,
	participants: usize,
	head: u64,
	/// `(round, updates submitted, each subgroup's result, the global model's CID)`.
	rounds: Vec<(u32, u32, Vec<String>, Option<String>)>,
	settlement: Option<din_chain::types::Settlement<u128>>,
	deposit: Option<u128>,
}

impl TaskStatus {
	/// Reads `task` and its per-round progress; fails for a task the chain does not hold.
	pub(crate) async fn read(chain: &din_chain::Chain, task: u32) -> anyhow::Result<TaskStatus> {
		let info = crate::common::existing_task(chain, task).await?;
		let model = task_model(&info)?;
		let unit = chain.denomination(&info.spec.reward.asset).await?;
		let participants = chain.participants(task).await?;
		let (head, _) = chain.finalized_head().await?;
		let mut rounds = Vec::new();
		let last_round =
			if matches!(info.phase, TaskPhase::Registration) { None } else { Some(info.round) };
		for round in last_round.map_or(0..0, |last| 0..last + 1) {
			// From the round's records, not the participant list: an ended task's is released.
			let submitted = u32::try_from(chain.round_updates(task, round).await?.len())?;
			let mut subgroups = Vec::new();
			for subgroup in 0.. {
				let panel = chain.panel(task, round, subgroup).await?;
				if panel.is_empty() {
					break;
				}
				let result = match chain.subgroup_result(task, round, subgroup).await? {
					None => "open".to_string(),
					Some(SubgroupResult::Accepted(reveal)) => {
						format!("accepted ({} invalid)", reveal.invalid.0.len())
					},
					Some(SubgroupResult::Disputed) => "disputed".into(),
					Some(SubgroupResult::Empty) => "empty".into(),
				};
				subgroups.push(result);
			}
			let global = chain
				.global_model(task, round)
				.await?
				.map(|m| String::from_utf8_lossy(&m.cid.0).into_owned());
			rounds.push((round, submitted, subgroups, global));
		}
		let settlement = chain.settlement(task).await?;
		let deposit = chain.task_deposit(task).await?;
		Ok(TaskStatus {
			task,
			info,
			model,
			unit,
			participants: participants.len(),
			head,
			rounds,
			settlement,
			deposit,
		})
	}

	/// `din task status --json`.
	pub(crate) fn json(&self) -> serde_json::Value {
		let TaskStatus { task, info, model, unit, .. } = self;
		let privacy = info.spec.privacy.as_deref().copied();
		let rounds: Vec<_> = self
			.rounds
			.iter()
			.map(|(round, submitted, subgroups, global)| {
				serde_json::json!({
					"round": round, "updates": submitted, "subgroups": subgroups,
					"global_model": global,
				})
			})
			.collect();
		let mut status = summary_json(*task, info, unit, self.participants);
		let details = serde_json::json!({
			"model": describe_model(model),
			"preprocessing": model.preprocessing.as_ref().map(|map| serde_json::json!({
				"shift": map.shift, "scale": map.scale, "clip": map.clip,
			})),
			"recipe": model.recipe.map(|r| serde_json::json!({
				"optimizer": format!("{:?}", r.optimizer), "learning_rate": r.learning_rate,
				"decay": r.decay, "epochs": r.epochs, "batch_size": r.batch_size,
				"fedprox_mu": r.fedprox_mu,
			})),
			"pacing": match info.spec.pacing {
				din_chain::types::Pacing::Synchronous => serde_json::json!("synchronous"),
				din_chain::types::Pacing::Asynchronous { buffer, max_staleness } => {
					serde_json::json!({ "buffer": buffer, "max_staleness": max_staleness })
				},
			},
			"privacy": privacy.map(|p| serde_json::json!({
				"clip_norm": f64::from(p.clip_norm_milli) / 1e3,
				"noise_multiplier": f64::from(p.noise_multiplier_milli) / 1e3,
				"delta": format!("1e-{}", p.delta_exponent),
				"epsilon_budget": f64::from(p.epsilon_budget_milli) / 1e3,
				"epsilon_of_all_rounds": p.epsilon_after(info.spec.rounds) as f64 / 1e3,
			})),
			"finalized": self.head,
			"deposit": self.deposit.map(|d| d.to_string()),
			"progress": rounds,
			"settlement": self.settlement.as_ref().map(super::events::settlement_json),
		});
		if let (Some(status), serde_json::Value::Object(details)) =
			(status.as_object_mut(), details)
		{
			status.extend(details);
		}
		status
	}
}

/// What `din task status --json` and the dashboard's task list say of every task: who owns
/// it, where it is, its rules and its pool.
pub(crate) fn summary_json(
	task: u32,
	info: &din_chain::types::TaskInfo,
	unit: &din_chain::Denomination,
	participants: usize,
) -> serde_json::Value {
	serde_json::json!({
		"task": task,
		"owner": info.owner.to_string(),
		"phase": phase_name(&info.phase),
		"round": info.round,
		"rounds": info.spec.rounds,
		"phase_ends": info.phase_ends,
		"aggregation": aggregation_name(&info.spec.aggregation),
		"scoring": scoring_name(&info.spec.scoring),
		"reward_asset": crate::common::denomination_json(unit),
		"pool": info.spec.reward.amount.to_string(),
		"pool_formatted": unit.format(info.spec.reward.amount),
		"remaining": info.remaining.to_string(),
		"remaining_formatted": unit.format(info.remaining),
		"participants": participants,
	})
}

/// An aggregation rule's name without its parameters (`CenteredClip`, not its τ).
pub(crate) fn aggregation_name(rule: &din_chain::types::AggregationRule) -> String {
	let rule = format!("{rule:?}");
	rule.split([' ', '{', '(']).next().unwrap_or_default().to_string()
}

/// A scoring rule in a word: `Zk` (Groth16-proven accuracy) or `Median`.
pub(crate) fn scoring_name(scoring: &din_chain::types::ScoringRule) -> &'static str {
	match scoring {
		din_chain::types::ScoringRule::ZkAccuracy { .. } => "Zk",
		din_chain::types::ScoringRule::Median { .. } => "Median",
	}
}

pub(super) async fn status(task: u32, json: bool, chain: ChainArgs) -> anyhow::Result<()> {
	let chain = chain.connect().await?;
	let status = TaskStatus::read(&chain, task).await?;
	if json {
		println!("{}", status.json());
		return Ok(());
	}
	let TaskStatus { info, model, unit, head, rounds, settlement, deposit, .. } = status;
	let privacy = info.spec.privacy.as_deref().copied();
	let participants = status.participants;
	println!("task {task}  owner {}", info.owner);
	println!(
		"  phase {} (round {}/{}), ends at #{} (finalized #{head})",
		phase_name(&info.phase),
		info.round + 1,
		info.spec.rounds,
		info.phase_ends
	);
	println!("  model {}", describe_model(&model));
	if let din_chain::types::Pacing::Asynchronous { buffer, max_staleness } = info.spec.pacing {
		println!(
			"  asynchronous: Training closes once {buffer} updates are in; updates up to \
			 {max_staleness} rounds stale are accepted, their deltas weighted 1/(1 + staleness)"
		);
	}
	if let Some(p) = privacy {
		println!(
			"  differential privacy: clip {} noise ×{} δ 1e-{}; its {} rounds spend ε {:.3} of {:.3}",
			f64::from(p.clip_norm_milli) / 1e3,
			f64::from(p.noise_multiplier_milli) / 1e3,
			p.delta_exponent,
			info.spec.rounds,
			p.epsilon_after(info.spec.rounds) as f64 / 1e3,
			f64::from(p.epsilon_budget_milli) / 1e3,
		);
	}
	println!("  pool left {}  participants {participants}", unit.format(info.remaining));
	if let Some(deposit) = deposit {
		println!(
			"  storage deposit {} held until the ended task's records are pruned",
			format_amount(deposit)
		);
	}
	if !rounds.is_empty() {
		println!("  {:<6} {:<8} {:<40} global model", "round", "updates", "subgroups");
		for (round, submitted, subgroups, global) in rounds {
			println!(
				"  {:<6} {:<8} {:<40} {}",
				round,
				submitted,
				subgroups.join(", "),
				global.unwrap_or_else(|| "-".into())
			);
		}
	}
	if let Some(s) = settlement {
		println!(
            "  settled: pool {} → participants {}, evaluators {}, burned {}, refund {}; {} slashed below baseline",
            unit.format(s.pool),
            unit.format(s.participants),
            unit.format(s.evaluators),
            unit.format(s.burned),
            unit.format(s.refund),
            s.slashed
        );
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_model_is_described_with_its_preprocessing() {
		let mlp = ModelSpec::Mlp { inputs: 8, hidden: vec![16, 4], classes: 3 };
		assert_eq!(describe_model(&mlp.clone().into()), "MLP 8 → 16 → 4 → 3; raw inputs");
		let map = din_fl::Preprocessing::standardize(&[1.0; 16], 8, 5.0);
		let model = TaskModel { preprocessing: Some(map), ..mlp.into() };
		assert!(describe_model(&model)
			.ends_with("inputs preprocessed (clamp((x - shift) · scale, ±5) per feature)"));
		let recipe = din_fl::TrainingRecipe {
			optimizer: din_fl::recipe::Optimizer::AdamW,
			learning_rate: 0.01,
			decay: 0.9,
			epochs: 2,
			batch_size: 32,
			fedprox_mu: 0.5,
		};
		let model = TaskModel { recipe: Some(recipe), ..model };
		assert!(describe_model(&model).ends_with(
			"; recipe adamw lr 0.01 ×0.9 per round, 2 epochs, batches of 32, FedProx mu 0.5"
		));
	}
}
