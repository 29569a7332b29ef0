//! # DIN primitives
//!
//! Types shared by the DIN runtime, its pallets and the off-chain client. Everything here
//! is `no_std` so that the runtime (wasm) and the client (native) agree on one definition.
//!
//! Pallets never depend on each other's crates: they meet through the traits defined
//! here and are wired together in `din-runtime`.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use polkadot_sdk::sp_runtime::traits::{IdentifyAccount, Verify};

pub mod upload;

/// An index of a block.
pub type BlockNumber = u32;

/// Signature type of the chain: sr25519, ed25519 or ecdsa, as `MultiSignature` allows.
pub type Signature = polkadot_sdk::sp_runtime::MultiSignature;

/// Account identifier: the public key behind a `Signature`, 32 bytes.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// Balance of an account; `u128` as pallet-revive's Ethereum mapping and eth-rpc expect.
pub type Balance = u128;

/// Index of a transaction in the chain.
pub type Nonce = u32;

/// Hash of a block or a trie node.
pub type Hash = polkadot_sdk::sp_core::H256;

/// Smallest unit of the native token, with 12 decimals.
pub const UNIT: Balance = 1_000_000_000_000;
/// One thousandth of a unit.
pub const MILLI_UNIT: Balance = UNIT / 1_000;
/// One millionth of a unit.
pub const MICRO_UNIT: Balance = MILLI_UNIT / 1_000;

// ---------------------------------------------------------------------------------------
// Protocol identifiers and artifacts
// ---------------------------------------------------------------------------------------

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
pub use polkadot_sdk::sp_arithmetic::Perbill;
use polkadot_sdk::sp_runtime::{traits::ConstU32, BoundedVec, DispatchError};
use scale_info::TypeInfo;

/// Identifier of a training task, allocated sequentially by pallet-din-tasks.
pub type TaskId = u32;

/// Index of a training round within a task, counted from 0.
pub type RoundIndex = u32;

/// A session of the validator set (pallet-session): the validators change only between
/// sessions.
pub type SessionIndex = u32;

/// Index of a subgroup within one round of a task, counted from 0.
pub type SubgroupIndex = u32;

/// A commitment to an artifact (model, update, aggregate, test set): the Poseidon (BN254)
/// hash of its canonical encoding, as 32 bytes. The all-zero value is never a valid one.
pub type Commitment = Hash;

/// Longest content identifier the chain accepts, in bytes. A CIDv1 with a sha2-256
/// multihash is 36 bytes binary or 59 characters base32; 128 leaves room for other codecs.
pub const MAX_CID_LEN: u32 = 128;

/// A content identifier in the artifact store (CIDv1, as bytes or its string form).
pub type Cid = BoundedVec<u8, ConstU32<MAX_CID_LEN>>;

/// Key, in the node's persistent offchain storage, of the store gateways the evaluation
/// off-chain worker fetches artifacts from: the SCALE encoding of `Vec<Vec<u8>>`, each a
/// base URL. `din-node --din-store-gateway URL` writes it at startup.
pub const OFFCHAIN_STORE_GATEWAYS_KEY: &[u8] = b"din::store-gateways";

/// Key prefix, in the node's persistent offchain storage, of the evaluation off-chain
/// worker's duty counts: `prefix ‖ duty` holds the SCALE `u64` of how often the worker did
/// `duty`, one of [`OFFCHAIN_WORKER_DUTIES`]. The worker counts; the node exposes the counts
/// on its Prometheus endpoint as `din_worker_duties_total{duty}`.
pub const OFFCHAIN_WORKER_DUTY_PREFIX: &[u8] = b"din::worker-duties::";

/// The duties the off-chain worker counts: each vote it sends, each signed upload a
/// gateway stored, and each run of a task's duties that failed and is retried at the next
/// block.
pub const OFFCHAIN_WORKER_DUTIES: [&str; 8] = [
	"aggregate_commit",
	"aggregate_reveal",
	"global_commit",
	"global_reveal",
	"score_commit",
	"score_reveal",
	"upload",
	"failed",
];

/// A soulbound reputation score. Starts at 0, saturates at both ends.
pub type ReputationScore = u32;

/// A protocol role that stake is bonded for. Each role has its own bond and hold reason.
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
	PartialOrd,
	Ord,
	Debug,
)]
pub enum Role {
	/// Trains on private data and submits updates.
	Participant,
	/// Aggregates, scores and proves on behalf of subgroups.
	Evaluator,
	/// Authors and finalizes blocks (pallet-din-validators): its bond backs the validator's
	/// consensus duties and is slashed for equivocations.
	Validator,
}

/// A task's differential-privacy policy and its accounting (`din_fl::privacy`).
pub use din_fl::privacy::{self, PrivacyPolicy};
/// The most iterations `AggregationRule::CenteredClipping` may ask for.
pub use din_fl::rules::MAX_CLIPPING_ITERATIONS;
/// How evaluators combine the updates of one subgroup. Defined, with the integer math
/// that runs it, in the no_std core `din-fl`; its type information names it here.
pub use din_fl::AggregationRule;
/// The bounds of a secure-aggregation task (`AggregationRule::SecureFedAvg`).
pub use din_fl::{
	MAX_SECURE_SUBGROUP, MIN_SECURE_SUBGROUP, SEALED_SHARES_LEN, SECURE_WEIGHT_LIMIT,
};

/// A model artifact in the store: where it lives (its CID) and the Poseidon commitment to
/// its canonical encoding. A task's genesis model and each round's global model.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct ModelRef {
	/// Where the serialized model lives.
	pub cid: Cid,
	/// Poseidon commitment to its canonical encoding.
	pub commitment: Commitment,
}

/// How accepted updates are scored after the last round.
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
)]
pub enum ScoringRule {
	/// Accuracy on the committed test set, proven with Groth16; `vk` is the hash of the
	/// verifying key registered for the task with pallet-din-evaluation.
	ZkAccuracy { vk: Hash },
	/// Each assigned evaluator reports; the median wins; reports farther than `threshold`
	/// (as a fraction of the accuracy range) from the median earn nothing.
	Median { threshold: Perbill },
}

