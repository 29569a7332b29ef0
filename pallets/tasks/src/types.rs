//! SCALE types of pallet-din-tasks, their `…Of<T>` aliases and pure helpers (validation of a
//! task spec, the subgroup shuffle). The phase enum and its `Result`-returning transitions
//! live in `din-primitives` ([`TaskPhase`]) because the evaluation and rewards pallets read
//! it too; it is re-exported here.

use crate::{Config, Error};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
pub use din_primitives::{
	AggregationRule, Cid, Commitment, FeeParams, ModelRef, PrivacyPolicy, RewardAsset, RoundIndex,
	ScoringRule, SubgroupIndex, TaskId, TaskPhase, TransitionError,
};
use polkadot_sdk::{
	frame_support::{
		traits::{fungible, fungibles, Get},
		BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
	},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_core::H256,
	sp_io::hashing::{blake2_256, sha2_256},
	sp_runtime::{
		traits::{Saturating, Zero},
		Perbill,
	},
};
use scale_info::TypeInfo;

/// Balance of the currency reward pools are held in.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// The full description of a task, as the owner submits it.
pub type TaskSpecOf<T> = TaskSpec<T>;
/// A task as stored.
pub type TaskInfoOf<T> = TaskInfo<T>;
/// The joined participants of a task.
pub type ParticipantsOf<T> = BoundedVec<
	Participant<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>,
	<T as Config>::MaxParticipants,
>;
/// The members of one subgroup.
pub type SubgroupOf<T> =
	BoundedVec<<T as frame_system::Config>::AccountId, <T as Config>::MaxSubgroupSize>;
/// The round record of a task.
pub type RoundInfoOf<T> = RoundInfo<BlockNumberFor<T>>;
/// An update record.
pub type UpdateOf<T> = UpdateInfo<BlockNumberFor<T>>;
/// Phase lengths in blocks.
pub type PhaseLengthsOf<T> = PhaseLengths<BlockNumberFor<T>>;

/// The model being trained: an architecture descriptor (the canonical `ModelSpec` bytes of
/// `din-fl`, which `din-ml` builds models from) and its sha2-256 hash, which the
/// client checks before training.
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
pub struct ModelSpec<T: Config> {
	/// The architecture descriptor, at most `Config::MaxArchitectureLen` bytes.
	pub architecture: BoundedVec<u8, T::MaxArchitectureLen>,
	/// `sha2_256(architecture)`: the hash `din_fl::spec::ModelSpec::hash` computes
	/// off chain (see docs/canonical-encoding.md), so client and chain agree.
	pub hash: H256,
}

/// The owner's test set: committed now, its encrypted copy published now, its key released
/// at scoring time.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct TestSetRef {
	/// Commitment to the plaintext test set (a public input of the scoring proof).
	pub commitment: Commitment,
	/// CID of the encrypted test set.
	pub encrypted_cid: Cid,
	/// Commitment to the key that decrypts it (`din_fl::sealed_test_set::test_key_hash`):
	/// `release_test_key` accepts no other key.
	pub key_hash: H256,
	/// CID of the Groth16 proving key for this test set's circuit (`ZkAccuracy`; empty
	/// under `Median`). On chain so that evaluators need nothing from the owner but the
	/// spec, and can dispute the task when it is withheld or is not the registered
	/// verifying key's pair.
	pub proving_key_cid: Cid,
}

/// A participant of a task, the block it joined at and the block it asked to leave at.
///
/// A round's shuffle takes only participants that joined [`Config::ShuffleLookback`]
/// blocks before the block since which its randomness is known: whoever joins once the
/// outcome can be computed waits for a later round. Leaving is frozen the same way: a
/// participant that left after that point keeps its place in the shuffle (its seat stays
/// empty), so neither joining nor leaving can choose anyone's subgroup.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Participant<AccountId, BlockNumber> {
	/// The participant.
	pub who: AccountId,
	/// The block it joined at (zero: joined before the upgrade that introduced this
	/// record).
	pub joined_at: BlockNumber,
	/// The block it called [`crate::Pallet::leave_task`] at; the entry (and the bond's lock)
	/// stays until the first round starts or the task ends.
	pub left_at: Option<BlockNumber>,
}

