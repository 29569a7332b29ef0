//! A subgroup member's side of one round, as the participant daemon runs it: make the
//! round's key and self seed, seal each other member's pair of shares, mask the update,
//! and hand over the shares the unmasker may have once the uploads are known.
//!
//! Members are numbered by their place among the subgroup's *eligible* members (those with
//! a share key when the round started, in seat order); a member's Shamir point is its
//! number plus one. Only those that then *advertised* a round key (and sealed shares to
//! every eligible member with it) mask against each other.

use alloc::vec::Vec;
use rand_core::{CryptoRng, RngCore};

use crate::keys::{open_shares, seal_shares, KeyPair, ShareBundle};
use crate::unmask::{Handed, Handover};
use crate::{mask, shamir, Context, SecAggError, Seed};

/// Member `me` of a subgroup in one round: its keys, self seed and the shares it keeps.
pub struct Member {
	context: Context,
	me: u32,
	round_keys: KeyPair,
	share_keys: KeyPair,
	self_seed: Seed,
	/// The shares at its own point, kept from its own split.
	own: Option<ShareBundle>,
}

impl Member {
	/// A member with its task's `share_keys`, a fresh round key pair and self seed from `rng`.
	pub fn new<R: RngCore + CryptoRng>(
		context: Context,
		me: u32,
		share_keys: KeyPair,
		rng: &mut R,
	) -> Self {
		let mut self_seed = [0u8; 32];
		rng.fill_bytes(&mut self_seed);
		Self { context, me, round_keys: KeyPair::generate(rng), share_keys, self_seed, own: None }
	}

	/// Its number among the eligible members.
	pub fn me(&self) -> u32 {
		self.me
	}

	/// The round key it advertises.
	pub fn public(&self) -> Seed {
		self.round_keys.public()
	}

	/// The commitment to its self seed it advertises with its round key.
	pub fn self_seed_commitment(&self) -> Seed {
		crate::unmask::self_seed_commitment(&self.self_seed, &self.context)
	}

	/// Splits its self seed and round key secret into one share per eligible member
	/// (`share_publics`, their share keys in member order, its own included), any `threshold`
	/// recovering each, and seals every other member's pair to that member's share key:
	/// `(recipient, sealed bytes)`. Keeps its own pair.
	pub fn seal_shares<R: RngCore + CryptoRng>(
		&mut self,
		share_publics: &[Seed],
		threshold: u8,
		rng: &mut R,
	) -> Result<Vec<(u32, Vec<u8>)>, SecAggError> {
		let count = u8::try_from(share_publics.len()).map_err(|_| SecAggError::InvalidThreshold)?;
		let self_shares = shamir::split(&self.self_seed, threshold, count, rng)?;
		let key_shares = shamir::split(&self.round_keys.secret(), threshold, count, rng)?;
		let mut sealed = Vec::with_capacity(share_publics.len());
		for (to, (self_seed, key_secret)) in self_shares.into_iter().zip(key_shares).enumerate() {
			let bundle = ShareBundle { self_seed, key_secret };
			let to = to as u32;
			if to == self.me {
				self.own = Some(bundle);
				continue;
			}
			let pair = self.share_keys.agree(&share_publics[to as usize], &self.context)?;
			sealed.push((to, seal_shares(&pair, self.me, to, &self.context, &bundle)));
		}
		Ok(sealed)
	}

	/// Its masked, sample-weighted update against every other member of `advertised`
	/// (`(member, round key)`, its own entry skipped).
	pub fn mask(
		&self,
		values: &[i32],
		samples: u64,
		advertised: &[(u32, Seed)],
	) -> Result<Vec<u64>, SecAggError> {
		let mut pairs = Vec::with_capacity(advertised.len());
		for (other, public) in advertised {
			if *other != self.me {
				pairs.push((*other, self.round_keys.agree(public, &self.context)?.mask_seed));
			}
		}
		Ok(mask::mask(values, samples, self.me, &self.self_seed, &pairs))
	}

	/// Its hand-over once the uploads are known: for every member that `advertised`, the
	/// share of its self seed if that member `uploaded`, else of its round key secret.
	/// `received` holds what each member sealed for this one (`(sender, sealed bytes)`), opened
	/// under the sender's share key in `share_publics`. A member whose bundle is missing or
	/// does not open (garbage from a member that wants to stall the unmasking) gets no share
	/// handed and is listed second: one bad bundle does not keep this member's other shares
	/// from the unmasker. `Err(NoShares)` before [`Self::seal_shares`].
	pub fn hand_over(
		&self,
		share_publics: &[Seed],
		received: &[(u32, Vec<u8>)],
		advertised: &[u32],
		uploaded: &[u32],
	) -> Result<(Vec<Handed>, Vec<u32>), SecAggError> {
		let own = self.own.as_ref().ok_or(SecAggError::NoShares)?;
		let mut handed = Vec::with_capacity(advertised.len());
		let mut unopened = Vec::new();
		for &owner in advertised {
			let bundle = if owner == self.me {
				own.clone()
			} else {
				let opened = share_publics
					.get(owner as usize)
					.ok_or(SecAggError::SharesDoNotOpen)
					.and_then(|public| self.share_keys.agree(public, &self.context))
					.and_then(|pair| {
						let (_, sealed) = received
							.iter()
							.find(|(from, _)| *from == owner)
							.ok_or(SecAggError::SharesDoNotOpen)?;
						open_shares(&pair, owner, self.me, &self.context, sealed)
					});
				match opened {
					Ok(bundle) => bundle,
					Err(_) => {
						unopened.push(owner);
						continue;
					},
				}
			};
			let share = if uploaded.contains(&owner) {
				Handover::SelfSeed(bundle.self_seed)
			} else {
				Handover::KeySecret(bundle.key_secret)
			};
			handed.push(Handed { holder: self.me, owner, share });
		}
		Ok((handed, unopened))
	}
}

/// The Shamir threshold of a subgroup of `eligible` members: a strict majority, so that the
/// shares of the members that hand over one kind of secret can never be outnumbered by a
/// minority that would hand over the other.
pub fn threshold(eligible: u32) -> u8 {
	(eligible / 2 + 1).min(u8::MAX as u32) as u8
}
