//! A subgroup member's side of one round, as the participant daemon will run it: make the
//! round's key and self seed, seal each other member's pair of shares, mask the update,
//! and hand over the shares the unmasker may have once the uploads are known.

use alloc::vec::Vec;
use rand_core::{CryptoRng, RngCore};

use crate::keys::{open_shares, seal_shares, KeyPair, ShareBundle};
use crate::unmask::{Handed, Handover};
use crate::{mask, shamir, Context, SecAggError, Seed};

/// Member `me` of a subgroup in one round: its key pair, self seed and the shares it keeps.
pub struct Member {
	context: Context,
	me: u32,
	keys: KeyPair,
	self_seed: Seed,
	/// The shares at its own point, kept from its own split.
	own: Option<ShareBundle>,
}

impl Member {
	/// A member with a fresh key pair and self seed from `rng`.
	pub fn new<R: RngCore + CryptoRng>(context: Context, me: u32, rng: &mut R) -> Self {
		let mut self_seed = [0u8; 32];
		rng.fill_bytes(&mut self_seed);
		Self { context, me, keys: KeyPair::generate(rng), self_seed, own: None }
	}

	/// The public key it advertises for the round.
	pub fn public(&self) -> Seed {
		self.keys.public()
	}

	/// The commitment to its self seed it advertises with its key.
	pub fn self_seed_commitment(&self) -> Seed {
		crate::unmask::self_seed_commitment(&self.self_seed, &self.context)
	}

	/// Splits its self seed and key secret into one share per member (`publics`, in member
	/// order, its own included), any `threshold` recovering each, and seals every other
	/// member's pair to it: `(recipient, sealed bytes)`. Keeps its own pair.
	pub fn seal_shares<R: RngCore + CryptoRng>(
		&mut self,
		publics: &[Seed],
		threshold: u8,
		rng: &mut R,
	) -> Result<Vec<(u32, Vec<u8>)>, SecAggError> {
		let count = u8::try_from(publics.len()).map_err(|_| SecAggError::InvalidThreshold)?;
		let self_shares = shamir::split(&self.self_seed, threshold, count, rng)?;
		let key_shares = shamir::split(&self.keys.secret(), threshold, count, rng)?;
		let mut sealed = Vec::with_capacity(publics.len());
		for (to, (self_seed, key_secret)) in self_shares.into_iter().zip(key_shares).enumerate() {
			let bundle = ShareBundle { self_seed, key_secret };
			let to = to as u32;
			if to == self.me {
				self.own = Some(bundle);
				continue;
			}
			let pair = self.keys.agree(&publics[to as usize], &self.context)?;
			sealed.push((to, seal_shares(&pair, self.me, to, &self.context, &bundle)));
		}
		Ok(sealed)
	}

	/// Its masked, sample-weighted update against every other member of `publics`.
	pub fn mask(
		&self,
		values: &[i32],
		samples: u64,
		publics: &[Seed],
	) -> Result<Vec<u64>, SecAggError> {
		let mut pairs = Vec::with_capacity(publics.len());
		for (other, public) in publics.iter().enumerate() {
			if other as u32 != self.me {
				pairs.push((other as u32, self.keys.agree(public, &self.context)?.mask_seed));
			}
		}
		Ok(mask::mask(values, samples, self.me, &self.self_seed, &pairs))
	}

	/// Its hand-over once the uploads are known: for every member (`publics`), the share of
	/// the self seed if that member `uploaded`, else of the key secret. `received[i]` is
	/// what member `i` sealed for it (ignored for itself). A member whose bundle is missing
	/// or does not open (garbage from a member that wants to stall the unmasking, a small
	/// order key) gets no share handed and is listed second: one bad bundle does not keep
	/// this member's other shares from the unmasker. `Err(NoShares)` before
	/// [`Self::seal_shares`].
	pub fn hand_over(
		&self,
		publics: &[Seed],
		received: &[Vec<u8>],
		uploaded: &[u32],
	) -> Result<(Vec<Handed>, Vec<u32>), SecAggError> {
		let own = self.own.as_ref().ok_or(SecAggError::NoShares)?;
		let mut handed = Vec::with_capacity(publics.len());
		let mut unopened = Vec::new();
		for (owner, public) in publics.iter().enumerate() {
			let owner = owner as u32;
			let bundle = if owner == self.me {
				own.clone()
			} else {
				let opened = self.keys.agree(public, &self.context).and_then(|pair| {
					let sealed =
						received.get(owner as usize).ok_or(SecAggError::SharesDoNotOpen)?;
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