/// The id of a `pallet-assets` asset (e.g. a stablecoin) that can fund a reward pool.
pub type AssetId = u32;

/// The asset a task's reward pool is paid in. Bonds, slashes and deposits are always in the
/// native token; only the pool (and so the evaluators' fees, the participants' payouts, the
/// protocol fee burned and the owner's refund) follows this.
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
	PartialOrd,
	Ord,
)]
pub enum RewardAsset {
	/// The chain's native token, held with `fungible::MutateHold`.
	#[default]
	Native,
	/// A `pallet-assets` asset, held with `fungibles::MutateHold` (pallet-assets-holder).
	Asset(AssetId),
}

/// Fee and penalty parameters of a task, applied by the evaluation and rewards pallets.
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
)]
pub struct FeeParams {
	/// Share of the pool paid to evaluators for accepted work.
	pub evaluator_fee: Perbill,
	/// Share of the pool burned as protocol fee. `evaluator_fee + protocol_fee <= 100%`.
	pub protocol_fee: Perbill,
	/// How far below the baseline score an update may fall before it is slashed.
	pub baseline_margin: Perbill,
	/// Fraction of a bond slashed per offence in this task.
	pub slash: Perbill,
}

/// The lifecycle of a task. Rounds cycle through the five round phases; after the last
/// round the task is scored, rewarded and finished. `Cancelled` is only reachable from
/// `Registration`.
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
)]
pub enum TaskPhase {
	/// Participants join; no round has started yet.
	Registration,
	/// Assigned participants train and submit `(cid, commitment, num_samples)`.
	Training,
	/// Evaluators commit `hash(aggregate_commitment, invalid_set, salt)` per subgroup.
	AggregationCommit,
	/// Evaluators reveal their subgroup aggregates (and, from the second round on, their
	/// vote on the previous round's global model, committed with the aggregate).
	AggregationReveal,
	/// The last round's evaluators commit its global model (earlier rounds' global models
	/// are voted on in the next round's aggregation).
	GlobalCommit,
	/// The last round's evaluators reveal its global model.
	GlobalReveal,
	/// After the last round: the owner releases the test-set key (the end of this phase is
	/// the deadline) and evaluators score accepted updates.
	Scoring,
	/// Evaluators may still score (so that a late key release does not cut scoring
	/// short); at its end the scores are settled and rewards, fees and the burn are paid.
	Rewarding,
	/// Terminal: the pool is settled and bonds are free of this task's duty.
	Finished,
	/// Terminal: the owner cancelled before the first round; the pool was refunded.
	Cancelled,
}

/// The value a strict majority of `assigned` voters agrees on, and how many voted for it.
/// `votes` holds one value per voter that revealed. Ties and pluralities are no majority.
/// pallet-din-evaluation settles every commit-reveal vote with it; the daemons compute the
/// same outcome from the reveals once a reveal phase can take no more of them.
pub fn strict_majority<V: PartialEq + Clone>(votes: &[V], assigned: u32) -> Option<(V, u32)> {
	for v in votes {
		let count = votes.iter().filter(|w| *w == v).count() as u32;
		if count.saturating_mul(2) > assigned {
			return Some((v.clone(), count));
		}
	}
	None
}

/// An illegal phase transition was requested.
#[derive(Encode, Decode, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum TransitionError {
	/// The phase is terminal (`Finished` or `Cancelled`).
	Terminal,
	/// Cancelling is only possible during `Registration`.
	NotCancellable,
}

impl TaskPhase {
	/// The phase that follows `self` at its deadline. `last_round` says whether the round
	/// in progress is the task's last, which decides where `AggregationReveal` and
	/// `GlobalReveal` lead. A round's global model is voted on with the next round's
	/// aggregate reveals (pipelined), so only the last round, which has no next one, has a
	/// global vote of its own; a `GlobalReveal` that is not the last round's is one whose
	/// task was extended after the vote began.
	pub fn next(self, last_round: bool) -> Result<TaskPhase, TransitionError> {
		use TaskPhase::*;
		Ok(match self {
			Registration => Training,
			Training => AggregationCommit,
			AggregationCommit => AggregationReveal,
			AggregationReveal if last_round => GlobalCommit,
			AggregationReveal => Training,
			GlobalCommit => GlobalReveal,
			GlobalReveal if last_round => Scoring,
			GlobalReveal => Training,
			Scoring => Rewarding,
			Rewarding => Finished,
			Finished | Cancelled => return Err(TransitionError::Terminal),
		})
	}

	/// Cancel the task: legal only before the first round started.
	pub fn cancel(self) -> Result<TaskPhase, TransitionError> {
		match self {
			TaskPhase::Registration => Ok(TaskPhase::Cancelled),
			TaskPhase::Finished | TaskPhase::Cancelled => Err(TransitionError::Terminal),
			_ => Err(TransitionError::NotCancellable),
		}
	}

	/// Whether this phase belongs to a round (Training ..= GlobalReveal).
	pub fn is_round_phase(self) -> bool {
		use TaskPhase::*;
		matches!(
			self,
			Training | AggregationCommit | AggregationReveal | GlobalCommit | GlobalReveal
		)
	}

	/// Whether the task is over (`Finished` or `Cancelled`).
	pub fn is_terminal(self) -> bool {
		matches!(self, TaskPhase::Finished | TaskPhase::Cancelled)
	}
}

/// What a slashed account did wrong. Slashing is only ever a consequence of one of these
/// protocol outcomes; there is no discretionary slash.
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
)]
pub enum Offence {
	/// A participant's update was marked invalid by the subgroup majority.
	InvalidUpdate,
	/// An evaluator revealed an aggregate outside the subgroup majority.
	MinorityAggregate,
	/// An evaluator committed (or was assigned) but did not reveal in time.
	MissedReveal,
	/// An evaluator revealed a global model outside the majority.
	MinorityGlobal,
	/// A participant's update scored below the baseline by more than the task's margin.
	BelowBaseline,
}

