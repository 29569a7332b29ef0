//! # din-chain: the typed chain API of the `din` client
//!
//! Everything the `din` client says to a DIN node goes through this crate: signed calls of
//! the protocol pallets, reads of their storage and of the `DinApi` runtime API, and the
//! events of finalized blocks.
//!
//! ## What is generated
//!
//! [`din`] is generated at compile time by subxt's `#[subxt::subxt]` macro from
//! `metadata/din.scale`, the SCALE-encoded metadata (V16) of din-runtime, committed next to
//! this crate. It holds one module per pallet (`din::tasks`, `din::evaluation`, …) with the
//! call payloads (`din::tx().tasks().join_task(0)`), storage addresses
//! (`din::storage().tasks().tasks()`), events (`din::tasks::events::TaskCreated`),
//! constants, the runtime APIs (`din::runtime_apis().din_api()`), and under
//! `din::runtime_types` a Rust type for every type in the metadata (`TaskSpec`, `Role`,
//! `SubgroupResult`, …; the common ones are re-exported in [`types`]). Accounts are
//! [`AccountId32`], hashes [`H256`]; the bounded vectors of the runtime are
//! [`types::BoundedVec`] (a `Vec` inside).
//!
//! subxt checks each call, storage entry and runtime API against the connected node's own
//! metadata before use, so a node running a different runtime yields an error naming the
//! mismatch instead of a wrongly encoded transaction.
//!
//! ## Regenerating
//!
//! When a pallet's calls, storage, events or errors change, the test
//! `committed_metadata_is_current` (in `tests/metadata.rs`) fails. Then run
//!
//! ```text
//! scripts/gen-metadata.sh
//! ```
//!
//! which builds the workspace and rewrites `metadata/din.scale` from the native runtime
//! (`Runtime::metadata_at_version(16)`, over empty state); rebuilding this crate then
//! regenerates [`din`], and the compiler points at whatever in [`Chain`] no longer fits.
//!
//! ## The wrapper
//!
//! [`Chain`] connects to a node's WebSocket, signs with a [`Signer`] (sr25519, from a
//! secret URI such as `//Alice`), submits a call and waits until it is in a finalized (or
//! best) block. It returns the call's events, or [`Error::Pallet`] naming the pallet error
//! the call failed with (`Tasks::AlreadyJoined`); arguments the runtime could not decode
//! are refused before anything is sent. Reads answer at the latest finalized block;
//! [`Chain::finalized_events`] streams the events of each finalized block.
//!
//! ```no_run
//! # async fn demo() -> Result<(), din_chain::Error> {
//! use din_chain::{din, types::Role, Chain, Signer, UNIT};
//!
//! let chain = Chain::connect("ws://127.0.0.1:9944").await?;
//! let bob = Signer::from_uri("//Bob")?;
//! chain.bond(&bob, Role::Participant, 10 * UNIT).await?;
//! let joined = chain.join_task(&bob, 0).await?;
//! assert!(joined.events.has::<din::tasks::events::ParticipantJoined>());
//! match chain.join_task(&bob, 0).await {
//! 	Err(e) if e.pallet_error().is_some_and(|p| p.is("Tasks", "AlreadyJoined")) => {},
//! 	other => panic!("{other:?}"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## Transport
//!
//! subxt is used with the features Cargo.lock already builds it with (`native`, as
//! frame-benchmarking-cli asks), not its default `jsonrpsee` client: that feature would
//! switch on jsonrpsee's client features (`async-client`, `ws-client`) for the whole
//! workspace, and since jsonrpsee-core sits under `sc-rpc`, `sc-service` and the
//! polkadot-sdk umbrella, every crate above them (the runtime, the pallets, the node)
//! would be rebuilt with it. [`rpc::WsClient`] is a small JSON-RPC client over
//! `tokio-tungstenite` (already in the build through litep2p) that implements subxt's
//! `RpcClientT`, and [`Chain`] drives subxt's legacy backend with it.

