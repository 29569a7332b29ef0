//! SCALE types of pallet-din-evaluation and the pure parts of its mechanism: the weighted
//! draw of a panel, the majority tally of reveals and the median of reports.

use crate::Config;
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
pub use din_primitives::{Cid, Commitment, ModelRef, RoundIndex, SubgroupIndex, TaskId};
use polkadot_sdk::{
	frame_support::{BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound},
	frame_system,
	sp_core::H256,
	sp_io::hashing::blake2_256,
	sp_runtime::Perbill,
};
use scale_info::TypeInfo;

/// An account of the runtime.
pub type AccountIdOf<T> = <T as frame_system::Config>::AccountId;
/// The evaluators drawn for one subgroup.
pub type PanelOf<T> = BoundedVec<AccountIdOf<T>, <T as Config>::MaxPanelSize>;
/// The participants an aggregate reveal marks invalid (sorted ascending).
pub type InvalidSetOf<T> = BoundedVec<AccountIdOf<T>, <T as Config>::MaxSubgroupSize>;
/// Every evaluator of a round with the number of seats (subgroups) it holds.
pub type SeatsOf<T> = BoundedVec<(AccountIdOf<T>, u32), <T as Config>::MaxEvaluators>;
/// A pool member of this runtime.
pub type PoolMemberOf<T> = PoolMember<
	AccountIdOf<T>,
	<T as Config>::Balance,
	polkadot_sdk::frame_system::pallet_prelude::BlockNumberFor<T>,
>;
/// An aggregate reveal.
pub type AggregateRevealOf<T> = AggregateReveal<AccountIdOf<T>, <T as Config>::MaxSubgroupSize>;
/// A subgroup's settled result.
pub type SubgroupResultOf<T> = SubgroupResult<AccountIdOf<T>, <T as Config>::MaxSubgroupSize>;
/// What is scored.
pub type ScoreTargetOf<T> = ScoreTarget<AccountIdOf<T>>;
/// Where the settlement of a task's scores stands.
pub type ScoreSettlementOf<T> = ScoreSettlement<<T as Config>::MaxRounds>;
/// The median-rule reports on one target: each reporter's commit, then the accuracy it
/// revealed.
pub type ReportsOf<T> = BoundedVec<(AccountIdOf<T>, Vote<Perbill>), <T as Config>::MaxPanelSize>;

/// A commit-reveal vote: first the hash, then what it opened to.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub enum Vote<Reveal> {
	/// Committed `hash`; not revealed yet.
	Committed(H256),
	/// Revealed (and matched the committed hash).
	Revealed(Reveal),
}

/// What an evaluator revealed for a subgroup. The majority is taken over
/// `(commitment, invalid)`; the CID only locates the aggregate in the store.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(S))]
#[codec(mel_bound(AccountId: MaxEncodedLen))]
pub struct AggregateReveal<
	AccountId: Clone + PartialEq + core::fmt::Debug,
	S: polkadot_sdk::frame_support::traits::Get<u32>,
> {
	/// Where the aggregate lives.
	pub cid: Cid,
	/// Poseidon commitment to its canonical encoding.
	pub commitment: Commitment,
	/// Participants whose updates the evaluator found invalid, ascending.
	pub invalid: BoundedVec<AccountId, S>,
}

/// The settled result of one subgroup in one round.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(S))]
#[codec(mel_bound(AccountId: MaxEncodedLen))]
pub enum SubgroupResult<
	AccountId: Clone + PartialEq + core::fmt::Debug,
	S: polkadot_sdk::frame_support::traits::Get<u32>,
> {
	/// A strict majority of the panel revealed this aggregate and invalid set.
	Accepted(AggregateReveal<AccountId, S>),
	/// No strict majority: the subgroup is dropped from the round.
	Disputed,
	/// No participant of the subgroup submitted an update: nothing to aggregate.
	Empty,
}

/// What a score is about: the genesis model (the baseline), a global model a later round
/// trained from, or one participant's update.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
)]
pub enum ScoreTarget<AccountId> {
	/// The task's genesis model: its accuracy is the baseline contributions are measured
	/// against.
	Baseline,
	/// The update `participant` submitted in `round`.
	Update {
		/// The round of the update.
		round: RoundIndex,
		/// Who submitted it.
		participant: AccountId,
	},
	/// The global model `round` fixed, which the rounds after it trained from (until
	/// another is fixed): its accuracy is what their updates' contributions are measured
	/// against. Only a round before the last fixes one that is trained from.
	Global {
		/// The round that fixed the model.
		round: RoundIndex,
	},
}

/// A score settled by a valid Groth16 proof.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct ProvenScore<AccountId> {
	/// Correctly classified test samples.
	pub correct: u32,
	/// Test samples in the set.
	pub total: u32,
	/// The evaluator whose proof settled it (and earned the work credit).
	pub prover: AccountId,
}

