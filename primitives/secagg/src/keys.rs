//! Per-round key agreement between the members of a subgroup, and the sealed transport of
//! each member's shares to each other member.
//!
//! Every member holds two X25519 key pairs: a *round key*, fresh each round, and a *share
//! key*, registered once per task. Two members' agreement yields two secrets, derived by
//! SHA-256 under distinct labels from the shared point, both public keys (in ascending
//! order, so both sides derive the same) and the [`Context`]: the seed of a pairwise mask,
//! and the key shares travel under. Masks come from the round keys' agreement, sealed shares
//! from the share keys' (as SecAgg keeps its `c` and `s` keys apart). A member's round key
//! secret is one of the two values it secret-shares: recovering it (for a member that
//! dropped) reveals its pairwise mask seeds of that round only, and opens none of its sealed
//! shares, which travel in public (on chain): those would give away its self seed too.

use alloc::vec::Vec;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};

use crate::shamir::Share;
use crate::{Context, SecAggError, Seed};

/// A member's X25519 key pair for one round.
pub struct KeyPair {
	secret: StaticSecret,
	public: PublicKey,
}

/// What two members' agreement gives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
	/// The seed of their pairwise mask ([`crate::mask`]).
	pub mask_seed: Seed,
	/// The key of the shares each sends the other ([`seal_shares`]).
	pub share_key: Seed,
}

impl KeyPair {
	/// A fresh key pair from `rng` (the operating system's randomness in the daemon).
	pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
		Self::from_secret(clamp(StaticSecret::random_from_rng(rng).to_bytes()))
	}

	/// The key pair of a secret: one a member kept, or one recovered from shares.
	pub fn from_secret(secret: Seed) -> Self {
		let secret = StaticSecret::from(secret);
		let public = PublicKey::from(&secret);
		Self { secret, public }
	}

	/// The public key, as the member advertises it.
	pub fn public(&self) -> Seed {
		self.public.to_bytes()
	}

	/// The secret, as the member splits it into shares.
	pub fn secret(&self) -> Seed {
		self.secret.to_bytes()
	}

	/// The secrets this key shares with the holder of `their_public` in `context`.
	pub fn agree(&self, their_public: &Seed, context: &Context) -> Result<Pair, SecAggError> {
		let theirs = PublicKey::from(*their_public);
		let shared = self.secret.diffie_hellman(&theirs);
		if !shared.was_contributory() {
			return Err(SecAggError::NonContributoryKey);
		}
		let (low, high) = if self.public.as_bytes() <= theirs.as_bytes() {
			(self.public.to_bytes(), theirs.to_bytes())
		} else {
			(theirs.to_bytes(), self.public.to_bytes())
		};
		let derive = |label: &[u8]| -> Seed {
			Sha256::new()
				.chain_update(b"din/secagg/v1/")
				.chain_update(label)
				.chain_update(context.to_bytes())
				.chain_update(low)
				.chain_update(high)
				.chain_update(shared.as_bytes())
				.finalize()
				.into()
		};
		Ok(Pair { mask_seed: derive(b"mask"), share_key: derive(b"shares") })
	}
}

/// Whether `public` is an X25519 key of small order: one whose agreement with *every*
/// secret is the same known value, so that nobody can seal shares to, or mask against, its
/// holder ([`KeyPair::agree`] fails with [`SecAggError::NonContributoryKey`]).
///
/// A clamped scalar is a multiple of the cofactor 8 below 2²⁵⁵, so it takes a point of
/// order dividing 8 (or 4, on the twist) to the identity and no other point there (the
/// large prime factors of both group orders exceed its other factor): one agreement with a
/// fixed clamped secret tells, exactly as every member's own agreement would.
pub fn is_small_order(public: &Seed) -> bool {
	let probe = StaticSecret::from(clamp([0x5a; 32]));
	!probe.diffie_hellman(&PublicKey::from(*public)).was_contributory()
}