pub mod rpc;

mod chain;
mod denomination;
mod error;

pub use chain::{
	score_binding, score_commit_hash, AggregateOpening, Balance, BlockEvents, Chain, Closed,
	Council, DinEvent, Included, Inclusion, Motion, Proposal, ReadAt, RuntimeUpgrade,
	SessionKeysWithProof, SignedTransaction, Signer, ValidatorSet, DEFAULT_INCLUSION_TIMEOUT,
	MAX_CID_LEN, MAX_PROOF_LEN, MAX_STORE_PEER_LEN, PRUNED_BEYOND, RESUBSCRIBE_ATTEMPTS,
	RESUBSCRIBE_DELAY,
};
pub use denomination::{Denomination, NATIVE_DECIMALS, NATIVE_SYMBOL};
pub use error::{Error, PalletError};

/// The interface generated from `metadata/din.scale` (see the crate docs).
///
/// The task's aggregation rule and privacy policy are not generated: they are
/// `din_fl::AggregationRule` and `din_fl::PrivacyPolicy` themselves, the types the runtime
/// stores and the integer core runs, so the client needs no copy and no conversion. subxt carries it as [`subxt::utils::Static`] (SCALE as the runtime
/// encodes it), which dereferences to the rule (or the policy).
#[subxt::subxt(
	runtime_metadata_path = "metadata/din.scale",
	derive_for_all_types = "Clone, PartialEq, Eq",
	substitute_type(
		path = "din_primitives::AggregationRule",
		with = "::subxt::utils::Static<::din_fl::AggregationRule>"
	),
	substitute_type(
		path = "din_primitives::privacy::PrivacyPolicy",
		with = "::subxt::utils::Static<::din_fl::PrivacyPolicy>"
	),
	generate_docs
)]
pub mod din {}

/// The metadata the interface is generated from, as committed.
// `include_bytes!` also makes Cargo rebuild this crate (and so re-run the macro) whenever
// the file changes.
pub const METADATA: &[u8] = include_bytes!("../metadata/din.scale");

/// The metadata version committed in `metadata/din.scale`.
pub const METADATA_VERSION: u32 = 16;

/// subxt's configuration for DIN. `PolkadotConfig` matches din-runtime exactly:
/// `AccountId32`, `MultiAddress<AccountId32, ()>`, `MultiSignature`, BlakeTwo256 headers
/// with `u32` numbers, and transaction extensions it knows (the runtime keeps them so for
/// `eth-rpc` too).
pub type DinConfig = subxt::PolkadotConfig;

pub use subxt::utils::{AccountId32, H256};

/// A task id.
pub type TaskId = u32;
/// A round of a task, from 0.
pub type RoundIndex = u32;
/// A subgroup of a round, from 0.
pub type SubgroupIndex = u32;
/// One token in the smallest unit (`din_primitives::UNIT`).
pub const UNIT: u128 = 1_000_000_000_000;

/// The generated runtime types the wrapper's signatures use, by their plain names, and the
/// one that is not generated ([`AggregationRule`](types::AggregationRule), see [`din`]).
pub mod types {
	pub use crate::din::runtime_types::{
		bounded_collections::bounded_vec::BoundedVec,
		din_primitives::{
			FeeParams, ModelRef, ModelRef as GlobalModelRef, RewardAsset, Role, ScoringRule,
			TaskPhase,
		},
		pallet_din_evaluation::types::{
			AggregateReveal as GenericAggregateReveal, ProvenScore as GenericProvenScore,
			ScoreTarget as GenericScoreTarget, SubgroupResult as GenericSubgroupResult, Vote,
		},
		pallet_din_rewards::Settlement,
		pallet_din_staking::types::StakeLedger as Ledger,
		pallet_din_tasks::{
			runtime_api::{SecureRoundView as GenericSecureRoundView, TaskView as GenericTaskView},
			types::{
				HandedShare, ModelSpec, Pacing, PhaseLengths, RewardPool, RoundKey, SecureProgress,
				TaskInfo, TaskSpec, TestSetRef,
			},
		},
		sp_arithmetic::per_things::Perbill,
	};
	pub use din_fl::{AggregationRule, PrivacyPolicy};