/// How many of the current round's votes are in, so that each vote phase ends as soon as
/// its last expected vote is recorded ([`din_primitives::PhaseClosing`]) rather than at its
/// deadline. What a phase expects: AggregationCommit one commit per seat, AggregationReveal
/// a reveal per aggregate commit, GlobalCommit one commit per evaluator of the round,
/// GlobalReveal a reveal per global commit (a reveal needs its commit, so nobody else can
/// still act).
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
)]
pub struct VoteTally {
	/// The round counted.
	pub round: RoundIndex,
	/// Panel seats of the round (one aggregate commit each).
	pub seats: u32,
	/// Distinct evaluators of the round (one global commit each).
	pub voters: u32,
	/// Aggregate commits so far.
	pub aggregate_commits: u32,
	/// Aggregate reveals so far.
	pub aggregate_reveals: u32,
	/// Global commits so far.
	pub global_commits: u32,
	/// Global reveals so far.
	pub global_reveals: u32,
}

impl VoteTally {
	/// A round with `seats` panel seats held by `voters` distinct evaluators.
	pub fn new(round: RoundIndex, seats: u32, voters: u32) -> Self {
		Self { round, seats, voters, ..Default::default() }
	}

	/// The votes of `phase` counted and expected; `None` for a phase without votes.
	fn progress(&mut self, phase: din_primitives::TaskPhase) -> Option<(&mut u32, u32)> {
		use din_primitives::TaskPhase::*;
		match phase {
			AggregationCommit => Some((&mut self.aggregate_commits, self.seats)),
			AggregationReveal => Some((&mut self.aggregate_reveals, self.aggregate_commits)),
			GlobalCommit => Some((&mut self.global_commits, self.voters)),
			GlobalReveal => Some((&mut self.global_reveals, self.global_commits)),
			_ => None,
		}
	}

	/// Count one vote of `phase`; whether it was the last that phase expects.
	pub fn count(&mut self, phase: din_primitives::TaskPhase) -> bool {
		self.progress(phase).is_some_and(|(counted, expected)| {
			*counted = counted.saturating_add(1);
			*counted == expected
		})
	}

	/// Whether every vote `phase` expects is in.
	pub fn is_complete(mut self, phase: din_primitives::TaskPhase) -> bool {
		self.progress(phase).is_some_and(|(counted, expected)| *counted == expected)
	}

	/// Whether no count exceeds what its phase expects.
	pub fn is_consistent(&self) -> bool {
		self.aggregate_commits <= self.seats
			&& self.aggregate_reveals <= self.aggregate_commits
			&& self.global_commits <= self.voters
			&& self.global_reveals <= self.global_commits
	}
}

/// A verifying key's registration: who may unregister it, the deposit held for it, and the
/// tasks that name it and have not ended.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct KeyRegistration<AccountId, Balance> {
	/// The account that registered the key; the deposit is held on it.
	pub registrant: AccountId,
	/// The deposit held.
	pub deposit: Balance,
	/// Tasks that name the key and have not ended.
	pub live_tasks: u32,
}

/// The owner's released test-set key.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct TestKey<T: Config> {
	/// The symmetric key of the encrypted test set.
	pub key: BoundedVec<u8, T::MaxTestKeyLen>,
	/// Block of the release.
	pub released_at: frame_system::pallet_prelude::BlockNumberFor<T>,
}

/// An evaluator in the pool with the draw inputs it committed to by joining.
///
/// Sortition reads these, not the live ledger, so that nothing an evaluator does once a
/// draw's randomness is known can raise its chance: a draw considers only members that
/// joined before its randomness was determined, and weighs each with the smaller of the
/// committed and the current bond and reputation (a slash or an unbonding still lowers
/// it). To commit a larger bond an evaluator leaves and joins again, and waits out the
/// next randomness.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct PoolMember<AccountId, Balance, BlockNumber> {
	/// The evaluator.
	pub who: AccountId,
	/// Its active evaluator bond when it joined.
	pub bond: Balance,
	/// Its evaluator reputation when it joined.
	pub reputation: din_primitives::ReputationScore,
	/// The block it joined at (zero: in the pool from genesis or before the upgrade that
	/// introduced this record, so older than any randomness).
	pub joined_at: BlockNumber,
}

/// A sortition candidate: an eligible evaluator, its draw weight and how many more seats
/// its unlocked bond can back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate<AccountId> {
	/// The evaluator.
	pub who: AccountId,
	/// `bond × (evaluator reputation + 1)`: stake and track record as an evaluator both
	/// raise the chance.
	pub weight: u128,
	/// Seats left: `(bond − locked) / task evaluator bond`.
	pub seats_left: u32,
}