impl<AccountId, BlockNumber> Participant<AccountId, BlockNumber>
where
	BlockNumber: polkadot_sdk::sp_runtime::traits::AtLeast32BitUnsigned + Copy,
{
	/// Whether this entry has a place in the shuffle of randomness known since
	/// `known_since`: it joined before the inputs froze and did not leave before.
	pub fn in_shuffle(&self, known_since: BlockNumber, lookback: BlockNumber) -> bool {
		let frozen = |at| din_primitives::joined_before_randomness(at, known_since, lookback);
		frozen(self.joined_at) && !self.left_at.is_some_and(frozen)
	}

	/// Whether it has not left.
	pub fn is_active(&self) -> bool {
		self.left_at.is_none()
	}
}

/// The reward pool a task escrows, in `asset` (see [`RewardAsset`]).
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
pub struct RewardPool<Balance> {
	/// Which asset pays the rewards.
	pub asset: RewardAsset,
	/// How much is held from the owner at creation.
	pub amount: Balance,
}

/// Length of each phase, in blocks.
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
pub struct PhaseLengths<BlockNumber> {
	/// Registration before the first round (and the retry delay when a round start is
	/// deferred).
	pub registration: BlockNumber,
	/// Training: participants submit updates.
	pub training: BlockNumber,
	/// Evaluators commit subgroup aggregates.
	pub aggregation_commit: BlockNumber,
	/// Evaluators reveal subgroup aggregates.
	pub aggregation_reveal: BlockNumber,
	/// Evaluators commit the next global model.
	pub global_commit: BlockNumber,
	/// Evaluators reveal the next global model.
	pub global_reveal: BlockNumber,
	/// Scoring of accepted updates after the last round: the owner releases the test-set
	/// key, evaluators prove scores or commit median scores.
	pub scoring: BlockNumber,
	/// Late proofs and median score reveals; the payout at its end.
	pub rewarding: BlockNumber,
}

impl<BlockNumber: Copy + Zero> PhaseLengths<BlockNumber> {
	/// Every phase `length` blocks long.
	pub fn uniform(length: BlockNumber) -> Self {
		Self {
			registration: length,
			training: length,
			aggregation_commit: length,
			aggregation_reveal: length,
			global_commit: length,
			global_reveal: length,
			scoring: length,
			rewarding: length,
		}
	}

	/// All lengths, for validation.
	pub fn all(&self) -> [BlockNumber; 8] {
		[
			self.registration,
			self.training,
			self.aggregation_commit,
			self.aggregation_reveal,
			self.global_commit,
			self.global_reveal,
			self.scoring,
			self.rewarding,
		]
	}

	/// How long `phase` lasts; zero for terminal phases.
	pub fn of(&self, phase: TaskPhase) -> BlockNumber {
		match phase {
			TaskPhase::Registration => self.registration,
			TaskPhase::Training => self.training,
			TaskPhase::AggregationCommit => self.aggregation_commit,
			TaskPhase::AggregationReveal => self.aggregation_reveal,
			TaskPhase::GlobalCommit => self.global_commit,
			TaskPhase::GlobalReveal => self.global_reveal,
			TaskPhase::Scoring => self.scoring,
			TaskPhase::Rewarding => self.rewarding,
			TaskPhase::Finished | TaskPhase::Cancelled => Zero::zero(),
		}
	}
}

