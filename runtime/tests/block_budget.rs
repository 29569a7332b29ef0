//! The block budget of DIN's deadlines, from the generated weights of din-runtime.
//!
//! A deadline is processed in `on_initialize`, whose weight is mandatory: the block pays it
//! before any transaction. For every kind of transition this computes its worst case (every
//! size at the runtime's bound) and the worst deadline block (`MaxDeadlinesPerBlock` of the
//! heaviest kind), and compares them with a quarter of the block (in ref time: the block
//! does not bound proof size, see `MAXIMUM_BLOCK_WEIGHT` in the runtime; the proof each
//! transition would need on a parachain is listed). `docs/block-budget.md` is this table;
//! the test fails when the file is not current (`DIN_WRITE_DOCS=1` rewrites it) or when any
//! kind is pushed past the bound.

use din_runtime::{configs::RuntimeBlockWeights, Runtime};
use pallet_din_evaluation::{weights::WeightInfo as _, Config as EvaluationConfig};
use pallet_din_rewards::{weights::WeightInfo as _, Config as RewardsConfig};
use pallet_din_tasks::{weights::WeightInfo as _, Config as TasksConfig};
use polkadot_sdk::{frame_support::traits::Get, sp_weights::Weight};

type TasksWeights = <Runtime as TasksConfig>::WeightInfo;
type EvaluationWeights = <Runtime as EvaluationConfig>::WeightInfo;
type RewardsWeights = <Runtime as RewardsConfig>::WeightInfo;

struct Bounds {
	participants: u32,
	subgroups: u32,
	evaluators: u32,
	scores: u32,
	rounds: u32,
}

fn bounds() -> Bounds {
	Bounds {
		participants: <Runtime as TasksConfig>::MaxParticipants::get(),
		subgroups: <Runtime as EvaluationConfig>::MaxSubgroups::get(),
		evaluators: <Runtime as EvaluationConfig>::MaxEvaluators::get(),
		scores: <Runtime as EvaluationConfig>::MaxScores::get(),
		rounds: <Runtime as EvaluationConfig>::MaxRounds::get(),
	}
}

/// Every kind of deadline transition at its worst case: the tasks pallet's own benchmark
/// plus the weight the evaluation (and rewards) hooks report at the bounds.
fn transitions() -> Vec<(&'static str, Weight)> {
	let b = bounds();
	let releases = b.participants.min(<Runtime as TasksConfig>::MaxReleasesPerBlock::get());
	let sortition = EvaluationWeights::on_round_start(b.subgroups, b.evaluators);
	// A list of `participants` entries, all staying or all but one leaving.
	let round_start = TasksWeights::on_initialize_round_start(b.participants, 0)
		.max(TasksWeights::on_initialize_round_start(1, b.participants - 1))
		+ sortition;
	vec![
		("phase change", TasksWeights::on_initialize_phase()),
		("round start", round_start),
		(
			"aggregation settlement (one slice; the phase is held for the rest)",
			TasksWeights::on_initialize_phase() + settlement_slice(b.subgroups),
		),
		(
			"aggregation settlement's last slice with the previous round's global vote, and the \
			 next round start",
			settlement_and_round_start(round_start),
		),
		(
			"the last round's global settlement",
			TasksWeights::on_initialize_phase() + EvaluationWeights::on_global_end(b.evaluators),
		),
		(
			"score settlement (one slice of records; the phase is held for the rest)",
			TasksWeights::on_initialize_phase() + score_slice(b.scores),
		),
		(
			"payout (one slice)",
			TasksWeights::on_initialize_phase()
				+ payout_slice(b.participants + b.evaluators)
				+ EvaluationWeights::on_scores_finalized(),
		),
		("pruning (one slice)", TasksWeights::on_initialize_phase() + pruning_slice(b.rounds)),
		(
			"task end (after the pruning slice that finds nothing left)",
			TasksWeights::on_initialize_finish(releases) + EvaluationWeights::on_scores_finalized(),
		),
		(
			"release of the remaining bonds (one slice)",
			TasksWeights::on_initialize_finish(releases),
		),
		(
			"expiry of a task that never started",
			round_start + TasksWeights::on_initialize_finish(releases),
		),
	]
}

