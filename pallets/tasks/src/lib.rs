//! # DIN tasks pallet
//!
//! Training tasks, their escrowed reward pools, the round state machine, subgroup
//! assignment and update commitments of the DIN federated learning protocol.
//!
//! ## Overview
//!
//! A *model owner* creates a task with [`Pallet::create_task`]: the model architecture
//! (descriptor + hash), the genesis model (CID + commitment), the test set (commitment +
//! encrypted CID), a reward pool held from the owner, the number of rounds, the length of
//! every phase, the subgroup size G, the evaluators per subgroup Q, the minimum bonds, the
//! aggregation and scoring rules and the fee parameters. Every field is validated; each
//! violation has its own error.
//!
//! A task may carry a differential-privacy policy (`TaskSpec::privacy`: clip norm, noise
//! multiplier, δ and an ε budget; `din_primitives::privacy`). Its participants then publish
//! every update clipped and noised, and evaluators reject one beyond the policy's bound. This
//! pallet keeps the count: a task (or an extension) whose rounds would spend more ε than
//! the budget is refused (`PrivacyBudgetExceeded`), and each round start records what the
//! rounds up to it spend ([`Event::PrivacySpent`]).
//!
//! A task may aggregate securely (`AggregationRule::SecureFedAvg`): no single update is
//! readable, only each subgroup's sum. Its participants register a share key
//! ([`Pallet::register_share_key`]), and each round's Training runs SecAgg's steps on chain:
//! round keys with sealed Shamir shares ([`Pallet::advertise_round_key`]), masked uploads
//! ([`Pallet::submit_update`]) and the survivors' shares ([`Pallet::hand_over_shares`]),
//! each step closing when everyone who can act on it has, or at its cutoff (`secure.rs`).
//!
//! *Participants* bonded with pallet-din-staking join with [`Pallet::join_task`]; joining
//! locks the task's minimum participant bond (it cannot be unbonded while the task runs).
//! They may [`Pallet::leave_task`] only before the first round starts: from then on the
//! lock backs their updates until the task settles, so nobody who took part escapes a
//! slash by leaving and unbonding. A leave takes effect (and its lock is released) when
//! the first round starts. The owner may
//! [`Pallet::cancel_task`] before the first round starts and gets the whole pool back.
//! Until Scoring it may [`Pallet::extend_task`] (more rounds, with a top-up that keeps the
//! pool per round: participants cannot leave a started task, so added rounds must pay as
//! the first ones did) or [`Pallet::end_training`] after the current round (the pool is not
//! touched: it is shared by the contributions made so far).
//!
//! A task then runs through its lifecycle, advanced by `on_initialize` at each phase's
//! deadline:
//!
//! ```text
//! Registration ─► Training ─► AggregationCommit ─► AggregationReveal ─┬─ not last round ─► Training (next round)
//!                                                                     └─ last round ─► GlobalCommit ─► GlobalReveal
//!                                                              Scoring ◄─────────────────────────────────────┘
//!                                                                 └─► Rewarding ─► Finished
//! ```
//!
//! A round's global model (the sample-weighted combination of its accepted subgroup
//! aggregates) is a deterministic function of what the round's settlement fixed, so the
//! next round starts as soon as the subgroups are settled: its participants compute that
//! model and train from it, and its evaluators vote on it with their aggregate commits and
//! reveals (pipelined, pallet-din-evaluation). Only the last round votes on its global
//! model in phases of its own. A round of honest parties thus takes three blocks: the
//! updates, the aggregate commits, the aggregate reveals.
//!
//! At each round start the joined participants are snapshotted, shuffled with the
//! runtime's randomness ([`Config::Randomness`], BABE in din-runtime; subject
//! `("din/round", task, round)`) and dealt round-robin into `ceil(n / G)` subgroups of at
//! most G. The snapshot takes only those that joined [`Config::ShuffleLookback`] blocks
//! before the block since which that randomness is known: once the shuffle's outcome can
//! be computed, joining (or not) cannot choose one's subgroup, only wait for a later round,
//! and a participant that leaves keeps its place in the shuffle with an empty seat. During Training each assigned participant submits exactly one update with
//! [`Pallet::submit_update`]: the CID of the update in the artifact store, the commitment to
//! its canonical encoding and the number of training samples behind it. What counts as a
//! *contribution* is decided later: an update the subgroup majority of evaluators accepts,
//! scored above the baseline. The update of the round's last assigned participant ends
//! Training at the next block ([`Event::PhaseClosedEarly`]); the vote phases end the same way
//! when pallet-din-evaluation reports their last expected vote
//! ([`din_primitives::PhaseClosing`]), and a phase whose end does no work (a commit phase:
//! [`din_primitives::RoundLifecycle::ends_without_work`]) ends inside that vote's block, so
//! that the reveals can land in the next one. A phase's configured length is its timeout.
//!
//! An *asynchronous* task ([`Pacing::Asynchronous`], FedBuff's buffered asynchrony) does
//! not wait for its slowest participant: its Training ends at the next block once `buffer`
//! updates are in, and a participant too slow for a round submits the update it trained
//! from an earlier round's model in a later round it is assigned to, at most
//! `max_staleness` rounds back ([`Pallet::submit_stale_update`]), provided it submitted
//! nothing since that round. The update records the round it trained from
//! ([`UpdateInfo::trained_from`]): its panel rebases it onto the round's model with its
//! delta weighted by `1 / (1 + staleness)` (pallet-din-evaluation, `din_fl::duty::rebase`),
//! and pallet-din-rewards pays it that share of its accuracy over the model it trained from.
//!
//! ## Design
//!
//! *Evaluation and rewards are other pallets.* This pallet calls a [`Config::Lifecycle`]
//! hook ([`din_primitives::RoundLifecycle`]) when a round starts (pallet-din-evaluation
//! draws Q evaluators per subgroup there, and may defer the round when its pool is too
//! small), when each phase ends (it settles commit-reveal majorities) and when the task
//! ends. With `()` the evaluation phases simply time out. The rewards pallet pays out
//! through [`din_primitives::TaskEscrow`], implemented here; whatever is left of the pool
//! when the task finishes goes back to the owner.
//!
//! *Stake* is reached only through [`Config::Staking`] ([`din_primitives::StakeInfo`] +
//! [`din_primitives::BondLocker`]); this crate does not depend on pallet-din-staking.
//!
//! *Bounded work per block.* Each live task has exactly one entry in [`Deadlines`], at the
//! block its phase ends. A block holds at most [`Config::MaxDeadlinesPerBlock`] entries; a
//! task scheduled into a full block takes the next block with room (its phase is then that
//! much longer, and `TaskInfo::phase_ends` records the real deadline). With at most
//! [`Config::MaxActiveTasks`] live tasks a free slot is always found within
//! `MaxActiveTasks / MaxDeadlinesPerBlock + 1` blocks. `on_initialize` therefore processes
//! at most `MaxDeadlinesPerBlock` transitions, the heaviest being a round start or a task
//! end over [`Config::MaxParticipants`] participants; both are benchmarked.
//!
//! *Escrow.* The pool is held on the owner's account under [`HoldReason::RewardPool`]
//! (native token). The shape of [`RewardPool`] (an asset kind plus an amount) leaves room
//! for a `pallet-assets` asset held through `fungibles::MutateHold`. Invariant (checked in
//! `try_state`): per owner, the balance held for reward pools equals the sum of the
//! `remaining` budgets of that owner's live tasks.
//!
//! *Storage.* Creating a task holds a storage deposit from its owner besides the pool
//! ([`HoldReason::TaskDeposit`], [`Pallet::task_deposit`]: a base, per byte of the spec, per
//! round). When a task has ended, its records stay for [`Config::RecordRetention`] blocks;
//! then `on_idle` prunes them with the weight blocks leave unused (this pallet's rounds and
//! updates, the lifecycle side's through [`RoundLifecycle::prune_task_records`], the task
//! last) and releases the deposit ([`Event::TaskPruned`]).
//!
//! ## Terms
//!
//! - **Task**: one federated training job with its fixed parameters and pool.
//! - **Round**: Training, then aggregation commit/reveal per subgroup (carrying the vote on
//!   the previous round's global model); the last round then votes on its own global model
//!   in GlobalCommit/GlobalReveal. Rounds are indexed from 0.
//! - **Snapshot**: the participants of a round, fixed at its start.
//! - **Subgroup**: at most G participants whose updates are aggregated together by Q
//!   evaluators.
//! - **Update**: `(cid, commitment, num_samples)` submitted once per participant per round.
//! - **Remaining budget**: the part of the pool not yet paid, burned or refunded.
//!
//! ## Code layout
//!
//! By mechanism, as pallet-referenda keeps its branch logic apart. `lib.rs` holds the
//! configuration, storage, events, errors, hooks, calls and `do_try_state`; the rest is:
//!
//! - `lifecycle.rs`: the deadline schedule and the phase state machine run by
//!   `on_initialize`, including the round start (snapshot, shuffle, subgroups);
//! - `escrow.rs`: the held reward pool: payments and burns through
//!   [`din_primitives::TaskEscrow`], the refund and lock release when a task ends;
//! - `pruning.rs`: the task deposit and the pruning of an ended task's records after
//!   [`Config::RecordRetention`], in `on_idle`;
//! - `secure.rs`: a secure-aggregation round's key, upload and hand-over steps;
//! - `inspect.rs`: the read side: [`din_primitives::TaskInspect`] for the evaluation
//!   pallet and the helpers behind the runtime API.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

