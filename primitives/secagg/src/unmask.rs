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

/// What the unmasking recovered: the survivors' `Σ nᵢ·xᵢ`, and the holders that handed over
/// a share off the polynomial of the secret it belongs to (a lie that the other shares
/// outvoted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovered {
	/// `Σ nᵢ·xᵢ` over the members whose masked update is in the total.
	pub weighted_sum: Vec<i64>,
	/// The holders of wrong shares, ascending.
	pub wrong_shares: Vec<u32>,
}

/// How many `threshold`-subsets of one secret's shares are tried before the secret counts
/// as unrecoverable: every subset of a subgroup of up to 10 holders, and a bounded search
/// beyond.
const MAX_TRIALS: usize = 256;

/// One owner's secret from `shares` (`(holder, share)`): the first `threshold`-subset of them
/// (in order) whose secret `matches` accepts (what the owner advertised), and the holders
/// whose shares lie off that subset's polynomial, named only when that polynomial is the
/// only one that `threshold` of the shares could have come from with so few disagreeing:
/// fewer disagree than agree beyond `threshold − 1` (unique decoding, as for a Reed-Solomon
/// code). Up to `(shares − threshold) / 2` wrong shares are so named exactly; more could
/// agree on another polynomial through the secret and make honest shares look wrong, so
/// then nobody is named. The secret itself is right either way: it matches what its owner
/// advertised.
fn recover_secret(
	shares: &[(u32, shamir::Share)],
	threshold: u8,
	matches: impl Fn(&Seed) -> bool,
) -> Result<(Seed, Vec<u32>), SecAggError> {
	let t = threshold as usize;
	if t == 0 || shares.len() < t {
		return Err(SecAggError::TooFewShares);
	}
	// Subsets of `t` positions in lexicographic order, the first `t` first.
	let mut picked: Vec<usize> = (0..t).collect();
	for _ in 0..MAX_TRIALS {
		let subset: Vec<shamir::Share> = picked.iter().map(|&i| shares[i].1.clone()).collect();
		let secret = shamir::combine(&subset)?;
		if matches(&secret) {
			let mut disagreeing = Vec::new();
			for (holder, share) in shares {
				if shamir::interpolate(&subset, share.x)? != share.y {
					disagreeing.push(*holder);
				}
			}
			let agreeing = shares.len() - disagreeing.len();
			if disagreeing.len() >= agreeing - (t - 1) {
				disagreeing.clear();
			}
			return Ok((secret, disagreeing));
		}
		// The next subset: advance the last position that can move.
		let Some(k) = (0..t).rev().find(|&k| picked[k] < shares.len() - t + k) else { break };
		picked[k] += 1;
		for j in k + 1..t {
			picked[j] = picked[j - 1] + 1;
		}
	}
	Err(SecAggError::SharesInconsistent)
}

/// The survivors' FedAvg numerator `Σ nᵢ·xᵢ` from the wrapping `total` of their masked
/// updates: `advertised` are the members that masked against each other, `uploaded` those
/// of them whose masked update is in `total`, `handed` the survivors' shares. Each owner's
/// secret is recovered from `threshold` of its shares that give what the owner advertised
/// (its round key, its self-seed commitment); a holder whose share provably lies off that
/// secret's polynomial is named in [`Recovered::wrong_shares`] (`recover_secret`).
pub fn recover(
	total: Vec<u64>,
	advertised: &[Advertised],
	uploaded: &[u32],
	handed: &[Handed],
	threshold: u8,
	context: &Context,
) -> Result<Recovered, SecAggError> {
	let find = |member: u32| advertised.iter().find(|a| a.member == member);
	let mut self_shares: BTreeMap<u32, Vec<(u32, shamir::Share)>> = BTreeMap::new();
	let mut key_shares: BTreeMap<u32, Vec<(u32, shamir::Share)>> = BTreeMap::new();
	if uploaded.iter().any(|u| find(*u).is_none()) {
		return Err(SecAggError::InvalidShares);
	}
	for h in handed {
		if !uploaded.contains(&h.holder) || find(h.owner).is_none() {
			return Err(SecAggError::InvalidShares);
		}
		match (&h.share, uploaded.contains(&h.owner)) {
			(Handover::SelfSeed(share), true) => {
				self_shares.entry(h.owner).or_default().push((h.holder, share.clone()))
			},
			(Handover::KeySecret(share), false) => {
				key_shares.entry(h.owner).or_default().push((h.holder, share.clone()))
			},
			// The other kind would give the unmasker both secrets of one member.
			_ => return Err(SecAggError::BothSecretsOfOneMember),
		}
	}
	let none = Vec::new();
	let mut wrong_shares = Vec::new();
	let mut self_seeds = Vec::with_capacity(uploaded.len());
	for owner in uploaded {
		let advertised = find(*owner).expect("checked above");
		let (seed, wrong) =
			recover_secret(self_shares.get(owner).unwrap_or(&none), threshold, |seed| {
				self_seed_commitment(seed, context) == advertised.self_seed_commitment
			})?;
		wrong_shares.extend(wrong);
		self_seeds.push(seed);
	}
	let mut dropped_pairs = Vec::new();
	for dropped in advertised.iter().filter(|a| !uploaded.contains(&a.member)) {
		let (secret, wrong) = recover_secret(
			key_shares.get(&dropped.member).unwrap_or(&none),
			threshold,
			|secret| {
				crate::keys::is_canonical(secret)
					&& KeyPair::from_secret(*secret).public() == dropped.public
			},
		)?;
		wrong_shares.extend(wrong);
		let keys = KeyPair::from_secret(secret);
		for survivor in uploaded {
			let public = find(*survivor).expect("checked above").public;
			let seed = keys.agree(&public, context)?.mask_seed;
			dropped_pairs.push((*survivor, dropped.member, seed));
		}
	}
	wrong_shares.sort();
	wrong_shares.dedup();
	Ok(Recovered { weighted_sum: mask::unmask(total, &self_seeds, &dropped_pairs), wrong_shares })
}