/// The last slice of a round's aggregation settlement at the bounds, which also settles the
/// pipelined vote on the previous round's global model and unlocks the round's seats (a
/// global settlement's work), with the next round start when the tasks pallet lets both
/// into one block (`round_start_fits`: within `TransitionWeight`); otherwise the round
/// starts in the next block, a row of its own.
fn settlement_and_round_start(round_start: Weight) -> Weight {
	let b = bounds();
	// The slices leave room for the vote (`aggregation_slice_budget`).
	let vote = EvaluationWeights::on_global_end(b.evaluators);
	let slice = largest_slice(
		b.subgroups,
		slice_budget().saturating_sub(vote),
		EvaluationWeights::on_aggregation_end,
	);
	let settlement = TasksWeights::on_initialize_phase()
		+ slice
		+ vote + <Runtime as polkadot_sdk::frame_system::Config>::DbWeight::get()
		.reads(1);
	let both = settlement + round_start;
	if both.all_lte(<Runtime as TasksConfig>::TransitionWeight::get()) {
		both
	} else {
		settlement
	}
}

/// The weight of the largest slice of up to `most` items that `budget` holds, at least
/// one item: what the runtime's slicing charges a deadline.
fn largest_slice(most: u32, budget: Weight, weight: impl Fn(u32) -> Weight) -> Weight {
	weight(din_primitives::slice_within(most, budget, &weight))
}

fn slice_budget() -> Weight {
	<Runtime as EvaluationConfig>::SettlementSliceWeight::get()
}

/// The most one deadline settles of `subgroups` (`settle_aggregation`).
fn settlement_slice(subgroups: u32) -> Weight {
	largest_slice(subgroups, slice_budget(), EvaluationWeights::on_aggregation_end)
}

/// The first slice of a score settlement, which also opens it (`settle_scores`).
fn score_slice(scores: u32) -> Weight {
	let opening = EvaluationWeights::on_scores_opened();
	opening
		+ largest_slice(
			scores,
			slice_budget().saturating_sub(opening),
			EvaluationWeights::on_score_slice,
		)
}

/// A slice of the rewards pallet's payout of `payees`.
fn payout_slice(payees: u32) -> Weight {
	largest_slice(payees, slice_budget(), RewardsWeights::pay_out)
}

/// A slice of the pruning of a task of `rounds` rounds.
fn pruning_slice(rounds: u32) -> Weight {
	let entries = rounds * (<Runtime as EvaluationConfig>::MaxSubgroups::get() + 1);
	largest_slice(entries, slice_budget(), EvaluationWeights::on_scores_pruned)
}

fn budget() -> Weight {
	RuntimeBlockWeights::get().max_block / 4
}

fn fits(weight: Weight, limit: Weight) -> bool {
	weight.all_lte(limit)
}

fn ms(weight: Weight) -> String {
	format!("{:.1}", weight.ref_time() as f64 / 1e9)
}

fn kib(weight: Weight) -> String {
	format!("{:.0}", weight.proof_size() as f64 / 1024.0)
}

fn percent(part: u64, whole: u64) -> String {
	format!("{:.0}%", 100.0 * part as f64 / whole as f64)
}