/// `secret` clamped as X25519 uses it (RFC 7748): the low three bits and the top bit
/// cleared, the second-highest set. A generated key is stored so, so that a recovered secret
/// can be checked byte for byte: X25519 ignores the clamped bits, so a wrong share that
/// changes only those would still give the advertised public key.
pub fn clamp(mut secret: Seed) -> Seed {
	secret[0] &= 248;
	secret[31] &= 127;
	secret[31] |= 64;
	secret
}

/// Whether `secret` is clamped ([`clamp`]), as every generated key secret is.
pub fn is_canonical(secret: &Seed) -> bool {
	clamp(*secret) == *secret
}

/// The two shares member `from` gives member `to`: of its self-mask seed and of its key
/// secret, both at `to`'s point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareBundle {
	/// The share of the sender's self-mask seed.
	pub self_seed: Share,
	/// The share of the sender's key secret.
	pub key_secret: Share,
}

const BUNDLE_LEN: usize = 1 + 32 + 32;

/// The length of a sealed bundle: the bundle and ChaCha20-Poly1305's 16-byte tag.
pub const SEALED_LEN: usize = BUNDLE_LEN + 16;

/// The nonce of the message from `from` to `to`: both directions use the pair's one key.
fn nonce(from: u32, to: u32) -> Nonce {
	let mut nonce = [0u8; 12];
	nonce[..4].copy_from_slice(&from.to_le_bytes());
	nonce[4..8].copy_from_slice(&to.to_le_bytes());
	nonce.into()
}

/// `bundle` sealed from member `from` to member `to` of `context` under their `pair`'s
/// share key (ChaCha20-Poly1305, the context as associated data).
pub fn seal_shares(
	pair: &Pair,
	from: u32,
	to: u32,
	context: &Context,
	bundle: &ShareBundle,
) -> Vec<u8> {
	debug_assert_eq!(bundle.self_seed.x, bundle.key_secret.x, "one point per recipient");
	let mut plain = Vec::with_capacity(BUNDLE_LEN);
	plain.push(bundle.self_seed.x);
	plain.extend_from_slice(&bundle.self_seed.y);
	plain.extend_from_slice(&bundle.key_secret.y);
	ChaCha20Poly1305::new(&pair.share_key.into())
		.encrypt(&nonce(from, to), Payload { msg: &plain, aad: &context.to_bytes() })
		.expect("a 65-byte message is within ChaCha20-Poly1305's limits")
}

/// The bundle `from` sealed for `to`, if `sealed` opens under the pair's key in `context`.
pub fn open_shares(
	pair: &Pair,
	from: u32,
	to: u32,
	context: &Context,
	sealed: &[u8],
) -> Result<ShareBundle, SecAggError> {
	let plain = ChaCha20Poly1305::new(&pair.share_key.into())
		.decrypt(&nonce(from, to), Payload { msg: sealed, aad: &context.to_bytes() })
		.map_err(|_| SecAggError::SharesDoNotOpen)?;
	if plain.len() != BUNDLE_LEN || plain[0] == 0 {
		return Err(SecAggError::SharesDoNotOpen);
	}
	let seed =
		|range: core::ops::Range<usize>| -> Seed { plain[range].try_into().expect("32 bytes") };
	Ok(ShareBundle {
		self_seed: Share { x: plain[0], y: seed(1..33) },
		key_secret: Share { x: plain[0], y: seed(33..65) },
	})
}

#[cfg(test)]
mod tests {
	use super::*;
	use rand::SeedableRng;
	use rand_chacha::ChaCha20Rng;

	const CONTEXT: Context = Context { task: 1, round: 2, subgroup: 3 };