/// Everything the owner fixes when creating a task. Every field is validated by
/// [`TaskSpec::validate`]; each violation is its own error.
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
pub struct TaskSpec<T: Config> {
	/// The model architecture and its hash.
	pub model: ModelSpec<T>,
	/// The genesis model: CID and commitment.
	pub genesis: ModelRef,
	/// The test set: commitment and encrypted CID.
	pub test_set: TestSetRef,
	/// The reward pool, held from the owner.
	pub reward: RewardPool<BalanceOf<T>>,
	/// Number of training rounds, `1..=Config::MaxRounds`.
	pub rounds: RoundIndex,
	/// Phase lengths, each in `Config::MinPhaseLength..=Config::MaxPhaseLength`.
	pub phases: PhaseLengthsOf<T>,
	/// Subgroup size G, `1..=Config::MaxSubgroupSize`.
	pub subgroup_size: u32,
	/// Evaluators per subgroup Q, `1..=Config::MaxEvaluatorsPerSubgroup`.
	pub evaluators_per_subgroup: u32,
	/// Participants needed to start a round, `1..=Config::MaxParticipants`.
	pub min_participants: u32,
	/// Bond a participant must have (and gets locked) to join; at least the chain minimum.
	pub min_participant_bond: BalanceOf<T>,
	/// Bond an evaluator must have to be drawn; at least the chain minimum.
	pub min_evaluator_bond: BalanceOf<T>,
	/// How subgroup updates are aggregated.
	pub aggregation: AggregationRule,
	/// The most training samples one update may claim, `1..=Config::MaxSamplesPerUpdate`.
	/// The count is self-reported and weighs the update in FedAvg and the subgroup's weight
	/// in the global model: the cap bounds how far one participant can tilt either.
	pub max_samples: u64,
	/// How accepted updates are scored.
	pub scoring: ScoringRule,
	/// Fees and penalties.
	pub fees: FeeParams,
	/// Differential privacy every update must be published under (`None`: updates are
	/// published as trained). The rounds may spend at most its `ε` budget.
	pub privacy: Option<PrivacyPolicy>,
	/// Whether a round waits for every participant ([`Pacing::Synchronous`]) or aggregates
	/// a buffer of updates, stale ones included ([`Pacing::Asynchronous`]).
	pub pacing: Pacing,
}

/// How a task's rounds wait for their participants.
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
pub enum Pacing {
	/// Every participant trains from the model its round starts with and submits within
	/// the round; Training closes once every assigned participant has submitted, or at its
	/// deadline. A participant slower than the deadline misses the round.
	#[default]
	Synchronous,
	/// Buffered asynchronous rounds (FedBuff): Training closes as soon as `buffer` updates
	/// are in, or at its deadline, and a participant may submit an update trained from the
	/// model of an earlier round, at most `max_staleness` rounds back
	/// ([`Pallet::submit_stale_update`](crate::Pallet::submit_stale_update)). Its panel
	/// rebases it onto its round's model, its delta weighted by `1 / (1 + staleness)`
	/// (`din_fl::duty::rebase`), and it is paid for its accuracy over the model it trained
	/// from. A slow participant contributes every few rounds instead of missing them all.
	Asynchronous {
		/// Submitted updates that close a round's Training, `1..=MaxParticipants`.
		buffer: u32,
		/// How many rounds back a stale update's model may be,
		/// `1..=din_primitives::MAX_STALENESS`.
		max_staleness: RoundIndex,
	},
}

impl Pacing {
	/// Submitted updates that close Training early, out of `participants` assigned.
	pub fn closes_after(&self, participants: u32) -> u32 {
		match self {
			Self::Synchronous => participants,
			Self::Asynchronous { buffer, .. } => (*buffer).min(participants),
		}
	}
}