fn table() -> String {
	let b = bounds();
	let block = RuntimeBlockWeights::get().max_block;
	let per_block: u32 = <Runtime as TasksConfig>::MaxDeadlinesPerBlock::get();
	let per_block = per_block as u64;
	let idle = TasksWeights::on_initialize_idle();
	let mut out = String::new();
	out.push_str("<!-- Generated by runtime/tests/block_budget.rs; do not edit. -->\n");
	out.push_str("# Block budget of deadlines\n\n");
	out.push_str(&format!(
		"A block holds {} ms of ref time. Deadlines run in `on_initialize`, whose weight is \
		 mandatory; DIN's bound for them is a quarter of the block ({} ms), so that a deadline \
		 block keeps room for `submit_update`, commits and reveals. Up to {per_block} deadlines \
		 fall in one block. Each row is one transition at the runtime's bounds ({} \
		 participants, {} subgroups, {} evaluators, {} scores), charged as the tasks pallet's \
		 benchmark plus what the hooks report; the last column is `on_initialize` with \
		 {per_block} such deadlines.\n\n\
		 The block does not bound proof size: DIN is a sovereign chain, no relay chain \
		 receives a storage proof of its blocks (the runtime's `MAXIMUM_BLOCK_WEIGHT` says why; \
		 a 5 MiB bound capped every block at about 240 transactions). The proof column is \
		 the storage proof each transition's benchmarks estimate: what a deployment as a \
		 parachain would have to bound (its relay chain allows 5 MiB per block, and the \
		 slices, cut by ref time here, would be cut by proof size too).\n\n",
		ms(block),
		ms(budget()),
		b.participants,
		b.subgroups,
		b.evaluators,
		b.scores,
	));
	out.push_str(
		"| Transition | ref time (ms) | % of block | proof on a parachain (KiB) | \
		 deadline block fits the quarter |\n|---|---:|---:|---:|---|\n",
	);
	for (name, weight) in transitions() {
		let worst_block = idle + weight.saturating_mul(per_block);
		out.push_str(&format!(
			"| {name} | {} | {} | {} | {} |\n",
			ms(weight),
			percent(weight.ref_time(), block.ref_time()),
			kib(weight),
			if fits(worst_block, budget()) { "yes" } else { "**no**" },
		));
	}
	let participants: u32 = <Runtime as TasksConfig>::MaxParticipants::get();
	let prune_step = TasksWeights::on_idle_nothing_due()
		+ TasksWeights::on_idle_prune_round(participants).max(TasksWeights::on_idle_task_pruned());
	let entries = b.rounds.saturating_mul(b.subgroups).saturating_add(b.rounds);
	let first_entry = EvaluationWeights::on_task_records_pruned(1);
	let per_entry = EvaluationWeights::on_task_records_pruned(2).saturating_sub(first_entry);
	out.push_str(&format!(
		"\nThe records of ended tasks are pruned in `on_idle`, after their retention, with only \
		 the weight a block leaves unused, in steps cut to fit what is left: a round of {} \
		 updates takes at most {} ms and {} KiB; the evaluation side's record (at most {} \
		 entries) {} ms and {} KiB for its first entry, {} ms and {} KiB for each further one.\n",
		participants,
		ms(prune_step),
		kib(prune_step),
		entries,
		ms(first_entry),
		kib(first_entry),
		ms(per_entry),
		kib(per_entry),
	));
	out.push_str(
		"\nWeights are those checked in under `pallets/*/src/weights.rs` (each file's header \
		 names the node profile and the settings they were measured with). Regenerate this file \
		 with `DIN_WRITE_DOCS=1 cargo test --workspace --lib --bins --tests --locked -- \
		 --exact block_budget_table_is_current`.\n",
	);
	out
}

fn doc_path() -> std::path::PathBuf {
	// The package directory of this run (cargo and scripts/test.sh set it), not the one
	// compiled in: a build shared by checkouts at other paths keeps theirs.
	std::env::var_os("CARGO_MANIFEST_DIR")
		.map(std::path::PathBuf::from)
		.unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
		.join("../docs/block-budget.md")
}

#[test]
fn block_budget_table_is_current() {
	let table = table();
	if std::env::var_os("DIN_WRITE_DOCS").is_some() {
		std::fs::write(doc_path(), &table).expect("docs/block-budget.md is writable");
	}
	let committed = std::fs::read_to_string(doc_path()).unwrap_or_default();
	assert!(
		committed == table,
		"docs/block-budget.md is not current; rerun with DIN_WRITE_DOCS=1 (see the file's end)"
	);
}

#[test]
fn deadline_blocks_stay_within_a_quarter_of_the_block() {
	let per_block: u32 = <Runtime as TasksConfig>::MaxDeadlinesPerBlock::get();
	let per_block = per_block as u64;
	let idle = TasksWeights::on_initialize_idle();
	let over: Vec<&str> = transitions()
		.into_iter()
		.filter(|(_, weight)| !fits(idle + weight.saturating_mul(per_block), budget()))
		.map(|(name, _)| name)
		.collect();
	assert!(over.is_empty(), "deadline kinds over the quarter-block bound: {over:?}");
}
