//! `din-scale`: the DIN paper's example task — a thousand participants in ten subgroups of a
//! hundred, ten evaluators per subgroup — through one round on one dev chain
//! (`scripts/bench/scale.sh` runs it; its report is `docs/scale.md`).
//!
//! - `din-scale fund` sends, from `//Alice`, each run account its funds: the participants
//!   `//scale/participant/<i>` and the evaluators `//scale/evaluator/<j>` (the script then
//!   starts one `din evaluator` daemon per evaluator, which bonds and enters the pool).
//! - `din-scale run --task T` acts for the participants of task T as the participant daemon
//!   would, each with its own account and nonces: it bonds, joins and records its store
//!   peer; trains a real local update from the genesis model on its own IID share of the
//!   digits training split (din-ml, candle), encoded, attributed and committed as the daemon
//!   does, and published to its artifact store (one store peer for all of them, which the
//!   evaluators dial) before the round starts; submits it when Training opens. It then follows
//!   every block to the task's settlement and reports, per phase, the blocks it took, the
//!   transactions they included, how long the evaluators took to land their last vote,
//!   and whether every panel reached a majority.
//!
//! Only the participants' side is generated: the chain, the owner (`din task create`,
//! `din task release-key`), the store peers and the evaluator daemons are the real ones.

use anyhow::{ensure, Context, Result};
use clap::{Parser, Subcommand};
use din_chain::{
	din,
	types::{BoundedVec, Role},
	Chain, ReadAt, TaskId, H256, UNIT,
};
use din_cli::common::{commitment_of, fetch_checked, global_model_before, task_spec, StoreArgs};
use din_load::{
	follow::{BlockRecord, Deadline, Follower},
	log, send, sign_all, transfer, Account,
};
use std::{collections::BTreeMap, fmt::Write, path::PathBuf, time::Duration};

#[derive(Parser)]
#[command(
	name = "din-scale",
	about = "The DIN paper's task on a dev chain (scripts/bench/scale.sh)"
)]
struct Args {
	/// The node's JSON-RPC WebSocket.
	#[arg(long, default_value = "ws://127.0.0.1:9944")]
	url: String,
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Fund the run's participant and evaluator accounts from //Alice.
	Fund {
		#[arg(long, default_value_t = 1000)]
		participants: u32,
		#[arg(long, default_value_t = 100)]
		evaluators: u32,
		/// Whole tokens for each evaluator (its bond covers its seats).
		#[arg(long, default_value_t = 2_000)]
		evaluator_funds: u128,
	},
	/// Act for the participants of a task in Registration, to its settlement.
	Run {
		/// The task (created with `min_participants` = --participants).
		#[arg(long)]
		task: TaskId,
		#[arg(long, default_value_t = 1000)]
		participants: u32,
		#[command(flatten)]
		store: StoreArgs,
		/// Also write the report (markdown) to this file.
		#[arg(long)]
		out: Option<PathBuf>,
		/// How the node, the evaluators and the task were set up, for the report's header.
		#[arg(long, default_value = "")]
		setup: String,
		/// The command that reproduces the report, for its header.
		#[arg(long, default_value = "scripts/bench/scale.sh")]
		command: String,
	},
}

/// Funds of each participant: its bond (the task's minimum) and its fees.
const PARTICIPANT_FUNDS: u128 = 10 * UNIT;
/// The longest wait for a burst's inclusion.
const STEP: Duration = Duration::from_secs(180);
/// The longest wait from the round's start to the task's settlement.
const TO_SETTLEMENT: Duration = Duration::from_secs(3600);

fn participant(i: u32) -> Result<Account> {
	Account::new(&format!("//scale/participant/{i}"))
}

fn evaluator(j: u32) -> Result<Account> {
	Account::new(&format!("//scale/evaluator/{j}"))
}

#[tokio::main]
async fn main() -> Result<()> {
	let args = Args::parse();
	// Reads at the best block: the run acts on what it just saw included.
	let chain = Chain::connect(&args.url).await?.with_reads(ReadAt::Best);
	match args.command {
		Command::Fund { participants, evaluators, evaluator_funds } => {
			fund(&chain, participants, evaluators, evaluator_funds * UNIT).await
		},
		Command::Run { task, participants, store, out, setup, command } => {
			let report = run(&chain, task, participants, &store).await?;
			let text = report.render(&setup, &command);
			print!("{text}");
			if let Some(out) = out {
				std::fs::write(&out, &text)
					.with_context(|| format!("writing {}", out.display()))?;
			}
			ensure!(report.every_panel_agreed(), "not every panel reached a majority");
			Ok(())
		},
	}
}

