//! `din task watch`: follows a task to its end from finalized events, evaluating each new
//! global model and collecting scores, payouts, slashes and final balances.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::bail;
use clap::Args;
use din_chain::{din, AccountId32};
use futures::StreamExt;
use serde::Serialize;
use serde_json::json;

use super::events::{self, TaskEvent};
use crate::common::{format_amount, short, ChainArgs, CsvArgs, DataSource, StoreArgs};
use crate::invalid;

/// `din task watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
	/// The task to follow until it finishes.
	#[arg(long)]
	pub task: u32,
	/// Data each new global model is evaluated on (integer reference evaluator).
	#[arg(long, default_value = "digits-test")]
	pub eval_data: DataSource,
	#[command(flatten)]
	pub csv: CsvArgs,
	/// Print one JSON summary at the end instead of a log.
	#[arg(long, conflicts_with = "json_lines")]
	pub json: bool,
	/// Print one JSON object per event as it is finalized (`block`, `event` and the event's
	/// fields), then the summary as `{"event": "Summary", …}`.
	#[arg(long)]
	pub json_lines: bool,
	#[command(flatten)]
	pub store: StoreArgs,
	#[command(flatten)]
	pub chain: ChainArgs,
}

/// What `watch` collects.
#[derive(Debug, Default, Serialize)]
struct WatchSummary {
	task: u32,
	/// Accuracy of the genesis model on `--eval-data`, `(correct, total)`.
	genesis_accuracy: (u32, u32),
	/// Accuracy of each round's global model on `--eval-data`, `(round, correct, total)`.
	global_accuracy: Vec<(u32, u32, u32)>,
	/// `(round, block)` of every round start, and the block Scoring started at: a round's
	/// length in blocks is the difference to the next.
	round_starts: Vec<(u32, u64)>,
	scoring_started: Option<u64>,
	/// When each round started and each round's global model was fixed, `(round, Unix
	/// milliseconds)`: the timestamp of the block that did it (`Timestamp::Now`), so that a
	/// round's wall-clock length is the chain's, not the delay at which finality reached the
	/// watcher.
	round_started_at: Vec<(u32, u64)>,
	global_fixed_at: Vec<(u32, u64)>,
	/// `(round, subgroup, accepted, invalid)` of every subgroup aggregate its panel fixed:
	/// how many of the subgroup's updates went into the round's model and how many were
	/// marked invalid (forged, malformed, or not fetchable in time).
	subgroups: Vec<(u32, u32, u32, u32)>,
	/// `(round, phase)` of every phase that ended early, its expected submissions all in.
	closed_early: Vec<(u32, String)>,
	/// The owner's extensions, `(rounds in all, top-up)`, and the round after which it
	/// ended training.
	extended: Vec<(u32, String)>,
	training_ended_after: Option<u32>,
	/// In a task with a privacy policy, `(round, ε)`: the ε its rounds up to that one spend
	/// (the chain's `PrivacySpent`), for a participant that trained in all of them.
	epsilon: Vec<(u32, f64)>,
	/// Proven or median-settled scores: target → accuracy in percent.
	scores: BTreeMap<String, f64>,
	/// The pool's asset (`{"id", "symbol", "decimals"}`, `id` null for the native token):
	/// payouts, the settlement, top-ups and refunds are in its smallest unit.
	reward_asset: serde_json::Value,
	/// Payouts to participants and evaluators (string amounts).
	payouts: BTreeMap<String, String>,
	/// `(account, role, round, offence, amount)` of every slash in the task.
	slashes: Vec<(String, String, u32, String, String)>,
	settlement: Option<serde_json::Value>,
	/// Native balances at the end of the owner, the participants and the paid evaluators:
	/// account → (free, on hold).
	balances: BTreeMap<String, (String, String)>,
	/// For a pool in an asset, balances in that asset at the end: account → (free, on hold).
	pool_balances: BTreeMap<String, (String, String)>,
	/// Pool accounting holds: pool = participants + evaluators + burned + refund.
	accounting_holds: Option<bool>,
	/// A majority of the last round's evaluators found that the released key opens no
	/// committed test set.
	test_set_disputed: bool,
}

/// How `watch` reports what it sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Output {
	/// One line per event for people.
	Log,
	/// Nothing until the summary.
	Summary,
	/// One JSON object per event.
	JsonLines,
}

impl Output {
	/// Reports `event` of block `block`: as a JSON line, or `line` after the block number.
	fn event(self, block: u64, event: &TaskEvent, line: String) {
		if let Some(text) = self.render(block, event, line) {
			println!("{text}");
		}
	}