/// The protocol outcome behind a slash: which task and round, and what happened.
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
)]
pub struct SlashReason {
	/// The task the offence happened in.
	pub task: TaskId,
	/// The round the offence happened in.
	pub round: RoundIndex,
	/// What the account did.
	pub offence: Offence,
}

// ---------------------------------------------------------------------------------------
// Traits the pallets meet through (implemented by one pallet, used by another; wired in
// din-runtime). `()` implementations are neutral stand-ins for tests and partial runtimes.
// ---------------------------------------------------------------------------------------

/// Read access to bonds. Implemented by pallet-din-staking.
pub trait StakeInfo<AccountId, Balance> {
	/// The active (not unbonding) bond of `who` for `role`; zero if none.
	fn bonded(who: &AccountId, role: Role) -> Balance;
	/// The part of the active bond that backs duties and cannot be unbonded.
	fn locked(who: &AccountId, role: Role) -> Balance;
	/// The chain-wide minimum bond for `role`; task minimums may only be higher.
	fn minimum_bond(role: Role) -> Balance;

	/// Give `who` an active bond of at least `amount` for `role`, funding the account as
	/// needed. Only for benchmarks of pallets that need bonded accounts; the implementation
	/// backing a benchmarked runtime must override this no-op default (pallet-din-staking
	/// does under its own `runtime-benchmarks` feature).
	#[cfg(feature = "runtime-benchmarks")]
	fn bond_for_benchmarks(_who: &AccountId, _role: Role, _amount: Balance) {}
}

/// Locks part of a bond while it backs a duty (a participant in a task's running rounds,
/// an evaluator assigned to a subgroup), so that it cannot be unbonded until the duty ends.
/// Locks add up: two duties of `x` lock `2x`. Implemented by pallet-din-staking.
pub trait BondLocker<AccountId, Balance> {
	/// Lock `amount` of the active bond of `who` for `role`. Fails if the unlocked part of
	/// the active bond is smaller than `amount`.
	fn lock(who: &AccountId, role: Role, amount: Balance) -> Result<(), DispatchError>;
	/// Release up to `amount` of the lock; never fails (saturating).
	fn unlock(who: &AccountId, role: Role, amount: Balance);
}

/// The part of a bond an account has committed to a draw it cannot yet see: an evaluator's
/// bond as it stood when it joined the sortition pool, which every draw reads (with the
/// smaller of it and the current bond) until a leave has taken effect. Unbonding may not
/// go below it, so that nobody can drop out of a draw, or shrink their part of it, once
/// its randomness is known. Implemented by pallet-din-evaluation, read by
/// pallet-din-staking's `unbond`; `()` commits nothing.
pub trait BondCommitment<AccountId, Balance> {
	/// The bond of `who` for `role` that `unbond` must leave active.
	fn committed(who: &AccountId, role: Role) -> Balance;

	/// Commit `amount` of the bond of `who` for `role` in the state costliest for
	/// [`Self::committed`] to read, for the benchmark of `unbond`. The implementation
	/// backing a benchmarked runtime must override this no-op default
	/// (pallet-din-evaluation does under its own `runtime-benchmarks` feature).
	#[cfg(feature = "runtime-benchmarks")]
	fn commit_for_benchmarks(_who: &AccountId, _role: Role, _amount: Balance) {}
}

impl<AccountId, Balance: Default> BondCommitment<AccountId, Balance> for () {
	fn committed(_: &AccountId, _: Role) -> Balance {
		Balance::default()
	}
}

/// Slashes a bond as the consequence of a protocol outcome. Implemented by
/// pallet-din-staking, which sends the slashed funds to its configured destination, lowers
/// the account's reputation and emits an event per slash.
///
/// A slash takes a fraction of the *stake of the duty* that was failed (an evaluator's seat,
/// a participant's task bond), not of the whole ledger: an account that backs many duties
/// with one large bond risks, per offence, only what that duty locked, so slashes stay
/// proportional to the offence and a bond's size never multiplies its loss.
pub trait Slash<AccountId, Balance> {
	/// Slash `fraction` of `stake` from the bond of `who` for `role` (active first, then
	/// unbonding chunks), never more than the bond holds. Returns the amount actually
	/// slashed.
	fn slash(
		who: &AccountId,
		role: Role,
		fraction: Perbill,
		stake: Balance,
		reason: SlashReason,
	) -> Balance;
}

/// Slashes a validator's bond for a consensus offence (an equivocation reported through
/// pallet-offences). Implemented by pallet-din-staking, used by pallet-din-validators.
///
/// Unlike a task offence, a consensus offence is not tied to one duty's stake: the whole
/// validator bond backs every block the validator authors and every vote it casts, so the
/// fraction (pallet-offences computes it from how many validators offended together)
/// applies to all of it, active and unbonding.
pub trait SlashValidator<AccountId, Balance> {
	/// Slash `fraction` of the whole validator bond of `who` for an offence committed in
	/// `session`. Returns the amount actually slashed (zero for an account without one).
	fn slash_validator(who: &AccountId, fraction: Perbill, session: SessionIndex) -> Balance;
}

/// Soulbound reputation: a score per account and [`Role`] with no transfer path. Implemented
/// by pallet-din-staking; raised for accepted work in a role, lowered by slashes in it. The
/// evaluator score weights sortition, so it is earned only by evaluating: work as a
/// participant (cheap in one's own zero-fee tasks) never buys evaluator seats.
pub trait Reputation<AccountId> {
	/// The current score of `who` as `role`.
	fn reputation(who: &AccountId, role: Role) -> ReputationScore;
	/// Raise the score of `who` as `role` by `points` for accepted work in `task`/`round`.
	fn reward(
		who: &AccountId,
		role: Role,
		points: ReputationScore,
		task: TaskId,
		round: RoundIndex,
	);
}

