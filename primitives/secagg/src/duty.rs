//! The evaluator's duty for a secure-aggregation subgroup, without I/O: from the masked
//! uploads it fetched and the chain's record of the round (who advertised which key, who
//! uploaded, who handed over which share) to the subgroup's FedAvg, with the shape of
//! `din_fl::duty::aggregate_subgroup` so that the `din evaluator` daemon and the runtime's
//! off-chain worker use it the same way and agree bit for bit.
//!
//! Each upload is checked as a plain update is: bytes that decode as a masked update of the
//! task's model (`DINS`, [`crate::artifact`]), naming the submitting participant as author,
//! weighted by the sample count submitted on chain, hashing to the commitment submitted on
//! chain (SHA-256 of the artifact). One bad upload spoils the whole sum, since its masks
//! cancel nothing: the subgroup then has no aggregate, and the uploads to blame are the
//! rejected ones (the driver commits `din_fl::duty::carried_over`, the model the round
//! trained from with no weight, and the invalid set slashes their participants). A holder
//! whose share the other shares outvote (off the polynomial of the secret its owner
//! advertised) is to blame too, and the sum stands. A sum that cannot be unmasked (fewer
//! hand-overs than the threshold, or no threshold of shares that recovers what the owner
//! advertised) has no aggregate and nobody to blame from the chain's record alone: the
//! subgroup carries the model over.

use alloc::{string::ToString, vec::Vec};
use din_fl::duty::{Rejection, SubgroupOutcome};
use din_fl::encoding::{Author, Update};
use din_fl::spec::Schema;
use sha2::{Digest, Sha256};

use crate::artifact::MaskedUpdate;
use crate::unmask::{self, Advertised, Handed};
use crate::{mask, Context, SecAggError, Seed};

/// The commitment a member submits on chain for its masked upload: SHA-256 of the artifact.
pub fn masked_commitment(artifact: &[u8]) -> [u8; 32] {
	Sha256::digest(artifact).into()
}

/// One masked upload as an evaluator fetched it, with what the chain records of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaskedSubmitted {
	/// The member's number in its subgroup.
	pub member: u32,
	/// The fetched bytes (checked against the CID by the fetcher), or why there are none.
	pub bytes: Result<Vec<u8>, Rejection>,
	/// The commitment submitted on chain.
	pub commitment: [u8; 32],
	/// The author the submitting account must be named as.
	pub author: Author,
	/// The sample count submitted on chain.
	pub num_samples: u64,
}

/// The round's record of one secure subgroup, as the chain keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
	/// Every member that advertised a round key.
	pub advertised: Vec<Advertised>,
	/// The shares the members that uploaded handed over, each at its holder's point.
	pub handed: Vec<Handed>,
	/// The Shamir threshold (`crate::member::threshold` of the eligible members).
	pub threshold: u8,
	/// The subgroup's context.
	pub context: Context,
}

impl Record {
	/// The record of a subgroup as the chain keeps it (`din_primitives::SecureSubgroup`):
	/// `eligible` members, each advertised `(member, round key, self-seed commitment)`, the
	/// `uploaded` members as a bit set, and each hand-over `(holder, [(owner, share)])`. A
	/// share is of the owner's self seed if the owner uploaded, else of its round key secret:
	/// the chain's one record decides the kind for every holder.
	pub fn from_chain(
		eligible: u32,
		advertised: impl IntoIterator<Item = (u32, Seed, Seed)>,
		uploaded: u32,
		handovers: impl IntoIterator<Item = (u32, Vec<(u32, Seed)>)>,
		context: Context,
	) -> Self {
		let advertised = advertised
			.into_iter()
			.map(|(member, public, self_seed_commitment)| Advertised {
				member,
				public,
				self_seed_commitment,
			})
			.collect();
		let mut handed = Vec::new();
		for (holder, shares) in handovers {
			for (owner, y) in shares {
				// Points are one-based member numbers; a subgroup has at most 32 members.
				let share = crate::shamir::Share { x: holder as u8 + 1, y };
				let share = if owner < 32 && uploaded & (1 << owner) != 0 {
					crate::unmask::Handover::SelfSeed(share)
				} else {
					crate::unmask::Handover::KeySecret(share)
				};
				handed.push(Handed { holder, owner, share });
			}
		}
		Self { advertised, handed, threshold: crate::member::threshold(eligible), context }
	}