	/// What [`Output::event`] prints, if anything.
	fn render(self, block: u64, event: &TaskEvent, line: String) -> Option<String> {
		match self {
			Output::Log => Some(format!("#{block:<5} {line}")),
			Output::Summary => None,
			Output::JsonLines => Some(event.record(block).to_string()),
		}
	}
}

pub(super) async fn watch(args: WatchArgs) -> anyhow::Result<()> {
	let task = args.task;
	let chain = args.chain.connect().await?;
	let info = crate::common::existing_task(&chain, task).await?;
	let model = crate::common::task_model(&info)?;
	let raw = args.eval_data.load_with(&args.csv, Some(model.spec.classes() as usize))?;
	let eval = crate::common::task_data(&raw, &model)?.to_test_set()?;
	let spec = model.spec;
	let store = args.store.start().await?;
	let schema = spec.schema().map_err(|e| invalid!("{e:?}"))?;
	let genesis = crate::common::fetch_checked(
		&store,
		&info.spec.genesis.cid.0,
		&schema,
		&info.spec.genesis.commitment,
		Duration::from_secs(30),
	)
	.await
	.map_err(|why| anyhow::anyhow!("genesis model: {why}"))?;
	let total = eval.labels.len() as u32;
	let genesis_accuracy = (din_fl::count_correct(&spec, &genesis.values, &eval)?, total);
	let unit = chain.denomination(&info.spec.reward.asset).await?;
	let reward_asset = crate::common::denomination_json(&unit);
	let mut summary = WatchSummary { task, genesis_accuracy, reward_asset, ..Default::default() };
	let mut accounts: Vec<AccountId32> = vec![info.owner.clone()];
	let output = match (args.json, args.json_lines) {
		(_, true) => Output::JsonLines,
		(true, false) => Output::Summary,
		(false, false) => Output::Log,
	};
	match output {
		Output::Log => println!(
			"watching task {task} ({} rounds, pool {}); genesis model accuracy {:.1}% ({}/{total})",
			info.spec.rounds,
			unit.format(info.remaining),
			100.0 * f64::from(genesis_accuracy.0) / f64::from(total),
			genesis_accuracy.0
		),
		Output::JsonLines => println!(
			"{}",
			serde_json::json!({
				"event": "Watching", "task": task, "rounds": info.spec.rounds,
				"genesis_accuracy": genesis_accuracy,
			})
		),
		Output::Summary => {},
	}

	// Gapless across a subscription the node drops (it does under load).
	let mut events = chain.follow_finalized(None);
	while let Some(block) = events.next().await {
		let block = block?;
		let mut finished = false;
		for event in block.decoded() {
			use din::{evaluation::Event as Ev, rewards::Event as Rw, tasks::Event as Tk, Event};
			let event = event.map_err(|e| anyhow::anyhow!("decoding an event: {e}"))?;
			// Panels are no progress to report, but their evaluators' balances are.
			if let Event::Evaluation(Ev::PanelDrawn { task: t, evaluators, .. }) = &event {
				if *t == task {
					accounts.extend(evaluators.iter().cloned());
				}
				continue;
			}
			let Some(TaskEvent { task: t, name, mut fields }) = events::describe(&event) else {
				continue;
			};
			if t != task {
				continue;
			}
			let line = match event {
				Event::Tasks(Tk::PhaseChanged { round, phase, ends, .. }) => {
					if matches!(phase, din_chain::types::TaskPhase::Scoring) {
						summary.scoring_started = Some(block.number);
					}
					format!("round {} {phase:?} (until #{ends})", round + 1)
				},
				Event::Tasks(Tk::PhaseClosedEarly { round, phase, ends, .. }) => {
					summary.closed_early.push((round, format!("{phase:?}")));
					format!("round {} {phase:?}: all in, ends at #{ends}", round + 1)
				},
				Event::Tasks(Tk::TaskExtended { rounds, top_up, .. }) => {
					summary.extended.push((rounds, top_up.to_string()));
					format!(
						"extended to {rounds} rounds, {} added to the pool",
						unit.format(top_up)
					)
				},
				Event::Tasks(Tk::TrainingEndsAfterRound { round, .. }) => {
					summary.training_ended_after = Some(round);
					format!("training ends after round {}", round + 1)
				},
				Event::Tasks(Tk::PrivacySpent { round, epsilon, .. }) => {
					let epsilon = epsilon as f64 / 1_000.0;
					summary.epsilon.push((round, epsilon));
					format!("round {}: the rounds to here spend ε = {epsilon:.3}", round + 1)
				},
				Event::Tasks(Tk::RoundStarted { round, .. }) => {
					summary.round_starts.push((round, block.number));
					summary
						.round_started_at
						.push((round, chain.block_timestamp(block.hash).await?));
					format!("round {} started", round + 1)
				},
				Event::Tasks(Tk::UpdateSubmitted { round, who, trained_from, .. }) => format!(
					"round {}: {} submitted an update trained from round {}'s model ({} rounds \
					 stale)",
					round + 1,
					short(&who),
					trained_from + 1,
					round - trained_from
				),
				Event::Tasks(Tk::ParticipantJoined { who, .. }) => {
					let line = format!("{} joined", short(&who));
					accounts.push(who);
					line
				},
				Event::Evaluation(Ev::SubgroupAccepted {
					round,
					subgroup,
					votes,
					panel,
					accepted,
					invalid,
					..
				}) => {
					summary.subgroups.push((round, subgroup, accepted, invalid));
					format!(
						"round {} subgroup {subgroup}: {accepted} updates accepted, {invalid} \
						 invalid ({votes} of {panel} votes)",
						round + 1
					)
				},
				Event::Evaluation(Ev::SubgroupDisputed { round, subgroup, .. }) => {
					format!("round {} subgroup {subgroup} disputed", round + 1)
				},
				Event::Evaluation(Ev::GlobalModelFixed {
					round,
					cid,
					commitment,
					votes,
					voters,
					..
				}) => {
					summary.global_fixed_at.push((round, chain.block_timestamp(block.hash).await?));
					let accuracy = match crate::common::fetch_checked(
						&store,
						&cid.0,
						&schema,
						&commitment,
						Duration::from_secs(30),
					)
					.await
					{
						Ok(update) => din_fl::count_correct(&spec, &update.values, &eval)
							.map(|c| (c, eval.labels.len() as u32))
							.map_err(|e| format!("{e:?}")),
						Err(why) => Err(why.to_string()),
					};
					let cid = String::from_utf8_lossy(&cid.0);
					match accuracy {
						Ok((correct, total)) => {
							summary.global_accuracy.push((round, correct, total));
							fields["accuracy"] = json!([correct, total]);
							format!(
								"round {} global model {cid}: accuracy {:.1}% ({correct}/{total}), \
								 {votes} of {voters} votes",
								round + 1,
								100.0 * f64::from(correct) / f64::from(total),
							)
						},
						Err(why) => {
							let line =
								format!("round {} global model not evaluated: {why}", round + 1);
							fields["not_evaluated"] = json!(why);
							line
						},
					}
				},
				Event::Evaluation(Ev::GlobalDisputed { round, .. }) => {
					format!("round {} global model disputed", round + 1)
				},
				Event::Evaluation(Ev::GlobalModelKept { round, votes, voters, .. }) => {
					format!(
						"round {}: no accepted aggregate carried weight; the model before it \
						 holds ({votes} of {voters} votes)",
						round + 1
					)
				},
				Event::Evaluation(Ev::TestKeyReleased { .. }) => "test-set key released".into(),
				Event::Evaluation(Ev::TestKeyWithheld { .. }) => {
					"test-set key withheld: settled in the participants' favour".into()
				},
				Event::Evaluation(Ev::TestSetDisputed { who, .. }) => {
					format!("evaluator {who} disputes the test set: the key opens none")
				},
				Event::Evaluation(Ev::TestSetDisputeUpheld { disputes, evaluators, .. }) => {
					summary.test_set_disputed = true;
					format!(
						"test set disputed by {disputes} of {evaluators} evaluators: settled as \
						 a withheld key, in the participants' favour"
					)
				},
				Event::Evaluation(Ev::ScoreProven { target, correct, total, prover, .. }) => {
					let name = events::target_name(&target);
					let accuracy = 100.0 * f64::from(correct) / f64::from(total);
					let line = format!(
						"score {name}: {accuracy:.1}% ({correct}/{total}) proven by {}",
						short(&prover)
					);
					summary.scores.insert(name, accuracy);
					line
				},
				Event::Evaluation(Ev::MedianSettled { target, accuracy, reports, .. }) => {
					let name = events::target_name(&target);
					let accuracy = f64::from(accuracy.0) / 1e7;
					let line = format!("score {name}: {accuracy:.1}% (median of {reports})");
					summary.scores.insert(name, accuracy);
					line
				},
				Event::Evaluation(Ev::MedianWithoutQuorum { target, reports, quorum, .. }) => {
					format!(
						"score {}: unscored ({reports} of the {quorum} reports a median needs)",
						events::target_name(&target)
					)
				},
				Event::Rewards(Rw::ParticipantRewarded { who, amount, .. }) => {
					let line = format!("participant {who} paid {}", unit.format(amount));
					summary.payouts.insert(who.to_string(), amount.to_string());
					line
				},
				Event::Rewards(Rw::EvaluatorRewarded { who, amount, work, .. }) => {
					let line =
						format!("evaluator {who} paid {} for {work} work", unit.format(amount));
					summary.payouts.insert(who.to_string(), amount.to_string());
					accounts.push(who);
					line
				},
				Event::Staking(din::staking::Event::Slashed {
					who,
					role,
					round,
					reason,
					amount,
					..
				}) => {
					let offence = format!("{:?}", reason.offence);
					let role = format!("{role:?}");
					let line = format!(
						"slashed {who} ({role}) {} in round {} for {offence}",
						format_amount(amount),
						round + 1
					);
					summary.slashes.push((
						who.to_string(),
						role,
						round,
						offence,
						amount.to_string(),
					));
					line
				},
				Event::Rewards(Rw::TaskSettled { settlement: s, .. }) => {
					let holds = fields["accounting_holds"] == json!(true);
					summary.accounting_holds = Some(holds);
					summary.settlement = Some(fields["settlement"].clone());
					format!(
						"settled: pool {} = participants {} + evaluators {} + burned {} + refund \
						 {} ({})",
						unit.format(s.pool),
						unit.format(s.participants),
						unit.format(s.evaluators),
						unit.format(s.burned),
						unit.format(s.refund),
						if holds { "holds" } else { "BROKEN" }
					)
				},
				Event::Tasks(Tk::TaskFinished { refund, .. }) => {
					finished = true;
					format!("task finished; {} refunded to the owner", unit.format(refund))
				},
				Event::Tasks(Tk::TaskCancelled { .. }) => bail!("task {task} was cancelled"),
				Event::Tasks(Tk::TaskExpired { deferrals, .. }) => {
					bail!("task {task} expired: its first round could not start {deferrals} times")
				},
				_ => continue,
			};
			output.event(block.number, &TaskEvent { task, name, fields }, line);
		}
		if finished {
			accounts.sort_by(|a, b| a.0.cmp(&b.0));
			accounts.dedup();
			if output == Output::Log {
				println!("balances (free / on hold):");
			}
			for who in accounts {
				let balance = chain.balance(&who).await?;
				if output == Output::Log {
					println!(
						"  {who}  {} / {}",
						format_amount(balance.free),
						format_amount(balance.reserved)
					);
				}
				summary.balances.insert(
					who.to_string(),
					(balance.free.to_string(), balance.reserved.to_string()),
				);
				if let Some(id) = unit.asset {
					let held = chain.asset_balance(id, &who).await?;
					if output == Output::Log {
						println!(
							"  {who}  {} / {}",
							unit.format(held.free),
							unit.format(held.reserved)
						);
					}
					summary.pool_balances.insert(
						who.to_string(),
						(held.free.to_string(), held.reserved.to_string()),
					);
				}
			}
			match output {
				Output::Log => {},
				Output::Summary => println!("{}", serde_json::to_string_pretty(&summary)?),
				Output::JsonLines => {
					let mut record = serde_json::to_value(&summary)?;
					record["event"] = json!("Summary");
					println!("{record}");
				},
			}
			return Ok(());
		}
	}
	bail!("the node could not be reached to follow task {task} to its end")
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn an_event_is_a_line_a_json_object_or_nothing() {
		let event = TaskEvent {
			task: 0,
			name: "PhaseChanged",
			fields: json!({ "round": 0, "phase": "Training", "ends": 44 }),
		};
		let line = || "round 1 Training (until #44)".to_string();
		assert_eq!(
			Output::Log.render(41, &event, line()).as_deref(),
			Some("#41    round 1 Training (until #44)")
		);
		assert_eq!(Output::Summary.render(41, &event, line()), None);
		let record: serde_json::Value =
			serde_json::from_str(&Output::JsonLines.render(41, &event, line()).expect("a line"))
				.expect("one JSON object");
		assert_eq!(
			record,
			json!({ "block": 41, "event": "PhaseChanged", "round": 0, "phase": "Training", "ends": 44 })
		);
	}
}