impl<T: Config> TaskSpec<T> {
	/// The spec tests and benchmarks start from, changing the fields they are about: one
	/// FedAvg round of `phase_length`-block phases over the model `architecture`, subgroups
	/// of 2 with one evaluator, the median score rule, the staking pallet's minimum bonds,
	/// fees of 10% (evaluators), 1% (protocol), 5% (baseline margin) and a 10% slash, and
	/// placeholder genesis model and test set (non-zero commitments, short CIDs).
	/// [`TaskSpec::validate`] accepts it wherever the bounds allow those values.
	#[cfg(any(feature = "std", feature = "runtime-benchmarks"))]
	pub fn template(
		architecture: alloc::vec::Vec<u8>,
		pool: BalanceOf<T>,
		phase_length: BlockNumberFor<T>,
	) -> Self {
		use din_primitives::{Role, StakeInfo};
		let cid = |bytes: &[u8]| BoundedVec::truncate_from(bytes.to_vec());
		Self {
			model: ModelSpec {
				hash: H256(sha2_256(&architecture)),
				architecture: BoundedVec::truncate_from(architecture),
			},
			genesis: ModelRef { cid: cid(b"bafy-genesis"), commitment: H256::repeat_byte(1) },
			test_set: TestSetRef {
				commitment: H256::repeat_byte(2),
				encrypted_cid: cid(b"bafy-test-set"),
				key_hash: H256::repeat_byte(3),
				proving_key_cid: BoundedVec::new(),
			},
			reward: RewardPool { asset: RewardAsset::Native, amount: pool },
			rounds: 1,
			phases: PhaseLengths::uniform(phase_length),
			subgroup_size: 2,
			evaluators_per_subgroup: 1,
			min_participants: 1,
			min_participant_bond: T::Staking::minimum_bond(Role::Participant),
			min_evaluator_bond: T::Staking::minimum_bond(Role::Evaluator),
			aggregation: AggregationRule::FedAvg,
			max_samples: T::MaxSamplesPerUpdate::get().min(1_000_000),
			scoring: ScoringRule::Median { threshold: Perbill::from_percent(5) },
			fees: FeeParams {
				evaluator_fee: Perbill::from_percent(10),
				protocol_fee: Perbill::from_percent(1),
				baseline_margin: Perbill::from_percent(5),
				slash: Perbill::from_percent(10),
			},
			privacy: None,
			pacing: Pacing::Synchronous,
		}
	}

