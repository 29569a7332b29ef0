//! # DIN evaluation pallet
//!
//! Who evaluates a round, how their results are agreed on, and how accepted updates are
//! scored: the evaluator pool, weighted sortition, commit-reveal majorities for subgroup
//! aggregates and global models, Groth16-verified and median scores.
//!
//! ## Overview
//!
//! *Evaluators* bond with pallet-din-staking and enter the pool with
//! [`Pallet::register_evaluator`] (leave with [`Pallet::deregister_evaluator`]). When a
//! round of a task starts, pallet-din-tasks calls this pallet (its
//! [`din_primitives::RoundLifecycle`] hook) and it draws a *panel* of Q **distinct**
//! evaluators for each subgroup, weighted by `bond × (evaluator reputation + 1)`, with the
//! runtime's randomness ([`Config::Randomness`], BABE; subject
//! `("din/sortition", task, round)`). The draw's inputs are fixed before its randomness is
//! known: joining records the bond and reputation a member is drawn with
//! ([`PoolMember`]), and a draw considers only members that joined
//! [`Config::SortitionLookback`] blocks before the block since which its randomness is
//! known, so no one can join, bond more or earn reputation once they can see the outcome.
//! Nor drop out: a leave takes effect by the same lookback ([`Leaving`]), and until then the
//! member stays drawable and the bond it committed stays bonded (this pallet is the
//! runtime's [`din_primitives::BondCommitment`], which pallet-din-staking's `unbond`
//! respects). Every seat locks the task's evaluator bond until the round ends. If the pool cannot
//! staff every subgroup the hook refuses, the tasks pallet defers the round (its event
//! carries [`Error::PoolTooSmall`]) and this pallet says which subgroup failed with
//! [`Event::SortitionDeferred`].
//!
//! A round then goes through two commit-reveal votes:
//!
//! 1. *Aggregation* (per subgroup, by its panel). In AggregationCommit each panel member
//!    [`Pallet::commit_aggregate`]s `hash = din_primitives::aggregate_commit_hash(…)`, in
//!    AggregationReveal it [`Pallet::reveal_aggregate`]s the aggregate (CID + commitment),
//!    the sorted set of participants whose updates it found invalid, and the salt. When
//!    the reveal phase ends, a strict majority (`> Q/2` of the panel) on
//!    `(CID, commitment, invalid set)` fixes the subgroup result: members outside it and those
//!    who did not reveal are slashed (the task's `fees.slash`, [`din_primitives::Offence`]
//!    `MinorityAggregate` / `MissedReveal`), participants in the invalid set are slashed
//!    (`InvalidUpdate`), the other submitted updates are *accepted*. Without a majority the
//!    subgroup is dropped for the round ([`Event::SubgroupDisputed`]); non-revealers are
//!    still slashed. Which updates a panel checks against their Poseidon commitments (the
//!    costliest check) is a sample, the same for the whole panel, drawn from a seed this
//!    pallet records when Training ends ([`CommitmentSamples`], [`Config::SampleRandomness`],
//!    `din_fl::commitment_sample`): only the last Training block's author knows it
//!    earlier, and a mismatch outside it is caught at scoring, where its scorers cannot
//!    open it. In an asynchronous task a panel judges a stale update (`UpdateRef::
//!    trained_from` before the round) against the model it trained from
//!    ([`Pallet::model_trained_from`]) and aggregates it rebased onto the round's model,
//!    its delta weighted by its staleness (`din_fl::duty::rebase`); it is scored as
//!    submitted, and credited with the round it trained from ([`din_primitives::Credit`]).
//! 2. *Global model* (pipelined, by all of the next round's evaluators). A round's global
//!    model is the sample-weighted combination of its accepted aggregates: fixed by the
//!    chain once its subgroups are settled, so the next round starts at once and its
//!    participants train from it. The next round's evaluators vote on it with their
//!    aggregates: the commit is `din_primitives::pipelined_commit_hash(aggregate hash,
//!    model)` and [`Pallet::reveal_aggregate`] carries the model (CID + commitment, or
//!    `None` for "no accepted aggregate carries weight"); every seat of an evaluator votes
//!    the same. When that round's subgroups are settled, the strict majority of its
//!    evaluators fixes the model ([`GlobalModels`], which scoring measures the round's
//!    updates against); the minority is slashed (`MinorityGlobal`); no majority keeps the
//!    previous model ([`Event::GlobalDisputed`]). The task's last round has no next one: its
//!    evaluators [`Pallet::commit_global`] / [`Pallet::reveal_global`] its model in the
//!    GlobalCommit and GlobalReveal phases, and the silent among them are slashed too.
//!
//! A vote phase need not wait for its deadline once every vote it expects is in: the round's
//! [`RoundVotes`] tally counts the votes against the seats and voters drawn at its start
//! (a reveal against the commits), and the last expected vote asks the tasks pallet to end
//! the phase at the next block ([`din_primitives::PhaseClosing`]). The deadline remains the
//! timeout for a silent evaluator, who is slashed as before.
//!
//! After the last round comes *scoring*. During the task's Scoring phase the owner
//! [`Pallet::release_test_key`]s the key of the encrypted test set: only the key whose
//! hash the spec committed to at creation, so that an owner cannot release a key that opens
//! nothing and keep the participants' share. From then until the
//! end of the Rewarding phase, evaluators score the genesis model (the *baseline*, by the
//! last round's first panel), every global model a later round trained from (by the first
//! panel of the round that fixed it), and every accepted update (by its panel). An update is
//! paid for its accuracy over the model its round trained from, so that resubmitting that
//! model, or a perturbed copy, earns nothing (pallet-din-rewards):
//!
//! - `ScoringRule::ZkAccuracy`: [`Pallet::submit_score`] with a Groth16 (BN254) proof over
//!   the public inputs `(update commitment, test-set commitment, correct, total, binding)`
//!   ([`din_primitives::evaluation_public_inputs`]), verified against the task's verifying
//!   key ([`Pallet::register_verifying_key`], stored by its blake2-256 hash). The binding
//!   ([`din_primitives::score_binding`]) is a hash of the task, the target and the
//!   submitting account, so a proof seen in the transaction pool earns nothing for anyone
//!   but its prover. The first valid proof settles the score and earns the work credit; an
//!   invalid proof is rejected and stores nothing; a second proof for a settled score is
//!   rejected.
//! - `ScoringRule::Median`: every panel member of the update scores it by commit-reveal,
//!   so that nobody can copy a report it has not made: in Scoring it
//!   [`Pallet::commit_score`]s `din_primitives::score_commit_hash(…)` (its account inside,
//!   so a copied commit opens for nobody else), in Rewarding it [`Pallet::reveal_score`]s
//!   the count and the salt. When the Rewarding phase ends the median of the reveals
//!   settles if a majority of a panel revealed ([`median_quorum`]: one evaluator alone
//!   cannot fix a score), and only reveals within the threshold of it earn credit. A target
//!   short of the quorum stays unscored. Since commits close with Scoring, the owner of a
//!   median-scored task must release the key while half of Scoring remains
//!   ([`Error::TestKeyTooLate`]); a key released later would leave the panels no time to
//!   score, and is refused, so it counts as withheld.
//!
//! If the owner has not released the key by the end of the Scoring phase (or, for
//! `ZkAccuracy`, never registered the task's verifying key), no score can exist and the
//! task is settled in the participants' favour. So is a task whose released key opens no
//! test set matching the spec's commitment (or whose sealed test set is unavailable): a
//! strict majority of the last round's evaluators [`Pallet::dispute_test_set`]s it, and
//! the key counts as withheld ([`Event::TestSetDisputeUpheld`]). At the end of the
//! Rewarding phase this pallet settles the task's scores and hands them, with its accepted
//! updates and work, to [`Config::Rewards`] (pallet-din-rewards), which pays and slashes;
//! then it prunes the task's working records. All of it spans as many blocks as the task
//! needs, a slice under [`Config::SettlementSliceWeight`] per block, while the tasks pallet
//! holds the phase ([`ScoreSettlements`]).
//!
//! ## Design
//!
//! *Coupling.* Tasks, subgroups and updates are read through [`Config::Tasks`]
//! ([`din_primitives::TaskInspect`]); bonds, locks, slashes and reputation go through
//! [`Config::Staking`]; proofs through [`Config::Verifier`] (the native host function in
//! din-runtime). The pallet never depends on another DIN pallet's crate.
//!
//! *Why the evaluator's account is inside the commit hash:* a lazy evaluator could
//! otherwise copy a diligent one's commitment and, once the reveal is public, reveal the
//! same thing.
//!
//! *Bounded work.* A round has at most [`Config::MaxSubgroups`] subgroups (a round start
//! with more is refused), panels of at most [`Config::MaxPanelSize`], a pool of at most
//! [`Config::MaxEvaluators`]; a task keeps at most [`Config::MaxScores`] scored targets.
//! Every hook is benchmarked and returns its weight at the sizes it met (`lifecycle.rs`).
//!
//! ## Terms
//!
//! - **Panel**: the Q evaluators of one subgroup in one round.
//! - **Seat**: one panel membership; locks the task's evaluator bond.
//! - **Accepted update**: submitted, in a subgroup with a majority, not marked invalid.
//! - **Work**: an evaluator's accepted actions (majority reveals, settling proofs, score
//!   reveals within the threshold); evaluator fees are paid in proportion to it.
//!
//! ## Code layout
//!
//! By mechanism, as pallet-referenda keeps its branch logic apart. `lib.rs` holds the
//! configuration, storage, events, errors, hooks and calls; each call checks its origin and
//! arguments and hands the state change to its mechanism:
//!
//! - `pool.rs`: the evaluator pool, sortition and seat locks;
//! - `votes.rs`: the commit-reveal votes on aggregates and global models, their majorities,
//!   work credit and slashing;
//! - `scoring.rs`: test-set and verifying keys, Groth16 and median scores, settlement;
//! - `lifecycle.rs`: the [`din_primitives::RoundLifecycle`] hooks that drive the above.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