mod escrow;
mod inspect;
mod lifecycle;
pub mod migrations;
mod pruning;
pub mod runtime_api;
mod secure;
pub mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use types::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use din_primitives::{
	AssetId, BondLocker, Perbill, Role, RoundLifecycle, StakeInfo, TaskEscrow, TaskInspect,
	TaskTerms, UpdateRef,
};
use polkadot_sdk::{
	frame_support::{
		self, ensure,
		pallet_prelude::*,
		traits::{
			fungible::{self, MutateHold},
			fungibles,
			tokens::{Fortitude, Precision, Restriction},
			Contains, Randomness,
		},
	},
	frame_system::{self, pallet_prelude::*},
	sp_runtime::{
		traits::{Saturating, Zero},
		DispatchError,
	},
};

const LOG_TARGET: &str = "runtime::din-tasks";

/// What the benchmarks need from the runtime to fund a pool in an asset.
#[cfg(feature = "runtime-benchmarks")]
pub trait PoolBenchmarkHelper<AccountId, Balance> {
	/// The asset benchmarked pools are in.
	fn pool_asset() -> RewardAsset;
	/// Give `who` `amount` of [`Self::pool_asset`] (creating the asset if need be).
	fn fund(who: &AccountId, amount: Balance);
}

#[cfg(feature = "runtime-benchmarks")]
impl<AccountId, Balance> PoolBenchmarkHelper<AccountId, Balance> for () {
	fn pool_asset() -> RewardAsset {
		RewardAsset::Native
	}
	fn fund(_: &AccountId, _: Balance) {}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(3);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Default configurations of this pallet, for `#[derive_impl(..)]`.
	pub mod config_preludes {
		use super::*;
		use frame_support::{
			derive_impl, parameter_types,
			traits::{ConstU32, ConstU64},
		};

		parameter_types! {
			/// The mocks' bound on a task's slash fraction.
			pub const TestMaxSlash: Perbill = Perbill::from_percent(50);
			/// The mocks' floor on a task's evaluator fee.
			pub const TestMinEvaluatorFee: Perbill = Perbill::from_percent(1);
			/// The mocks' floor on a task's baseline margin.
			pub const TestMinBaselineMargin: Perbill = Perbill::from_percent(1);
			/// The mocks' bound on a deadline carrying two transitions: a tenth of a second.
			pub const TestTransitionWeight: Weight = Weight::from_parts(100_000_000_000, u64::MAX);
		}