	/// Check every field against the pallet's bounds and the protocol's rules.
	/// `participant_floor`/`evaluator_floor` are the chain-wide minimum bonds.
	pub fn validate(
		&self,
		participant_floor: BalanceOf<T>,
		evaluator_floor: BalanceOf<T>,
	) -> Result<(), Error<T>> {
		use Error::*;
		ensure(!self.model.architecture.is_empty(), EmptyArchitecture)?;
		ensure(H256(sha2_256(&self.model.architecture)) == self.model.hash, ModelHashMismatch)?;
		ensure(!self.genesis.cid.is_empty(), EmptyGenesisCid)?;
		ensure(!self.genesis.commitment.is_zero(), ZeroGenesisCommitment)?;
		ensure(!self.test_set.commitment.is_zero(), ZeroTestSetCommitment)?;
		ensure(!self.test_set.encrypted_cid.is_empty(), EmptyTestSetCid)?;
		ensure(!self.test_set.key_hash.is_zero(), ZeroTestKeyHash)?;
		// Exhaustive on purpose: a new asset kind must decide how it is held before it can
		// be accepted here.
		let least_pool = match self.reward.asset {
			RewardAsset::Native => T::MinRewardPool::get(),
			RewardAsset::Asset(id) => {
				use fungibles::Inspect;
				ensure(T::Assets::asset_exists(id), UnknownRewardAsset)?;
				use polkadot_sdk::frame_support::traits::Contains;
				ensure(T::RewardAssets::contains(&id), RewardAssetNotAllowed)?;
				T::Assets::minimum_balance(id).saturating_mul(T::MinAssetRewardPool::get().into())
			},
		};
		ensure(self.reward.amount >= least_pool, RewardPoolTooLow)?;
		ensure(self.rounds > 0, ZeroRounds)?;
		ensure(self.rounds <= T::MaxRounds::get(), TooManyRounds)?;
		for len in self.phases.all() {
			ensure(len >= T::MinPhaseLength::get(), PhaseTooShort)?;
			ensure(len <= T::MaxPhaseLength::get(), PhaseTooLong)?;
		}
		let g = self.subgroup_size;
		ensure(g > 0, ZeroSubgroupSize)?;
		ensure(g <= T::MaxSubgroupSize::get(), SubgroupTooLarge)?;
		ensure(self.evaluators_per_subgroup > 0, ZeroEvaluators)?;
		ensure(
			self.evaluators_per_subgroup <= T::MaxEvaluatorsPerSubgroup::get(),
			TooManyEvaluators,
		)?;
		ensure(self.min_participants > 0, ZeroMinParticipants)?;
		ensure(self.min_participants <= T::MaxParticipants::get(), MinParticipantsTooHigh)?;
		ensure(self.min_participant_bond >= participant_floor, ParticipantBondBelowMinimum)?;
		ensure(self.min_evaluator_bond >= evaluator_floor, EvaluatorBondBelowMinimum)?;
		ensure(self.max_samples > 0, ZeroSampleCap)?;
		ensure(self.max_samples <= T::MaxSamplesPerUpdate::get(), SampleCapTooHigh)?;
		match self.aggregation {
			AggregationRule::FedAvg | AggregationRule::Median => {},
			AggregationRule::TrimmedMean { beta } => {
				ensure(beta < Perbill::from_percent(50), InvalidTrimFraction)?
			},
			AggregationRule::Krum { f } => ensure(krum_fits(f, g), InvalidKrumParameter)?,
			AggregationRule::MultiKrum { f, m } => {
				ensure(krum_fits(f, g), InvalidKrumParameter)?;
				ensure(m >= 1 && m <= g.saturating_sub(f), InvalidMultiKrumSelection)?;
			},
			AggregationRule::CenteredClipping { tau, iterations } => {
				ensure(tau > 0, ZeroClippingRadius)?;
				ensure(
					(1..=din_primitives::MAX_CLIPPING_ITERATIONS).contains(&iterations),
					InvalidClippingIterations,
				)?;
			},
			AggregationRule::SecureFedAvg => {
				ensure(g >= din_primitives::MIN_SECURE_SUBGROUP, SecureSubgroupTooSmall)?;
				ensure(g <= din_primitives::MAX_SECURE_SUBGROUP, SecureSubgroupTooLarge)?;
				ensure(
					u64::from(g).saturating_mul(self.max_samples)
						< din_primitives::SECURE_WEIGHT_LIMIT,
					SecureSampleCapTooHigh,
				)?;
				ensure(self.privacy.is_none(), PrivacyNeedsPlainUpdates)?;
				ensure(self.pacing == Pacing::Synchronous, SecureAggregationIsSynchronous)?;
				// Each of Training's three steps (keys, uploads, hand-overs) gets a third of it
				// (`din_primitives::secure_step_cutoffs`), and needs a phase's least length.
				let least = T::MinPhaseLength::get().saturating_mul(3u32.into());
				ensure(self.phases.training >= least, SecureTrainingTooShort)?;
			},
		}
		match self.scoring {
			ScoringRule::ZkAccuracy { vk } => {
				ensure(!vk.is_zero(), ZeroVerifyingKey)?;
				ensure(!self.test_set.proving_key_cid.is_empty(), EmptyProvingKeyCid)?;
			},
			ScoringRule::Median { threshold } => ensure(!threshold.is_zero(), ZeroScoreThreshold)?,
		}
		let fees = self.fees.evaluator_fee.deconstruct() as u64
			+ self.fees.protocol_fee.deconstruct() as u64;
		ensure(fees <= Perbill::one().deconstruct() as u64, FeesTooHigh)?;
		ensure(self.fees.slash <= T::MaxSlash::get(), SlashTooHigh)?;
		ensure(self.fees.evaluator_fee >= T::MinEvaluatorFee::get(), EvaluatorFeeTooLow)?;
		ensure(self.fees.baseline_margin >= T::MinBaselineMargin::get(), BaselineMarginTooLow)?;
		if let Pacing::Asynchronous { buffer, max_staleness } = self.pacing {
			ensure(buffer > 0, ZeroBuffer)?;
			ensure(buffer <= T::MaxParticipants::get(), BufferTooLarge)?;
			ensure(max_staleness > 0, ZeroStaleness)?;
			ensure(max_staleness <= din_primitives::MAX_STALENESS, StalenessTooHigh)?;
		}
		if let Some(policy) = &self.privacy {
			use din_primitives::privacy::PolicyError;
			policy.validate(self.rounds).map_err(|e| match e {
				PolicyError::ZeroClipNorm => ZeroClipNorm,
				PolicyError::ZeroNoiseMultiplier => ZeroNoiseMultiplier,
				PolicyError::InvalidDeltaExponent => InvalidDeltaExponent,
				PolicyError::BudgetExceeded => PrivacyBudgetExceeded,
			})?;
		}
		Ok(())
	}
}