	#[test]
	fn both_sides_of_an_agreement_derive_the_same_secrets_and_other_contexts_others() {
		let mut rng = ChaCha20Rng::seed_from_u64(1);
		let (a, b) = (KeyPair::generate(&mut rng), KeyPair::generate(&mut rng));
		let ab = a.agree(&b.public(), &CONTEXT).unwrap();
		assert_eq!(ab, b.agree(&a.public(), &CONTEXT).unwrap());
		assert_ne!(ab.mask_seed, ab.share_key);
		let next_round = Context { round: 3, ..CONTEXT };
		assert_ne!(ab, a.agree(&b.public(), &next_round).unwrap());
		// A key pair rebuilt from its secret (recovered from shares) agrees the same.
		assert_eq!(KeyPair::from_secret(a.secret()).agree(&b.public(), &CONTEXT).unwrap(), ab);
	}

	/// The seven small-order encodings of RFC 7748's blocklist (as libsodium lists them:
	/// 0, 1, the two points of order 8, p − 1, p, p + 1), each also with bit 255 set, which
	/// X25519 ignores) are small order; random keys and every generated public key are not,
	/// and a member's agreement fails exactly with the keys that are.
	#[test]
	fn small_order_keys_are_told_apart_exactly_as_an_agreement_fails() {
		let hex = |s: &str| -> Seed {
			let mut out = [0u8; 32];
			for (i, byte) in out.iter_mut().enumerate() {
				*byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex");
			}
			out
		};
		let blocklist = [
			"0000000000000000000000000000000000000000000000000000000000000000",
			"0100000000000000000000000000000000000000000000000000000000000000",
			"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
			"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
			"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
			"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
			"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		];
		let mut rng = ChaCha20Rng::seed_from_u64(8);
		let member = KeyPair::generate(&mut rng);
		for key in blocklist.map(hex) {
			let mut high = key;
			high[31] |= 0x80;
			for key in [key, high] {
				assert!(is_small_order(&key), "{key:?}");
				assert_eq!(member.agree(&key, &CONTEXT), Err(SecAggError::NonContributoryKey));
			}
		}
		for _ in 0..64 {
			let mut random = [0u8; 32];
			rng.fill_bytes(&mut random);
			assert_eq!(is_small_order(&random), member.agree(&random, &CONTEXT).is_err());
			assert!(!is_small_order(&KeyPair::generate(&mut rng).public()));
		}
	}

	#[test]
	fn a_small_order_key_is_refused() {
		let a = KeyPair::generate(&mut ChaCha20Rng::seed_from_u64(1));
		assert_eq!(a.agree(&[0; 32], &CONTEXT), Err(SecAggError::NonContributoryKey));
	}

	#[test]
	fn sealed_shares_open_only_for_their_pair_direction_and_context() {
		let mut rng = ChaCha20Rng::seed_from_u64(2);
		let (a, b, c) =
			(KeyPair::generate(&mut rng), KeyPair::generate(&mut rng), KeyPair::generate(&mut rng));
		let ab = a.agree(&b.public(), &CONTEXT).unwrap();
		let bundle = ShareBundle {
			self_seed: Share { x: 2, y: [7; 32] },
			key_secret: Share { x: 2, y: [9; 32] },
		};
		let sealed = seal_shares(&ab, 0, 1, &CONTEXT, &bundle);
		assert_eq!(sealed.len(), SEALED_LEN);
		assert_eq!(SEALED_LEN, din_fl::SEALED_SHARES_LEN, "the length the chain stores");
		assert_eq!(open_shares(&ab, 0, 1, &CONTEXT, &sealed), Ok(bundle));
		let ac = a.agree(&c.public(), &CONTEXT).unwrap();
		let next_round = Context { round: 3, ..CONTEXT };
		let mut tampered = sealed.clone();
		tampered[5] ^= 1;
		for (pair, from, to, context, bytes) in [
			(&ac, 0, 1, CONTEXT, &sealed),
			(&ab, 1, 0, CONTEXT, &sealed),
			(&ab, 0, 1, next_round, &sealed),
			(&ab, 0, 1, CONTEXT, &tampered),
		] {
			assert_eq!(
				open_shares(pair, from, to, &context, bytes),
				Err(SecAggError::SharesDoNotOpen)
			);
		}
	}
}