async fn fund(
	chain: &Chain,
	participants: u32,
	evaluators: u32,
	evaluator_funds: u128,
) -> Result<()> {
	let started = std::time::Instant::now();
	let follower = Follower::start(chain).await?;
	let mut alice = Account::new("//Alice")?;
	alice.nonce = chain
		.client()
		.at_current_block()
		.await?
		.transactions()
		.account_nonce(&alice.id)
		.await?;
	let mut funding = Vec::new();
	for i in 0..participants {
		funding.push((participant(i)?.id, PARTICIPANT_FUNDS));
	}
	for j in 0..evaluators {
		funding.push((evaluator(j)?.id, evaluator_funds));
	}
	log(&started, &format!("funding {} accounts", funding.len()));
	// One signer: its nonces in order, each call signed with the next.
	let mut txs = Vec::new();
	for (dest, amount) in funding {
		let nonce = alice.next_nonce();
		txs.push(chain.sign_with_nonce(&transfer(dest, amount), &alice.signer, nonce).await?);
	}
	let hashes = send(chain, txs).await?;
	follower.included("funding", &hashes, STEP).await?;
	log(&started, "funded");
	Ok(())
}

/// A participant's update, made and published before its round starts.
struct Made {
	bytes: Vec<u8>,
	cid: String,
	commitment: H256,
	samples: u64,
}

