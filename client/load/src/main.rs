//! `din-load`: drives a DIN node with real, signed transactions and counts what each block
//! includes (`scripts/bench/load.sh` runs it; its report is `docs/load.md`).
//!
//! The question it answers is whether the chain keeps taking federated-learning traffic in
//! the blocks that carry deadlines, whose `on_initialize` work is mandatory and comes before
//! any transaction. The run:
//!
//! 1. funds `2 × pairs × participants` participant accounts and a pool of evaluators from
//!    `//Alice`; the participants bond, the evaluators bond and register;
//! 2. creates `2 × pairs` tasks of `participants` each (256 by default), pair `p`'s
//!    two tasks with the same registration length so that both rounds start in one block (two
//!    deadlines, the most `MaxDeadlinesPerBlock` puts in a block), the next pair's a block
//!    later; every participant joins;
//! 3. sends, into blocks without deadlines, one `transfer_keep_alive` from each account of
//!    the first pair (as many as a pair's updates), then two from each account of the other
//!    pairs (more than a block holds);
//! 4. sends the first pair's updates as soon as its rounds start, so that they land in the
//!    block where the second pair's rounds start; holds every other pair's until the last
//!    rounds have started and sends them at once (more than a block holds);
//! 5. sends a transfer from each account of the first pair timed to land in the block where
//!    the first pair's AggregationCommit deadlines pass.
//!
//! The report compares the kinds at equal offered load (bursts of one size) and at capacity
//! (what a block includes while a larger burst still waits), in blocks with and without
//! deadlines.
//!
//! Every transaction is signed by its own account (nonces counted here) and must succeed;
//! the report gives, per block, its deadlines, the mandatory weight they took, and the
//! transactions of each kind it included.

mod report;

use anyhow::{bail, ensure, Context, Result};
use clap::Parser;
use din_chain::{
	din,
	types::{BoundedVec, PhaseLengths, Role, TaskSpec},
	AccountId32, Chain, ReadAt, SignedTransaction, TaskId, H256, UNIT,
};
use din_load::{follow, follow::Follower, log, send, sign, sign_all, transfer, Account};
use sha2::{Digest, Sha256};
use std::{path::PathBuf, time::Duration};
use subxt::transactions::Payload;

#[derive(Parser)]
#[command(name = "din-load", about = "Load generator of scripts/bench/load.sh (see docs/load.md)")]
struct Args {
	/// The node's JSON-RPC WebSocket.
	#[arg(long, default_value = "ws://127.0.0.1:9944")]
	url: String,
	/// Pairs of tasks; the two tasks of a pair start their rounds in the same block.
	#[arg(long, default_value_t = 3)]
	pairs: u32,
	/// Participants of each task (at most the runtime's `MaxParticipants`).
	#[arg(long, default_value_t = 256)]
	participants: u32,
	/// Evaluators in the pool; each bonds enough for every seat it may be drawn to.
	#[arg(long, default_value_t = 8)]
	evaluators: u32,
	/// Also write the report (markdown) to this file.
	#[arg(long)]
	out: Option<PathBuf>,
	/// How the node was built and started, for the report's header.
	#[arg(long, default_value = "")]
	node: String,
	/// The command that reproduces the report, for its header.
	#[arg(long, default_value = "scripts/bench/load.sh")]
	command: String,
}

/// Subgroup size of the load's tasks: 256 participants make 8 subgroups.
const SUBGROUP_SIZE: u32 = 32;
/// Blocks of each phase after registration.
const PHASE: u32 = 6;
/// Native token transferred in the transfer bursts.
const TRANSFER: u128 = UNIT / 1_000;
/// The longest wait for one step.
const STEP: Duration = Duration::from_secs(120);

/// A burst the report counts: its label, the call it is made of, and its transactions.
pub struct Burst {
	pub label: String,
	/// Whether it holds more than a block can include (a measure of capacity).
	pub beyond_a_block: bool,
	pub call: &'static str,
	pub hashes: Vec<H256>,
}

pub const SUBMIT_UPDATE: &str = "Tasks.submit_update";
pub const TRANSFER_KEEP_ALIVE: &str = "Balances.transfer_keep_alive";