		/// The mocks' configuration: a `u64` balance and block number, small bounds
		/// (16 participants, subgroups of 4, 4 rounds, phases of 1 to 100 blocks), no
		/// lifecycle hook. A mock sets `Currency`, `Staking` and `Randomness` and overrides
		/// what its tests are about.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			#[inject_runtime_type]
			type RuntimeHoldReason = ();
			type Lifecycle = ();
			type MinRewardPool = ConstU64<100>;
			type MinAssetRewardPool = ConstU32<100>;
			type MaxArchitectureLen = ConstU32<64>;
			type MaxParticipants = ConstU32<16>;
			type MaxSubgroupSize = ConstU32<4>;
			type MaxEvaluatorsPerSubgroup = ConstU32<5>;
			type MaxRounds = ConstU32<4>;
			type MinPhaseLength = ConstU64<1>;
			type MaxPhaseLength = ConstU64<100>;
			type MaxActiveTasks = ConstU32<4>;
			type MaxDeadlinesPerBlock = ConstU32<2>;
			type MaxRoundDeferrals = ConstU32<3>;
			type MaxReleasesPerBlock = ConstU32<16>;
			type TransitionWeight = TestTransitionWeight;
			type MaxSamplesPerUpdate = ConstU64<{ 1 << 32 }>;
			type MaxSlash = TestMaxSlash;
			type MinEvaluatorFee = TestMinEvaluatorFee;
			type MinBaselineMargin = TestMinBaselineMargin;
			type ShuffleLookback = ConstU64<0>;
			type TaskDepositBase = ConstU64<10>;
			type TaskDepositPerByte = ConstU64<0>;
			type TaskDepositPerRound = ConstU64<5>;
			type RecordRetention = ConstU64<10>;
			type WeightInfo = ();
			#[cfg(feature = "runtime-benchmarks")]
			type BenchmarkHelper = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: polkadot_sdk::frame_system::Config {
		/// The currency reward pools are held in (the native token).
		#[pallet::no_default]
		type Currency: fungible::Inspect<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The assets a reward pool can be funded in besides the native token
		/// ([`RewardAsset::Asset`]): in din-runtime pallet-assets through pallet-assets-holder,
		/// whose holds keep such a pool on the owner's account as [`Config::Currency`]'s holds
		/// keep a native one. Same balance type as the native token.
		#[pallet::no_default]
		type Assets: fungibles::Inspect<Self::AccountId, AssetId = AssetId, Balance = BalanceOf<Self>>
			+ fungibles::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// Smallest reward pool in an asset, as a multiple of that asset's minimum balance
		/// (the asset counterpart of [`Config::MinRewardPool`], which is in native units;
		/// storage is priced by the native task deposit either way). A payout below the
		/// minimum balance to an account without the asset fails and stays in the pool, so
		/// a pool of a few minimum balances would pay hardly anyone.
		#[pallet::constant]
		type MinAssetRewardPool: Get<u32>;

		/// The assets a pool may be funded in. An asset's admin can freeze its holders, and a
		/// payout to a frozen account stays in the pool and is refunded: an owner that issued
		/// its pool's asset could freeze its payees and keep their rewards. So only assets
		/// whose issuers the chain trusts qualify (in din-runtime: the sufficient ones, which
		/// only the `ForceOrigin` creates or marks).
		#[pallet::no_default]
		type RewardAssets: Contains<AssetId>;

		/// The asset benchmarked pools are funded in: the runtime's heaviest escrow path
		/// (an asset's holds touch more storage than the native token's), or the native token
		/// (`()`).
		#[cfg(feature = "runtime-benchmarks")]
		#[pallet::no_default_bounds]
		type BenchmarkHelper: PoolBenchmarkHelper<Self::AccountId, BalanceOf<Self>>;

		/// The overarching hold reason, which [`HoldReason`] converts into.
		#[pallet::no_default_bounds]
		type RuntimeHoldReason: From<HoldReason>;

		/// Bonds: read, and locked while a participant is in a task (pallet-din-staking).
		#[pallet::no_default]
		type Staking: StakeInfo<Self::AccountId, BalanceOf<Self>>
			+ BondLocker<Self::AccountId, BalanceOf<Self>>;

		/// Randomness for the subgroup shuffle. In din-runtime: BABE's
		/// `RandomnessFromOneEpochAgo`, which no block author of the round can bias.
		#[pallet::no_default]
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// How long before the block since which a shuffle's randomness is known its
		/// participants must have joined (see [`Participant`]). Zero where the randomness
		/// cannot be influenced before it is known; in din-runtime one epoch, as for
		/// sortition.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type ShuffleLookback: Get<BlockNumberFor<Self>>;

		/// Hooks into the round lifecycle (pallet-din-evaluation; `()` lets evaluation phases
		/// time out).
		type Lifecycle: RoundLifecycle;

		/// Smallest reward pool, in the currency's smallest unit. At least the existential
		/// deposit; it prices the storage of a task (spec, rounds, updates), so it must be
		/// large enough that creating tasks is no cheap storage spam.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type MinRewardPool: Get<BalanceOf<Self>>;

		/// Most bytes of a model architecture descriptor. Bounds `TaskInfo` (read by every
		/// call on a task). Non-zero; a few KiB.
		#[pallet::constant]
		type MaxArchitectureLen: Get<u32>;

		/// Most participants per task. Bounds the snapshot, the shuffle and the assignment
		/// writes of a round start, and the unlocks of a task end — the heaviest
		/// `on_initialize` work. Non-zero and at least `MaxSubgroupSize`.
		#[pallet::constant]
		type MaxParticipants: Get<u32>;

		/// Largest subgroup size G a task may ask for. Non-zero.
		#[pallet::constant]
		type MaxSubgroupSize: Get<u32>;

		/// Most evaluators per subgroup Q a task may ask for. Non-zero; bounds the
		/// evaluation pallet's per-subgroup commit-reveal storage.
		#[pallet::constant]
		type MaxEvaluatorsPerSubgroup: Get<u32>;

		/// Most rounds per task. Non-zero; bounds the round and update records a task keeps
		/// (`MaxRounds × MaxParticipants` updates).
		#[pallet::constant]
		type MaxRounds: Get<u32>;

		/// Shortest phase, in blocks. Non-zero: a phase must outlive at least one block so
		/// transactions can land in it.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type MinPhaseLength: Get<BlockNumberFor<Self>>;

		/// Longest phase, in blocks; at least `MinPhaseLength`. Bounds how long a pool and
		/// the participants' bonds can be tied up per phase.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type MaxPhaseLength: Get<BlockNumberFor<Self>>;

		/// Most live (not finished, not cancelled) tasks. Non-zero; with
		/// `MaxDeadlinesPerBlock` it bounds the search for a free deadline slot.
		#[pallet::constant]
		type MaxActiveTasks: Get<u32>;

		/// Most phase transitions processed in one block. Non-zero; `on_initialize` costs at
		/// most this many round starts / task ends over `MaxParticipants`.
		#[pallet::constant]
		type MaxDeadlinesPerBlock: Get<u32>;

		/// Most participants whose bond a task end releases in one block; the rest go in the
		/// next blocks, the ended task keeping its deadline slot (and its place in
		/// `ActiveTasks`) until the last is out. Non-zero; bounds a task end's block at
		/// `on_initialize_finish(MaxReleasesPerBlock)` whatever `MaxParticipants` is.
		#[pallet::constant]
		type MaxReleasesPerBlock: Get<u32>;

		/// The most one deadline may weigh when it would carry two transitions: a round start
		/// that would push the previous round's settlement past it starts one block
		/// later (the task waits in Registration meanwhile), so the two never share a block
		/// above it.
		#[pallet::constant]
		type TransitionWeight: Get<Weight>;

		/// Times a task's first round may be deferred (too few participants, or the
		/// lifecycle hook refused it) before the task expires: it is cancelled and its pool
		/// refunded at the next retry. Bounds how long a task that never starts holds an
		/// active-task slot and a deadline slot.
		#[pallet::constant]
		type MaxRoundDeferrals: Get<u32>;

		/// Largest sample cap a task may set ([`TaskSpec::max_samples`]). An update's sample
		/// count is its weight in the sample-weighted rules, and the rules sum the counts of
		/// every update of a round: `MaxSamplesPerUpdate × MaxParticipants` must fit `u64`,
		/// so no round's sum can overflow. Non-zero.
		#[pallet::constant]
		type MaxSamplesPerUpdate: Get<u64>;

		/// Largest slash fraction a task may set (`fees.slash`). The owner picks the
		/// fraction, and evaluators cannot decline a draw: without a bound an owner could
		/// take a drawn evaluator's whole bond for one missed reveal.
		#[pallet::constant]
		type MaxSlash: Get<Perbill>;

		/// Smallest evaluator fee a task may set (`fees.evaluator_fee`). Drawn evaluators
		/// cannot decline a seat and are slashed for a duty they skip: without a floor an
		/// owner could have the pool aggregate and prove for nothing.
		#[pallet::constant]
		type MinEvaluatorFee: Get<Perbill>;

		/// Smallest baseline margin a task may set (`fees.baseline_margin`). A score is a
		/// test-set accuracy with sampling noise: with no margin an honest update that
		/// scores a hair below the baseline would be slashed `BelowBaseline`, its share
		/// kept from it.
		#[pallet::constant]
		type MinBaselineMargin: Get<Perbill>;

		/// Part of the storage deposit held from a task's owner at [`Pallet::create_task`]
		/// for the records every task leaves (its own, its schedule, the evaluation side's
		/// test key), released when they are pruned ([`Config::RecordRetention`]). Without it
		/// a task is permanent state bought with a refundable pool.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type TaskDepositBase: Get<BalanceOf<Self>>;

		/// Part of the task deposit per byte of the encoded [`TaskSpec`] (the architecture
		/// descriptor and the CIDs make most of the task's own record).
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type TaskDepositPerByte: Get<BalanceOf<Self>>;

		/// Part of the task deposit per round: each round leaves a round record, subgroup
		/// results and a global model until the task is pruned. [`Pallet::extend_task`]
		/// holds it for the added rounds.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type TaskDepositPerRound: Get<BalanceOf<Self>>;

		/// How long the records of an ended (finished, cancelled or expired) task stay on
		/// chain for clients, explorers and late readers before `on_idle` prunes them and
		/// releases the task deposit. Pruning only uses weight a block leaves unused.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type RecordRetention: Get<BlockNumberFor<Self>>;

		/// Weight information for the calls and hooks of this pallet.
		type WeightInfo: WeightInfo;
	}

	/// The next task id.
	#[pallet::storage]
	pub type NextTaskId<T: Config> = StorageValue<_, TaskId, ValueQuery>;

	/// Number of live tasks (bounded by `MaxActiveTasks`).
	#[pallet::storage]
	pub type ActiveTasks<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Every task, live or ended.
	#[pallet::storage]
	pub type Tasks<T: Config> = StorageMap<_, Twox64Concat, TaskId, TaskInfoOf<T>, OptionQuery>;

	/// The participants that joined a live task (the next snapshot).
	#[pallet::storage]
	pub type Participants<T: Config> =
		StorageMap<_, Twox64Concat, TaskId, ParticipantsOf<T>, ValueQuery>;

	/// The record of each round of each task.
	#[pallet::storage]
	pub type Rounds<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		TaskId,
		Twox64Concat,
		RoundIndex,
		RoundInfoOf<T>,
		OptionQuery,
	>;

	/// The members of each subgroup of the current round of a task.
	#[pallet::storage]
	pub type Subgroups<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		TaskId,
		Twox64Concat,
		SubgroupIndex,
		SubgroupOf<T>,
		ValueQuery,
	>;

	/// The subgroup of each participant in the current (recorded) round of a task.
	#[pallet::storage]
	pub type Assignments<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		TaskId,
		Blake2_128Concat,
		T::AccountId,
		Assignment,
		OptionQuery,
	>;

	/// Submitted updates by (task, round) and participant.
	#[pallet::storage]
	pub type Updates<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		(TaskId, RoundIndex),
		Blake2_128Concat,
		T::AccountId,
		UpdateOf<T>,
		OptionQuery,
	>;

	/// How many times the first round of a live task was deferred (absent: never).
	#[pallet::storage]
	pub type RoundDeferrals<T: Config> = StorageMap<_, Twox64Concat, TaskId, u32, ValueQuery>;

	/// The storage deposit held from each task's owner ([`HoldReason::TaskDeposit`]),
	/// released when the task's records are pruned. Tasks created before deposits (storage
	/// version 1) have none.
	#[pallet::storage]
	pub type TaskDeposits<T: Config> =
		StorageMap<_, Twox64Concat, TaskId, BalanceOf<T>, OptionQuery>;