/// The blocks at which a secure-aggregation round's steps close, for a round whose Training
/// opened at `started_at` and lasts `training` blocks: round keys are advertised before the
/// first (or until every eligible member has), masked updates uploaded before the second (or
/// until every member that advertised has), and shares handed over until Training ends.
/// Each step gets a third of the phase, at least one block.
pub fn secure_step_cutoffs(started_at: u64, training: u64) -> (u64, u64) {
	let third = (training / 3).max(1);
	(started_at.saturating_add(third), started_at.saturating_add(third.saturating_mul(2)))
}

/// Whether what joined at block `joined_at` may be drawn over with randomness known since
/// `known_since`: it must have joined `lookback` blocks before, so that nobody who could
/// see (or shape) the randomness chose to join. Block zero is genesis, or a migration of
/// what joined before joins were recorded: older than any randomness. Both draws (the
/// subgroup shuffle and sortition) take only what passes this.
pub fn joined_before_randomness<BlockNumber>(
	joined_at: BlockNumber,
	known_since: BlockNumber,
	lookback: BlockNumber,
) -> bool
where
	BlockNumber: polkadot_sdk::sp_runtime::traits::AtLeast32BitUnsigned,
{
	joined_at.is_zero() || joined_at < known_since.saturating_sub(lookback)
}

/// Whether a leave asked for at block `left_at` holds for a draw with randomness known since
/// `known_since`: by the same rule as a join ([`joined_before_randomness`]), it must have
/// been asked for `lookback` blocks before, so that nobody dropped out of a draw they could
/// see. Until then the member stays drawable, and its committed bond stays bonded.
pub fn left_before_randomness<BlockNumber>(
	left_at: BlockNumber,
	known_since: BlockNumber,
	lookback: BlockNumber,
) -> bool
where
	BlockNumber: polkadot_sdk::sp_runtime::traits::AtLeast32BitUnsigned,
{
	left_at < known_since.saturating_sub(lookback)
}

/// Hooks pallet-din-tasks calls as rounds progress. pallet-din-evaluation implements it to
/// draw evaluators (sortition) and to settle commit-reveal phases; `()` does nothing, so the
/// evaluation phases simply time out.
///
/// Every hook runs inside `on_initialize`, whose weight is mandatory: it is charged to the
/// block before any transaction. Each hook therefore returns the weight of the work it did
/// (from its benchmarks, at the sizes it actually met), never a worst case, so that a block
/// carrying a deadline still has room for the transactions of every other task.
pub trait RoundLifecycle {
	/// Round `round` of `task` is about to start with `subgroups` subgroups (the
	/// assignment is written right after). An `Err` defers the round start, e.g. when the
	/// evaluator pool is too small; the task emits an event with the error and retries.
	/// The weight is what the hook used, whether it succeeded or not.
	fn on_round_start(
		task: TaskId,
		round: RoundIndex,
		subgroups: SubgroupIndex,
	) -> (polkadot_sdk::sp_weights::Weight, Result<(), DispatchError>);
	/// The weight [`Self::on_round_start`] would report if a round with `subgroups` subgroups
	/// started now: what the task pallet weighs before putting a round start into a block
	/// that already carries other work.
	fn round_start_weight(subgroups: SubgroupIndex) -> polkadot_sdk::sp_weights::Weight;
	/// `phase` of `round` reached its deadline. The task moves on right after if the
	/// answer is [`WorkSlice::done`]; otherwise it holds the phase and calls again in the next
	/// block, so that work too large for one block (settling many subgroups) is done in
	/// slices. The phase's own calls must be refused from the first call on.
	fn on_phase_end(task: TaskId, round: RoundIndex, phase: TaskPhase) -> WorkSlice;
	/// Whether [`Self::on_phase_end`] does nothing for `phase`, so that the phase may end
	/// inside the block of its last expected submission (the task pallet then does not
	/// call it): the next phase's submissions can land in the very next block. Phases whose
	/// end does work (draws, settlements) end at a deadline, in `on_initialize`, where that
	/// work is charged.
	fn ends_without_work(_phase: TaskPhase) -> bool {
		false
	}
	/// `task` is being created with `scoring`, inside `create_task` (measured by its
	/// benchmark). An `Err` refuses the task, e.g. a `ZkAccuracy` task naming a verifying key
	/// that is not registered; `Ok` may bind what the task uses (the key stays registered
	/// until [`Self::on_task_end`]).
	fn on_task_created(task: TaskId, scoring: &ScoringRule) -> Result<(), DispatchError>;
	/// The task reached a terminal phase (`Finished` or `Cancelled`). Returns the weight used.
	fn on_task_end(task: TaskId, phase: TaskPhase) -> polkadot_sdk::sp_weights::Weight;
	/// The ended `task`'s retention period is over: remove the records this side keeps of
	/// it, as many as `budget` allows, never using more. Called (from `on_idle`, with the
	/// weight the block leaves unused) until the answer is [`WorkSlice::done`]; the task's
	/// own record goes after. A budget below the smallest step is answered with
	/// `WorkSlice::more(Weight::zero())`, and the call comes again in another block.
	fn prune_task_records(task: TaskId, budget: polkadot_sdk::sp_weights::Weight) -> WorkSlice;

	/// Make sure a round of `task` with `subgroups` subgroups can start (e.g. fill the
	/// evaluator pool), for the benchmarks of the task pallet's round start.
	#[cfg(feature = "runtime-benchmarks")]
	fn prepare_for_benchmarks(_task: TaskId, _subgroups: SubgroupIndex) {}

	/// The scoring rule whose [`Self::on_task_created`] does the most work, ready to be
	/// created with (e.g. its verifying key registered), for the benchmark of `create_task`.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_scoring() -> Option<ScoringRule> {
		None
	}
}

/// What one slice of work that may span blocks did (a phase end, a payout, a pruning): the
/// weight it used and whether the work is complete.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct WorkSlice {
	/// The weight of this call.
	pub weight: polkadot_sdk::sp_weights::Weight,
	/// Whether the work is complete; `false` asks for another call (a held phase waits for
	/// it).
	pub done: bool,
}