	/// `DinApi::task`'s answer with DIN's account, balance and block number types.
	pub type TaskView = GenericTaskView<crate::AccountId32, u128, u32>;
	/// What a score is about: the genesis model (`Baseline`), a global model later rounds
	/// trained from (`Global`) or one participant's update.
	pub type ScoreTarget = GenericScoreTarget<crate::AccountId32>;
	/// How a subgroup settled: `Accepted(reveal)`, `Disputed` or `Empty`.
	pub type SubgroupResult = GenericSubgroupResult<crate::AccountId32>;
	/// An evaluator's revealed aggregate (CID, commitment, invalid set).
	pub type AggregateReveal = GenericAggregateReveal<crate::AccountId32>;
	/// A score settled by a proof.
	pub type ProvenScore = GenericProvenScore<crate::AccountId32>;
	/// A secure-aggregation subgroup of the current round, as its members and evaluators
	/// need it (`DinApi::secure_round`).
	pub type SecureRoundView = GenericSecureRoundView<crate::AccountId32>;
	/// A submitted update.
	pub type UpdateInfo = crate::din::runtime_types::pallet_din_tasks::types::UpdateInfo<u32>;

	impl TaskSpec {
		/// A spec the chain accepts whose genesis model and test set are placeholders (CIDs
		/// with no artifact behind them): one FedAvg round of a model described by
		/// `architecture` (hashed with sha2-256, as the chain checks), a reward pool of
		/// `pool` in the native token, subgroups of 2 with one evaluator, one participant
		/// enough to start, bonds of 10 and 100 UNIT, median scoring, fees of 10%
		/// (evaluators), 1% (protocol), a 5% baseline margin and a 10% slash.
		///
		/// For runs that drive the protocol's transactions without training anything (the
		/// dev-node tests, the load generator): change the fields they are about with
		/// `TaskSpec { subgroup_size: 32, ..TaskSpec::placeholder(…) }`. `din task create`
		/// builds real specs.
		pub fn placeholder(architecture: &[u8], pool: u128, phases: PhaseLengths<u32>) -> TaskSpec {
			use sha2::{Digest, Sha256};
			let bounded = |bytes: &[u8]| BoundedVec(bytes.to_vec());
			let percent = |p: u32| Perbill(p * 10_000_000);
			TaskSpec {
				model: ModelSpec {
					hash: crate::H256(Sha256::digest(architecture).into()),
					architecture: bounded(architecture),
				},
				genesis: ModelRef {
					cid: bounded(b"bafkreigenesis"),
					commitment: crate::H256::repeat_byte(1),
				},
				test_set: TestSetRef {
					commitment: crate::H256::repeat_byte(2),
					encrypted_cid: bounded(b"bafkreitestset"),
					key_hash: crate::H256::repeat_byte(3),
					proving_key_cid: bounded(b""),
				},
				reward: RewardPool { asset: RewardAsset::Native, amount: pool },
				rounds: 1,
				phases,
				subgroup_size: 2,
				evaluators_per_subgroup: 1,
				min_participants: 1,
				min_participant_bond: 10 * crate::UNIT,
				min_evaluator_bond: 100 * crate::UNIT,
				aggregation: AggregationRule::FedAvg.into(),
				max_samples: 1_000_000,
				scoring: ScoringRule::Median { threshold: percent(5) },
				fees: FeeParams {
					evaluator_fee: percent(10),
					protocol_fee: percent(1),
					baseline_margin: percent(5),
					slash: percent(10),
				},
				privacy: None,
				pacing: Pacing::Synchronous,
			}
		}
	}
}
