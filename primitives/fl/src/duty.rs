//! The evaluator's duty without I/O: what an evaluator decides about the updates and
//! aggregates it fetched, written once for the `din evaluator` daemon and the runtime's
//! off-chain worker.
//!
//! The two drivers differ only in I/O. The daemon fetches over the store's libp2p network
//! on tokio, keeps its records in a state file and runs the rules on rayon
//! (`din_aggregate::Parallel`). The worker fetches from store gateways over HTTP within a
//! block's deadline, keeps its records in offchain storage and runs on one thread
//! ([`Sequential`](crate::Sequential)). What they decide must agree bit for bit: a panel
//! commit-reveals `(aggregate commitment, invalid set)` and a strict majority on that pair
//! fixes the subgroup, so an evaluator that judged one update differently would be slashed
//! as a minority (or would get an honest participant slashed). So the drivers only fetch,
//! store and submit, and call this module for every decision:
//!
//! - [`trained_nothing`]: whether the chain's record alone shows an update to be the model
//!   its round trained from; such an update is [`Rejection::TrainedNothing`] without being
//!   fetched.
//! - [`waits_for_updates`]: whether an evaluator that could not fetch every update yet
//!   tries again next block rather than judging the missing ones unavailable.
//! - [`check_update`]: whether fetched bytes are what the chain names: a canonical update
//!   of the task's model, naming the submitting participant as its author, with the sample
//!   count and the commitment submitted on chain. Each way to fail is one [`Rejection`]; a
//!   rejected update puts its participant in the invalid set. [`check_model`] is the same
//!   check for an aggregate or a global model, which no participant authored.
//!
//! Copies are told by their author, not by the chain's order. An update names its author in
//! its header and its CID covers the header, so a `(cid, commitment)` copied from the chain or
//! the transaction pool names its original author and is [`Rejection::NotTheAuthor`],
//! whichever block it lands in, while the original stays valid. A copier that re-encodes
//! the values under its own name would need the bytes, and participants publish them only
//! after Training has closed, when no update can be submitted any more; hence
//! [`waits_for_updates`].
//! - [`aggregate_subgroup`]: Flower's `aggregate(results, failures)` for one subgroup. It
//!   checks every submitted update (fetch failures arrive in place, so that positions name
//!   the members), the commitments of the round's [`CommitmentSample`] only, aggregates the
//!   valid ones with the task's rule, and returns the aggregate (`None` when none is valid)
//!   with the rejected positions and their reasons.
//! - [`check_scored`]: a model to score; an update outside the sample whose bytes do not
//!   open its commitment is [`Scored::Unopened`], counted as nothing right.
//! - [`rebase`]: where a stale update of an asynchronous task enters its subgroup's rule:
//!   its delta from the earlier model it trained from, weighted by its staleness, on its
//!   round's model ([`Stale`]).
//! - [`carried_over`]: what a subgroup without a valid update commits instead: the current
//!   global model with zero weight.
//! - [`combine`]: the round's global model from the accepted subgroup aggregates.
//!
//! Each driver passes in its own commitment function: the client computes the Poseidon
//! commitment with `din-zk`, the runtime through a host function
//! (`ProofVerifier::model_commitment`). Both run `din_zk_verifier::commitment`, and this
//! crate depends on neither. Checking the bytes against their CID is the fetcher's job:
//! both drivers hand over only bytes that hash to the CID they asked for (the store checks
//! its blocks; the worker compares [`content::artifact_cid`](crate::content::artifact_cid)).
//! An [`Executor`] runs the independent checks and the rule's blocks. A Poseidon
//! commitment costs about as much as the rest of an update's check and aggregation
//! together, so a panel computes them only for its subgroup's [`CommitmentSample`] (at most
//! [`COMMITMENT_CHECKS`], drawn after Training from a seed the chain records); the daemon
//! runs the checks in parallel too.

use alloc::{string::String, sync::Arc, vec::Vec};
use core::fmt;

pub use crate::commitment_sample::{CommitmentSample, COMMITMENT_CHECKS};
use crate::encoding::{Author, EncodingError, Update};
use crate::privacy::PrivacyPolicy;
use crate::rules::{exec::Executor, AggregateError, Aggregator, FedAvg};
use crate::spec::Schema;
use crate::AggregationRule;