/// Krum tolerating `f` Byzantine updates needs `2f + 2 < G`.
fn krum_fits(f: u32, g: u32) -> bool {
	f.saturating_mul(2).saturating_add(2) < g
}

fn ensure<E>(cond: bool, err: E) -> Result<(), E> {
	if cond {
		Ok(())
	} else {
		Err(err)
	}
}

/// A task as stored.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct TaskInfo<T: Config> {
	/// Who created (and funds) the task.
	pub owner: T::AccountId,
	/// The fixed parameters.
	pub spec: TaskSpecOf<T>,
	/// Where the task is in its lifecycle.
	pub phase: TaskPhase,
	/// The round in progress, or the next to start while in `Registration`.
	pub round: RoundIndex,
	/// The block at which the current phase ends (the task's entry in `Deadlines`).
	pub phase_ends: BlockNumberFor<T>,
	/// What is left of the reward pool; equal to the balance held for it.
	pub remaining: BalanceOf<T>,
	/// Block of creation.
	pub created_at: BlockNumberFor<T>,
}

/// An ended task waiting in the prune queue.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug, DecodeWithMemTracking,
)]
pub struct PruneEntry<BlockNumber> {
	/// The task.
	pub task: TaskId,
	/// The first block in which its records may be pruned.
	pub due: BlockNumber,
	/// Whether the lifecycle side's records are gone (only the task's own record is left).
	pub lifecycle_done: bool,
}

/// Record of one round.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug, DecodeWithMemTracking,
)]
pub struct RoundInfo<BlockNumber> {
	/// Block the round started (Training opened).
	pub started_at: BlockNumber,
	/// Participants in the snapshot.
	pub participants: u32,
	/// Number of subgroups.
	pub subgroups: SubgroupIndex,
	/// Updates submitted so far.
	pub updates: u32,
}

/// Where a participant sits in the current round.
#[derive(
	Encode,
	Decode,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	DecodeWithMemTracking,
)]
pub struct Assignment {
	/// The round this assignment is for; older rounds' assignments are stale.
	pub round: RoundIndex,
	/// The subgroup.
	pub subgroup: SubgroupIndex,
}

/// A submitted update.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug, DecodeWithMemTracking,
)]
pub struct UpdateInfo<BlockNumber> {
	/// The participant's subgroup in that round.
	pub subgroup: SubgroupIndex,
	/// Where the update lives.
	pub cid: Cid,
	/// Poseidon commitment to the update's canonical encoding.
	pub commitment: Commitment,
	/// Training samples behind the update (the FedAvg weight).
	pub num_samples: u64,
	/// Block of submission.
	pub submitted_at: BlockNumber,
	/// The round whose model the update trained from: its own round, or an earlier one for
	/// a stale update of an asynchronous task.
	pub trained_from: RoundIndex,
}

/// Deterministic Fisher–Yates shuffle of `items` driven by `seed`: the `i`-th swap index is
/// read from `blake2_256(seed ‖ i)`. Every node computes the same permutation.
pub fn shuffle<A>(items: &mut [A], seed: &[u8]) {
	let n = items.len();
	for i in (1..n).rev() {
		let mut input = alloc::vec::Vec::with_capacity(seed.len() + 4);
		input.extend_from_slice(seed);
		input.extend_from_slice(&(i as u32).to_le_bytes());
		let h = blake2_256(&input);
		let r = u64::from_le_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
		let j = (r % (i as u64 + 1)) as usize;
		items.swap(i, j);
	}
}

/// Number of subgroups for `n` participants with size at most `g`: `ceil(n / g)`.
pub fn subgroup_count(n: u32, g: u32) -> u32 {
	if g == 0 {
		return 0;
	}
	n.div_ceil(g)
}

/// The subgroup of the `i`-th participant of the shuffled snapshot when there are `k`
/// subgroups: round-robin, so sizes differ by at most one and none exceeds `G`.
pub fn subgroup_of(i: u32, k: u32) -> SubgroupIndex {
	if k == 0 {
		0
	} else {
		i % k
	}
}