impl WorkSlice {
	/// The work is complete; this call used `weight`.
	pub fn done(weight: polkadot_sdk::sp_weights::Weight) -> Self {
		Self { weight, done: true }
	}
	/// More work remains for the next block; this call used `weight`.
	pub fn more(weight: polkadot_sdk::sp_weights::Weight) -> Self {
		Self { weight, done: false }
	}
}

/// The largest count in `1..=most` whose benchmarked `weight` stays within `budget`, and at
/// least one: how many items a slice of work that spans blocks takes.
pub fn slice_within(
	most: u32,
	budget: polkadot_sdk::sp_weights::Weight,
	weight: impl Fn(u32) -> polkadot_sdk::sp_weights::Weight,
) -> u32 {
	(1..=most.max(1)).take_while(|k| weight(*k).all_lte(budget)).last().unwrap_or(1)
}

impl RoundLifecycle for () {
	fn on_round_start(
		_: TaskId,
		_: RoundIndex,
		_: SubgroupIndex,
	) -> (polkadot_sdk::sp_weights::Weight, Result<(), DispatchError>) {
		(polkadot_sdk::sp_weights::Weight::zero(), Ok(()))
	}
	fn round_start_weight(_: SubgroupIndex) -> polkadot_sdk::sp_weights::Weight {
		polkadot_sdk::sp_weights::Weight::zero()
	}
	fn on_phase_end(_: TaskId, _: RoundIndex, _: TaskPhase) -> WorkSlice {
		WorkSlice::done(polkadot_sdk::sp_weights::Weight::zero())
	}
	fn on_task_created(_: TaskId, _: &ScoringRule) -> Result<(), DispatchError> {
		Ok(())
	}
	fn on_task_end(_: TaskId, _: TaskPhase) -> polkadot_sdk::sp_weights::Weight {
		polkadot_sdk::sp_weights::Weight::zero()
	}
	fn prune_task_records(_: TaskId, _: polkadot_sdk::sp_weights::Weight) -> WorkSlice {
		WorkSlice::done(polkadot_sdk::sp_weights::Weight::zero())
	}
}

/// Ends a phase as soon as everything it waits for is on chain, instead of at its deadline.
/// Implemented by pallet-din-tasks (which owns the clock); pallet-din-evaluation calls it
/// when the last expected vote of a vote phase is recorded.
///
/// A phase's configured length stays its timeout: closing early only skips the wait once
/// nobody expected can still act in it, so no honest party loses a slot it was owed, and
/// nobody can end a phase early without every expected submission in.
pub trait PhaseClosing {
	/// Every submission that `phase` of `round` of `task` expects has been recorded in this
	/// block: end the phase now if its end does no work
	/// ([`RoundLifecycle::ends_without_work`]), else at the next block. Does nothing if the
	/// task is in another phase or round, or already ends by then.
	fn all_in(task: TaskId, round: RoundIndex, phase: TaskPhase);
}

impl PhaseClosing for () {
	fn all_in(_: TaskId, _: RoundIndex, _: TaskPhase) {}
}

/// Escrow access to a task's reward pool, for the rewards pallet. Implemented by
/// pallet-din-tasks; every payout reduces the task's remaining budget by what it moved.
pub trait TaskEscrow<AccountId, Balance> {
	/// The owner of `task`, if it exists.
	fn owner(task: TaskId) -> Option<AccountId>;
	/// What is left of the reward pool of `task`.
	fn remaining(task: TaskId) -> Balance;
	/// Pay `amount` from the pool of `task` to `dest` (free balance). All or nothing.
	fn pay(task: TaskId, dest: &AccountId, amount: Balance) -> Result<(), DispatchError>;
	/// Burn `amount` from the pool of `task` (protocol fee). All or nothing.
	fn burn(task: TaskId, amount: Balance) -> Result<(), DispatchError>;
}

/// What the evaluation and rewards pallets need to know about a task. Built by
/// pallet-din-tasks from its `TaskInfo`.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct TaskTerms<AccountId, Balance> {
	/// Who created and funds the task (and releases the test-set key).
	pub owner: AccountId,
	/// Where the task is in its lifecycle.
	pub phase: TaskPhase,
	/// The round in progress (or the last one, once past the rounds).
	pub round: RoundIndex,
	/// The block at which the current phase ends.
	pub phase_ends: u64,
	/// How many blocks the current phase lasts (zero once the task has ended).
	pub phase_length: u64,
	/// Number of rounds.
	pub rounds: RoundIndex,
	/// Evaluators per subgroup Q.
	pub evaluators_per_subgroup: u32,
	/// Bond an evaluator must have (and gets locked per assignment) to be drawn.
	pub min_evaluator_bond: Balance,
	/// Bond a participant must have (and gets locked while in the task) to join.
	pub min_participant_bond: Balance,
	/// Commitment of the genesis model (its score is the baseline).
	pub genesis_commitment: Commitment,
	/// Commitment of the test set (a public input of every scoring proof).
	pub test_set_commitment: Commitment,
	/// Commitment to the key of the sealed test set: the only key the owner may release.
	pub test_key_hash: Hash,
	/// How accepted updates are scored.
	pub scoring: ScoringRule,
	/// Fees and penalties.
	pub fees: FeeParams,
	/// Whether updates are masked (`AggregationRule::SecureFedAvg`): an accepted update is
	/// then scored, and paid, by its subgroup's aggregate.
	pub secure_aggregation: bool,
}

/// The most rounds back the model of a stale update of an asynchronous task may be. Its
/// staleness weight `1 / (1 + staleness)` is below 6% beyond it.
pub const MAX_STALENESS: RoundIndex = 16;

/// A participant's submitted update, as the evaluation pallet needs it.
#[derive(Encode, Decode, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub struct UpdateRef {
	/// The participant's subgroup in that round.
	pub subgroup: SubgroupIndex,
	/// Poseidon commitment to the update's canonical encoding.
	pub commitment: Commitment,
	/// Training samples behind it.
	pub num_samples: u64,
	/// The round whose model it trained from: its own round, or an earlier one for a stale
	/// update of an asynchronous task. Evaluators rebase a stale update onto its round's
	/// model with a staleness weight (`din_fl::duty::rebase`), and it is paid for its
	/// accuracy over the model it trained from.
	pub trained_from: RoundIndex,
}