/// Why an evaluator does not use an update: the reasons that put a participant in the
/// invalid set. When a driver fetches something other than an update (an accepted
/// aggregate, a global model), a rejection means it cannot do the duty this time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
	/// No bytes: not found in the store or at any gateway, or not in time (the fetcher's
	/// reason). The participant must keep its update available until the panel has it.
	Unavailable(String),
	/// Bytes that are not a canonical update (wrong magic, version or length).
	Malformed(EncodingError),
	/// A canonical update of another model: another schema hash or number of values.
	NotOfTheModel(EncodingError),
	/// The header's sample count differs from the one submitted on chain. Rewards are paid,
	/// and updates weighted, by the on-chain count, so the two must agree.
	SampleCountMismatch { header: u64, chain: u64 },
	/// Canonical and of the model, but not the values the participant committed to on
	/// chain, for example an update swapped after the commitment was submitted.
	CommitmentMismatch,
	/// The header names another author than the participant that submitted it: a copy of
	/// another participant's `(cid, commitment)`, taken from the chain or the pool.
	NotTheAuthor,
	/// Committed to the model its round trained from ([`trained_nothing`]): no work of its
	/// own, so nothing to aggregate or pay. Decided from the chain alone, before any fetch.
	TrainedNothing,
	/// In a task with a privacy policy, a delta from the model it trained from of L2 norm
	/// `norm` (canonical units) beyond the policy's `bound`: not clipped, or not privatized
	/// as the policy asks ([`crate::privacy`]).
	OverPrivacyBound { norm: u128, bound: u128 },
	/// In a secure-aggregation task, bytes that are not a masked update of the model
	/// (`din_secagg::artifact`), with why.
	NotMasked(String),
	/// In a secure-aggregation task, its participant handed over a share that the others
	/// outvote: not on the polynomial of the secret they recover.
	WrongShare,
}

impl fmt::Display for Rejection {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::Unavailable(why) => write!(f, "unavailable: {why}"),
			Self::Malformed(error) => write!(f, "malformed: {error}"),
			Self::NotOfTheModel(error) => write!(f, "not of the task's model: {error}"),
			Self::SampleCountMismatch { header, chain } => {
				write!(f, "claims {header} samples, {chain} on chain")
			},
			Self::CommitmentMismatch => f.write_str("bytes do not match the on-chain commitment"),
			Self::NotTheAuthor => {
				f.write_str("names another participant as its author: a copy of its update")
			},
			Self::TrainedNothing => {
				f.write_str("commits to the model it was to train from: nothing trained")
			},
			Self::OverPrivacyBound { norm, bound } => write!(
				f,
				"moves {norm} canonical units from the model it trained from, beyond the \
				 privacy policy's bound of {bound}: not clipped and noised as the task asks"
			),
			Self::NotMasked(why) => write!(f, "not a masked update of the model: {why}"),
			Self::WrongShare => {
				f.write_str("handed over a share off the secret its owner advertised")
			},
		}
	}
}

impl core::error::Error for Rejection {}

/// Checks fetched `bytes` of a participant's update against the task's `schema` and what
/// the chain records of it: its `commitment`, its submitter's `author`
/// (`din_primitives::update_author`) and its `num_samples`; `commitment_of` is the
/// driver's Poseidon commitment of canonical values. Returns the decoded update.
///
/// The cheap checks come first; the commitment, which costs most, is computed only for
/// bytes that pass them.
pub fn check_update<C: PartialEq>(
	bytes: &[u8],
	schema: &Schema,
	commitment: &C,
	author: &Author,
	num_samples: u64,
	commitment_of: impl Fn(&[i32]) -> C,
) -> Result<Update, Rejection> {
	let claim = Some((author, num_samples));
	check(bytes, &schema.hash(), schema.value_count(), Some(commitment), claim, &commitment_of)
}

/// [`check_update`] for an artifact no participant authored (an aggregate, a global model,
/// the genesis model), which the chain names by its commitment alone: its header's author
/// and sample count are not checked.
pub fn check_model<C: PartialEq>(
	bytes: &[u8],
	schema: &Schema,
	commitment: &C,
	commitment_of: impl Fn(&[i32]) -> C,
) -> Result<Update, Rejection> {
	check(bytes, &schema.hash(), schema.value_count(), Some(commitment), None, &commitment_of)
}

/// A scored model as its scorer finds it: the values to count (or prove) right, or an
/// update whose bytes do not open the commitment it is scored by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scored {
	/// Bytes that pass [`check_model`]: score these values.
	Model(Update),
	/// An accepted update whose bytes (the ones its panel aggregated, by CID) are not the
	/// values it committed to. Outside its panel's [`CommitmentSample`] nobody computed
	/// its commitment before; now it is needed, and it does not open. A median scorer
	/// counts it as classifying nothing right (so the participant earns nothing, and is
	/// slashed below the baseline); a prover has no statement to prove and leaves it
	/// unscored (nothing earned).
	Unopened,
}