mod lifecycle;
pub mod migrations;
pub mod offchain;
mod pool;
mod scoring;
pub mod types;
mod votes;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
/// Real Groth16 test vectors (generated by `scripts/gen-zk-fixtures.sh`), used by the tests
/// and by the proof-verification benchmarks.
#[cfg(any(test, feature = "runtime-benchmarks"))]
#[path = "fixtures/fixtures.rs"]
pub mod fixtures;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod offchain_tests;
#[cfg(test)]
mod tests;

pub use types::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use din_primitives::{
	aggregate_commit_hash, evaluation_public_inputs, global_commit_hash, pipelined_commit_hash,
	score_binding, score_commit_hash, slice_within, BondLocker, Credit, EvaluationInputs, Offence,
	PhaseClosing, ProofVerifier, Reputation, RewardSettlement, Role, RoundLifecycle, ScoreBasis,
	ScoringRule, Slash, SlashReason, StakeInfo, TaskInspect, TaskPhase, TaskTerms, WorkSlice,
};
use polkadot_sdk::{
	frame_support::{
		self, ensure,
		pallet_prelude::*,
		storage::with_storage_layer,
		traits::{
			fungible::{self, MutateHold},
			tokens::{Balance as BalanceTrait, Precision},
			Randomness,
		},
	},
	frame_system::{self, pallet_prelude::*},
	sp_core::H256,
	sp_io::hashing::blake2_256,
	sp_runtime::{
		traits::{Saturating, UniqueSaturatedInto, Zero},
		DispatchError, Perbill,
	},
};

const LOG_TARGET: &str = "runtime::din-evaluation";