async fn run(chain: &Chain, task: TaskId, n: u32, store_args: &StoreArgs) -> Result<Report> {
	let started = std::time::Instant::now();
	let follower = Follower::start(chain).await?;
	let info = chain.task(task).await?.with_context(|| format!("task {task} does not exist"))?;
	ensure!(
		info.phase == din_chain::types::TaskPhase::Registration,
		"task {task} is in {:?}, not Registration",
		info.phase
	);
	let spec = task_spec(&info)?;
	let schema = spec.schema().map_err(|e| anyhow::anyhow!("the task's model: {e:?}"))?;
	let mut accounts: Vec<Account> = (0..n).map(participant).collect::<Result<_>>()?;

	let store = store_args.start().await?;
	let peer = store_args
		.announced_peer(&store)?
		.context("the store listens on no loopback address to record")?;
	log(&started, &format!("store peer {peer}"));

	// Bond, join and record the store peer: three transactions per participant, in a burst.
	log(&started, &format!("{n} participants bond, join task {task} and record their store peer"));
	let bond = info.spec.min_participant_bond;
	let bonds = accounts
		.iter_mut()
		.map(|a| (din::tx().staking().bond(Role::Participant, bond), a));
	let mut hashes = send(chain, sign_all(chain, bonds.collect()).await?).await?;
	let joins = accounts.iter_mut().map(|a| (din::tx().tasks().join_task(task), a));
	hashes.extend(send(chain, sign_all(chain, joins.collect()).await?).await?);
	let record = || din::tx().staking().set_store_peer(Some(BoundedVec(peer.to_vec())));
	let records = accounts.iter_mut().map(|a| (record(), a));
	hashes.extend(send(chain, sign_all(chain, records.collect()).await?).await?);
	follower.included("bonds, joins and store peers", &hashes, STEP).await?;

	// Train every participant's update while Registration runs out.
	let (genesis_cid, genesis_commitment) = global_model_before(chain, task, &info, 0).await?;
	let genesis = fetch_checked(&store, &genesis_cid, &schema, &genesis_commitment, STEP)
		.await
		.map_err(|why| anyhow::anyhow!("the genesis model: {why}"))?;
	log(
		&started,
		&format!("training {n} local updates (one epoch on an IID share of digits each)"),
	);
	let authors: Vec<[u8; 32]> =
		accounts.iter().map(|a| din_primitives::update_author(&a.id.0)).collect();
	let max_samples = info.spec.max_samples;
	let training = std::time::Instant::now();
	let made = tokio::task::spawn_blocking(move || -> Result<Vec<Made>> {
		let train = din_ml::data::digits::digits_train_test()?.0;
		let shares = din_ml::data::split::iid_split(&train, authors.len(), SHARE_SEED)?;
		let config = din_ml::train::TrainConfig { epochs: 1, ..Default::default() };
		let device = candle_core::Device::Cpu;
		shares
			.iter()
			.zip(authors)
			.map(|(share, author)| {
				let local =
					din_ml::federated::local_update(&spec, &genesis, share, &config, &device)?;
				let mut update = local.update;
				update.num_samples = update.num_samples.min(max_samples);
				update.author = author;
				let bytes = update.encode().map_err(|e| anyhow::anyhow!("encoding: {e:?}"))?;
				Ok(Made {
					cid: din_fl::content::artifact_cid(&bytes),
					commitment: commitment_of(&update.values),
					samples: update.num_samples,
					bytes,
				})
			})
			.collect()
	})
	.await??;
	let training = training.elapsed();
	log(&started, &format!("trained in {training:.1?}"));

	// Published now, before the round starts: a real participant withholds its update until
	// Training closes and publishes it from its own store, but one process that stores a
	// thousand updates and places their provider records in the DHT at once, while the
	// evaluators ask it for them, measures that process rather than the protocol (tried:
	// its event loop stalled the evaluators' fetches for a minute).
	log(&started, &format!("publishing the {n} updates to the store"));
	let publishing = std::time::Instant::now();
	// All at once: a put stores the bytes, then waits for its provider records to be
	// placed, which can take as long as a Kademlia query times out.
	let store = &store;
	futures::future::try_join_all(made.iter().map(|m| async move {
		let stored = store.put(m.bytes.clone()).await?;
		ensure!(stored.to_string() == m.cid, "the store gave update {} the CID {stored}", m.cid);
		anyhow::Ok(())
	}))
	.await?;
	let publishing = publishing.elapsed();
	log(&started, &format!("published in {publishing:.1?}"));

	let round_start = follower
		.wait_for("the round's start", TO_SETTLEMENT, |b| enters(b, task, "Training"))
		.await?;
	let subgroups = chain.subgroups(task).await?.len() as u32;
	log(&started, &format!("round started in block {round_start}: submitting {n} updates"));
	let submissions = accounts.iter_mut().zip(&made).map(|(a, m)| {
		let cid = BoundedVec(m.cid.clone().into_bytes());
		(din::tx().tasks().submit_update(task, 0, cid, m.commitment, m.samples), a)
	});
	let hashes = send(chain, sign_all(chain, submissions.collect()).await?).await?;
	follower.included("updates", &hashes, STEP).await?;
	log(&started, "following the task to its settlement");

	let settled = follower
		.wait_for("the task's settlement", TO_SETTLEMENT, |b| {
			b.hook_events.iter().any(|e| e == "Rewards.TaskSettled")
		})
		.await?;
	log(&started, &format!("settled in block {settled}"));
	let blocks: Vec<BlockRecord> = follower
		.blocks()
		.into_iter()
		.filter(|b| b.number >= round_start && b.number <= settled)
		.collect();
	Ok(Report { task, participants: n, subgroups, blocks, training, publishing })
}

/// Seed of the participants' IID shares.
const SHARE_SEED: u64 = u64::from_be_bytes(*b"DINscale");

/// Whether `block` moved `task` into `phase`.
fn enters(block: &BlockRecord, task: TaskId, phase: &str) -> bool {
	block
		.deadlines
		.iter()
		.any(|d| d.task == Some(task) && entered(d).as_deref() == Some(phase))
}

/// The phase a deadline transition entered: `PhaseChanged`'s, or Training for a round
/// start (`RoundStarted`).
fn entered(d: &Deadline) -> Option<String> {
	match d.event.as_str() {
		"PhaseChanged" => d.phase.clone(),
		"RoundStarted" => Some("Training".into()),
		_ => None,
	}
}

/// What the run saw from the round's start to the settlement.
struct Report {
	task: TaskId,
	participants: u32,
	subgroups: u32,
	blocks: Vec<BlockRecord>,
	training: Duration,
	publishing: Duration,
}

/// The votes and reports evaluators land in each phase: the last of them ends their duty.
const DUTIES: &[(&str, &[&str])] = &[
	("AggregationCommit", &["Evaluation.commit_aggregate", "Evaluation.commit_aggregates"]),
	("AggregationReveal", &["Evaluation.reveal_aggregate"]),
	("GlobalCommit", &["Evaluation.commit_global"]),
	("GlobalReveal", &["Evaluation.reveal_global"]),
	("Scoring", &["Evaluation.commit_score"]),
	("Rewarding", &["Evaluation.reveal_score"]),
];

