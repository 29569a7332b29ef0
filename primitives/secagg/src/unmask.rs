//! The unmasking step as the unmasker runs it: from the survivors' hand-over of shares and
//! the round's public keys to the subgroup's FedAvg numerator.
//!
//! Each survivor hands over, for every member of its subgroup, one share: of the self seed
//! of a member that uploaded, of the key secret of a member that did not
//! ([`Handover`]). A member whose self seed and key secret both reached the unmasker would
//! have its update read, so [`recover`] refuses a hand-over of the other kind. A recovered
//! secret is checked against what its member advertised with its key: a key secret against
//! the public key, a self seed against its commitment ([`self_seed_commitment`]). A holder
//! that handed over a wrong share is refused then, instead of unmasking to garbage.

use alloc::{collections::BTreeMap, vec::Vec};

use sha2::{Digest, Sha256};

use crate::keys::KeyPair;
use crate::{mask, shamir, Context, SecAggError, Seed};

/// What a member advertises of its self seed with its key: a hash that lets the unmasker
/// check the seed recovered from shares, and says nothing of the seed.
pub fn self_seed_commitment(self_seed: &Seed, context: &Context) -> Seed {
	Sha256::new()
		.chain_update(b"din/secagg/v1/self-seed")
		.chain_update(context.to_bytes())
		.chain_update(self_seed)
		.finalize()
		.into()
}

/// One survivor's share of one member's secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handover {
	/// Of the self-mask seed of a member that uploaded its masked update.
	SelfSeed(shamir::Share),
	/// Of the key secret of a member that did not.
	KeySecret(shamir::Share),
}

/// A hand-over: `holder` gives its share of `owner`'s secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handed {
	/// The survivor that held the share.
	pub holder: u32,
	/// The member whose secret it is a share of.
	pub owner: u32,
	/// The share.
	pub share: Handover,
}

/// What member `member` advertised for the round: its round key and the commitment to its
/// self seed ([`self_seed_commitment`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Advertised {
	/// Its number among the subgroup's eligible members.
	pub member: u32,
	/// Its round key.
	pub public: Seed,
	/// The commitment to its self seed.
	pub self_seed_commitment: Seed,
}

/// The survivors' FedAvg numerator `Σ nᵢ·xᵢ` from the wrapping `total` of their masked
/// updates: `advertised` are the members that masked against each other, `uploaded` those
/// of them whose masked update is in `total`, `handed` the survivors' shares; each owner's
/// secret is recovered from its first `threshold` shares.
pub fn recover(
	total: Vec<u64>,
	advertised: &[Advertised],
	uploaded: &[u32],
	handed: &[Handed],
	threshold: u8,
	context: &Context,
) -> Result<Vec<i64>, SecAggError> {
	let find = |member: u32| advertised.iter().find(|a| a.member == member);
	let mut self_shares: BTreeMap<u32, Vec<shamir::Share>> = BTreeMap::new();
	let mut key_shares: BTreeMap<u32, Vec<shamir::Share>> = BTreeMap::new();
	if uploaded.iter().any(|u| find(*u).is_none()) {
		return Err(SecAggError::InvalidShares);
	}
	for h in handed {
		if !uploaded.contains(&h.holder) || find(h.owner).is_none() {
			return Err(SecAggError::InvalidShares);
		}
		match (&h.share, uploaded.contains(&h.owner)) {
			(Handover::SelfSeed(share), true) => {
				self_shares.entry(h.owner).or_default().push(share.clone())
			},
			(Handover::KeySecret(share), false) => {
				key_shares.entry(h.owner).or_default().push(share.clone())
			},
			// The other kind would give the unmasker both secrets of one member.
			_ => return Err(SecAggError::BothSecretsOfOneMember),
		}
	}
	let enough = |shares: Option<&Vec<shamir::Share>>| -> Result<Vec<shamir::Share>, SecAggError> {
		let shares = shares.ok_or(SecAggError::TooFewShares)?;
		if shares.len() < threshold as usize {
			return Err(SecAggError::TooFewShares);
		}
		Ok(shares[..threshold as usize].to_vec())
	};
	let mut self_seeds = Vec::with_capacity(uploaded.len());
	for owner in uploaded {
		let seed = shamir::combine(&enough(self_shares.get(owner))?)?;
		let advertised = find(*owner).expect("checked above");
		if self_seed_commitment(&seed, context) != advertised.self_seed_commitment {
			return Err(SecAggError::SharesInconsistent);
		}
		self_seeds.push(seed);
	}
	let mut dropped_pairs = Vec::new();
	for dropped in advertised.iter().filter(|a| !uploaded.contains(&a.member)) {
		let secret = shamir::combine(&enough(key_shares.get(&dropped.member))?)?;
		let keys = KeyPair::from_secret(secret);
		if keys.public() != dropped.public {
			return Err(SecAggError::SharesInconsistent);
		}
		for survivor in uploaded {
			let public = find(*survivor).expect("checked above").public;
			let seed = keys.agree(&public, context)?.mask_seed;
			dropped_pairs.push((*survivor, dropped.member, seed));
		}
	}
	Ok(mask::unmask(total, &self_seeds, &dropped_pairs))
}