/// [`check_model`] of a model to score. For a participant's `update` (not a global or
/// genesis model, which their panels checked whole), a commitment mismatch is
/// [`Scored::Unopened`] rather than a failure, so that one participant's bytes cannot stop
/// a scorer from scoring the others.
pub fn check_scored<C: PartialEq>(
	bytes: &[u8],
	schema: &Schema,
	commitment: &C,
	update: bool,
	commitment_of: impl Fn(&[i32]) -> C,
) -> Result<Scored, Rejection> {
	match check_model(bytes, schema, commitment, commitment_of) {
		Ok(model) => Ok(Scored::Model(model)),
		Err(Rejection::CommitmentMismatch) if update => Ok(Scored::Unopened),
		Err(why) => Err(why),
	}
}

/// [`check_update`] (with `claim`) or [`check_model`] (without), with the schema's hash and
/// size computed once per subgroup; the commitment only when one is given (outside a
/// subgroup's [`CommitmentSample`] it is not).
fn check<C: PartialEq>(
	bytes: &[u8],
	schema_hash: &[u8; 32],
	value_count: usize,
	commitment: Option<&C>,
	claim: Option<(&Author, u64)>,
	commitment_of: &impl Fn(&[i32]) -> C,
) -> Result<Update, Rejection> {
	let update = Update::decode(bytes).map_err(Rejection::Malformed)?;
	update.check_shape(schema_hash, value_count).map_err(Rejection::NotOfTheModel)?;
	if let Some((author, chain)) = claim {
		if update.author != *author {
			return Err(Rejection::NotTheAuthor);
		}
		if update.num_samples != chain {
			return Err(Rejection::SampleCountMismatch { header: update.num_samples, chain });
		}
	}
	if commitment.is_some_and(|commitment| commitment_of(&update.values) != *commitment) {
		return Err(Rejection::CommitmentMismatch);
	}
	Ok(update)
}

/// Whether an update committed to `commitment` is the model its round trained from
/// (`trained_from`: the previous global model, or the genesis model): an update that
/// trained nothing. The drivers ask this before fetching: such an update is
/// [`Rejection::TrainedNothing`] whatever its bytes.
pub fn trained_nothing<C: PartialEq>(commitment: &C, trained_from: &C) -> bool {
	commitment == trained_from
}

/// Whether an evaluator that could not fetch some update of its subgroup at block `now`
/// tries again at the next block, rather than judging it [`Rejection::Unavailable`] and
/// committing. `phase_ends` is the block at which the aggregation commit phase, of
/// `phase_length` blocks, ends.
///
/// Participants publish their updates only once Training has closed (module docs), so an
/// update is first fetchable in the commit phase itself. Its participant has the first half
/// of the phase to publish, less the block that the evaluator's commit needs to be
/// included in; from then on the evaluator commits with what it has. Both drivers wait by
/// this rule, so a panel judges a late update the same way unless the participant
/// publishes just at the turn.
pub fn waits_for_updates(now: u64, phase_ends: u64, phase_length: u64) -> bool {
	now.saturating_add(1).saturating_add(phase_length / 2) < phase_ends
}

/// Where a stale update of an asynchronous task started, and where its panel moves it: it
/// trained from the model of an earlier round than its own, `staleness` rounds back.
/// Averaging it as it is would pull its round's model back toward that older one, so its
/// delta is applied to its round's model instead, damped by its staleness ([`rebase`]), as
/// FedBuff applies stale client deltas to the server's current model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stale {
	/// The model it trained from, the earlier round's (checked against the chain).
	pub from: Arc<Update>,
	/// The model its own round trained from, which it is rebased onto.
	pub onto: Arc<Update>,
	/// Rounds between the two, at least 1.
	pub staleness: u32,
}

/// `update`, trained from `from`, moved onto `onto` with its delta weighted by
/// `1 / (1 + staleness)`: `onto + (update − from) / (1 + staleness)` per value, the
/// division truncating toward zero and the sum saturating, so that every driver computes
/// the same values. Its author and sample count are kept: it still weighs by its samples
/// in its subgroup's rule. FedBuff's polynomial staleness function with exponent 1
/// (FedAsync's `(1 + τ)^-a`, `a = 1`), exact in integers.
pub fn rebase(update: &Update, from: &Update, onto: &Update, staleness: u32) -> Update {
	let damping = i64::from(staleness) + 1;
	let values = update
		.values
		.iter()
		.zip(&from.values)
		.zip(&onto.values)
		.map(|((value, from), onto)| {
			let delta = (i64::from(*value) - i64::from(*from)) / damping;
			(i64::from(*onto) + delta).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
		})
		.collect();
	Update {
		schema_hash: update.schema_hash,
		author: update.author,
		num_samples: update.num_samples,
		values,
	}
}