	/// Ended tasks whose records wait to be pruned, in the order they ended, each with the
	/// block from which it may be: a queue, from the first index of [`PruneQueueBounds`] to
	/// the one before the second. The retention is one constant, so the order the tasks
	/// ended in is the order they fall due in, and `on_idle` only ever looks at the front.
	#[pallet::storage]
	pub type PruneQueue<T: Config> =
		StorageMap<_, Twox64Concat, u32, PruneEntry<BlockNumberFor<T>>, OptionQuery>;

	/// The front of [`PruneQueue`] and the index its next entry takes (equal: empty).
	#[pallet::storage]
	pub type PruneQueueBounds<T: Config> = StorageValue<_, (u32, u32), ValueQuery>;

	/// The share key each participant of a secure-aggregation task registered (its shares
	/// are sealed to it), and the block it was registered in: a key counts from the next
	/// round that starts after it.
	#[pallet::storage]
	pub type ShareKeys<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		TaskId,
		Blake2_128Concat,
		T::AccountId,
		([u8; 32], BlockNumberFor<T>),
		OptionQuery,
	>;

	/// The round keys, self-seed commitments and sealed shares the members of secure
	/// subgroups advertised, by (task, round) and member.
	#[pallet::storage]
	pub type RoundKeys<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		(TaskId, RoundIndex),
		Blake2_128Concat,
		T::AccountId,
		RoundKey,
		OptionQuery,
	>;

	/// The shares each member of a secure subgroup that uploaded handed over, by (task,
	/// round) and member.
	#[pallet::storage]
	pub type Handovers<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		(TaskId, RoundIndex),
		Blake2_128Concat,
		T::AccountId,
		Handover,
		OptionQuery,
	>;

	/// Where each secure subgroup is in its round, by (task, round) and subgroup.
	#[pallet::storage]
	pub type SecureRounds<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		(TaskId, RoundIndex),
		Twox64Concat,
		SubgroupIndex,
		SecureProgress,
		ValueQuery,
	>;

	/// How many secure subgroups of a round have every hand-over in.
	#[pallet::storage]
	pub type SecureSubgroupsDone<T: Config> =
		StorageMap<_, Twox64Concat, (TaskId, RoundIndex), u32, ValueQuery>;

