//! The `DinApi` runtime API: task, round and assignment state for clients (the `din` CLI,
//! the evaluator client, dApps through the node's RPC) without decoding storage by hand.

use crate::types::{
	FeeParams, Handover, ModelRef, PhaseLengths, RoundInfo, RoundKey, SecureProgress, TestSetRef,
	UpdateInfo,
};
use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use din_primitives::{AggregationRule, RoundIndex, ScoringRule, SubgroupIndex, TaskId, TaskPhase};
use polkadot_sdk::sp_core::H256;
use scale_info::TypeInfo;

/// A task as the runtime API returns it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct TaskView<AccountId, Balance, BlockNumber> {
	/// The model owner.
	pub owner: AccountId,
	/// Current phase.
	pub phase: TaskPhase,
	/// Round in progress (or next to start in `Registration`).
	pub round: RoundIndex,
	/// Total rounds.
	pub rounds: RoundIndex,
	/// Block at which the current phase ends.
	pub phase_ends: BlockNumber,
	/// Remaining reward budget.
	pub remaining: Balance,
	/// Joined participants (next snapshot).
	pub participants: u32,
	/// Subgroup size G.
	pub subgroup_size: u32,
	/// Evaluators per subgroup Q.
	pub evaluators_per_subgroup: u32,
	/// Participant bond locked on join.
	pub min_participant_bond: Balance,
	/// Evaluator bond required for sortition.
	pub min_evaluator_bond: Balance,
	/// Hash of the model architecture descriptor.
	pub model_hash: H256,
	/// Genesis model.
	pub genesis: ModelRef,
	/// Test set.
	pub test_set: TestSetRef,
	/// Aggregation rule.
	pub aggregation: AggregationRule,
	/// Scoring rule.
	pub scoring: ScoringRule,
	/// Fees and penalties.
	pub fees: FeeParams,
	/// Phase lengths.
	pub phases: PhaseLengths<BlockNumber>,
}

/// One subgroup of the current round of a secure-aggregation task, as its members and
/// evaluators need it (`secure.rs`).
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct SecureRoundView<AccountId> {
	/// The block the round's key step closes at, unless every eligible member advertised.
	pub key_cutoff: u64,
	/// The block the round's upload step closes at, unless every member that advertised
	/// uploaded.
	pub upload_cutoff: u64,
	/// The eligible members in member order, with their share keys.
	pub eligible: Vec<(AccountId, [u8; 32])>,
	/// Who advertised, uploaded and handed over.
	pub progress: SecureProgress,
	/// The advertised round keys (with the sealed shares), in member order.
	pub keys: Vec<(AccountId, RoundKey)>,
	/// The hand-overs, in member order of their holders.
	pub handovers: Vec<(AccountId, Handover)>,
}

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// Read access to DIN tasks, rounds and assignments.
	#[api_version(2)]
	pub trait DinApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// The task `task`, if it exists.
		fn task(task: TaskId) -> Option<TaskView<AccountId, Balance, BlockNumber>>;
		/// The record of `round` of `task`, if that round started.
		fn round(task: TaskId, round: RoundIndex) -> Option<RoundInfo<BlockNumber>>;
		/// The joined participants of `task` (the next snapshot).
		fn participants(task: TaskId) -> Vec<AccountId>;
		/// The subgroups of the current round of `task`, in index order.
		fn subgroups(task: TaskId) -> Vec<Vec<AccountId>>;
		/// The `(round, subgroup)` of `who` in the current round of `task`, if assigned.
		fn assignment(task: TaskId, who: AccountId) -> Option<(RoundIndex, SubgroupIndex)>;
		/// The update `who` submitted for `round` of `task`, if any.
		fn update(task: TaskId, round: RoundIndex, who: AccountId) -> Option<UpdateInfo<BlockNumber>>;
		/// `subgroup` of `round`, the current round of the secure-aggregation `task`.
		#[api_version(2)]
		fn secure_round(task: TaskId, round: RoundIndex, subgroup: SubgroupIndex) -> Option<SecureRoundView<AccountId>>;
	}
}