/// What an evaluator needs besides [`TaskTerms`] to redo a task's evaluation work: the
/// model, the aggregation rule and where the genesis model and the sealed test set live.
/// Read by pallet-din-evaluation's off-chain worker.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct EvaluationInputs {
	/// The canonical `din_fl::ModelSpec` bytes of the model.
	pub architecture: alloc::vec::Vec<u8>,
	/// How subgroup updates are aggregated.
	pub aggregation: AggregationRule,
	/// CID of the genesis model.
	pub genesis_cid: Cid,
	/// CID of the encrypted test set.
	pub sealed_test_set_cid: Cid,
	/// The privacy policy every update must be within, if the task has one.
	pub privacy: Option<PrivacyPolicy>,
}

/// The chain's record of one secure-aggregation subgroup in a round: what its evaluators
/// unmask the sum with (`din_secagg::duty::Record::from_chain`).
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct SecureSubgroup<AccountId> {
	/// How many members were eligible (the Shamir shares of each secret).
	pub eligible: u32,
	/// Each member that advertised a round key: its account, number, round key and
	/// self-seed commitment.
	pub advertised: alloc::vec::Vec<(AccountId, u32, [u8; 32], [u8; 32])>,
	/// The members that uploaded a masked update, as a bit set over their numbers.
	pub uploaded: u32,
	/// Each hand-over: the holder's number and its shares `(owner, share)`.
	pub handovers: alloc::vec::Vec<(u32, alloc::vec::Vec<(u32, [u8; 32])>)>,
}

/// Read access to tasks for the evaluation and rewards pallets. Implemented by
/// pallet-din-tasks.
pub trait TaskInspect<AccountId, Balance> {
	/// The terms of `task`, if it exists.
	fn terms(task: TaskId) -> Option<TaskTerms<AccountId, Balance>>;
	/// The members of `subgroup` in the current round of `task`.
	fn subgroup_members(task: TaskId, subgroup: SubgroupIndex) -> alloc::vec::Vec<AccountId>;
	/// The update `who` submitted for `round` of `task`.
	fn update(task: TaskId, round: RoundIndex, who: &AccountId) -> Option<UpdateRef>;
	/// Where the update `who` submitted for `round` of `task` lives.
	fn update_cid(task: TaskId, round: RoundIndex, who: &AccountId) -> Option<Cid>;
	/// Every update submitted for `round` of `task` (at most the task's participants).
	fn round_updates(task: TaskId, round: RoundIndex) -> alloc::vec::Vec<(AccountId, UpdateRef)>;
	/// The model, rule and artifacts of `task`, if it exists.
	fn evaluation_inputs(task: TaskId) -> Option<EvaluationInputs>;
	/// The record of `subgroup` of `round` of a secure-aggregation `task` (empty otherwise).
	fn secure_subgroup(
		task: TaskId,
		round: RoundIndex,
		subgroup: SubgroupIndex,
	) -> SecureSubgroup<AccountId>;

	/// Create a task in the state `task` describes, for the benchmarks of the pallets that
	/// read tasks. The implementation backing a benchmarked runtime must override this
	/// default (pallet-din-tasks does under its `runtime-benchmarks` feature).
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_task(_task: BenchmarkTask<AccountId>) -> TaskId {
		unimplemented!("the runtime's TaskInspect does not set up benchmark tasks")
	}

	/// Move a benchmark task to `phase` of `round`.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_set_phase(_task: TaskId, _phase: TaskPhase, _round: RoundIndex) {}
}

/// A task as a benchmark needs it: who owns it, where it is, its scoring, its current
/// subgroups and the updates submitted so far. Everything else takes valid defaults.
#[cfg(feature = "runtime-benchmarks")]
#[derive(Clone, Debug)]
pub struct BenchmarkTask<AccountId> {
	/// The owner (funded by the implementation).
	pub owner: AccountId,
	/// The phase to put the task in.
	pub phase: TaskPhase,
	/// The current round.
	pub round: RoundIndex,
	/// Evaluators per subgroup Q.
	pub evaluators_per_subgroup: u32,
	/// The scoring rule.
	pub scoring: ScoringRule,
	/// The genesis model's commitment.
	pub genesis_commitment: Commitment,
	/// The test set's commitment.
	pub test_set_commitment: Commitment,
	/// The commitment to the test-set key.
	pub test_key_hash: Hash,
	/// The members of each subgroup of the current round.
	pub subgroups: alloc::vec::Vec<alloc::vec::Vec<AccountId>>,
	/// Submitted updates: `(round, participant, update)`.
	pub updates: alloc::vec::Vec<(RoundIndex, AccountId, UpdateRef)>,
}

/// What every update of a task is measured against, fixed when its settlement opens
/// (pallet-din-evaluation settles these scores first).
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug, Default)]
pub struct ScoreBasis {
	/// Whether the owner released the test-set key before its deadline (and the last round's
	/// evaluators did not dispute it). If not, no score exists and the task is settled in the
	/// participants' favour, by accepted updates.
	pub test_key_released: bool,
	/// Accuracy of the genesis model, if a score for it was settled: the floor below which
	/// an update is harmful (`Offence::BelowBaseline`), and what the first round trained
	/// from.
	pub baseline: Option<Perbill>,
	/// Settled accuracy of the global models that later rounds trained from:
	/// `(round that fixed it, accuracy)`, in ascending round order. An update's contribution
	/// is measured against the newest of them fixed before its round (else `baseline`).
	pub globals: alloc::vec::Vec<(RoundIndex, Perbill)>,
}

