//! `din task watch`: follows a task to its end from finalized events, evaluating each new
//! global model and collecting scores, payouts, slashes and final balances.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::bail;
use clap::Args;
use din_chain::{din, AccountId32};
use futures::StreamExt;
use serde::Serialize;

use crate::common::{format_amount, short, task_spec, ChainArgs, DataSource, StoreArgs};
use crate::invalid;

/// `din task watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
	#[arg(long)]
	pub task: u32,
	/// Data each new global model is evaluated on (integer reference evaluator).
	#[arg(long, default_value = "digits-test")]
	pub eval_data: DataSource,
	/// Print one JSON summary at the end instead of a log.
	#[arg(long)]
	pub json: bool,
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
	/// Proven or median-settled scores: target → accuracy in percent.
	scores: BTreeMap<String, f64>,
	/// Payouts to participants and evaluators (string amounts).
	payouts: BTreeMap<String, String>,
	/// `(account, role, round, offence, amount)` of every slash in the task.
	slashes: Vec<(String, String, u32, String, String)>,
	settlement: Option<serde_json::Value>,
	/// Balances at the end: account → (free, on hold).
	balances: BTreeMap<String, (String, String)>,
	/// Pool accounting holds: pool = participants + evaluators + burned + refund.
	accounting_holds: Option<bool>,
}