	/// The tasks whose phase ends at a block.
	#[pallet::storage]
	pub type Deadlines<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<TaskId, T::MaxDeadlinesPerBlock>,
		ValueQuery,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `owner` created `task` with `rounds` rounds and `reward` of `asset` held;
		/// registration ends at `registration_ends`.
		TaskCreated {
			task: TaskId,
			owner: T::AccountId,
			rounds: RoundIndex,
			asset: RewardAsset,
			reward: BalanceOf<T>,
			registration_ends: BlockNumberFor<T>,
		},
		/// The owner extended `task` to `rounds` rounds in all and added `top_up` to its pool.
		TaskExtended { task: TaskId, rounds: RoundIndex, top_up: BalanceOf<T> },
		/// The owner ended the training of `task` after its current round `round`: Scoring
		/// follows it.
		TrainingEndsAfterRound { task: TaskId, round: RoundIndex },
		/// `round` of `task`, whose privacy policy asks every update to be privatized,
		/// started: with it the task's rounds spend `epsilon` (thousandths) of the policy's
		/// budget, for every participant that trains in all of them.
		PrivacySpent { task: TaskId, round: RoundIndex, epsilon: u64 },
		/// `owner` cancelled `task` before its first round and got `refund` back.
		TaskCancelled { task: TaskId, owner: T::AccountId, round: RoundIndex, refund: BalanceOf<T> },
		/// The first round of `task` was deferred `deferrals` times and could not start at
		/// the next retry either: the task is cancelled and `owner` got `refund` back.
		TaskExpired { task: TaskId, owner: T::AccountId, deferrals: u32, refund: BalanceOf<T> },
		/// `who` joined `task`; it is in the snapshot of `round` onwards, or of a later round
		/// if `round`'s randomness is known too soon after the join.
		ParticipantJoined { task: TaskId, round: RoundIndex, who: T::AccountId },
		/// `who` left `task` before `round` started; its lock is released when the round
		/// starts (or the task ends).
		ParticipantLeft { task: TaskId, round: RoundIndex, who: T::AccountId },
		/// `round` of `task` started with `participants` in `subgroups` subgroups; Training
		/// ends at `training_ends`.
		RoundStarted {
			task: TaskId,
			round: RoundIndex,
			participants: u32,
			subgroups: SubgroupIndex,
			training_ends: BlockNumberFor<T>,
		},
		/// `round` of `task` could not start: `participants` joined in time for its shuffle,
		/// `required` needed. Retried at `retry_at`.
		RoundDeferred {
			task: TaskId,
			round: RoundIndex,
			participants: u32,
			required: u32,
			retry_at: BlockNumberFor<T>,
		},
		/// The lifecycle hook (evaluation) refused to start `round` of `task` with `error`.
		/// Retried at `retry_at`.
		RoundStartRefused {
			task: TaskId,
			round: RoundIndex,
			error: DispatchError,
			retry_at: BlockNumberFor<T>,
		},
		/// The end of `phase` of `round` carries more work than a block holds: `task` stays in
		/// `phase` and continues at block `until`.
		PhaseHeld { task: TaskId, round: RoundIndex, phase: TaskPhase, until: BlockNumberFor<T> },
		/// `task` entered `phase` of `round`, ending at `ends`.
		PhaseChanged { task: TaskId, round: RoundIndex, phase: TaskPhase, ends: BlockNumberFor<T> },
		/// Every submission `phase` of `round` of `task` expects is in: the phase ends at `ends`
		/// instead of its deadline (this block when its end does no work, a `PhaseChanged`
		/// following at once; else the next block).
		PhaseClosedEarly {
			task: TaskId,
			round: RoundIndex,
			phase: TaskPhase,
			ends: BlockNumberFor<T>,
		},
		/// `who` submitted an update for `round` of `task`, trained from the model of round
		/// `trained_from` (`round` itself unless the update is stale).
		UpdateSubmitted {
			task: TaskId,
			round: RoundIndex,
			who: T::AccountId,
			subgroup: SubgroupIndex,
			cid: Cid,
			commitment: Commitment,
			num_samples: u64,
			trained_from: RoundIndex,
		},
		/// `who` registered the share key `key` for the secure-aggregation `task`; it counts
		/// from the next round start.
		ShareKeyRegistered { task: TaskId, who: T::AccountId, key: [u8; 32] },
		/// `who`, eligible member `member` of `subgroup`, advertised its round key and sealed
		/// shares for `round` of the secure-aggregation `task`.
		RoundKeyAdvertised {
			task: TaskId,
			round: RoundIndex,
			who: T::AccountId,
			subgroup: SubgroupIndex,
			member: u32,
		},
		/// `who` of `subgroup` handed over `shares` shares for `round` of `task`.
		SharesHandedOver {
			task: TaskId,
			round: RoundIndex,
			who: T::AccountId,
			subgroup: SubgroupIndex,
			shares: u32,
		},
		/// `task` finished after `round`; `refund` of the pool went back to `owner`.
		TaskFinished { task: TaskId, owner: T::AccountId, round: RoundIndex, refund: BalanceOf<T> },
		/// The ended `task` released the bonds of `released` participants; `remaining` wait for
		/// the next blocks (at most `MaxReleasesPerBlock` go per block).
		ParticipantsReleased { task: TaskId, released: u32, remaining: u32 },
		/// `amount` of the pool of `task` was paid to `who` (by the rewards pallet).
		PoolPaid { task: TaskId, round: RoundIndex, who: T::AccountId, amount: BalanceOf<T> },
		/// `amount` of the pool of `task` was burned (protocol fee).
		PoolBurned { task: TaskId, round: RoundIndex, owner: T::AccountId, amount: BalanceOf<T> },
		/// `owner` was held `deposit` for the storage `task` takes until it is pruned.
		TaskDepositHeld { task: TaskId, owner: T::AccountId, deposit: BalanceOf<T> },
		/// Every record of `task` is pruned; `owner` got its `deposit` back. The settlement
		/// summary (pallet-din-rewards' `Settlements`) and the events stay.
		TaskPruned { task: TaskId, owner: T::AccountId, deposit: BalanceOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The model architecture descriptor is empty.
		EmptyArchitecture,
		/// The model hash is not `sha2_256(architecture)`.
		ModelHashMismatch,
		/// The genesis model CID is empty.
		EmptyGenesisCid,
		/// The genesis model commitment is zero.
		ZeroGenesisCommitment,
		/// The test-set commitment is zero.
		ZeroTestSetCommitment,
		/// The encrypted test-set CID is empty.
		EmptyTestSetCid,
		/// The commitment to the test-set key is zero.
		ZeroTestKeyHash,
		/// A `ZkAccuracy` task names no proving key (`test_set.proving_key_cid`).
		EmptyProvingKeyCid,
		/// The reward pool is below `MinRewardPool` (native), or below `MinAssetRewardPool`
		/// times the asset's minimum balance.
		RewardPoolTooLow,
		/// The task asks for zero rounds.
		ZeroRounds,
		/// The task asks for more than `MaxRounds` rounds.
		TooManyRounds,
		/// A phase is shorter than `MinPhaseLength`.
		PhaseTooShort,
		/// A phase is longer than `MaxPhaseLength`.
		PhaseTooLong,
		/// The subgroup size G is zero.
		ZeroSubgroupSize,
		/// The subgroup size G exceeds `MaxSubgroupSize`.
		SubgroupTooLarge,
		/// The evaluators per subgroup Q is zero.
		ZeroEvaluators,
		/// Q exceeds `MaxEvaluatorsPerSubgroup`.
		TooManyEvaluators,
		/// The minimum number of participants is zero.
		ZeroMinParticipants,
		/// The minimum number of participants exceeds `MaxParticipants`.
		MinParticipantsTooHigh,
		/// The task's participant bond is below the chain-wide minimum.
		ParticipantBondBelowMinimum,
		/// The task's evaluator bond is below the chain-wide minimum.
		EvaluatorBondBelowMinimum,
		/// `TrimmedMean` must trim less than half at each end.
		InvalidTrimFraction,
		/// Krum needs `2f + 2 < G`.
		InvalidKrumParameter,
		/// Multi-Krum needs `1 <= m <= G - f`.
		InvalidMultiKrumSelection,
		/// The verifying key hash of `ZkAccuracy` is zero.
		ZeroVerifyingKey,
		/// The `Median` scoring threshold is zero.
		ZeroScoreThreshold,
		/// Evaluator fee plus protocol fee exceed 100%.
		FeesTooHigh,
		/// The per-update sample cap is zero.
		ZeroSampleCap,
		/// `fees.slash` exceeds `Config::MaxSlash`.
		SlashTooHigh,
		/// The per-update sample cap exceeds `Config::MaxSamplesPerUpdate`.
		SampleCapTooHigh,
		/// `MaxActiveTasks` tasks are live already.
		TooManyActiveTasks,
		/// The owner cannot cover the reward pool.
		InsufficientFunds,
		/// The owner cannot cover the task's storage deposit on top of its reward pool.
		InsufficientBalanceForDeposit,
		/// No task with this id.
		UnknownTask,
		/// The task does not accept participants any more.
		TaskNotOpen,
		/// The caller already joined the task (or left it, and its entry stays until the
		/// first round starts).
		AlreadyJoined,
		/// The task has `MaxParticipants` participants.
		TooManyParticipants,
		/// The caller's free participant bond is below the task's minimum, or below the
		/// chain's minimum participant bond as it stands now.
		StakeTooLow,
		/// The caller is not a participant of the task.
		NotParticipant,
		/// Only the task owner may do this.
		NotOwner,
		/// The first round has started: the task can no longer be cancelled, nor left.
		TaskAlreadyStarted,
		/// The task has finished or was cancelled.
		TaskEnded,
		/// Updates are only accepted during Training.
		NotTraining,
		/// The round is not the task's current round.
		WrongRound,
		/// The caller has no subgroup in this round.
		NotAssigned,
		/// The caller already submitted an update this round.
		AlreadySubmitted,
		/// The update claims zero training samples.
		ZeroSamples,
		/// The update claims more training samples than the task's cap
		/// ([`TaskSpec::max_samples`]).
		TooManySamples,
		/// The update CID is empty.
		EmptyCid,
		/// The update commitment is zero.
		ZeroCommitment,
		/// The payout exceeds the task's remaining budget.
		PoolExhausted,
		/// The caller already left the task; its entry stays until the first round starts.
		AlreadyLeft,
		/// `fees.evaluator_fee` is below `Config::MinEvaluatorFee`.
		EvaluatorFeeTooLow,
		/// `fees.baseline_margin` is below `Config::MinBaselineMargin`.
		BaselineMarginTooLow,
		/// Training is over (Scoring, Rewarding or ended): rounds can no longer change.
		TrainingOver,
		/// An extension's top-up would lower the pool per round: it must be at least the
		/// pool's share of the added rounds.
		TopUpTooSmall,
		/// Training can only be ended during a round (before the first, cancel the task).
		NotInRound,
		/// The current round is already the task's last.
		AlreadyLastRound,
		/// `CenteredClipping` needs a clipping radius `tau > 0`.
		ZeroClippingRadius,
		/// `CenteredClipping` runs 1 to `din_primitives::MAX_CLIPPING_ITERATIONS`
		/// iterations: each costs the off-chain worker two passes over the updates.
		InvalidClippingIterations,
		/// A privacy policy clips updates to a zero norm.
		ZeroClipNorm,
		/// A privacy policy adds no noise: it would count privacy it does not give.
		ZeroNoiseMultiplier,
		/// A privacy policy's `δ = 10^−k` needs `k` in
		/// `1..=din_primitives::privacy::MAX_DELTA_EXPONENT`.
		InvalidDeltaExponent,
		/// The task's rounds would spend more `ε` than its privacy policy's budget.
		PrivacyBudgetExceeded,
		/// A secure-aggregation subgroup needs at least `din_primitives::MIN_SECURE_SUBGROUP`
		/// members: a smaller sum would tell a member the others' updates.
		SecureSubgroupTooSmall,
		/// A secure-aggregation subgroup has at most `din_primitives::MAX_SECURE_SUBGROUP`
		/// members: each seals shares to every other one on chain.
		SecureSubgroupTooLarge,
		/// In a secure-aggregation task `G · max_samples` must stay below
		/// `din_primitives::SECURE_WEIGHT_LIMIT`, or the masked sum could wrap.
		SecureSampleCapTooHigh,
		/// A privacy policy's per-update bound cannot be checked on masked updates.
		PrivacyNeedsPlainUpdates,
		/// Secure aggregation needs the same members to submit within one round: a task
		/// with it must be [`Pacing::Synchronous`].
		SecureAggregationIsSynchronous,
		/// An asynchronous task's buffer must hold at least one update.
		ZeroBuffer,
		/// An asynchronous task's buffer cannot exceed `MaxParticipants`: no round could
		/// fill it.
		BufferTooLarge,
		/// An asynchronous task must accept updates at least one round stale.
		ZeroStaleness,
		/// An asynchronous task's staleness bound is above `din_primitives::MAX_STALENESS`.
		StalenessTooHigh,
		/// A stale update in a synchronous task: only an asynchronous task accepts updates
		/// trained from an earlier round's model.
		TaskIsSynchronous,
		/// A stale update must have trained from an earlier round's model (submit one
		/// trained from this round's with `submit_update`).
		NotStale,
		/// The update trained from a model more rounds back than the task's `max_staleness`.
		TooStale,
		/// A stale update must have trained from the model of a round after the
		/// participant's last update: one that submitted since had a newer model, and would
		/// be paid over an older one.
		TrainedBeforeItsLastUpdate,
		/// The task does not aggregate securely: it takes no keys or shares.
		NotSecureAggregation,
		/// An X25519 key of small order (all zeroes among them): every agreement with it is
		/// known to anyone, so no member could seal shares to, or mask against, its holder.
		SmallOrderKey,
		/// The caller registered its share key for this task already.
		ShareKeyAlreadyRegistered,
		/// The caller had no share key when the round started: it is not an eligible member.
		NoShareKey,
		/// The caller advertised its round key for this round already.
		AlreadyAdvertised,
		/// The round's key step is closed (every eligible member advertised, or its cutoff
		/// passed).
		KeyStepClosed,
		/// The round's key step is still open: masks must be made against the final key set.
		KeyStepOpen,
		/// The round's upload step is closed (every member that advertised uploaded, or its
		/// cutoff passed).
		UploadStepClosed,
		/// The round's upload step is still open: which members uploaded is not final.
		UploadStepOpen,
		/// Sealed shares are needed for exactly every other eligible member.
		WrongShareCount,
		/// The caller did not advertise a round key this round.
		NotAdvertised,
		/// Fewer than `din_primitives::MIN_SECURE_SUBGROUP` members of the subgroup
		/// advertised: an upload's mask would hide it from too few others.
		TooFewToMask,
		/// Only a member that uploaded hands over shares.
		NotUploaded,
		/// The caller handed over its shares for this round already.
		AlreadyHandedOver,
		/// Handed-over shares must be in strictly ascending order of their owners.
		SharesNotSorted,
		/// A handed-over share names a member that did not advertise a round key.
		UnknownShareOwner,
		/// The reward pool names an asset that does not exist.
		UnknownRewardAsset,
		/// The reward pool names an asset that may not fund pools (`Config::RewardAssets`).
		RewardAssetNotAllowed,
		/// A secure-aggregation task's Training is shorter than three `MinPhaseLength`s: each
		/// of its three steps (round keys, masked uploads, hand-overs) needs a phase's least
		/// length.
		SecureTrainingTooShort,
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The reward pool of a task, held on its owner's account.
		#[codec(index = 0)]
		RewardPool,
		/// The storage deposit of a task, held on its owner's account until its records
		/// are pruned.
		#[codec(index = 1)]
		TaskDeposit,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let due = Deadlines::<T>::take(now);
			let mut weight = T::WeightInfo::on_initialize_idle();
			for task in due {
				weight = weight.saturating_add(Self::advance(task, now));
			}
			weight
		}