impl Report {
	/// The phases in order: (phase, first block, blocks) from the task's `PhaseChanged`.
	fn phases(&self) -> Vec<(String, usize, usize)> {
		let mut starts: Vec<(String, usize)> = Vec::new();
		for (i, b) in self.blocks.iter().enumerate() {
			for d in b.deadlines.iter().filter(|d| d.task == Some(self.task)) {
				if let Some(phase) = entered(d) {
					starts.push((phase, i));
				}
			}
		}
		let mut phases = Vec::new();
		for (k, (phase, start)) in starts.iter().enumerate() {
			let end = starts.get(k + 1).map_or(self.blocks.len(), |(_, s)| *s);
			phases.push((phase.clone(), *start, end - start));
		}
		phases
	}

	fn hook_count(&self, event: &str) -> usize {
		self.blocks.iter().flat_map(|b| &b.hook_events).filter(|e| *e == event).count()
	}

	/// Every subgroup accepted by its panel's majority, and the global model fixed.
	fn every_panel_agreed(&self) -> bool {
		self.hook_count("Evaluation.SubgroupAccepted") == self.subgroups as usize
			&& self.hook_count("Evaluation.SubgroupDisputed") == 0
			&& self.hook_count("Evaluation.GlobalModelFixed") == 1
	}