#[tokio::main]
async fn main() -> Result<()> {
	let args = Args::parse();
	ensure!(
		args.pairs >= 2,
		"--pairs: at least 2 (one into deadlines, the rest into a full block)"
	);
	ensure!(args.participants > 0 && args.evaluators > 0, "nothing to load");
	// Reads at the best block: the run acts on what it just saw included.
	let chain = Chain::connect(&args.url).await?.with_reads(ReadAt::Best);
	let follower = Follower::start(&chain).await?;
	let started = std::time::Instant::now();

	// 1. Accounts, funded by Alice one after another (one sender's nonces in order).
	let tasks = 2 * args.pairs;
	let mut alice = Account::new("//Alice")?;
	let at = chain.client().at_current_block().await?;
	alice.nonce = at.transactions().account_nonce(&alice.id).await?;
	let constants = at.constants();
	let most = constants.entry(din::constants().tasks().max_participants())?;
	ensure!(args.participants <= most, "--participants: the runtime allows at most {most}");
	let epoch = constants.entry(din::constants().babe().epoch_duration())?;
	let max_block = constants.entry(din::constants().system().block_weights())?.max_block;
	let mut participants: Vec<Vec<Account>> = (0..tasks)
		.map(|t| {
			(0..args.participants)
				.map(|i| Account::new(&format!("//load/{t}/{i}")))
				.collect()
		})
		.collect::<Result<_>>()?;
	let mut evaluators: Vec<Account> = (0..args.evaluators)
		.map(|j| Account::new(&format!("//load/evaluator/{j}")))
		.collect::<Result<_>>()?;
	// Every evaluator can take every seat of every task: no draw fails for want of bond.
	let seats = tasks * args.participants.div_ceil(SUBGROUP_SIZE);
	let evaluator_bond = 100 * UNIT * seats as u128;
	let mut funding = Vec::new();
	for p in participants.iter().flatten() {
		funding.push((p.id.clone(), 5 * UNIT));
	}
	for e in &evaluators {
		funding.push((e.id.clone(), evaluator_bond + 10 * UNIT));
	}
	log(&started, &format!("funding {} accounts", funding.len()));
	let funding: Vec<_> = funding
		.into_iter()
		.map(|(dest, amount)| (transfer(dest, amount), alice.next_nonce()))
		.collect();
	let funding = funding.into_iter().map(|(call, n)| (call, &alice.signer, n)).collect();
	let hashes = send(&chain, sign(&chain, funding).await?).await?;
	follower.included("funding", &hashes, STEP).await?;

	// Bonds; the evaluators enter the pool.
	log(&started, "bonding");
	let bonds: Vec<_> = participants
		.iter_mut()
		.flatten()
		.map(|p| (din::tx().staking().bond(Role::Participant, UNIT), p))
		.collect();
	let mut hashes = send(&chain, sign_all(&chain, bonds).await?).await?;
	let evaluator_bonds: Vec<_> = evaluators
		.iter_mut()
		.map(|e| (din::tx().staking().bond(Role::Evaluator, evaluator_bond), e))
		.collect();
	hashes.extend(send(&chain, sign_all(&chain, evaluator_bonds).await?).await?);
	let registrations: Vec<_> = evaluators
		.iter_mut()
		.map(|e| (din::tx().evaluation().register_evaluator(), e))
		.collect();
	let registered = send(&chain, sign_all(&chain, registrations).await?).await?;
	hashes.extend(registered.iter().copied());
	follower.included("bonds and registrations", &hashes, STEP).await?;
	let registered_at = follower
		.wait_for("the registrations", STEP, |b| {
			b.extrinsics.iter().any(|e| registered.contains(&e.hash))
		})
		.await?;

	// 2. Tasks. A draw admits evaluators that joined before its randomness (one BABE epoch
	// ago) was known, by a further epoch: rounds start two epochs and a margin after the
	// registrations.
	let first_start = registered_at + 2 * epoch + 4;
	let created_in = follower.best() + 1;
	ensure!(first_start > created_in + 3, "rounds would start before the joins are in");
	let first_task = chain.next_task_id().await?;
	log(&started, &format!("creating {tasks} tasks, rounds from block {first_start}"));
	let mut hashes = Vec::new();
	for t in 0..tasks {
		let registration = (first_start + (t / 2) as u64 - created_in) as u32;
		let spec = task_spec(t, registration, args.participants);
		let call = din::tx().tasks().create_task(spec);
		let nonce = alice.next_nonce();
		let tx = chain.sign_with_nonce(&call, &alice.signer, nonce).await?;
		hashes.push(tx.submit().await.context("submit a task")?);
	}
	follower.included("task creation", &hashes, STEP).await?;
	let task_ids: Vec<TaskId> = (first_task..first_task + tasks).collect();
	for &task in &task_ids {
		let info = chain.task(task).await?.context("a created task")?;
		ensure!(info.owner == alice.id, "task {task} is not the run's");
	}

	log(&started, "joining");
	let joins: Vec<_> = participants
		.iter_mut()
		.zip(&task_ids)
		.flat_map(|(accounts, &task)| {
			accounts.iter_mut().map(move |p| (din::tx().tasks().join_task(task), p))
		})
		.collect();
	let hashes = send(&chain, sign_all(&chain, joins).await?).await?;
	follower.included("joins", &hashes, STEP).await?;

	// 3. Transfers in blocks without deadlines: as many as a pair's updates, then more than
	// a block holds (two from every account of the other pairs).
	let mut bursts = Vec::new();
	let best = follower.best();
	follower.wait_for("a fresh block", STEP, |b| b.number > best).await?;
	log(&started, "transfer burst in a block without deadlines");
	let burst = transfers(&chain, &mut participants[0..2]).await?;
	let hashes = send(&chain, burst).await?;
	follower.included("the first transfer burst", &hashes, STEP).await?;
	bursts.push(Burst {
		label: "transfers".into(),
		beyond_a_block: false,
		call: TRANSFER_KEEP_ALIVE,
		hashes,
	});
	log(&started, "transfer burst larger than a block");
	let mut burst = transfers(&chain, &mut participants[2..]).await?;
	burst.extend(transfers(&chain, &mut participants[2..]).await?);
	let hashes = send(&chain, burst).await?;
	follower
		.included("the transfer burst larger than a block", &hashes, STEP)
		.await?;
	bursts.push(Burst {
		label: "transfers, more than a block holds".into(),
		beyond_a_block: true,
		call: TRANSFER_KEEP_ALIVE,
		hashes,
	});

	// 4. The first pair's updates, sent as soon as its rounds have started: they land in the
	// block where the next pair's rounds start. Then every other pair's, held until the last
	// rounds have started: more than a block holds.
	let pairs = args.pairs as usize;
	for (label, group, beyond_a_block) in
		[("updates", 0..1, false), ("updates, more than a block holds", 1..pairs, true)]
	{
		let tasks_of = |pair: usize| 2 * pair..2 * pair + 2;
		let ids = &task_ids[tasks_of(group.start).start..tasks_of(group.end - 1).end];
		let expected = first_start + group.end as u64 - 1;
		// Signed a few blocks ahead (they stay valid 32 blocks), sent on the start.
		follower
			.wait_for("the blocks before the rounds start", STEP * 2, |b| b.number + 3 >= expected)
			.await?;
		let mut updates = Vec::new();
		let groups = &mut participants[tasks_of(group.start).start..tasks_of(group.end - 1).end];
		for (accounts, &task) in groups.iter_mut().zip(ids) {
			for (i, p) in accounts.iter_mut().enumerate() {
				updates.push((update_call(task, i as u32), p));
			}
		}
		let signed = sign_all(&chain, updates).await?;
		let mut started_in = 0;
		for &task in ids {
			started_in = started_in.max(
				follower
					.wait_for("the rounds' start", STEP * 2, |b| {
						b.deadlines
							.iter()
							.any(|d| d.event == "RoundStarted" && d.task == Some(task))
					})
					.await?,
			);
		}
		if let Some(b) = follower.blocks().iter().find(|b| {
			b.number <= started_in && b.deadlines.iter().any(|d| d.event == "RoundDeferred")
		}) {
			bail!(
				"a round was deferred in block {}: the evaluator pool was not eligible",
				b.number
			);
		}
		log(&started, &format!("rounds of tasks {ids:?} started by block {started_in}; {label}"));
		let hashes = send(&chain, signed).await?;
		bursts.push(Burst {
			label: format!("{label} (tasks {}–{})", ids[0], ids[ids.len() - 1]),
			beyond_a_block,
			call: SUBMIT_UPDATE,
			hashes,
		});
	}
	for burst in &bursts {
		follower.included(&burst.label, &burst.hashes, STEP).await?;
	}

	// 5. Transfers timed into a block with deadlines: the end of the first pair's
	// AggregationCommit (nobody commits in this run, so the phase runs its full length).
	let first = task_ids[0];
	let entered = follower
		.wait_for("the first task's AggregationCommit", STEP, |b| {
			b.deadlines.iter().any(|d| is_commit_phase(d, first))
		})
		.await?;
	let commit_ends = follower
		.blocks()
		.iter()
		.find(|b| b.number == entered)
		.and_then(|b| b.deadlines.iter().find(|d| is_commit_phase(d, first)))
		.and_then(|d| d.ends)
		.context("the AggregationCommit deadline")?;
	let signed = transfers(&chain, &mut participants[0..2]).await?;
	follower
		.wait_for("the block before the deadlines", STEP, |b| b.number + 1 >= commit_ends)
		.await?;
	ensure!(
		follower.best() < commit_ends,
		"the run fell behind: block {commit_ends} passed before the second transfer burst"
	);
	log(&started, &format!("transfer burst timed into block {commit_ends}'s deadlines"));
	let hashes = send(&chain, signed).await?;
	follower.included("the second transfer burst", &hashes, STEP).await?;
	bursts.push(Burst {
		label: "transfers, timed into deadlines".into(),
		beyond_a_block: false,
		call: TRANSFER_KEEP_ALIVE,
		hashes,
	});

	let blocks = follower.blocks();
	let report = report::render(&report::Run {
		max_block: max_block.ref_time,
		node: &args.node,
		command: &args.command,
		tasks,
		participants: args.participants,
		evaluators: args.evaluators,
		blocks: &blocks,
		bursts: &bursts,
	});
	print!("{report}");
	if let Some(out) = &args.out {
		std::fs::write(out, &report).with_context(|| format!("write {}", out.display()))?;
	}
	log(&started, "done");
	Ok(())
}