		fn on_idle(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::prune_within(now, remaining)
		}

		fn integrity_test() {
			assert!(T::MaxArchitectureLen::get() > 0, "MaxArchitectureLen must be non-zero");
			assert!(T::MaxParticipants::get() > 0, "MaxParticipants must be non-zero");
			assert!(T::MaxSubgroupSize::get() > 0, "MaxSubgroupSize must be non-zero");
			assert!(
				T::MaxSubgroupSize::get() <= T::MaxParticipants::get(),
				"MaxSubgroupSize must not exceed MaxParticipants"
			);
			assert!(
				T::MaxEvaluatorsPerSubgroup::get() > 0,
				"MaxEvaluatorsPerSubgroup must be non-zero"
			);
			assert!(T::MaxRounds::get() > 0, "MaxRounds must be non-zero");
			assert!(T::MaxSamplesPerUpdate::get() > 0, "MaxSamplesPerUpdate must be non-zero");
			assert!(
				u128::from(T::MaxSamplesPerUpdate::get()) * u128::from(T::MaxParticipants::get())
					<= u128::from(u64::MAX),
				"MaxSamplesPerUpdate × MaxParticipants must fit u64"
			);
			assert!(!T::MinPhaseLength::get().is_zero(), "MinPhaseLength must be non-zero");
			assert!(
				T::MinPhaseLength::get() <= T::MaxPhaseLength::get(),
				"MinPhaseLength must not exceed MaxPhaseLength"
			);
			assert!(T::MaxActiveTasks::get() > 0, "MaxActiveTasks must be non-zero");
			assert!(T::MaxDeadlinesPerBlock::get() > 0, "MaxDeadlinesPerBlock must be non-zero");
			assert!(T::MaxReleasesPerBlock::get() > 0, "MaxReleasesPerBlock must be non-zero");
			assert!(
				T::MinRewardPool::get()
					>= <T::Currency as fungible::Inspect<T::AccountId>>::minimum_balance(),
				"MinRewardPool must be at least the existential deposit"
			);
			let smallest_prune = T::WeightInfo::on_idle_nothing_due().saturating_add(
				T::WeightInfo::on_idle_prune_round(1).max(T::WeightInfo::on_idle_task_pruned()),
			);
			assert!(
				smallest_prune
					.all_lte(<T as frame_system::Config>::BlockWeights::get().max_block / 4),
				"a pruning step must fit a quarter of an empty block, or no task is ever pruned"
			);
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
		/// Create a task from `spec` and hold its reward pool from the caller.
		///
		/// Origin: signed, the model owner. Every field of `spec` is validated (see
		/// [`TaskSpec::validate`]), and the evaluation side accepts its scoring rule
		/// ([`RoundLifecycle::on_task_created`]: a `ZkAccuracy` key must be registered, and
		/// stays so while the task lives). Registration ends `spec.phases.registration` blocks
		/// from now; then the first round starts if `spec.min_participants` have joined.
		///
		/// Emits [`Event::TaskCreated`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_task(spec.model.architecture.len() as u32))]
		pub fn create_task(origin: OriginFor<T>, spec: TaskSpecOf<T>) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			spec.validate(
				T::Staking::minimum_bond(Role::Participant),
				T::Staking::minimum_bond(Role::Evaluator),
			)?;
			ensure!(
				ActiveTasks::<T>::get() < T::MaxActiveTasks::get(),
				Error::<T>::TooManyActiveTasks
			);

			let task = NextTaskId::<T>::get();
			T::Lifecycle::on_task_created(task, &spec.scoring)?;
			let reward = spec.reward.amount;
			let asset = spec.reward.asset;
			Self::hold_pool(asset, &owner, reward).map_err(|_| Error::<T>::InsufficientFunds)?;
			let deposit = Self::task_deposit(&spec);
			T::Currency::hold(&HoldReason::TaskDeposit.into(), &owner, deposit)
				.map_err(|_| Error::<T>::InsufficientBalanceForDeposit)?;
			TaskDeposits::<T>::insert(task, deposit);
			let now = frame_system::Pallet::<T>::block_number();
			let registration_ends =
				Self::schedule(task, now.saturating_add(spec.phases.registration));
			let rounds = spec.rounds;
			Tasks::<T>::insert(
				task,
				TaskInfo {
					owner: owner.clone(),
					spec,
					phase: TaskPhase::Registration,
					round: 0,
					phase_ends: registration_ends,
					remaining: reward,
					created_at: now,
				},
			);
			NextTaskId::<T>::put(task.saturating_add(1));
			ActiveTasks::<T>::mutate(|n| n.saturating_inc());
			Self::deposit_event(Event::TaskCreated {
				task,
				owner: owner.clone(),
				rounds,
				asset,
				reward,
				registration_ends,
			});
			Self::deposit_event(Event::TaskDepositHeld { task, owner, deposit });
			Ok(())
		}

		/// Join `task` as a participant from its next round on.
		///
		/// Origin: signed, a participant whose unlocked participant bond covers the task's
		/// `min_participant_bond` and the chain's current minimum participant bond; the task's
		/// amount is locked until the caller leaves or the task ends. Open during Registration and every round phase.
		///
		/// Emits [`Event::ParticipantJoined`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::join_task())]
		pub fn join_task(origin: OriginFor<T>, task: TaskId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Tasks::<T>::get(task).ok_or(Error::<T>::UnknownTask)?;
			ensure!(
				info.phase == TaskPhase::Registration || info.phase.is_round_phase(),
				Error::<T>::TaskNotOpen
			);
			let bond = info.spec.min_participant_bond;
			let free = T::Staking::bonded(&who, Role::Participant)
				.saturating_sub(T::Staking::locked(&who, Role::Participant));
			// The chain's minimum may have been raised (by governance) since the task took
			// its own: a join from then on needs the raised one, in older tasks too.
			let required = bond.max(T::Staking::minimum_bond(Role::Participant));
			ensure!(free >= required, Error::<T>::StakeTooLow);
			let joined_at = frame_system::Pallet::<T>::block_number();
			Participants::<T>::try_mutate(task, |list| -> DispatchResult {
				ensure!(!list.iter().any(|p| p.who == who), Error::<T>::AlreadyJoined);
				list.try_push(Participant { who: who.clone(), joined_at, left_at: None })
					.map_err(|_| Error::<T>::TooManyParticipants)?;
				T::Staking::lock(&who, Role::Participant, bond)
			})?;
			let round = if info.phase == TaskPhase::Registration {
				info.round
			} else {
				info.round.saturating_add(1)
			};
			Self::deposit_event(Event::ParticipantJoined { task, round, who });
			Ok(())
		}