	/// The members that uploaded, in `uploaded`'s bit order.
	pub fn uploaded_members(uploaded: u32) -> Vec<u32> {
		(0..32).filter(|m| uploaded & (1 << m) != 0).collect()
	}
}

/// Checks one fetched upload; the masked words if it is what the chain names.
fn check(upload: &MaskedSubmitted, schema: &Schema) -> Result<MaskedUpdate, Rejection> {
	let bytes = upload.bytes.as_ref().map_err(Clone::clone)?;
	let masked = MaskedUpdate::decode(bytes, Some(schema.value_count()))
		.map_err(|e| Rejection::NotMasked(alloc::format!("{e:?}")))?;
	if masked.schema_hash != schema.hash() {
		return Err(Rejection::NotMasked("made for another model".to_string()));
	}
	if masked.author != upload.author {
		return Err(Rejection::NotTheAuthor);
	}
	if masked.num_samples != upload.num_samples {
		return Err(Rejection::SampleCountMismatch {
			header: masked.num_samples,
			chain: upload.num_samples,
		});
	}
	if masked_commitment(bytes) != upload.commitment {
		return Err(Rejection::CommitmentMismatch);
	}
	Ok(masked)
}

/// The subgroup's aggregate from its `uploads` and the chain's `record`: `(Some(FedAvg of
/// the uploaders' updates), [])`, or `(None, rejected uploads by position)` when the sum
/// cannot be unmasked (module docs), with the reason it could not when nobody is to blame.
pub fn aggregate_masked(
	schema: &Schema,
	uploads: &[MaskedSubmitted],
	record: &Record,
) -> (SubgroupOutcome, Option<SecAggError>) {
	let mut words = Vec::with_capacity(uploads.len());
	let mut rejected = Vec::new();
	for (index, upload) in uploads.iter().enumerate() {
		match check(upload, schema) {
			Ok(masked) => words.push(masked.words),
			Err(why) => rejected.push((index, why)),
		}
	}
	if !rejected.is_empty() || uploads.is_empty() {
		return ((None, rejected), None);
	}
	let total = mask::sum(words.iter().map(Vec::as_slice), schema.value_count());
	drop(words);
	let uploaded: Vec<u32> = uploads.iter().map(|u| u.member).collect();
	// The same shares in the same order for every evaluator, whatever order it read them in.
	let mut handed = record.handed.clone();
	handed.sort_by_key(|h| (h.owner, h.holder));
	let recovered = unmask::recover(
		total,
		&record.advertised,
		&uploaded,
		&handed,
		record.threshold,
		&record.context,
	);
	let recovered = match recovered {
		Ok(recovered) => recovered,
		Err(why) => return ((None, Vec::new()), Some(why)),
	};
	// A holder outvoted by the other shares lied: it is to blame, and the sum stands.
	let rejected = uploads
		.iter()
		.enumerate()
		.filter(|(_, u)| recovered.wrong_shares.contains(&u.member))
		.map(|(index, _)| (index, Rejection::WrongShare))
		.collect();
	let samples: u64 = uploads.iter().map(|u| u.num_samples).sum();
	match din_fl::rules::mean_of_weighted_sum(&recovered.weighted_sum, samples) {
		Ok(values) => {
			let update = Update {
				schema_hash: schema.hash(),
				author: din_fl::NO_AUTHOR,
				num_samples: samples,
				values,
			};
			((Some(update), rejected), None)
		},
		// The chain refuses an update of zero samples, so the total is never zero.
		Err(_) => ((None, Vec::new()), Some(SecAggError::NoShares)),
	}
}