/// One piece of a task's outcome, handed to the settlement as pallet-din-evaluation settles
/// it, one slice of the task's records per block.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub enum Credit<AccountId> {
	/// The settled accuracy of the accepted update `who` submitted in `round`, trained from
	/// the model of round `trained_from` (`round` itself unless the update is stale).
	Score { who: AccountId, round: RoundIndex, trained_from: RoundIndex, accuracy: Perbill },
	/// `updates` accepted updates of `who` (in a subgroup with a majority, not marked
	/// invalid): what participants share by when the task is not scored.
	Accepted { who: AccountId, updates: u32 },
	/// `units` of accepted work of evaluator `who` (majority reveals, settled proofs, score
	/// reveals near the median): what evaluator fees are shared by.
	Work { who: AccountId, units: u32 },
}

/// Pays out a task once its scores are settled. Implemented by pallet-din-rewards; driven
/// by pallet-din-evaluation at the end of the task's `Rewarding` phase, which it holds
/// until the payout is done, before pallet-din-tasks refunds what is left of the pool to
/// the owner.
///
/// A task has up to a thousand scores and hundreds of payees, more than one block should
/// carry, so the settlement streams: `open` fixes what updates are measured against (and
/// burns the protocol fee), `credit` takes the outcome one record at a time, `pay_out`
/// pays under a weight budget, block after block. `open` and `credit` run inside the
/// evaluation pallet's hooks and are measured by its benchmarks; `pay_out` reports its
/// own weight.
pub trait RewardSettlement<AccountId> {
	/// Open the settlement of `task` on `basis`.
	fn open(task: TaskId, basis: ScoreBasis);
	/// Add `credit` to the open settlement of `task` (a score below the baseline is slashed
	/// at once).
	fn credit(task: TaskId, credit: Credit<AccountId>);
	/// Make the payments of `task`'s settlement, as many as `budget` holds (at least one);
	/// `done` once none remains and the settlement is recorded.
	fn pay_out(task: TaskId, budget: polkadot_sdk::sp_weights::Weight) -> WorkSlice;
}

impl<AccountId> RewardSettlement<AccountId> for () {
	fn open(_: TaskId, _: ScoreBasis) {}
	fn credit(_: TaskId, _: Credit<AccountId>) {}
	fn pay_out(_: TaskId, _: polkadot_sdk::sp_weights::Weight) -> WorkSlice {
		WorkSlice::done(polkadot_sdk::sp_weights::Weight::zero())
	}
}

/// DIN's zero-knowledge primitives: Groth16 (BN254) verification of an evaluation proof
/// and the Poseidon model commitment the proofs bind. din-runtime uses the native host
/// functions of `din-zk-host`; tests and the wasm fallback use `din-zk-verifier` directly.
/// A verifying key is prepared once, when it is registered, and every proof is checked
/// against the prepared form. Proof arguments: public inputs as concatenated 32-byte
/// little-endian scalars, compressed proof. `false` on any malformed input.
pub trait ProofVerifier {
	/// Whether `proof` proves `inputs` under `prepared_key`, which [`Self::prepare_key`]
	/// returned (it is trusted: its points are not checked again).
	fn verify(prepared_key: &[u8], inputs: &[u8], proof: &[u8]) -> bool;
	/// The prepared form of `vk`, a compressed verifying key with valid points for the five
	/// public inputs of the evaluation circuit; `None` for any other bytes. Run once, when
	/// the key is registered.
	fn prepare_key(vk: &[u8]) -> Option<alloc::vec::Vec<u8>>;
	/// The Poseidon model commitment of canonical values, as the chain stores it
	/// (`din_zk_verifier::commitment::model_commitment`): what the circuit and participants
	/// commit to, and what off-chain workers check updates against.
	fn model_commitment(values: &[i32]) -> Commitment;
}

/// The hash an evaluator commits for a subgroup aggregate:
/// `blake2_256(SCALE("din/aggregate", task, round, subgroup, evaluator, cid, commitment,
/// invalid, salt))`. Binding the evaluator's own account means a commitment cannot be
/// copied from another evaluator; `invalid` must be sorted ascending, as revealed.
#[allow(clippy::too_many_arguments)]
pub fn aggregate_commit_hash<AccountId: Encode>(
	task: TaskId,
	round: RoundIndex,
	subgroup: SubgroupIndex,
	evaluator: &AccountId,
	cid: &[u8],
	commitment: &Commitment,
	invalid: &[AccountId],
	salt: &[u8; 32],
) -> Hash {
	let preimage =
		(b"din/aggregate", task, round, subgroup, evaluator, cid, commitment, invalid, salt);
	Hash::from(polkadot_sdk::sp_io::hashing::blake2_256(&preimage.encode()))
}

/// The hash an evaluator commits for a subgroup aggregate of a round that also votes on the
/// previous round's global model (pipelined): `blake2_256(SCALE("din/aggregate+global",
/// aggregate, global))`, where `aggregate` is its [`aggregate_commit_hash`] and `global`
/// the previous round's global model as `(cid, commitment)`, or `None` for "no accepted
/// aggregate carries weight: the model before it holds". Every seat of an evaluator in
/// the round carries the same `global`.
pub fn pipelined_commit_hash(aggregate: &Hash, global: Option<(&[u8], &Commitment)>) -> Hash {
	let preimage = (b"din/aggregate+global", aggregate, global);
	Hash::from(polkadot_sdk::sp_io::hashing::blake2_256(&preimage.encode()))
}

/// The hash an evaluator commits for the next global model:
/// `blake2_256(SCALE("din/global", task, round, evaluator, cid, commitment, salt))`.
pub fn global_commit_hash<AccountId: Encode>(
	task: TaskId,
	round: RoundIndex,
	evaluator: &AccountId,
	cid: &[u8],
	commitment: &Commitment,
	salt: &[u8; 32],
) -> Hash {
	let preimage = (b"din/global", task, round, evaluator, cid, commitment, salt);
	Hash::from(polkadot_sdk::sp_io::hashing::blake2_256(&preimage.encode()))
}