		/// Leave `task`: the caller takes no part in it, and the lock on its bond is released
		/// when the first round starts (or the task ends before).
		///
		/// Origin: signed, a participant of `task`. Only before the first round starts: from
		/// then on the lock backs the participant's updates until the task settles (an
		/// update is slashed `BelowBaseline` only at the end of Rewarding), so that nobody
		/// who took part can leave, unbond and withdraw before its slash.
		///
		/// The entry stays in the list until the round starts: a participant that leaves
		/// once the round's randomness is known keeps its place in the shuffle and leaves
		/// its seat empty, so that leaving cannot reshape the other participants' subgroups
		/// ([`Participant::in_shuffle`]). It cannot join again before then (`AlreadyJoined`).
		///
		/// Emits [`Event::ParticipantLeft`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::leave_task())]
		pub fn leave_task(origin: OriginFor<T>, task: TaskId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Tasks::<T>::get(task).ok_or(Error::<T>::UnknownTask)?;
			ensure!(!info.phase.is_terminal(), Error::<T>::TaskEnded);
			// Round 0 in Registration is the only state before the first round starts.
			ensure!(
				info.phase == TaskPhase::Registration && info.round == 0,
				Error::<T>::TaskAlreadyStarted
			);
			let now = frame_system::Pallet::<T>::block_number();
			Participants::<T>::try_mutate(task, |list| -> DispatchResult {
				let entry =
					list.iter_mut().find(|p| p.who == who).ok_or(Error::<T>::NotParticipant)?;
				ensure!(entry.is_active(), Error::<T>::AlreadyLeft);
				entry.left_at = Some(now);
				Ok(())
			})?;
			Self::deposit_event(Event::ParticipantLeft { task, round: info.round, who });
			Ok(())
		}

		/// Cancel `task` and refund its whole pool to the owner.
		///
		/// Origin: signed, the owner. Only before the first round started. Releases every
		/// participant's lock.
		///
		/// Emits [`Event::TaskCancelled`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::cancel_task(T::MaxParticipants::get()))]
		pub fn cancel_task(origin: OriginFor<T>, task: TaskId) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let mut info = Tasks::<T>::get(task).ok_or(Error::<T>::UnknownTask)?;
			ensure!(info.owner == who, Error::<T>::NotOwner);
			let next = info.phase.cancel().map_err(|e| match e {
				TransitionError::Terminal => Error::<T>::TaskEnded,
				TransitionError::NotCancellable => Error::<T>::TaskAlreadyStarted,
			})?;
			ensure!(!Rounds::<T>::contains_key(task, 0), Error::<T>::TaskAlreadyStarted);
			Deadlines::<T>::mutate(info.phase_ends, |d| d.retain(|t| *t != task));
			info.phase = next;
			let round = info.round;
			// Before round 0, so at most `MaxParticipants` locks, all released now: the
			// owner's transaction pays for them.
			let now = frame_system::Pallet::<T>::block_number();
			let (refund, participants) = Self::end_task(task, &mut info, now, u32::MAX);
			Tasks::<T>::insert(task, info);
			// The cancel_task benchmark runs the runtime's hook; its report adds nothing here.
			let _ = T::Lifecycle::on_task_end(task, TaskPhase::Cancelled);
			Self::deposit_event(Event::TaskCancelled { task, owner: who, round, refund });
			Ok(Some(T::WeightInfo::cancel_task(participants)).into())
		}

		/// Add `rounds` rounds to `task` and `top_up` to its pool, held from the owner.
		///
		/// Origin: signed, the owner. Before Scoring (during Registration or a round). The
		/// pool per round must not fall: `top_up` is at least the pool's share of the added
		/// rounds (`pool × rounds / spec.rounds`, rounded up), because participants, whose bonds
		/// stay locked until the task ends, joined for that pay per round; in all at most
		/// `MaxRounds` rounds.
		///
		/// Emits [`Event::TaskExtended`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::extend_task())]
		pub fn extend_task(
			origin: OriginFor<T>,
			task: TaskId,
			rounds: RoundIndex,
			top_up: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Tasks::<T>::get(task).ok_or(Error::<T>::UnknownTask)?;
			ensure!(info.owner == who, Error::<T>::NotOwner);
			ensure!(!info.phase.is_terminal(), Error::<T>::TaskEnded);
			ensure!(
				info.phase == TaskPhase::Registration || info.phase.is_round_phase(),
				Error::<T>::TrainingOver
			);
			ensure!(rounds > 0, Error::<T>::ZeroRounds);
			let total = info.spec.rounds.saturating_add(rounds);
			ensure!(total <= T::MaxRounds::get(), Error::<T>::TooManyRounds);
			if let Some(policy) = &info.spec.privacy {
				ensure!(
					policy.epsilon_after(total) <= u64::from(policy.epsilon_budget_milli),
					Error::<T>::PrivacyBudgetExceeded
				);
			}
			ensure!(
				top_up >= pool_share(info.spec.reward.amount, rounds, info.spec.rounds),
				Error::<T>::TopUpTooSmall
			);
			Self::hold_pool(info.spec.reward.asset, &who, top_up)
				.map_err(|_| Error::<T>::InsufficientFunds)?;
			// Tasks from before deposits pay none for their added rounds either.
			if let Some(deposit) = TaskDeposits::<T>::get(task) {
				let more = T::TaskDepositPerRound::get().saturating_mul(rounds.into());
				T::Currency::hold(&HoldReason::TaskDeposit.into(), &who, more)
					.map_err(|_| Error::<T>::InsufficientBalanceForDeposit)?;
				TaskDeposits::<T>::insert(task, deposit.saturating_add(more));
				Self::deposit_event(Event::TaskDepositHeld {
					task,
					owner: who.clone(),
					deposit: more,
				});
			}
			info.spec.rounds = total;
			info.spec.reward.amount = info.spec.reward.amount.saturating_add(top_up);
			info.remaining = info.remaining.saturating_add(top_up);
			Tasks::<T>::insert(task, info);
			Self::deposit_event(Event::TaskExtended { task, rounds: total, top_up });
			Ok(())
		}

		/// End the training of `task` after its current round: Scoring follows it, and the
		/// whole pool is shared by the contributions made so far.
		///
		/// Origin: signed, the owner. During a round that is not already the last.
		///
		/// Emits [`Event::TrainingEndsAfterRound`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::end_training())]
		pub fn end_training(origin: OriginFor<T>, task: TaskId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Tasks::<T>::get(task).ok_or(Error::<T>::UnknownTask)?;
			ensure!(info.owner == who, Error::<T>::NotOwner);
			ensure!(!info.phase.is_terminal(), Error::<T>::TaskEnded);
			ensure!(
				!matches!(info.phase, TaskPhase::Scoring | TaskPhase::Rewarding),
				Error::<T>::TrainingOver
			);
			ensure!(info.phase.is_round_phase(), Error::<T>::NotInRound);
			let round = info.round;
			ensure!(round.saturating_add(1) < info.spec.rounds, Error::<T>::AlreadyLastRound);
			info.spec.rounds = round.saturating_add(1);
			Tasks::<T>::insert(task, info);
			Self::deposit_event(Event::TrainingEndsAfterRound { task, round });
			Ok(())
		}

		/// Submit the caller's update for `round` of `task`.
		///
		/// Origin: signed, a participant assigned to a subgroup of `round`. Only during
		/// Training of that round, once. `cid` locates the update in the artifact store,
		/// `commitment` is the Poseidon commitment to its canonical encoding and
		/// `num_samples` the number of training samples behind it (the FedAvg weight), at most
		/// the task's `max_samples`. In a secure-aggregation task the update is the masked one
		/// (`commitment` binds its artifact), from a member that advertised its round key,
		/// during the upload step (`secure.rs`).
		///
		/// Emits [`Event::UpdateSubmitted`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::submit_update().max(T::WeightInfo::submit_masked_update()))]
		pub fn submit_update(
			origin: OriginFor<T>,
			task: TaskId,
			round: RoundIndex,
			cid: Cid,
			commitment: Commitment,
			num_samples: u64,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Tasks::<T>::get(task).ok_or(Error::<T>::UnknownTask)?;
			Self::do_submit(who, task, info, round, round, cid, commitment, num_samples)
		}