	fn render(&self, setup: &str, command: &str) -> String {
		let mut out = String::new();
		let _ = writeln!(
			out,
			"<!-- Generated by {command} (client/load/src/scale.rs); do not edit. -->"
		);
		let _ = writeln!(out, "# The paper's task on one dev chain\n");
		let _ = writeln!(
			out,
			"Task {}: {} participants in {} subgroups, one round, median scoring. {setup}\n",
			self.task, self.participants, self.subgroups
		);
		let _ = writeln!(out, "Reproduce: `{command}`.\n");
		let _ = writeln!(
			out,
			"The load generator trained the {} local updates in {:.1} s and published them (stored, and their provider records placed in the DHT) in {:.1} s, before the round started (one process, not counted below).\n",
			self.participants,
			self.training.as_secs_f64(),
			self.publishing.as_secs_f64()
		);
		let _ = writeln!(
			out,
			"| phase | blocks | seconds | transactions included | evaluators' last vote after |"
		);
		let _ = writeln!(out, "|---|---:|---:|---|---:|");
		for (phase, start, len) in self.phases() {
			let blocks = &self.blocks[start..start + len];
			let next = self.blocks.get(start + len);
			let first_ms = blocks[0].timestamp_ms;
			let end_ms = next.map_or(blocks[len - 1].timestamp_ms, |b| b.timestamp_ms);
			let mut calls: BTreeMap<&str, usize> = BTreeMap::new();
			for e in blocks.iter().flat_map(|b| &b.extrinsics) {
				if !e.call.starts_with("Timestamp.") {
					*calls.entry(&e.call).or_default() += 1;
				}
			}
			let failed = blocks
				.iter()
				.flat_map(|b| &b.extrinsics)
				.filter(|e| e.failure.is_some())
				.count();
			let mut included: Vec<String> = calls.iter().map(|(c, n)| format!("{n} {c}")).collect();
			if failed > 0 {
				included.push(format!("({failed} failed)"));
			}
			let duty = DUTIES.iter().find(|(p, _)| *p == phase).and_then(|(_, votes)| {
				blocks
					.iter()
					.rev()
					.find(|b| b.extrinsics.iter().any(|e| votes.contains(&e.call.as_str())))
					.map(|b| format!("{:.0} s", (b.timestamp_ms - first_ms) as f64 / 1e3))
			});
			let _ = writeln!(
				out,
				"| {phase} | {len} | {:.0} | {} | {} |",
				(end_ms - first_ms) as f64 / 1e3,
				if included.is_empty() { "—".into() } else { included.join(", ") },
				duty.unwrap_or_else(|| "—".into())
			);
		}
		let _ = writeln!(out);
		let outcome = |event: &str| self.hook_count(event);
		let _ = writeln!(
			out,
			"Panels: {} of {} subgroups accepted by a majority ({} disputed); global model fixed: {} ({} disputed). Scores: {} settled by median, {} without quorum. Settlement: {} participants and {} evaluators paid.",
			outcome("Evaluation.SubgroupAccepted"),
			self.subgroups,
			outcome("Evaluation.SubgroupDisputed"),
			if outcome("Evaluation.GlobalModelFixed") == 1 { "yes" } else { "no" },
			outcome("Evaluation.GlobalDisputed"),
			outcome("Evaluation.MedianSettled"),
			outcome("Evaluation.MedianWithoutQuorum"),
			outcome("Rewards.ParticipantRewarded"),
			outcome("Rewards.EvaluatorRewarded"),
		);
		if !self.every_panel_agreed() {
			let _ = writeln!(out, "\n**Not every panel reached a majority.**");
		}
		out
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use din_load::follow::Extrinsic;

	fn block(
		number: u64,
		seconds: u64,
		calls: &[&str],
		entered: Option<&str>,
		hooks: &[&str],
	) -> BlockRecord {
		let deadlines = entered
			.map(|phase| {
				let (event, phase) = match phase {
					"Training" => ("RoundStarted", None),
					phase => ("PhaseChanged", Some(phase.to_string())),
				};
				vec![Deadline { event: event.into(), task: Some(0), phase, ends: None }]
			})
			.unwrap_or_default();
		BlockRecord {
			number,
			extrinsics: calls
				.iter()
				.map(|c| Extrinsic { hash: H256::zero(), call: c.to_string(), failure: None })
				.collect(),
			deadlines,
			normal: (0, 0),
			mandatory: (0, 0),
			rotation: false,
			hook_events: hooks.iter().map(|e| e.to_string()).collect(),
			timestamp_ms: seconds * 1000,
		}
	}

	fn report(blocks: Vec<BlockRecord>) -> Report {
		Report {
			task: 0,
			participants: 2,
			subgroups: 2,
			blocks,
			training: Duration::ZERO,
			publishing: Duration::ZERO,
		}
	}

	#[test]
	fn phases_start_at_the_round_start_and_each_phase_change_of_the_task() {
		let blocks = vec![
			block(10, 0, &["Timestamp.set"], Some("Training"), &[]),
			block(
				11,
				3,
				&["Timestamp.set", "Tasks.submit_update", "Tasks.submit_update"],
				None,
				&[],
			),
			block(12, 6, &["Timestamp.set"], Some("AggregationCommit"), &[]),
			block(13, 9, &["Timestamp.set", "Evaluation.commit_aggregate"], None, &[]),
			block(14, 12, &["Timestamp.set", "Evaluation.commit_aggregate"], None, &[]),
			block(15, 15, &["Timestamp.set"], Some("AggregationReveal"), &[]),
		];
		let report = report(blocks);
		assert_eq!(
			report.phases(),
			vec![
				("Training".to_string(), 0, 2),
				("AggregationCommit".to_string(), 2, 3),
				("AggregationReveal".to_string(), 5, 1)
			]
		);
		let text = report.render("", "scale.sh");
		assert!(text.contains("| Training | 2 | 6 | 2 Tasks.submit_update | — |"), "{text}");
		assert!(
			text.contains("| AggregationCommit | 3 | 9 | 2 Evaluation.commit_aggregate | 6 s |"),
			"{text}"
		);
	}

	#[test]
	fn a_disputed_subgroup_or_an_unfixed_global_model_is_not_every_panel_agreeing() {
		let agreed = [
			"Evaluation.SubgroupAccepted",
			"Evaluation.SubgroupAccepted",
			"Evaluation.GlobalModelFixed",
		];
		assert!(report(vec![block(1, 0, &[], None, &agreed)]).every_panel_agreed());
		let disputed = [
			"Evaluation.SubgroupAccepted",
			"Evaluation.SubgroupDisputed",
			"Evaluation.GlobalModelFixed",
		];
		assert!(!report(vec![block(1, 0, &[], None, &disputed)]).every_panel_agreed());
		let no_global = [
			"Evaluation.SubgroupAccepted",
			"Evaluation.SubgroupAccepted",
			"Evaluation.GlobalDisputed",
		];
		let report = report(vec![block(1, 0, &[], None, &no_global)]);
		assert!(!report.every_panel_agreed());
		assert!(report.render("", "").contains("**Not every panel reached a majority.**"));
	}
}