pub(super) async fn watch(args: WatchArgs) -> anyhow::Result<()> {
	let task = args.task;
	let chain = args.chain.connect().await?;
	let info = chain.task(task).await?.ok_or_else(|| invalid!("task {task} does not exist"))?;
	let spec = task_spec(&info)?;
	let eval = args.eval_data.load()?.to_test_set()?;
	let store = args.store.start().await?;
	let schema = spec.schema().map_err(|e| invalid!("{e:?}"))?;
	let genesis = crate::common::fetch_checked(
		&store,
		&info.spec.genesis.cid.0,
		&schema,
		&info.spec.genesis.commitment,
		None,
		Duration::from_secs(30),
	)
	.await
	.map_err(|why| anyhow::anyhow!("genesis model: {why}"))?;
	let total = eval.labels.len() as u32;
	let genesis_accuracy = (din_fl::count_correct(&spec, &genesis.values, &eval)?, total);
	let mut summary = WatchSummary { task, genesis_accuracy, ..Default::default() };
	let mut accounts: Vec<AccountId32> = vec![info.owner.clone()];
	let say = |line: String| {
		if !args.json {
			println!("{line}");
		}
	};
	say(format!(
		"watching task {task} ({} rounds); genesis model accuracy {:.1}% ({}/{total})",
		info.spec.rounds,
		100.0 * f64::from(genesis_accuracy.0) / f64::from(total),
		genesis_accuracy.0
	));
	let mut events = chain.finalized_events().await?;
	while let Some(block) = events.next().await {
		let block = block?;
		let mut finished = false;
		for event in block.events.iter() {
			let event = event.map_err(|e| anyhow::anyhow!("decoding an event: {e}"))?;
			use din::{
				evaluation::events as ev, rewards::events as rw, staking::events as st,
				tasks::events as tk,
			};
			if let Ok(Some(e)) = event.decode_fields_as::<tk::PhaseChanged>().transpose() {
				if e.task == task {
					say(format!(
						"#{:<5} round {} {:?} (until #{})",
						block.number,
						e.round + 1,
						e.phase,
						e.ends
					));
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<tk::RoundStarted>().transpose() {
				if e.task == task {
					say(format!("#{:<5} round {} started", block.number, e.round + 1));
				}
			} else if let Ok(Some(e)) =
				event.decode_fields_as::<tk::ParticipantJoined>().transpose()
			{
				if e.task == task {
					accounts.push(e.who.clone());
					say(format!("#{:<5} {} joined", block.number, short(&e.who)));
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<ev::PanelDrawn>().transpose() {
				if e.task == task {
					accounts.extend(e.evaluators.iter().cloned());
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<ev::SubgroupDisputed>().transpose()
			{
				if e.task == task {
					say(format!(
						"#{:<5} round {} subgroup {} disputed",
						block.number,
						e.round + 1,
						e.subgroup
					));
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<ev::GlobalModelFixed>().transpose()
			{
				if e.task == task {
					let accuracy = match crate::common::fetch_checked(
						&store,
						&e.cid.0,
						&schema,
						&e.commitment,
						None,
						Duration::from_secs(30),
					)
					.await
					{
						Ok(update) => din_fl::count_correct(&spec, &update.values, &eval)
							.map(|c| (c, eval.labels.len() as u32))
							.map_err(|e| format!("{e:?}")),
						Err(why) => Err(why.to_string()),
					};
					match accuracy {
						Ok((correct, total)) => {
							summary.global_accuracy.push((e.round, correct, total));
							say(format!(
                                "#{:<5} round {} global model {}: accuracy {:.1}% ({correct}/{total}), {} of {} votes",
                                block.number,
                                e.round + 1,
                                String::from_utf8_lossy(&e.cid.0),
                                100.0 * f64::from(correct) / f64::from(total),
                                e.votes,
                                e.voters
                            ));
						},
						Err(why) => say(format!(
							"#{:<5} round {} global model not evaluated: {why}",
							block.number,
							e.round + 1
						)),
					}
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<ev::GlobalDisputed>().transpose() {
				if e.task == task {
					say(format!(
						"#{:<5} round {} global model disputed",
						block.number,
						e.round + 1
					));
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<ev::TestKeyReleased>().transpose()
			{
				if e.task == task {
					say(format!("#{:<5} test-set key released", block.number));
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<ev::ScoreProven>().transpose() {
				if e.task == task {
					let name = target_name(&e.target);
					let accuracy = 100.0 * f64::from(e.correct) / f64::from(e.total);
					say(format!(
						"#{:<5} score {name}: {accuracy:.1}% ({}/{}) proven by {}",
						block.number,
						e.correct,
						e.total,
						short(&e.prover)
					));
					summary.scores.insert(name, accuracy);
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<ev::MedianSettled>().transpose() {
				if e.task == task {
					let name = target_name(&e.target);
					let accuracy = f64::from(e.accuracy.0) / 1e7;
					say(format!(
						"#{:<5} score {name}: {accuracy:.1}% (median of {})",
						block.number, e.reports
					));
					summary.scores.insert(name, accuracy);
				}
			} else if let Ok(Some(e)) =
				event.decode_fields_as::<ev::MedianWithoutQuorum>().transpose()
			{
				if e.task == task {
					say(format!(
						"#{:<5} score {}: unscored ({} of the {} reports a median needs)",
						block.number,
						target_name(&e.target),
						e.reports,
						e.quorum
					));
				}
			} else if let Ok(Some(e)) =
				event.decode_fields_as::<rw::ParticipantRewarded>().transpose()
			{
				if e.task == task {
					say(format!(
						"#{:<5} participant {} paid {}",
						block.number,
						e.who,
						format_amount(e.amount)
					));
					summary.payouts.insert(e.who.to_string(), e.amount.to_string());
				}
			} else if let Ok(Some(e)) =
				event.decode_fields_as::<rw::EvaluatorRewarded>().transpose()
			{
				if e.task == task {
					say(format!(
						"#{:<5} evaluator {} paid {} for {} work",
						block.number,
						e.who,
						format_amount(e.amount),
						e.work
					));
					summary.payouts.insert(e.who.to_string(), e.amount.to_string());
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<st::Slashed>().transpose() {
				if e.task == task {
					let offence = format!("{:?}", e.reason.offence);
					say(format!(
						"#{:<5} slashed {} ({:?}) {} in round {} for {offence}",
						block.number,
						e.who,
						e.role,
						format_amount(e.amount),
						e.round + 1
					));
					summary.slashes.push((
						e.who.to_string(),
						format!("{:?}", e.role),
						e.round,
						offence,
						e.amount.to_string(),
					));
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<rw::TaskSettled>().transpose() {
				if e.task == task {
					let s = &e.settlement;
					let holds = s.pool == s.participants + s.evaluators + s.burned + s.refund;
					summary.accounting_holds = Some(holds);
					say(format!(
                        "#{:<5} settled: pool {} = participants {} + evaluators {} + burned {} + refund {} ({})",
                        block.number,
                        format_amount(s.pool),
                        format_amount(s.participants),
                        format_amount(s.evaluators),
                        format_amount(s.burned),
                        format_amount(s.refund),
                        if holds { "holds" } else { "BROKEN" }
                    ));
					summary.settlement = Some(serde_json::json!({
						"pool": s.pool.to_string(), "participants": s.participants.to_string(),
						"evaluators": s.evaluators.to_string(), "burned": s.burned.to_string(),
						"refund": s.refund.to_string(), "slashed": s.slashed, "scored": s.scored,
					}));
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<tk::TaskFinished>().transpose() {
				if e.task == task {
					say(format!(
						"#{:<5} task finished; {} refunded to the owner",
						block.number,
						format_amount(e.refund)
					));
					finished = true;
				}
			} else if let Ok(Some(e)) = event.decode_fields_as::<tk::TaskCancelled>().transpose() {
				if e.task == task {
					bail!("task {task} was cancelled");
				}
			}
		}
		if finished {
			accounts.sort_by(|a, b| a.0.cmp(&b.0));
			accounts.dedup();
			say("balances (free / on hold):".into());
			for who in accounts {
				let balance = chain.balance(&who).await?;
				say(format!(
					"  {who}  {} / {}",
					format_amount(balance.free),
					format_amount(balance.reserved)
				));
				summary.balances.insert(
					who.to_string(),
					(balance.free.to_string(), balance.reserved.to_string()),
				);
			}
			if args.json {
				println!("{}", serde_json::to_string_pretty(&summary)?);
			}
			return Ok(());
		}
	}
	bail!("the node closed the event stream before task {task} finished")
}

fn target_name(target: &din_chain::types::ScoreTarget) -> String {
	match target {
		din_chain::types::ScoreTarget::Baseline => "baseline".into(),
		din_chain::types::ScoreTarget::Update { round, participant } => {
			format!("{participant}@{round}")
		},
	}
}