		/// Submit the caller's stale update for `round` of the asynchronous `task`: trained
		/// from the model of the earlier round `trained_from`, at most the task's
		/// `max_staleness` rounds back, by a participant too slow to submit within that
		/// round, which has submitted nothing since (from round `trained_from` on).
		/// Otherwise as [`Pallet::submit_update`]: assigned to a subgroup of `round`, during
		/// its Training, once per round. Its panel rebases it onto `round`'s model with its
		/// staleness weight, and it is paid that share of its accuracy over the model of
		/// `trained_from`.
		///
		/// Emits [`Event::UpdateSubmitted`].
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::submit_stale_update())]
		pub fn submit_stale_update(
			origin: OriginFor<T>,
			task: TaskId,
			round: RoundIndex,
			trained_from: RoundIndex,
			cid: Cid,
			commitment: Commitment,
			num_samples: u64,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Tasks::<T>::get(task).ok_or(Error::<T>::UnknownTask)?;
			let Pacing::Asynchronous { max_staleness, .. } = info.spec.pacing else {
				return Err(Error::<T>::TaskIsSynchronous.into());
			};
			ensure!(trained_from < round, Error::<T>::NotStale);
			ensure!(round - trained_from <= max_staleness, Error::<T>::TooStale);
			// At most `max_staleness` reads, bounded by `MAX_STALENESS`.
			ensure!(
				(trained_from..round).all(|r| !Updates::<T>::contains_key((task, r), &who)),
				Error::<T>::TrainedBeforeItsLastUpdate
			);
			Self::do_submit(who, task, info, round, trained_from, cid, commitment, num_samples)
		}

		/// Register the caller's share key for the secure-aggregation `task`: the X25519 key
		/// the other members of its subgroups seal their shares to. Once per task; it counts
		/// from the next round that starts.
		///
		/// Origin: signed, a participant of `task`.
		///
		/// Emits [`Event::ShareKeyRegistered`].
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::register_share_key())]
		pub fn register_share_key(
			origin: OriginFor<T>,
			task: TaskId,
			key: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_share_key(who, task, key)
		}

		/// Advertise the caller's round key for `round` of the secure-aggregation `task`, with
		/// the commitment to its self-mask seed and its Shamir shares sealed for every other
		/// eligible member of its subgroup (in member order, itself skipped).
		///
		/// Origin: signed, an eligible member of a subgroup of `round` (assigned, with a share
		/// key from before the round started). During the round's key step, once.
		///
		/// Emits [`Event::RoundKeyAdvertised`].
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::advertise_round_key())]
		pub fn advertise_round_key(
			origin: OriginFor<T>,
			task: TaskId,
			round: RoundIndex,
			public: [u8; 32],
			self_seed_commitment: [u8; 32],
			sealed: BoundedVec<SealedShares, MaxSealedShares>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_advertise(who, task, round, public, self_seed_commitment, sealed)
		}

		/// Hand over the caller's shares for `round` of the secure-aggregation `task`: for
		/// each member of its subgroup that advertised (ascending), the share of its self seed
		/// if it uploaded, else of its round key secret. A member whose sealed shares did not
		/// open for the caller is left out.
		///
		/// Origin: signed, a member that uploaded its masked update this round. Once the
		/// upload step is closed, once.
		///
		/// Emits [`Event::SharesHandedOver`], and ends Training at the next block once every
		/// subgroup's hand-overs are in.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::hand_over_shares())]
		pub fn hand_over_shares(
			origin: OriginFor<T>,
			task: TaskId,
			round: RoundIndex,
			shares: Handover,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_hand_over(who, task, round, shares)
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Record `who`'s update for `round` of `task`, trained from the model of round
	/// `trained_from` (`round` itself unless stale, which the caller has checked), and end
	/// Training at the next block once the round's updates are in: every assigned
	/// participant's, or an asynchronous task's buffer.
	#[allow(clippy::too_many_arguments)]
	fn do_submit(
		who: T::AccountId,
		task: TaskId,
		info: TaskInfoOf<T>,
		round: RoundIndex,
		trained_from: RoundIndex,
		cid: Cid,
		commitment: Commitment,
		num_samples: u64,
	) -> DispatchResult {
		ensure!(info.phase == TaskPhase::Training, Error::<T>::NotTraining);
		ensure!(info.round == round, Error::<T>::WrongRound);
		let assignment = Assignments::<T>::get(task, &who)
			.filter(|a| a.round == round)
			.ok_or(Error::<T>::NotAssigned)?;
		ensure!(!Updates::<T>::contains_key((task, round), &who), Error::<T>::AlreadySubmitted);
		ensure!(num_samples > 0, Error::<T>::ZeroSamples);
		ensure!(num_samples <= info.spec.max_samples, Error::<T>::TooManySamples);
		ensure!(!cid.is_empty(), Error::<T>::EmptyCid);
		ensure!(!commitment.is_zero(), Error::<T>::ZeroCommitment);

		let secure = info.spec.aggregation.is_secure();
		if secure {
			Self::record_masked_upload(&who, task, &info, round, assignment.subgroup)?;
		}
		let now = frame_system::Pallet::<T>::block_number();
		Updates::<T>::insert(
			(task, round),
			&who,
			UpdateInfo {
				subgroup: assignment.subgroup,
				cid: cid.clone(),
				commitment,
				num_samples,
				submitted_at: now,
				trained_from,
			},
		);
		let pacing = info.spec.pacing;
		let all_in = Rounds::<T>::mutate(task, round, |r| {
			r.as_mut().is_some_and(|r| {
				r.updates.saturating_inc();
				r.updates >= pacing.closes_after(r.participants)
			})
		});
		Self::deposit_event(Event::UpdateSubmitted {
			task,
			round,
			who,
			subgroup: assignment.subgroup,
			cid,
			commitment,
			num_samples,
			trained_from,
		});
		if all_in && !secure {
			// Nobody else of the round can submit, or an asynchronous round's buffer is
			// full: aggregation need not wait (a secure round waits for the hand-overs).
			Self::close_early(task, info, round, TaskPhase::Training, now);
		}
		Ok(())
	}

	/// Check the pallet's invariants:
	/// - per owner, the balance held for reward pools equals the sum of the remaining
	///   budgets of that owner's live tasks; ended tasks have nothing remaining;
	/// - `ActiveTasks` counts the live tasks and the ended ones still releasing bonds;
	/// - each of those has its deadline entry at `phase_ends`;
	/// - an assignment names a participant in the task's list; round records have at most as
	///   many updates as participants.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		let mut pools: BTreeMap<(T::AccountId, RewardAsset), BalanceOf<T>> = BTreeMap::new();
		let mut live = 0u32;
		for (task, info) in Tasks::<T>::iter() {
			let entry = pools.entry((info.owner.clone(), info.spec.reward.asset)).or_default();
			*entry = entry.saturating_add(info.remaining);
			let scheduled = Deadlines::<T>::get(info.phase_ends).contains(&task);
			let releasing = !Participants::<T>::get(task).is_empty();
			if info.phase.is_terminal() {
				ensure!(info.remaining.is_zero(), "an ended task keeps a budget");
			}
			if !info.phase.is_terminal() || releasing {
				live += 1;
				ensure!(scheduled, "a live or releasing task has no deadline entry");
			}
		}
		for ((owner, asset), remaining) in pools {
			let held = Self::pool_on_hold(asset, &owner);
			ensure!(held == remaining, "held reward pool differs from the remaining budgets");
		}
		Self::try_state_pruning()?;
		ensure!(live == ActiveTasks::<T>::get(), "ActiveTasks differs from the live tasks");
		for (task, who, _) in Assignments::<T>::iter() {
			ensure!(
				Participants::<T>::get(task).iter().any(|p| p.who == who),
				"an assignment outlives its participant's entry"
			);
		}
		for (_, _, info) in Rounds::<T>::iter() {
			ensure!(info.updates <= info.participants, "more updates than participants");
		}
		for (task, deferrals) in RoundDeferrals::<T>::iter() {
			let waiting = Tasks::<T>::get(task).is_some_and(|info| {
				info.round == 0
					&& info.phase == TaskPhase::Registration
					&& !Rounds::<T>::contains_key(task, 0)
			});
			ensure!(waiting, "deferrals counted for a task not waiting for its first round");
			ensure!(
				deferrals <= T::MaxRoundDeferrals::get(),
				"a first round deferred past MaxRoundDeferrals"
			);
		}
		Ok(())
	}
}