fn is_commit_phase(d: &follow::Deadline, task: TaskId) -> bool {
	d.event == "PhaseChanged"
		&& d.task == Some(task)
		&& d.phase.as_deref() == Some("AggregationCommit")
}

/// One `transfer_keep_alive` from every account of `groups` to the next account.
async fn transfers(chain: &Chain, groups: &mut [Vec<Account>]) -> Result<Vec<SignedTransaction>> {
	let ids: Vec<AccountId32> = groups.iter().flatten().map(|a| a.id.clone()).collect();
	let calls: Vec<_> = groups
		.iter_mut()
		.flatten()
		.enumerate()
		.map(|(i, a)| (transfer(ids[(i + 1) % ids.len()].clone(), TRANSFER), a))
		.collect();
	sign_all(chain, calls).await
}

/// Participant `i`'s update for round 0 of `task`: a CID and a commitment of its own (the
/// chain records them; nobody fetches them in this run).
fn update_call(task: TaskId, i: u32) -> impl Payload {
	let cid = format!("bafkreiload{task:04}x{i:04}").into_bytes();
	let commitment = H256(Sha256::digest(&cid).into());
	din::tx().tasks().submit_update(task, 0, BoundedVec(cid), commitment, 100)
}

/// Task `t` of the run: `participants` participants, registration of `registration` blocks,
/// one round, subgroups of 32 with one evaluator, median scoring; nothing is trained.
fn task_spec(t: u32, registration: u32, participants: u32) -> TaskSpec {
	let phases = PhaseLengths {
		registration,
		training: PHASE,
		aggregation_commit: PHASE,
		aggregation_reveal: PHASE,
		global_commit: PHASE,
		global_reveal: PHASE,
		scoring: PHASE,
		rewarding: PHASE,
	};
	let architecture = format!("DINM softmax 64x10 load {t}").into_bytes();
	TaskSpec {
		subgroup_size: SUBGROUP_SIZE,
		min_participants: participants,
		min_participant_bond: UNIT,
		max_samples: 1_000,
		..TaskSpec::placeholder(&architecture, 1_000 * UNIT, phases)
	}
}