/// One submitted update as an evaluator fetched it, with what its participant submitted
/// on chain. `C` is the driver's commitment type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submitted<C> {
	/// The fetched bytes, which the fetcher has already checked against the update's CID,
	/// or why the evaluator has none to check: [`Rejection::Unavailable`] with the
	/// fetcher's reason, or [`Rejection::TrainedNothing`] (not fetched at all).
	pub bytes: Result<Vec<u8>, Rejection>,
	/// The commitment submitted on chain.
	pub commitment: C,
	/// The author the submitting account must be named as
	/// (`din_primitives::update_author` of it).
	pub author: Author,
	/// The sample count submitted on chain.
	pub num_samples: u64,
	/// For a stale update of an asynchronous task, the models it is rebased between;
	/// `None` for one trained from its round's model.
	pub stale: Option<Stale>,
}

/// A subgroup's aggregate (`None` when no update is valid) and the rejected updates, by
/// their position among the submitted ones, with the reason.
pub type SubgroupOutcome = (Option<Update>, Vec<(usize, Rejection)>);

/// Checks each `submitted` update of one subgroup ([`check_update`], with the on-chain
/// author and sample count; the commitment only of those in `sample`; in a task with a
/// `privacy` policy, its delta from the model it trained from against
/// [`PrivacyPolicy::excess`]), rebases the valid stale ones onto the round's model
/// ([`rebase`]) and aggregates the valid ones with `rule`. Both the checks and the rule run on `executor`, and the outcome
/// is the same for every executor.
///
/// This has the shape of Flower's `aggregate_fit(results, failures)`, except that the
/// failures (updates that could not be fetched, as [`Rejection::Unavailable`]) and the
/// updates rejected by the checks arrive in one list with the results, so that a position
/// names a member. When nothing is valid there is nothing to aggregate: the driver commits
/// [`carried_over`] instead. A rule that cannot run on the valid updates (Krum with too
/// few of them) is an error, and the duty is not done.
pub fn aggregate_subgroup<C, E, F>(
	executor: &E,
	rule: &AggregationRule,
	schema: &Schema,
	submitted: &[Submitted<C>],
	sample: &CommitmentSample,
	privacy: Option<(&PrivacyPolicy, &Update)>,
	commitment_of: F,
) -> Result<SubgroupOutcome, AggregateError>
where
	C: PartialEq + Sync,
	E: Executor,
	F: Fn(&[i32]) -> C + Sync + Send,
{
	let (schema_hash, value_count) = (schema.hash(), schema.value_count());
	let jobs: Vec<(&Submitted<C>, bool)> = submitted
		.iter()
		.enumerate()
		.map(|(i, update)| (update, sample.checks(i)))
		.collect();
	let checked = executor.map(&jobs, |(update, sampled)| match &update.bytes {
		Ok(bytes) => check(
			bytes,
			&schema_hash,
			value_count,
			sampled.then_some(&update.commitment),
			Some((&update.author, update.num_samples)),
			&commitment_of,
		)
		.and_then(|checked| {
			// A stale update is bounded around the model it trained from.
			let from = update.stale.as_ref().map(|stale| &*stale.from);
			match privacy.map(|(policy, round)| (policy, from.unwrap_or(round))) {
				Some((policy, from)) => match policy.excess(&checked.values, &from.values) {
					Some((norm, bound)) => Err(Rejection::OverPrivacyBound { norm, bound }),
					None => Ok(checked),
				},
				None => Ok(checked),
			}
		})
		.map(|checked| match &update.stale {
			Some(stale) => rebase(&checked, &stale.from, &stale.onto, stale.staleness),
			None => checked,
		}),
		Err(why) => Err(why.clone()),
	});
	let mut valid = Vec::new();
	let mut rejected = Vec::new();
	for (index, checked) in checked.into_iter().enumerate() {
		match checked {
			Ok(update) => valid.push(update),
			Err(why) => rejected.push((index, why)),
		}
	}
	if valid.is_empty() {
		return Ok((None, rejected));
	}
	let aggregate = rule.aggregate_with(executor, &valid.iter().collect::<Vec<_>>())?;
	Ok((Some(aggregate), rejected))
}

/// What a subgroup without a valid update commits: the current global model (checked
/// against its on-chain commitment) with zero weight. The panel still has a value to agree
/// on, and [`combine`] leaves it out, so it does not change the next global model.
pub fn carried_over(mut model: Update) -> Update {
	model.num_samples = 0;
	model
}