/// The work credit (and reputation points) of one accepted action.
const WORK_POINT: u32 = 1;

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(3);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		polkadot_sdk::frame_system::Config
		+ frame_system::offchain::CreateSignedTransaction<Call<Self>>
	{
		/// The balance type of bonds (the native token's).
		type Balance: BalanceTrait;

		/// The currency verifying-key deposits are held in (the native token).
		type Currency: fungible::Inspect<Self::AccountId, Balance = Self::Balance>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason, which [`HoldReason`] converts into.
		type RuntimeHoldReason: From<HoldReason>;

		/// Deposit held per registered verifying key, until its registrant unregisters it.
		#[pallet::constant]
		type VerifyingKeyDepositBase: Get<Self::Balance>;

		/// Deposit held per byte a registered verifying key keeps in state (its compressed
		/// and its prepared form), on top of [`Config::VerifyingKeyDepositBase`].
		#[pallet::constant]
		type VerifyingKeyDepositPerByte: Get<Self::Balance>;

		/// Evaluator bonds, seat locks, slashing and reputation (pallet-din-staking).
		type Staking: StakeInfo<Self::AccountId, Self::Balance>
			+ BondLocker<Self::AccountId, Self::Balance>
			+ Slash<Self::AccountId, Self::Balance>
			+ Reputation<Self::AccountId>;

		/// Tasks, subgroups and updates, and the clock a vote phase ends early on once its
		/// last expected vote is in (pallet-din-tasks).
		type Tasks: TaskInspect<Self::AccountId, Self::Balance> + PhaseClosing;

		/// Randomness for sortition. In din-runtime: BABE's `RandomnessFromOneEpochAgo`.
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// How long before the block since which a draw's randomness is known its inputs
		/// must have been fixed: a draw considers only pool members that joined more than
		/// this many blocks before it. Zero where the randomness cannot be influenced before
		/// it is known; in din-runtime one epoch, because BABE's one-epoch-ago randomness is
		/// the VRF output of the previous epoch, which its block authors see take shape.
		#[pallet::constant]
		type SortitionLookback: Get<BlockNumberFor<Self>>;

		/// Randomness for the seed of each round's commitment sample
		/// ([`CommitmentSamples`]), drawn when Training ends. It should be known to
		/// nobody while updates can still be submitted; `None` (no fresh randomness in this block) checks
		/// every commitment that round. In din-runtime: BABE's `ParentBlockRandomness`, the
		/// VRF output of the last Training block, known earlier to that block's author.
		type SampleRandomness: Randomness<Option<Self::Hash>, BlockNumberFor<Self>>;

		/// Groth16 verification of evaluation proofs (the native host function in
		/// din-runtime).
		type Verifier: ProofVerifier;

		/// Pays out a task once its scores are settled (pallet-din-rewards). Its `open` and
		/// `credit` run inside this pallet's settlement slices and are measured by this
		/// pallet's benchmarks, which run with the runtime's implementation; its `pay_out`
		/// reports its own weight.
		type Rewards: RewardSettlement<Self::AccountId>;

		/// Most evaluators in the pool. Bounds the sortition scan of a round start.
		#[pallet::constant]
		type MaxEvaluators: Get<u32>;

		/// Most subgroups a round may have; a round start with more is refused. Bounds the
		/// panels drawn and settled per round.
		#[pallet::constant]
		type MaxSubgroups: Get<u32>;

		/// Largest panel Q; at least pallet-din-tasks' `MaxEvaluatorsPerSubgroup`.
		#[pallet::constant]
		type MaxPanelSize: Get<u32>;

		/// Largest subgroup; at least pallet-din-tasks' `MaxSubgroupSize`. Bounds invalid
		/// sets.
		#[pallet::constant]
		type MaxSubgroupSize: Get<u32>;

		/// Most participants of a task; at least pallet-din-tasks' `MaxParticipants`.
		/// Bounds the accepted-update records handed to the rewards pallet.
		#[pallet::constant]
		type MaxParticipants: Get<u32>;

		/// Most rounds of a task; at least pallet-din-tasks' `MaxRounds`. Bounds the
		/// per-round records pruned when a task is settled.
		#[pallet::constant]
		type MaxRounds: Get<u32>;

		/// Most scored targets (baseline, global models trained from, updates) per task.
		/// Bounds the settlement at the end of scoring; further scores are refused.
		#[pallet::constant]
		type MaxScores: Get<u32>;

		/// Longest verifying key, in bytes. A key of the evaluation circuit (five public
		/// inputs) is 424 bytes compressed.
		#[pallet::constant]
		type MaxVerifyingKeyLen: Get<u32>;

		/// Longest prepared verifying key, in bytes: what [`ProofVerifier::prepare_key`]
		/// makes of a registered key (the key and `e(α, β)`, uncompressed). A key of the
		/// evaluation circuit prepares to 1,224 bytes.
		#[pallet::constant]
		type MaxPreparedVerifyingKeyLen: Get<u32>;

		/// Longest test-set key, in bytes.
		#[pallet::constant]
		type MaxTestKeyLen: Get<u32>;

		/// The evaluator keys the off-chain worker signs with
		/// ([`offchain::crypto::EvaluatorAuthId`] in a runtime with `MultiSigner` accounts).
		type AuthorityId: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>;

		/// Largest model, in values, whose evaluation the off-chain worker takes on; tasks
		/// with larger models are left to the `din evaluator` daemon (see [`offchain`]).
		#[pallet::constant]
		type MaxOffchainModelValues: Get<u32>;

		/// Most artifacts one off-chain worker run fetches; the rest waits for the next
		/// block.
		#[pallet::constant]
		type MaxOffchainFetchesPerBlock: Get<u32>;

		/// How long the off-chain worker waits for one artifact, in milliseconds.
		#[pallet::constant]
		type OffchainFetchTimeoutMs: Get<u64>;

		/// Most weight one deadline spends settling subgroups at the end of AggregationReveal,
		/// or a task's scores, payout and records at the end of Rewarding; the rest waits for
		/// the next block while the task holds the phase. At least one subgroup (or record)
		/// is settled per deadline, so this must cover one (`integrity_test`).
		#[pallet::constant]
		type SettlementSliceWeight: Get<Weight>;

		/// Weight information for the calls and hooks of this pallet.
		type WeightInfo: WeightInfo;
	}

	/// The evaluator pool, in registration order, with the draw inputs each member
	/// committed to by joining.
	#[pallet::storage]
	pub type Pool<T: Config> =
		StorageValue<_, BoundedVec<PoolMemberOf<T>, T::MaxEvaluators>, ValueQuery>;

	/// Pool members that asked to leave, with the block they asked at. A leave takes effect
	/// for the draws whose randomness became known [`Config::SortitionLookback`] blocks after
	/// it was asked (`din_primitives::left_before_randomness`), as a join does; until then
	/// the member stays in [`Pool`], drawable, with its committed bond. A draw skips members
	/// whose leave holds for it; they are removed at the next registration, which keeps the
	/// round-start hook free of writes it is not benchmarked for.
	#[pallet::storage]
	pub type Leaving<T: Config> = StorageValue<
		_,
		BoundedVec<(T::AccountId, BlockNumberFor<T>), T::MaxEvaluators>,
		ValueQuery,
	>;

	/// The panel of each subgroup of each round, by task and `(round, subgroup)`.
	#[pallet::storage]
	pub type Panels<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		TaskId,
		Twox64Concat,
		(RoundIndex, SubgroupIndex),
		PanelOf<T>,
		ValueQuery,
	>;

	/// Every evaluator of a round with its seat count (the global-model voters; the seats
	/// are unlocked when the round ends).
	#[pallet::storage]
	pub type RoundEvaluators<T: Config> =
		StorageDoubleMap<_, Twox64Concat, TaskId, Twox64Concat, RoundIndex, SeatsOf<T>, ValueQuery>;

	/// How many of the current round's votes are in, per task, against what each vote phase
	/// expects. Written when the round's panels are drawn, removed when the round settles.
	#[pallet::storage]
	pub type RoundVotes<T: Config> = StorageMap<_, Twox64Concat, TaskId, VoteTally, OptionQuery>;

	/// The seed of the current round's commitment sample, per task: which updates each
	/// panel checks against their commitments (`din_fl::commitment_sample`). Written when
	/// Training ends, removed when the round settles; absent, every update is checked.
	#[pallet::storage]
	pub type CommitmentSamples<T: Config> =
		StorageMap<_, Twox64Concat, TaskId, (RoundIndex, [u8; 32]), OptionQuery>;

	/// Aggregate votes of the current round, by `(task, round, subgroup)` and evaluator.
	/// Cleared when the subgroup is settled.
	#[pallet::storage]
	pub type AggregateVotes<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		(TaskId, RoundIndex, SubgroupIndex),
		Blake2_128Concat,
		T::AccountId,
		Vote<AggregateRevealOf<T>>,
		OptionQuery,
	>;

	/// The next subgroup to settle of a task whose aggregation settlement spans blocks, with
	/// its round. Present only between the first and the last slice; reveals are refused
	/// while it is.
	#[pallet::storage]
	pub type SettlementCursor<T: Config> =
		StorageMap<_, Twox64Concat, TaskId, (RoundIndex, SubgroupIndex), OptionQuery>;

	/// The settled result of each subgroup, by task and `(round, subgroup)`.
	#[pallet::storage]
	pub type SubgroupResults<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		TaskId,
		Twox64Concat,
		(RoundIndex, SubgroupIndex),
		SubgroupResultOf<T>,
		OptionQuery,
	>;

	/// Global-model votes of the current round, by `(task, round)` and evaluator. Cleared
	/// when the round is settled.
	#[pallet::storage]
	pub type GlobalVotes<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		(TaskId, RoundIndex),
		Blake2_128Concat,
		T::AccountId,
		Vote<ModelRef>,
		OptionQuery,
	>;

	/// The round of each task whose global model the aggregate reveals of its next round
	/// vote on (pipelined): set when a round that is not the task's last has settled its
	/// subgroups, taken when the next round has settled its own.
	#[pallet::storage]
	pub type PipelinedGlobal<T: Config> =
		StorageMap<_, Twox64Concat, TaskId, RoundIndex, OptionQuery>;

	/// The votes on a pipelined global model, by `(task, the round it belongs to)` and
	/// evaluator of the next round: the model, or `None` for "no accepted aggregate carries
	/// weight, the model before it holds". Recorded with an evaluator's first aggregate
	/// reveal of the next round (its other seats must carry the same vote); cleared when that
	/// round's subgroups are settled.
	#[pallet::storage]
	pub type PipelinedGlobalVotes<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		(TaskId, RoundIndex),
		Blake2_128Concat,
		T::AccountId,
		Option<ModelRef>,
		OptionQuery,
	>;

	/// The global model each round settled on (absent: disputed; the previous one holds).
	#[pallet::storage]
	pub type GlobalModels<T: Config> =
		StorageDoubleMap<_, Twox64Concat, TaskId, Twox64Concat, RoundIndex, ModelRef, OptionQuery>;

	/// Accepted updates per participant of a task (until the task is settled).
	#[pallet::storage]
	pub type AcceptedUpdates<T: Config> =
		StorageDoubleMap<_, Twox64Concat, TaskId, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// Accepted work per evaluator of a task (until the task is settled).
	#[pallet::storage]
	pub type Work<T: Config> =
		StorageDoubleMap<_, Twox64Concat, TaskId, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// Registered verifying keys (compressed), by `blake2_256` of their bytes.
	#[pallet::storage]
	pub type VerifyingKeys<T: Config> =
		StorageMap<_, Identity, H256, BoundedVec<u8, T::MaxVerifyingKeyLen>, OptionQuery>;

	/// The prepared form of each registered verifying key, under the same hash: made once at
	/// registration, so that no proof pays again for decoding the key's points and for the
	/// pairing `e(α, β)`.
	#[pallet::storage]
	pub type PreparedVerifyingKeys<T: Config> =
		StorageMap<_, Identity, H256, BoundedVec<u8, T::MaxPreparedVerifyingKeyLen>, OptionQuery>;

	/// Who registered each verifying key, the deposit held for it, and how many live tasks
	/// name it (a key is unregistered only when none does). Keys registered before deposits
	/// (storage version 3) have no entry: they stay, and no task's use of them is counted.
	#[pallet::storage]
	pub type VerifyingKeyRegistrations<T: Config> =
		StorageMap<_, Identity, H256, KeyRegistration<T::AccountId, T::Balance>, OptionQuery>;

	/// Test-set keys released by task owners.
	#[pallet::storage]
	pub type TestKeys<T: Config> = StorageMap<_, Twox64Concat, TaskId, TestKey<T>, OptionQuery>;

	/// Last-round evaluators who found that the released key opens no test set matching the
	/// spec's commitment, until the task is settled.
	#[pallet::storage]
	pub type TestSetDisputes<T: Config> =
		StorageMap<_, Twox64Concat, TaskId, BoundedVec<T::AccountId, T::MaxEvaluators>, ValueQuery>;

	/// Scores settled by proofs (`ZkAccuracy`), until the task is settled.
	#[pallet::storage]
	pub type ProvenScores<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		TaskId,
		Blake2_128Concat,
		ScoreTargetOf<T>,
		ProvenScore<T::AccountId>,
		OptionQuery,
	>;

	/// Score commits and reveals under the median rule, per target, until the task is
	/// settled: a panel member's commit from Scoring, opened in Rewarding.
	#[pallet::storage]
	pub type Reports<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		TaskId,
		Blake2_128Concat,
		ScoreTargetOf<T>,
		ReportsOf<T>,
		ValueQuery,
	>;

	/// Number of scored targets (proven or reported) of a task, bounded by `MaxScores`.
	#[pallet::storage]
	pub type ScoredTargets<T: Config> = StorageMap<_, Twox64Concat, TaskId, u32, ValueQuery>;

	/// Where the settlement of a task's scores stands, from the end of its Rewarding phase
	/// (held until it is done) to the last record pruned. Score reveals, proofs and
	/// disputes are refused while it is present ([`Error::ScoringClosed`]).
	#[pallet::storage]
	pub type ScoreSettlements<T: Config> =
		StorageMap<_, Twox64Concat, TaskId, ScoreSettlementOf<T>, OptionQuery>;

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit for a registered verifying key's state.
		VerifyingKeyDeposit,
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `who` entered the evaluator pool.
		EvaluatorRegistered { who: T::AccountId },
		/// `who` asked to leave the evaluator pool; it stays drawable until the leave takes
		/// effect ([`Leaving`]), and its seats keep their duties.
		EvaluatorDeregistered { who: T::AccountId },
		/// The leave of `who` has taken effect: it is out of the pool, and its bond is no
		/// longer committed to draws.
		EvaluatorLeft { who: T::AccountId },
		/// `evaluators` were drawn as the panel of `subgroup` in `round` of `task`.
		PanelDrawn {
			task: TaskId,
			round: RoundIndex,
			subgroup: SubgroupIndex,
			evaluators: Vec<T::AccountId>,
		},
		/// The pool could not staff `subgroup` of `round` of `task`: `eligible` evaluators had
		/// a free seat, `required` were needed. The round waits.
		SortitionDeferred {
			task: TaskId,
			round: RoundIndex,
			subgroup: SubgroupIndex,
			eligible: u32,
			required: u32,
		},
		/// Training of `round` of `task` ended and its panels check the commitments of the
		/// updates `seed` samples (`din_fl::commitment_sample`).
		CommitmentSampleDrawn { task: TaskId, round: RoundIndex, seed: [u8; 32] },
		/// `who` committed an aggregate for `subgroup`.
		AggregateCommitted {
			task: TaskId,
			round: RoundIndex,
			subgroup: SubgroupIndex,
			who: T::AccountId,
		},
		/// `who` revealed an aggregate for `subgroup`.
		AggregateRevealed {
			task: TaskId,
			round: RoundIndex,
			subgroup: SubgroupIndex,
			who: T::AccountId,
			commitment: Commitment,
			invalid: u32,
		},
		/// A majority of `votes` of `panel` fixed the aggregate of `subgroup`; `accepted`
		/// updates were accepted, `invalid` marked invalid.
		SubgroupAccepted {
			task: TaskId,
			round: RoundIndex,
			subgroup: SubgroupIndex,
			cid: Cid,
			commitment: Commitment,
			votes: u32,
			panel: u32,
			accepted: u32,
			invalid: u32,
		},
		/// No majority among `revealed` reveals of `panel`: `subgroup` is dropped this round.
		SubgroupDisputed {
			task: TaskId,
			round: RoundIndex,
			subgroup: SubgroupIndex,
			revealed: u32,
			panel: u32,
		},
		/// `who` committed a global model.
		GlobalCommitted { task: TaskId, round: RoundIndex, who: T::AccountId },
		/// `who` revealed a global model.
		GlobalRevealed {
			task: TaskId,
			round: RoundIndex,
			who: T::AccountId,
			commitment: Commitment,
		},
		/// The majority fixed the global model of `round`.
		GlobalModelFixed {
			task: TaskId,
			round: RoundIndex,
			cid: Cid,
			commitment: Commitment,
			votes: u32,
			voters: u32,
		},
		/// No majority on the global model of `round`; the previous model holds.
		GlobalDisputed { task: TaskId, round: RoundIndex, revealed: u32, voters: u32 },
		/// The majority found that no accepted aggregate of `round` carries weight: the model
		/// that round trained from holds.
		GlobalModelKept { task: TaskId, round: RoundIndex, votes: u32, voters: u32 },
		/// `who` registered a verifying key of `len` bytes under `hash`, with `deposit` held.
		VerifyingKeyRegistered { hash: H256, len: u32, who: T::AccountId, deposit: T::Balance },
		/// `who` unregistered the verifying key `hash`; its `deposit` was released.
		VerifyingKeyUnregistered { hash: H256, who: T::AccountId, deposit: T::Balance },
		/// The owner released the test-set key of `task`.
		TestKeyReleased { task: TaskId },
		/// The owner of `task` did not release the test-set key in time (or its verifying key
		/// has no prepared form): the task is settled in the participants' favour.
		TestKeyWithheld { task: TaskId },
		/// `who`, an evaluator of the last round, found that the released key of `task`
		/// opens no test set matching its commitment.
		TestSetDisputed { task: TaskId, who: T::AccountId },
		/// `disputes` of the last round's `evaluators` found that the released key opens no
		/// committed test set: the key counts as withheld.
		TestSetDisputeUpheld { task: TaskId, disputes: u32, evaluators: u32 },
		/// A proof by `prover` settled `target` of `task` at `correct / total`.
		ScoreProven {
			task: TaskId,
			target: ScoreTargetOf<T>,
			correct: u32,
			total: u32,
			prover: T::AccountId,
		},
		/// `who` committed its score of `target` (median rule).
		ScoreCommitted { task: TaskId, target: ScoreTargetOf<T>, who: T::AccountId },
		/// `who` revealed `accuracy` for `target` (median rule).
		ScoreRevealed {
			task: TaskId,
			target: ScoreTargetOf<T>,
			who: T::AccountId,
			accuracy: Perbill,
		},
		/// The median of `reports` revealed scores settled `target` at `accuracy`.
		MedianSettled { task: TaskId, target: ScoreTargetOf<T>, accuracy: Perbill, reports: u32 },
		/// `target` got `reports` revealed scores, fewer than the `quorum` a median needs: it
		/// stays unscored and its reporters earn nothing.
		MedianWithoutQuorum { task: TaskId, target: ScoreTargetOf<T>, reports: u32, quorum: u32 },
		/// Scoring of `task` is over: `scores` scores, `accepted` participants' accepted
		/// updates and `evaluators` evaluators' work were handed to the rewards pallet,
		/// which pays out next.
		TaskScored {
			task: TaskId,
			scores: u32,
			accepted: u32,
			evaluators: u32,
			test_key_released: bool,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The caller is already in the evaluator pool.
		AlreadyRegistered,
		/// The caller is not in the evaluator pool.
		NotRegistered,
		/// The caller has asked to leave the pool already.
		AlreadyLeaving,
		/// The caller's leave has not taken effect yet: it may be drawn with randomness
		/// already known, so it can rejoin only once the leave is through.
		StillLeaving,
		/// The pool holds `MaxEvaluators` evaluators already.
		PoolFull,
		/// The caller's active evaluator bond is below the chain-wide minimum.
		InsufficientEvaluatorBond,
		/// The evaluator pool cannot staff every subgroup with Q distinct evaluators.
		PoolTooSmall,
		/// The round has more subgroups than `MaxSubgroups`.
		TooManySubgroups,
		/// The task's Q exceeds `MaxPanelSize`.
		PanelTooLarge,
		/// No such task.
		UnknownTask,
		/// The task is not in its AggregationCommit phase.
		NotAggregationCommit,
		/// The task is not in its AggregationReveal phase.
		NotAggregationReveal,
		/// The reveal window is closed: the subgroups are being settled.
		RevealWindowClosed,
		/// The task is not in its GlobalCommit phase.
		NotGlobalCommit,
		/// The task is not in its GlobalReveal phase.
		NotGlobalReveal,
		/// The task is not in its Scoring phase.
		NotScoring,
		/// The task is not in its Rewarding phase.
		NotRewarding,
		/// The task scores by median, and less than half of its Scoring phase remains: its
		/// panels would have no time to commit their scores.
		TestKeyTooLate,
		/// Scores are taken only in the Scoring and Rewarding phases.
		NotScoringWindow,
		/// `round` is not the task's current round.
		WrongRound,
		/// The caller is not on the panel of that subgroup.
		NotOnPanel,
		/// The caller is not an evaluator of that round.
		NotRoundEvaluator,
		/// The caller already committed (or revealed) in this vote.
		AlreadyCommitted,
		/// The caller has no commitment to reveal.
		NotCommitted,
		/// The caller already revealed in this vote.
		AlreadyRevealed,
		/// The reveal does not hash to the committed value.
		RevealMismatch,
		/// The reveal carries a vote on the previous round's global model, and no such vote
		/// is open (the first round, or a round after a global vote of its own).
		NoGlobalVoteOpen,
		/// The reveal carries a different vote on the previous round's global model than the
		/// caller's earlier reveal in this round (every seat votes the same model).
		GlobalVoteDiffers,
		/// The commit hash is zero.
		ZeroHash,
		/// The invalid set is not strictly ascending.
		InvalidSetNotSorted,
		/// An account in the invalid set is not a member of the subgroup.
		NotInSubgroup,
		/// An account in the invalid set submitted no update to judge.
		NoUpdateToJudge,
		/// A CID is empty.
		EmptyCid,
		/// A commitment is zero.
		ZeroCommitment,
		/// The verifying key does not decode or is not for the evaluation circuit.
		MalformedVerifyingKey,
		/// This verifying key is registered already.
		VerifyingKeyExists,
		/// The key's prepared form is longer than [`Config::MaxPreparedVerifyingKeyLen`].
		PreparedKeyTooLong,
		/// The caller cannot afford the verifying key's deposit.
		InsufficientBalanceForDeposit,
		/// Only the account that registered a verifying key may unregister it.
		NotKeyRegistrant,
		/// A task that has not ended names this verifying key.
		VerifyingKeyInUse,
		/// Only the task's owner may do this.
		NotOwner,
		/// The test-set key was released already.
		TestKeyAlreadyReleased,
		/// The test-set key is empty.
		EmptyTestKey,
		/// The key is not the one the task's spec committed to (`test_set.key_hash`).
		TestKeyMismatch,
		/// The owner has not released the test-set key.
		TestKeyNotReleased,
		/// The task is not scored with `ZkAccuracy`.
		NotZkScoring,
		/// The task is not scored with `Median`.
		NotMedianScoring,
		/// The task's verifying key is not registered.
		UnknownVerifyingKey,
		/// The participant submitted no update in that round.
		UnknownUpdate,
		/// The update was not accepted (subgroup without majority, or marked invalid).
		UpdateNotAccepted,
		/// That target's score is settled already (a replay).
		ScoreAlreadySettled,
		/// The proof does not verify for these public inputs under the task's key.
		InvalidProof,
		/// `total` is zero or `correct` exceeds it.
		InvalidCount,
		/// The task has `MaxScores` scored targets already.
		TooManyScores,
		/// The caller already disputed this task's test set.
		AlreadyDisputed,
		/// No later round trained from that round's global model: the round fixed none (its
		/// vote was disputed) or is the task's last.
		NotTrainedFrom,
		/// The task's scores are being settled: the Rewarding phase is over, no reveal,
		/// proof or dispute counts any more.
		ScoringClosed,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			Self::check_config();
		}

		/// Evaluator duties of the node's local evaluator keys ([`offchain`]).
		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::offchain_evaluator_duties(now);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(
			_n: BlockNumberFor<T>,
		) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Enter the evaluator pool.
		///
		/// Origin: signed, an account with an active evaluator bond of at least the
		/// chain-wide minimum, not in the pool (or whose leave has taken effect). Sortition
		/// draws only evaluators whose unlocked bond covers a task's evaluator bond.
		///
		/// Emits [`Event::EvaluatorRegistered`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_evaluator(T::MaxEvaluators::get()))]
		pub fn register_evaluator(origin: OriginFor<T>) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			ensure!(
				T::Staking::bonded(&who, Role::Evaluator)
					>= T::Staking::minimum_bond(Role::Evaluator),
				Error::<T>::InsufficientEvaluatorBond
			);
			// Charged for the pool as it was: joining first removes the members that left.
			let before = Pool::<T>::decode_len().unwrap_or(0) as u32;
			let size = Self::join_pool(&who)?;
			Self::deposit_event(Event::EvaluatorRegistered { who });
			Ok(Some(T::WeightInfo::register_evaluator(size.max(before))).into())
		}

		/// Ask to leave the evaluator pool. The leave takes effect for the draws whose
		/// randomness is known [`Config::SortitionLookback`] blocks from now: until then the
		/// caller stays drawable and its committed bond cannot be unbonded, so that leaving
		/// once a draw can be foreseen changes nothing. Seats already drawn keep their duties
		/// (and locks) until their rounds end.
		///
		/// Origin: signed, a pool member that has not asked to leave yet.
		///
		/// Emits [`Event::EvaluatorDeregistered`]; [`Event::EvaluatorLeft`] follows once the
		/// leave has taken effect.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::deregister_evaluator(T::MaxEvaluators::get()))]
		pub fn deregister_evaluator(origin: OriginFor<T>) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let size = Self::ask_to_leave(&who)?;
			Self::deposit_event(Event::EvaluatorDeregistered { who });
			Ok(Some(T::WeightInfo::deregister_evaluator(size)).into())
		}

		/// Commit to an aggregate of `subgroup` in `round` of `task`:
		/// `hash = din_primitives::aggregate_commit_hash(task, round, subgroup, caller, cid,
		/// commitment, invalid, salt)`.
		///
		/// Origin: signed, a panel member of the subgroup. Only in AggregationCommit, once.
		///
		/// Emits [`Event::AggregateCommitted`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::commit_aggregate())]
		pub fn commit_aggregate(
			origin: OriginFor<T>,
			task: TaskId,
			round: RoundIndex,
			subgroup: SubgroupIndex,
			hash: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::record_aggregate_commit(task, round, subgroup, &who, hash)?;
			Self::deposit_event(Event::AggregateCommitted { task, round, subgroup, who });
			Ok(())
		}

		/// Reveal the committed aggregate of `subgroup`: where it is (`cid`), its
		/// `commitment`, the participants whose updates were invalid (strictly ascending,
		/// each a subgroup member that submitted an update) and the `salt`.
		///
		/// While the previous round's global model is being voted on ([`PipelinedGlobal`]),
		/// the commit was `din_primitives::pipelined_commit_hash` of the aggregate's hash and
		/// `previous_global`, the caller's vote on that model (`None`: no accepted aggregate
		/// carries weight); otherwise `previous_global` must be `None`.
		///
		/// Origin: signed, a panel member that committed. Only in AggregationReveal, once.
		///
		/// Emits [`Event::AggregateRevealed`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::reveal_aggregate(invalid.len() as u32))]
		#[allow(clippy::too_many_arguments)]
		pub fn reveal_aggregate(
			origin: OriginFor<T>,
			task: TaskId,
			round: RoundIndex,
			subgroup: SubgroupIndex,
			cid: Cid,
			commitment: Commitment,
			invalid: InvalidSetOf<T>,
			salt: [u8; 32],
			previous_global: Option<ModelRef>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let invalid_count = invalid.len() as u32;
			let reveal = AggregateReveal { cid, commitment, invalid };
			Self::record_aggregate_reveal(
				task,
				round,
				subgroup,
				&who,
				reveal,
				previous_global,
				&salt,
			)?;
			Self::deposit_event(Event::AggregateRevealed {
				task,
				round,
				subgroup,
				who,
				commitment,
				invalid: invalid_count,
			});
			Ok(())
		}

		/// Commit to the next global model of `round`:
		/// `hash = din_primitives::global_commit_hash(task, round, caller, cid, commitment,
		/// salt)`.
		///
		/// Origin: signed, an evaluator of the round. Only in GlobalCommit, once.
		///
		/// Emits [`Event::GlobalCommitted`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::commit_global(T::MaxEvaluators::get()))]
		pub fn commit_global(
			origin: OriginFor<T>,
			task: TaskId,
			round: RoundIndex,
			hash: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::ensure_phase(task, round, TaskPhase::GlobalCommit, Error::<T>::NotGlobalCommit)?;
			ensure!(Self::is_round_evaluator(task, round, &who), Error::<T>::NotRoundEvaluator);
			ensure!(!hash.is_zero(), Error::<T>::ZeroHash);
			Self::record_global_commit(task, round, &who, hash)?;
			Self::deposit_event(Event::GlobalCommitted { task, round, who });
			Ok(())
		}

		/// Reveal the committed global model of `round`.
		///
		/// Origin: signed, an evaluator of the round that committed. Only in GlobalReveal,
		/// once.
		///
		/// Emits [`Event::GlobalRevealed`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::reveal_global())]
		pub fn reveal_global(
			origin: OriginFor<T>,
			task: TaskId,
			round: RoundIndex,
			cid: Cid,
			commitment: Commitment,
			salt: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::ensure_phase(task, round, TaskPhase::GlobalReveal, Error::<T>::NotGlobalReveal)?;
			ensure!(!cid.is_empty(), Error::<T>::EmptyCid);
			ensure!(!commitment.is_zero(), Error::<T>::ZeroCommitment);
			Self::record_global_reveal(task, round, &who, ModelRef { cid, commitment }, &salt)?;
			Self::deposit_event(Event::GlobalRevealed { task, round, who, commitment });
			Ok(())
		}

		/// Register a Groth16 verifying key (compressed, for the five public inputs of the
		/// evaluation circuit), stored under `blake2_256(vk)`: the hash a `ZkAccuracy` task
		/// names. Anyone may register; the key is checked to decode to valid points, and
		/// its prepared form is stored beside it for the proofs to come. A deposit for the
		/// state both take ([`Config::VerifyingKeyDepositBase`] and
		/// [`Config::VerifyingKeyDepositPerByte`]) is held from the caller until it
		/// unregisters the key.
		///
		/// Origin: signed.
		///
		/// Emits [`Event::VerifyingKeyRegistered`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::register_verifying_key())]
		pub fn register_verifying_key(
			origin: OriginFor<T>,
			vk: BoundedVec<u8, T::MaxVerifyingKeyLen>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let (hash, len, deposit) = Self::register_key(&who, vk)?;
			Self::deposit_event(Event::VerifyingKeyRegistered { hash, len, who, deposit });
			Ok(())
		}

		/// Remove the verifying key `hash` the caller registered and release its deposit,
		/// once no task that has not ended names it (a task binds its key when it is
		/// created, so no task can lose its key to this call).
		///
		/// Origin: signed, the key's registrant.
		///
		/// Emits [`Event::VerifyingKeyUnregistered`].
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::unregister_verifying_key())]
		pub fn unregister_verifying_key(origin: OriginFor<T>, hash: H256) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let deposit = Self::unregister_key(&who, hash)?;
			Self::deposit_event(Event::VerifyingKeyUnregistered { hash, who, deposit });
			Ok(())
		}

		/// Release the key of the task's encrypted test set, so that evaluators can score.
		///
		/// Origin: signed, the task's owner. Only in the Scoring phase (its end is the
		/// deadline; for a median-scored task, while half of it remains, so that the panels
		/// can commit their scores before it ends), once, and only the key the spec committed
		/// to (`din_fl::sealed_test_set::test_key_hash(key) == test_set.key_hash`).
		///
		/// Emits [`Event::TestKeyReleased`].
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::release_test_key())]
		pub fn release_test_key(
			origin: OriginFor<T>,
			task: TaskId,
			key: BoundedVec<u8, T::MaxTestKeyLen>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::store_test_key(task, &who, key)?;
			Self::deposit_event(Event::TestKeyReleased { task });
			Ok(())
		}

		/// Settle the score of `target` with a Groth16 proof that it classifies `correct`
		/// of the `total` committed test samples correctly.
		///
		/// Origin: signed; for an update, a panel member of its subgroup in its round; for
		/// the baseline, a member of [`Pallet::baseline_panel`] (the last round's first
		/// subgroup's). The task scores with `ZkAccuracy`,
		/// its test key is released, and it is in Scoring or Rewarding. The first valid
		/// proof settles the target; invalid proofs and replays store nothing.
		///
		/// Emits [`Event::ScoreProven`].
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::submit_score())]
		pub fn submit_score(
			origin: OriginFor<T>,
			task: TaskId,
			target: ScoreTargetOf<T>,
			correct: u32,
			total: u32,
			proof: BoundedVec<u8, ConstU32<256>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::settle_proven_score(task, &target, correct, total, &proof, &who)?;
			Self::deposit_event(Event::ScoreProven { task, target, correct, total, prover: who });
			Ok(())
		}

		/// Commit to the accuracy of `target` under the median rule:
		/// `hash = din_primitives::score_commit_hash(task, target, caller, correct, total,
		/// salt)`, revealed with [`Pallet::reveal_score`] once the commits are closed.
		///
		/// Origin: signed; for an update, a panel member of its subgroup in its round; for
		/// the baseline, a member of [`Pallet::baseline_panel`] (the last round's first
		/// subgroup's). The task scores with `Median`, its test key is released, it is in
		/// Scoring; one commit per evaluator and target.
		///
		/// Emits [`Event::ScoreCommitted`].
		// Index 9 was `report_score`, plain reports, retired for this commit-reveal.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::commit_score(T::MaxPanelSize::get()))]
		pub fn commit_score(
			origin: OriginFor<T>,
			task: TaskId,
			target: ScoreTargetOf<T>,
			hash: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::record_score_commit(task, &target, &who, hash)?;
			Self::deposit_event(Event::ScoreCommitted { task, target, who });
			Ok(())
		}

		/// Reveal the accuracy committed for `target`: `correct` of `total` test samples,
		/// with the commit's salt.
		///
		/// Origin: signed, an evaluator that committed a score of `target`. The task is in
		/// Rewarding (no commit can be made once reveals are public); once.
		///
		/// Emits [`Event::ScoreRevealed`].
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::reveal_score(T::MaxPanelSize::get()))]
		pub fn reveal_score(
			origin: OriginFor<T>,
			task: TaskId,
			target: ScoreTargetOf<T>,
			correct: u32,
			total: u32,
			salt: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let accuracy = Self::record_score_reveal(task, &target, &who, correct, total, &salt)?;
			Self::deposit_event(Event::ScoreRevealed { task, target, who, accuracy });
			Ok(())
		}

		/// Declare that the task's released key opens no test set matching the spec's
		/// commitment (the sealed bytes do not decrypt to it, or cannot be fetched). When
		/// the Rewarding phase ends, a strict majority of the last round's evaluators
		/// settles the task as if the key were withheld: the participants' part is split
		/// over accepted updates, whatever scores exist.
		///
		/// Origin: signed, an evaluator of the last round. The key is released, the task is
		/// in Scoring or Rewarding; once per evaluator.
		///
		/// Emits [`Event::TestSetDisputed`].
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::dispute_test_set())]
		pub fn dispute_test_set(origin: OriginFor<T>, task: TaskId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::record_dispute(task, &who)?;
			Self::deposit_event(Event::TestSetDisputed { task, who });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Check the pallet's invariants:
	/// - the pool has no duplicates;
	/// - every panel holds distinct evaluators;
	/// - every vote tally belongs to a live round and counts no more than expected;
	/// - every task's scored-target count matches its proven scores and reports;
	/// - every registered verifying key, and only those, has a prepared form.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		Self::try_state_pool()?;
		Self::try_state_votes()?;
		Self::try_state_scores()?;
		Self::try_state_verifying_keys()
	}
}