/// What `added` more rounds of a task with `pool` for `rounds` rounds must bring to keep its
/// pool per round: `pool × added / rounds`, rounded up.
pub fn pool_share<B>(pool: B, added: RoundIndex, rounds: RoundIndex) -> B
where
	B: polkadot_sdk::sp_runtime::traits::UniqueSaturatedInto<u128>
		+ polkadot_sdk::sp_runtime::traits::UniqueSaturatedFrom<u128>,
{
	use polkadot_sdk::sp_runtime::{helpers_128bit::multiply_by_rational_with_rounding, Rounding};
	let share = multiply_by_rational_with_rounding(
		pool.unique_saturated_into(),
		u128::from(added),
		u128::from(rounds.max(1)),
		Rounding::Up,
	)
	.unwrap_or(u128::MAX);
	B::unique_saturated_from(share)
}

/// The shares one member of a secure-aggregation subgroup sealed for another
/// (`din_secagg::keys::seal_shares`), opaque to the chain.
pub type SealedShares = [u8; din_primitives::SEALED_SHARES_LEN];

/// What a member of a secure-aggregation subgroup advertised for a round: its place among
/// the subgroup's eligible members, its round key, the commitment to its self-mask seed, and
/// its Shamir shares sealed for every other eligible member (in member order, itself
/// skipped).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct RoundKey {
	/// The subgroup.
	pub subgroup: SubgroupIndex,
	/// Its number among the subgroup's eligible members.
	pub member: u32,
	/// Its X25519 round key.
	pub public: [u8; 32],
	/// `din_secagg::unmask::self_seed_commitment` of its self-mask seed.
	pub self_seed_commitment: [u8; 32],
	/// Its shares, sealed for each other eligible member.
	pub sealed: BoundedVec<SealedShares, MaxSealedShares>,
}

impl RoundKey {
	/// The bundle sealed for eligible member `to` (none for itself).
	pub fn sealed_for(&self, to: u32) -> Option<&SealedShares> {
		let index = match to.cmp(&self.member) {
			core::cmp::Ordering::Less => to,
			core::cmp::Ordering::Equal => return None,
			core::cmp::Ordering::Greater => to - 1,
		};
		self.sealed.get(index as usize)
	}
}

/// At most one sealed bundle per other member of a secure subgroup.
pub type MaxSealedShares =
	polkadot_sdk::frame_support::traits::ConstU32<{ din_primitives::MAX_SECURE_SUBGROUP - 1 }>;

/// One share a surviving member hands over: of `owner`'s self seed if `owner` uploaded, else
/// of its round key secret (the chain's record of the uploads says which), at the holder's
/// own Shamir point (its member number plus one).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct HandedShare {
	/// The member whose secret it is a share of.
	pub owner: u32,
	/// The share's value at the holder's point.
	pub share: [u8; 32],
}

/// A survivor's hand-over: at most one share per member of its subgroup.
pub type Handover = BoundedVec<
	HandedShare,
	polkadot_sdk::frame_support::traits::ConstU32<{ din_primitives::MAX_SECURE_SUBGROUP }>,
>;

/// Where a secure-aggregation subgroup is in its round, as bit sets over its eligible
/// members' numbers (at most `MAX_SECURE_SUBGROUP` = 32 of them).
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
pub struct SecureProgress {
	/// How many members are eligible (had a share key when the round started).
	pub eligible: u32,
	/// The members that advertised a round key.
	pub advertised: u32,
	/// The members that uploaded a masked update.
	pub uploaded: u32,
	/// The members that handed over their shares.
	pub handed: u32,
}

impl SecureProgress {
	/// Whether every member that can still act on its step has.
	pub fn all_advertised(&self) -> bool {
		self.advertised.count_ones() >= self.eligible
	}

	/// Whether every member that advertised uploaded.
	pub fn all_uploaded(&self) -> bool {
		self.uploaded == self.advertised
	}

	/// Whether every member that uploaded handed over its shares.
	pub fn all_handed(&self) -> bool {
		self.handed == self.uploaded
	}
}