/// Why a panel could not be drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolTooSmall {
	/// The subgroup that could not be staffed.
	pub subgroup: SubgroupIndex,
	/// Candidates that still had a seat to give.
	pub eligible: u32,
}

/// Draw `q` distinct evaluators for each of `subgroups` subgroups from `candidates`,
/// weighted by [`Candidate::weight`], without replacement within a subgroup. Each seat
/// uses one of the evaluator's `seats_left`. The `j`-th pick of subgroup `s` reads
/// `blake2_256(seed ‖ s ‖ j)`, so every node draws the same panels.
pub fn draw_panels<A: Clone>(
	candidates: &mut [Candidate<A>],
	subgroups: SubgroupIndex,
	q: u32,
	seed: &[u8],
) -> Result<Vec<Vec<A>>, PoolTooSmall> {
	let mut panels = Vec::with_capacity(subgroups as usize);
	for s in 0..subgroups {
		let mut open: Vec<usize> =
			(0..candidates.len()).filter(|&i| candidates[i].seats_left > 0).collect();
		if (open.len() as u32) < q {
			return Err(PoolTooSmall { subgroup: s, eligible: open.len() as u32 });
		}
		let mut panel = Vec::with_capacity(q as usize);
		for j in 0..q {
			let total: u128 =
				open.iter().map(|&i| candidates[i].weight.max(1)).fold(0, u128::saturating_add);
			let mut input = Vec::with_capacity(seed.len() + 8);
			input.extend_from_slice(seed);
			input.extend_from_slice(&s.to_le_bytes());
			input.extend_from_slice(&j.to_le_bytes());
			let h = blake2_256(&input);
			let mut word = [0u8; 16];
			word.copy_from_slice(&h[..16]);
			let mut ticket = u128::from_le_bytes(word) % total;
			let mut pick = open.len() - 1;
			for (k, &i) in open.iter().enumerate() {
				let w = candidates[i].weight.max(1);
				if ticket < w {
					pick = k;
					break;
				}
				ticket -= w;
			}
			let chosen = open.remove(pick);
			candidates[chosen].seats_left -= 1;
			panel.push(candidates[chosen].who.clone());
		}
		panels.push(panel);
	}
	Ok(panels)
}

// In din-primitives: the daemons compute a vote's outcome ahead of its settlement with it.
pub use din_primitives::strict_majority;

/// The median of `values` (the lower one of the two middle values for an even count), or
/// `None` for no values.
pub fn median(values: &[Perbill]) -> Option<Perbill> {
	if values.is_empty() {
		return None;
	}
	let mut sorted = values.to_vec();
	sorted.sort();
	Some(sorted[(sorted.len() - 1) / 2])
}

/// Reports a median needs when panels have `q` members: a majority, so that no minority of
/// a panel (one evaluator in particular) settles a score alone.
pub fn median_quorum(q: u32) -> u32 {
	q / 2 + 1
}

/// Whether `report` lies within `threshold` of `median` (both accuracies).
pub fn within(report: Perbill, median: Perbill, threshold: Perbill) -> bool {
	report.deconstruct().abs_diff(median.deconstruct()) <= threshold.deconstruct()
}

/// Whether `items` is strictly ascending (sorted, no duplicates).
pub fn strictly_ascending<A: Ord>(items: &[A]) -> bool {
	items.windows(2).all(|w| w[0] < w[1])
}

/// The settlement of a task's scores at the end of its Rewarding phase, one slice per
/// block: the reference scores (genesis and global models), then the updates' scores and
/// the task's accepted updates and work, handed to the rewards pallet record by record,
/// then the rewards pallet's payout, then the pruning of the task's working records.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(R))]
pub enum ScoreSettlement<R: polkadot_sdk::frame_support::traits::Get<u32>> {
	/// Settling the scores every update is measured against: `next` counts them, 0 being
	/// the genesis model's and `r + 1` round `r`'s global model's.
	References {
		/// Whether the test-set key was released (and not disputed): scores count.
		released: bool,
		/// The next reference to settle.
		next: u32,
		/// The genesis model's accuracy, once settled.
		baseline: Option<Perbill>,
		/// The global models' accuracies settled so far, `(round, accuracy)`, ascending.
		globals: BoundedVec<(RoundIndex, Perbill), R>,
	},
	/// Settling the updates' scores, then handing over accepted updates and work; the
	/// counts are what has been handed over.
	Credits {
		/// Whether scores count.
		released: bool,
		/// Scores handed over.
		scores: u32,
		/// Participants' accepted-update counts handed over.
		accepted: u32,
		/// Evaluators' work handed over.
		evaluators: u32,
	},
	/// The rewards pallet pays out.
	PayingOut,
	/// Removing the task's panels and round evaluators.
	Pruning,
}