/// The round's global model: the sample-weighted mean (FedAvg) of the accepted subgroup
/// `aggregates` (each checked against its on-chain commitment), leaving out those of zero
/// weight ([`carried_over`]). `None` when no aggregate carries weight: the previous global
/// model holds and there is nothing to vote on.
///
/// Subgroups are combined by FedAvg whatever the task's rule: that rule already ran inside
/// each subgroup, and what remains is to weight the subgroups by the samples behind them.
pub fn combine<E: Executor>(
	executor: &E,
	aggregates: &[Update],
) -> Result<Option<Update>, AggregateError> {
	let weighted: Vec<&Update> = aggregates.iter().filter(|a| a.num_samples > 0).collect();
	if weighted.is_empty() {
		return Ok(None);
	}
	FedAvg.aggregate_with(executor, &weighted).map(Some)
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::spec::ModelSpec;
	use crate::Sequential;
	use alloc::{string::ToString, vec, vec::Vec};
	use sha2::{Digest, Sha256};

	/// A stand-in for the drivers' Poseidon commitment: any function of the values that a
	/// participant cannot forge serves these tests.
	fn commitment_of(values: &[i32]) -> [u8; 32] {
		let mut hasher = Sha256::new();
		for value in values {
			hasher.update(value.to_le_bytes());
		}
		hasher.finalize().into()
	}

	fn schema() -> Schema {
		ModelSpec::SoftmaxRegression { inputs: 2, classes: 2 }.schema().unwrap()
	}

	/// The author of the updates `update` makes.
	const AUTHOR: Author = [4; 32];

	fn update(num_samples: u64, values: [i32; 6]) -> Update {
		Update {
			schema_hash: schema().hash(),
			author: AUTHOR,
			num_samples,
			values: values.to_vec(),
		}
	}

	/// `update` submitted honestly by its author: its bytes, commitment and sample count.
	fn honest(update: &Update) -> Submitted<[u8; 32]> {
		Submitted {
			bytes: Ok(update.encode().unwrap()),
			commitment: commitment_of(&update.values),
			author: update.author,
			num_samples: update.num_samples,
			stale: None,
		}
	}

	fn check(submitted: &Submitted<[u8; 32]>) -> Result<Update, Rejection> {
		let bytes = submitted.bytes.as_deref().unwrap();
		check_update(
			bytes,
			&schema(),
			&submitted.commitment,
			&submitted.author,
			submitted.num_samples,
			commitment_of,
		)
	}

	#[test]
	fn a_stale_delta_lands_on_the_rounds_model_weighted_by_its_staleness() {
		let from = update(5, [0, 0, 10, -10, 7, i32::MAX]);
		let onto = update(0, [100, -100, 0, 0, 7, i32::MAX]);
		let stale = update(5, [30, -30, 10, -10, 8, i32::MAX - 3]);
		// Deltas 30, -30, 0, 0, 1, -3 over 1 + 2: 10, -10, 0, 0, 0 (truncated), -1.
		let moved = rebase(&stale, &from, &onto, 2);
		assert_eq!(moved.values, vec![110, -110, 0, 0, 7, i32::MAX - 1]);
		assert_eq!((moved.author, moved.num_samples), (stale.author, stale.num_samples));
		// Saturating, not wrapping.
		let far = update(5, [i32::MAX, 0, 0, 0, 0, 0]);
		let from = update(5, [i32::MIN, 0, 0, 0, 0, 0]);
		let onto = update(5, [i32::MAX, 0, 0, 0, 0, 0]);
		assert_eq!(rebase(&far, &from, &onto, 1).values[0], i32::MAX);
	}

	/// A participant five rounds slow: its update, trained from a model far behind the
	/// round's, would drag the subgroup's mean back to it if averaged as it is. Rebased, it
	/// moves the round's model by a sixth of what it learned.
	#[test]
	fn a_stale_update_is_averaged_as_its_damped_delta_on_the_rounds_model() {
		let onto = update(0, [600, 600, 600, 600, 600, 600]);
		let old = update(0, [0, 0, 0, 0, 0, 0]);
		let fresh = update(5, [612, 612, 612, 612, 612, 612]);
		let slow = Update { author: [7; 32], ..update(5, [60, 60, 60, 60, 60, 60]) };
		let mut submitted = vec![honest(&fresh), honest(&slow)];
		submitted[1].stale =
			Some(Stale { from: Arc::new(old), onto: Arc::new(onto), staleness: 5 });
		let (aggregate, rejected) = aggregate_subgroup(
			&Sequential,
			&AggregationRule::FedAvg,
			&schema(),
			&submitted,
			&CommitmentSample::all(2),
			None,
			commitment_of,
		)
		.unwrap();
		assert!(rejected.is_empty());
		// (612 + (600 + 60 / 6)) / 2, not (612 + 60) / 2.
		assert_eq!(aggregate.unwrap().values, vec![611; 6]);
	}

	#[test]
	fn an_honest_update_passes_every_check() {
		let update = update(5, [1, -2, 3, 4, 5, 6]);
		assert_eq!(check(&honest(&update)), Ok(update));
	}

	#[test]
	fn update_with_forged_sample_count_is_rejected() {
		// The bytes claim more samples than the chain holds (more weight in FedAvg) ...
		let mut forged = honest(&update(5, [1, -2, 3, 4, 5, 6]));
		forged.num_samples = 4;
		assert_eq!(check(&forged), Err(Rejection::SampleCountMismatch { header: 5, chain: 4 }));
		// ... or the chain holds more than the bytes (a larger reward share).
		forged.num_samples = 500;
		assert_eq!(check(&forged), Err(Rejection::SampleCountMismatch { header: 5, chain: 500 }));
		// Without an on-chain count (aggregates, global models) the header stands.
		let bytes = forged.bytes.as_deref().unwrap();
		assert!(check_model(bytes, &schema(), &forged.commitment, commitment_of).is_ok());
	}

	#[test]
	fn an_unclipped_update_in_a_private_task_is_rejected_as_over_the_privacy_bound() {
		let policy = crate::PrivacyPolicy {
			clip_norm_milli: 1_000,
			noise_multiplier_milli: 10,
			delta_exponent: 5,
			epsilon_budget_milli: u32::MAX,
		};
		let from = update(5, [0; 6]);
		let scale = crate::encoding::SCALE as i32;
		// Within the bound: a delta of the clip norm plus a little noise.
		let clipped = update(5, [scale / 2, scale / 2, -scale / 2, 100, -100, 0]);
		// Beyond it: a delta of ten clip norms, as an unclipped update would move.
		let unclipped = update(5, [10 * scale, 0, 0, 0, 0, 0]);
		let submitted = [honest(&clipped), honest(&unclipped)];
		let (aggregate, rejected) = aggregate_subgroup(
			&Sequential,
			&AggregationRule::FedAvg,
			&schema(),
			&submitted,
			&CommitmentSample::all(2),
			Some((&policy, &from)),
			commitment_of,
		)
		.unwrap();
		assert_eq!(aggregate.map(|a| a.values), Some(clipped.values.clone()));
		let bound = policy.delta_bound(6);
		assert_eq!(
			rejected,
			vec![(
				1,
				Rejection::OverPrivacyBound { norm: 10 * crate::encoding::SCALE as u128, bound }
			)]
		);
	}

	#[test]
	fn update_swapped_after_its_commitment_is_rejected() {
		let committed = update(5, [1, -2, 3, 4, 5, 6]);
		let mut swapped = honest(&update(5, [9, 9, 9, 9, 9, 9]));
		swapped.commitment = commitment_of(&committed.values);
		assert_eq!(check(&swapped), Err(Rejection::CommitmentMismatch));
	}

	#[test]
	fn bytes_that_are_not_a_canonical_update_are_rejected_as_malformed() {
		let mut garbage = honest(&update(5, [1, -2, 3, 4, 5, 6]));
		let bytes = garbage.bytes.as_mut().unwrap();
		bytes.pop();
		assert!(matches!(check(&garbage), Err(Rejection::Malformed(_))));
		garbage.bytes = Ok(b"not an update".to_vec());
		assert!(matches!(check(&garbage), Err(Rejection::Malformed(_))));
	}

	#[test]
	fn update_of_another_model_is_rejected() {
		let other = ModelSpec::SoftmaxRegression { inputs: 3, classes: 2 }.schema().unwrap();
		let wrong_model = Update {
			schema_hash: other.hash(),
			author: AUTHOR,
			num_samples: 5,
			values: vec![0; 8],
		};
		assert!(matches!(
			check(&honest(&wrong_model)),
			Err(Rejection::NotOfTheModel(EncodingError::SchemaHashMismatch { .. }))
		));
		// The task's schema hash over a different number of values.
		let truncated = Update {
			schema_hash: schema().hash(),
			author: AUTHOR,
			num_samples: 5,
			values: vec![0; 4],
		};
		assert!(matches!(
			check(&honest(&truncated)),
			Err(Rejection::NotOfTheModel(EncodingError::ValueCountMismatch { .. }))
		));
	}

	#[test]
	fn rejections_say_what_the_daemon_logs() {
		let unavailable = Rejection::Unavailable("not fetched within 6s".to_string());
		assert_eq!(unavailable.to_string(), "unavailable: not fetched within 6s");
		let forged = Rejection::SampleCountMismatch { header: 5, chain: 4 };
		assert_eq!(forged.to_string(), "claims 5 samples, 4 on chain");
		assert_eq!(
			Rejection::CommitmentMismatch.to_string(),
			"bytes do not match the on-chain commitment"
		);
		let malformed = Rejection::Malformed(EncodingError::Truncated { len: 3 });
		assert!(malformed.to_string().starts_with("malformed: update has 3 bytes"));
	}

	#[test]
	fn a_subgroup_aggregate_leaves_out_every_rejected_update_and_names_its_position() {
		let honest_updates = [update(10, [10, 20, 30, 40, 50, 60]), update(30, [2, 4, 6, 8, 0, 0])];
		let mut forged_samples = honest(&update(10, [1_000; 6]));
		forged_samples.num_samples = 1;
		let mut swapped = honest(&update(10, [-1_000; 6]));
		swapped.commitment = commitment_of(&honest_updates[0].values);
		let submitted = vec![
			honest(&honest_updates[0]),
			forged_samples,
			Submitted {
				bytes: Err(Rejection::Unavailable("timed out".to_string())),
				commitment: [0; 32],
				author: [7; 32],
				num_samples: 7,
				stale: None,
			},
			honest(&honest_updates[1]),
			swapped,
		];
		let (aggregate, rejected) = aggregate_subgroup(
			&Sequential,
			&AggregationRule::FedAvg,
			&schema(),
			&submitted,
			&CommitmentSample::all(submitted.len()),
			None,
			commitment_of,
		)
		.unwrap();
		let expected = AggregationRule::FedAvg.aggregate(&[&honest_updates[0], &honest_updates[1]]);
		assert_eq!(aggregate, Some(expected.unwrap()));
		assert_eq!(
			rejected,
			vec![
				(1, Rejection::SampleCountMismatch { header: 10, chain: 1 }),
				(2, Rejection::Unavailable("timed out".to_string())),
				(4, Rejection::CommitmentMismatch),
			]
		);
	}

	/// A subgroup of twenty with one participant whose bytes do not open its commitment:
	/// in its panel's sample it is invalid; outside it, it is aggregated like the others
	/// (no commitment computed but the sample's), and its scorers find it unopened.
	#[test]
	fn a_commitment_mismatch_is_invalid_in_the_sample_and_unopened_at_scoring_outside_it() {
		let updates: Vec<Update> = (0..20i32).map(|i| update(1 + i as u64, [i; 6])).collect();
		let seed = [3u8; 32];
		let sample = CommitmentSample::drawn(&seed, 0, updates.len());
		let (inside, outside) = (
			sample.positions().next().unwrap(),
			(0..updates.len()).find(|p| !sample.checks(*p)).unwrap(),
		);
		for (swapped_at, sampled) in [(inside, true), (outside, false)] {
			let mut submitted: Vec<_> = updates.iter().map(honest).collect();
			submitted[swapped_at].commitment = commitment_of(&[-9; 6]);
			let computed = core::sync::atomic::AtomicUsize::new(0);
			let counting = |values: &[i32]| {
				computed.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
				commitment_of(values)
			};
			let (aggregate, rejected) = aggregate_subgroup(
				&Sequential,
				&AggregationRule::FedAvg,
				&schema(),
				&submitted,
				&sample,
				None,
				counting,
			)
			.unwrap();
			assert_eq!(computed.into_inner(), COMMITMENT_CHECKS, "only the sample is hashed");
			let valid: Vec<&Update> = if sampled {
				assert_eq!(rejected, vec![(swapped_at, Rejection::CommitmentMismatch)]);
				updates
					.iter()
					.enumerate()
					.filter(|(p, _)| *p != swapped_at)
					.map(|(_, u)| u)
					.collect()
			} else {
				assert_eq!(rejected, vec![]);
				updates.iter().collect()
			};
			assert_eq!(aggregate, Some(AggregationRule::FedAvg.aggregate(&valid).unwrap()));
			let bytes = submitted[swapped_at].bytes.as_deref().unwrap();
			let commitment = &submitted[swapped_at].commitment;
			let scored = check_scored(bytes, &schema(), commitment, true, commitment_of);
			assert_eq!(scored, Ok(Scored::Unopened));
			// A global model's panel checked it whole: a mismatch there is the fetch's failure.
			let global = check_scored(bytes, &schema(), commitment, false, commitment_of);
			assert_eq!(global, Err(Rejection::CommitmentMismatch));
		}
		let honest_bytes = honest(&updates[1]);
		let scored = check_scored(
			honest_bytes.bytes.as_deref().unwrap(),
			&schema(),
			&honest_bytes.commitment,
			true,
			commitment_of,
		);
		assert_eq!(scored, Ok(Scored::Model(updates[1].clone())));
	}

	/// A copier submits another participant's `(cid, commitment)`, perhaps in an earlier
	/// block than the original: the bytes name the original's author, so the copy is
	/// invalid and the original valid, and the chain's order decides nothing.
	#[test]
	fn a_copy_names_its_original_author_whichever_block_it_lands_in() {
		let original = honest(&update(5, [1, -2, 3, 4, 5, 6]));
		let copy = Submitted { author: [5; 32], ..original.clone() };
		let (aggregate, rejected) = aggregate_subgroup(
			&Sequential,
			&AggregationRule::FedAvg,
			&schema(),
			&[copy, original.clone()],
			&CommitmentSample::all(2),
			None,
			commitment_of,
		)
		.unwrap();
		assert_eq!(rejected, vec![(0, Rejection::NotTheAuthor)]);
		let expected = Update { author: crate::NO_AUTHOR, ..check(&original).unwrap() };
		assert_eq!(aggregate, Some(expected), "an aggregate is nobody's update");
		// Re-encoded under the copier's name the values would pass, but that takes the
		// bytes, which are published only once no update can be submitted.
		let renamed = Update { author: [5; 32], ..update(5, [1, -2, 3, 4, 5, 6]) };
		assert!(check(&honest(&renamed)).is_ok());
	}

	#[test]
	fn an_update_of_the_model_it_trained_from_trained_nothing() {
		let (trained, global) = ([1u8; 32], [9u8; 32]);
		assert!(!trained_nothing(&trained, &global));
		assert!(trained_nothing(&global, &global), "the model it was to train from, resubmitted");
		assert_eq!(
			Rejection::TrainedNothing.to_string(),
			"commits to the model it was to train from: nothing trained"
		);
	}

	/// The aggregation commit phase of `length` blocks ending at block 100: the first block
	/// at which an evaluator stops waiting for a missing update.
	#[test]
	fn an_evaluator_waits_for_updates_for_half_the_commit_phase() {
		let first_final =
			|length: u64| (100 - length..100).find(|now| !waits_for_updates(*now, 100, length));
		// Three blocks (97, 98, 99): wait at 97, commit at 98 (included in 99, the last).
		assert_eq!(first_final(3), Some(98));
		assert_eq!(first_final(10), Some(94));
		// One or two blocks leave no time to wait.
		assert_eq!(first_final(1), Some(99));
		assert_eq!(first_final(2), Some(98));
		// Past the phase (a driver that fell behind) nothing is waited for.
		assert!(!waits_for_updates(100, 100, 3));
		assert!(!waits_for_updates(u64::MAX, 100, 3));
	}

	#[test]
	fn a_subgroup_without_a_valid_update_has_no_aggregate() {
		let missing = Submitted {
			bytes: Err(Rejection::Unavailable("no provider".to_string())),
			commitment: [0; 32],
			author: AUTHOR,
			num_samples: 1,
			stale: None,
		};
		let outcome = aggregate_subgroup(
			&Sequential,
			&AggregationRule::Median,
			&schema(),
			&[missing],
			&CommitmentSample::all(1),
			None,
			commitment_of,
		);
		assert_eq!(outcome, Ok((None, vec![(0, Rejection::Unavailable("no provider".into()))])));
		let empty: [Submitted<[u8; 32]>; 0] = [];
		let outcome = aggregate_subgroup(
			&Sequential,
			&AggregationRule::FedAvg,
			&schema(),
			&empty,
			&CommitmentSample::all(0),
			None,
			commitment_of,
		);
		assert_eq!(outcome, Ok((None, Vec::new())));
	}

	#[test]
	fn a_rule_that_cannot_run_on_the_valid_updates_fails_the_duty() {
		// Krum with f = 1 needs 2f + 3 = 5 valid updates.
		let submitted: Vec<_> = (0..4).map(|i| honest(&update(1, [i; 6]))).collect();
		let outcome = aggregate_subgroup(
			&Sequential,
			&AggregationRule::Krum { f: 1 },
			&schema(),
			&submitted,
			&CommitmentSample::all(submitted.len()),
			None,
			commitment_of,
		);
		assert_eq!(outcome, Err(AggregateError::TooFewUpdates { required: 5, found: 4 }));
	}

	#[test]
	fn a_carried_over_model_adds_no_weight_to_the_global_model() {
		let current = update(40, [7, 7, 7, 7, 7, 7]);
		let accepted = [update(10, [1, 2, 3, 4, 5, 6]), carried_over(current.clone())];
		assert_eq!(accepted[1].values, current.values);
		let global = combine(&Sequential, &accepted).unwrap();
		assert_eq!(global, Some(Update { author: crate::NO_AUTHOR, ..accepted[0].clone() }));
	}

	#[test]
	fn a_round_without_weighted_aggregates_keeps_the_previous_model() {
		assert_eq!(combine(&Sequential, &[]), Ok(None));
		let carried = carried_over(update(40, [7; 6]));
		assert_eq!(combine(&Sequential, &[carried.clone(), carried]), Ok(None));
	}

	#[test]
	fn the_global_model_weights_subgroups_by_their_samples() {
		let accepted = [update(10, [10; 6]), update(30, [50; 6])];
		let global = combine(&Sequential, &accepted).unwrap().unwrap();
		assert_eq!((global.num_samples, global.values), (40, vec![40; 6]));
	}
}