/// The hash an evaluator commits for its score of `target` under the median rule:
/// `blake2_256(SCALE("din/score-commit", task, target, evaluator, correct, total, salt))`.
/// The evaluator's account is inside so that a copied commit opens for nobody else, and the
/// salt so that the few possible counts cannot be tried against it.
pub fn score_commit_hash<Target: Encode, AccountId: Encode>(
	task: TaskId,
	target: &Target,
	evaluator: &AccountId,
	correct: u32,
	total: u32,
	salt: &[u8; 32],
) -> Hash {
	let preimage = (b"din/score-commit", task, target, evaluator, correct, total, salt);
	Hash::from(polkadot_sdk::sp_io::hashing::blake2_256(&preimage.encode()))
}

/// The statement hash an evaluation proof is bound to (its fifth public input, see
/// [`evaluation_public_inputs`]): `blake2_256(SCALE("din/score", task, target, prover))`
/// with the last byte cleared, so that it is a canonical BN254 scalar as it stands
/// (`din_zk_verifier::layout::binding_scalar`). `target` is the pallet's score target (the
/// round and participant of an update, or the baseline), `prover` the account that submits
/// the proof: a proof taken from the transaction pool verifies for its own prover only, and
/// a proof made for one task or round verifies in no other.
pub fn score_binding<Target: Encode, AccountId: Encode>(
	task: TaskId,
	target: &Target,
	prover: &AccountId,
) -> [u8; 32] {
	let mut hash =
		polkadot_sdk::sp_io::hashing::blake2_256(&(b"din/score", task, target, prover).encode());
	hash[31] = 0;
	hash
}

/// The author an update names in its header (`din_fl::Update::author`):
/// `blake2_256(SCALE("din/author", who))` of the participant that submits it. An update is
/// bound to its author through its CID, and evaluators refuse one whose bytes name another
/// account than the submitter's: a `(cid, commitment)` taken from the chain or the pool is
/// worth nothing to anyone but its author, whichever block it lands in first.
pub fn update_author<AccountId: Encode>(who: &AccountId) -> [u8; 32] {
	polkadot_sdk::sp_io::hashing::blake2_256(&(b"din/author", who).encode())
}

/// The public inputs of an evaluation proof in their wire form (five 32-byte
/// little-endian scalars: model commitment, test-set commitment, correct, total, binding),
/// as `din_zk_verifier::layout::PublicInputs::to_bytes` writes them. Commitments are
/// stored on chain in exactly this little-endian field-element form and `binding` is a
/// [`score_binding`], so no field arithmetic is needed.
pub fn evaluation_public_inputs(
	model: &Commitment,
	test_set: &Commitment,
	correct: u32,
	total: u32,
	binding: &[u8; 32],
) -> [u8; 160] {
	let mut out = [0u8; 160];
	out[..32].copy_from_slice(model.as_bytes());
	out[32..64].copy_from_slice(test_set.as_bytes());
	out[64..68].copy_from_slice(&correct.to_le_bytes());
	out[96..100].copy_from_slice(&total.to_le_bytes());
	out[128..].copy_from_slice(binding);
	out
}

#[cfg(test)]
mod tests {
	use super::*;

	/// A proof is good for one statement: changing the task, the target or the prover
	/// changes the binding, and the binding is a canonical scalar as it stands.
	#[test]
	fn a_score_binding_names_task_target_and_prover() {
		let binding = score_binding(3, &(0u8, 7u32, 10u64), &30u64);
		assert_eq!(binding[31], 0, "below the BN254 scalar modulus");
		assert_ne!(binding, score_binding(4, &(0u8, 7u32, 10u64), &30u64));
		assert_ne!(binding, score_binding(3, &(0u8, 8u32, 10u64), &30u64));
		assert_ne!(binding, score_binding(3, &(0u8, 7u32, 11u64), &30u64));
		assert_ne!(binding, score_binding(3, &(0u8, 7u32, 10u64), &31u64));
		let inputs = evaluation_public_inputs(&Hash::zero(), &Hash::zero(), 1, 2, &binding);
		assert_eq!(&inputs[128..], &binding);
	}

	/// A silent voter counts against every value: more than half of the assigned voters
	/// must agree, so a plurality, a tie, or a unanimous minority that revealed fixes nothing.
	#[test]
	fn a_strict_majority_needs_more_than_half_of_the_assigned_voters() {
		assert_eq!(strict_majority(&[1, 1, 2], 3), Some((1, 2)));
		assert_eq!(strict_majority(&[2, 1, 1], 3), Some((1, 2)));
		assert_eq!(strict_majority(&[1, 1], 4), None, "a tie with the silent");
		assert_eq!(strict_majority(&[1, 2, 3], 3), None, "a plurality");
		assert_eq!(strict_majority(&[1], 3), None, "one of three, the others silent");
		assert_eq!(strict_majority::<u8>(&[], 0), None);
	}

	/// Accounts name distinct authors, and an author is not some other statement's hash.
	#[test]
	fn an_update_author_names_one_account() {
		assert_ne!(update_author(&10u64), update_author(&11u64));
		assert_eq!(update_author(&[7u8; 32]), update_author(&[7u8; 32]));
		assert_ne!(update_author(&[7u8; 32]), polkadot_sdk::sp_io::hashing::blake2_256(&[7u8; 32]));
	}

	/// A score commit opens to one evaluator's count only: copied by another account, or
	/// opened with another count, it is another hash.
	#[test]
	fn a_score_commit_binds_its_evaluator_and_count() {
		let salt = [3u8; 32];
		let hash = score_commit_hash(1, &(0u32, 9u64), &10u64, 40, 50, &salt);
		assert_eq!(hash, score_commit_hash(1, &(0u32, 9u64), &10u64, 40, 50, &salt));
		assert_ne!(hash, score_commit_hash(1, &(0u32, 9u64), &11u64, 40, 50, &salt));
		assert_ne!(hash, score_commit_hash(1, &(0u32, 9u64), &10u64, 41, 50, &salt));
		assert_ne!(hash, score_commit_hash(1, &(0u32, 9u64), &10u64, 40, 50, &[4u8; 32]));
		assert_ne!(hash, score_commit_hash(2, &(0u32, 9u64), &10u64, 40, 50, &salt));
	}
}
