//! The scheme end to end, as a subgroup and its unmasker run it: per-round keys, sealed
//! Shamir shares of every member's self seed and key secret, masked uploads, dropouts after
//! the shares went out, recovery from the survivors' shares only.

use din_secagg::keys::{open_shares, seal_shares, KeyPair, ShareBundle};
use din_secagg::unmask::{self, Handed, Handover};
use din_secagg::{mask, shamir, Context, SecAggError, Seed};
use proptest::prelude::*;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

const CONTEXT: Context = Context { task: 4, round: 7, subgroup: 1 };

struct Member {
	keys: KeyPair,
	self_seed: Seed,
	values: Vec<i32>,
	samples: u64,
}

/// What reaches the unmasker of one round.
struct Round {
	total: Vec<u64>,
	publics: Vec<Seed>,
	uploaded: Vec<u32>,
	handed: Vec<Handed>,
	threshold: u8,
}

impl Round {
	fn recover(self) -> Result<Vec<i64>, SecAggError> {
		let Round { total, publics, uploaded, handed, threshold } = self;
		unmask::recover(total, &publics, &uploaded, &handed, threshold, &CONTEXT)
	}
}

/// Runs the scheme for `members` with threshold `threshold`; the members in `dropped` send
/// their shares but never upload. Returns the unmasked numerator.
fn secure_sum(
	members: &[Member],
	threshold: u8,
	dropped: &[usize],
	rng: &mut ChaCha20Rng,
) -> Vec<i64> {
	run_round(members, threshold, dropped, rng).recover().unwrap()
}

/// The round up to the hand-over.
fn run_round(members: &[Member], threshold: u8, dropped: &[usize], rng: &mut ChaCha20Rng) -> Round {
	let n = members.len();
	let publics: Vec<Seed> = members.iter().map(|m| m.keys.public()).collect();
	// Every member splits its two secrets and seals member j's pair of shares to j.
	// inbox[j][i]: what i sealed for j.
	let mut inbox: Vec<Vec<Vec<u8>>> = vec![vec![Vec::new(); n]; n];
	// own[i]: the pair of shares at member i's own point, which it keeps.
	let mut own = Vec::new();
	for (i, member) in members.iter().enumerate() {
		let self_shares = shamir::split(&member.self_seed, threshold, n as u8, rng).unwrap();
		let key_shares = shamir::split(&member.keys.secret(), threshold, n as u8, rng).unwrap();
		for j in (0..n).filter(|j| *j != i) {
			let pair = member.keys.agree(&publics[j], &CONTEXT).unwrap();
			let bundle = ShareBundle {
				self_seed: self_shares[j].clone(),
				key_secret: key_shares[j].clone(),
			};
			inbox[j][i] = seal_shares(&pair, i as u32, j as u32, &CONTEXT, &bundle);
		}
		own.push(ShareBundle {
			self_seed: self_shares[i].clone(),
			key_secret: key_shares[i].clone(),
		});
	}
	// The survivors upload their masked updates.
	let survivors: Vec<usize> = (0..n).filter(|i| !dropped.contains(i)).collect();
	let uploads: Vec<Vec<u64>> = survivors
		.iter()
		.map(|&i| {
			let member = &members[i];
			let pairs: Vec<(u32, Seed)> = (0..n)
				.filter(|j| *j != i)
				.map(|j| (j as u32, member.keys.agree(&publics[j], &CONTEXT).unwrap().mask_seed))
				.collect();
			mask::mask(&member.values, member.samples, i as u32, &member.self_seed, &pairs)
		})
		.collect();
	let len = members[0].values.len();
	let total = mask::sum(uploads.iter().map(|u| u.as_slice()), len);
	// Each survivor opens what the others sealed for it and hands over, per member, one
	// share: of the self seed for a survivor, of the key secret for a dropped member.
	let handed = handover(members, &publics, &inbox, &own, &survivors);
	let uploaded: Vec<u32> = survivors.iter().map(|s| *s as u32).collect();
	Round { total, publics, uploaded, handed, threshold }
}

/// What the survivors hand over: each opens its inbox (its own point it kept) and gives,
/// per member, the share the scheme allows.
fn handover(
	members: &[Member],
	publics: &[Seed],
	inbox: &[Vec<Vec<u8>>],
	own: &[ShareBundle],
	survivors: &[usize],
) -> Vec<Handed> {
	let mut handed = Vec::new();
	for &holder in survivors {
		for owner in 0..members.len() {
			let bundle = if holder == owner {
				own[owner].clone()
			} else {
				let pair = members[holder].keys.agree(&publics[owner], &CONTEXT).unwrap();
				open_shares(&pair, owner as u32, holder as u32, &CONTEXT, &inbox[holder][owner])
					.unwrap()
			};
			let share = if survivors.contains(&owner) {
				Handover::SelfSeed(bundle.self_seed)
			} else {
				Handover::KeySecret(bundle.key_secret)
			};
			handed.push(Handed { holder: holder as u32, owner: owner as u32, share });
		}
	}
	handed
}

fn members(rng: &mut ChaCha20Rng, n: usize, len: usize) -> Vec<Member> {
	(0..n)
		.map(|_| {
			let mut self_seed = [0u8; 32];
			rng.fill_bytes(&mut self_seed);
			Member {
				keys: KeyPair::generate(rng),
				self_seed,
				values: (0..len).map(|_| rng.gen_range(-(1 << 20)..(1 << 20))).collect(),
				samples: rng.gen_range(1..=100_000),
			}
		})
		.collect()
}

fn plain_numerator(members: &[Member], dropped: &[usize]) -> Vec<i64> {
	let len = members[0].values.len();
	(0..len)
		.map(|k| {
			members
				.iter()
				.enumerate()
				.filter(|(i, _)| !dropped.contains(i))
				.map(|(_, m)| i64::from(m.values[k]) * m.samples as i64)
				.sum()
		})
		.collect()
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

	/// For random subgroups and random dropouts up to `n − t`, the unmasked sum equals the
	/// plain FedAvg numerator of the survivors bit for bit.
	#[test]
	fn the_unmasked_sum_is_the_fedavg_numerator_of_the_survivors_bit_for_bit(
		seed in any::<u64>(),
		n in 3usize..=10,
		len in 1usize..=64,
		dropout_draw in any::<u64>(),
	) {
		let mut rng = ChaCha20Rng::seed_from_u64(seed);
		let members = members(&mut rng, n, len);
		let threshold = (n / 2 + 1) as u8;
		let most = n - threshold as usize;
		let mut draw = ChaCha20Rng::seed_from_u64(dropout_draw);
		let count = draw.gen_range(0..=most);
		let mut dropped: Vec<usize> = (0..n).collect();
		// A random `count` of the members, by a partial Fisher-Yates shuffle.
		for i in 0..count {
			let j = draw.gen_range(i..n);
			dropped.swap(i, j);
		}
		dropped.truncate(count);
		let unmasked = secure_sum(&members, threshold, &dropped, &mut rng);
		prop_assert_eq!(unmasked, plain_numerator(&members, &dropped));
	}
}

/// Pearson's χ² of the top bytes of `words` against the uniform distribution (255 degrees
/// of freedom: mean 255, standard deviation 22.6).
fn chi_squared_of_top_bytes(words: &[u64]) -> f64 {
	let mut counts = [0u64; 256];
	words.iter().for_each(|w| counts[(w >> 56) as usize] += 1);
	let expected = words.len() as f64 / 256.0;
	counts.iter().map(|&c| (c as f64 - expected).powi(2) / expected).sum()
}

#[test]
fn a_single_masked_update_is_indistinguishable_from_uniform_and_does_not_decode_to_the_plaintext() {
	let mut rng = ChaCha20Rng::seed_from_u64(11);
	// A plaintext as far from uniform as an update gets: small values, mostly equal.
	let len = 1 << 16;
	let values: Vec<i32> = (0..len).map(|k| if k % 7 == 0 { 1 << 12 } else { 0 }).collect();
	let member = &members(&mut rng, 4, 1)[0];
	let others = members(&mut rng, 3, 1);
	let pairs: Vec<(u32, Seed)> = others
		.iter()
		.enumerate()
		.map(|(j, o)| {
			(j as u32 + 1, member.keys.agree(&o.keys.public(), &CONTEXT).unwrap().mask_seed)
		})
		.collect();
	let masked = mask::mask(&values, 50, 0, &member.self_seed, &pairs);
	// Uniform: χ² within six standard deviations of its mean (p ≈ 10⁻⁹ for a false alarm),
	// while the plaintext (weighted, as a word) is nowhere near.
	let chi = chi_squared_of_top_bytes(&masked);
	assert!(chi < 255.0 + 6.0 * 22.6, "masked top bytes: χ² = {chi}");
	let plain: Vec<u64> = values.iter().map(|v| (i64::from(*v) * 50) as u64).collect();
	assert!(chi_squared_of_top_bytes(&plain) > 10_000.0);
	// Every bit position is set about half the time.
	for bit in 0..64 {
		let ones = masked.iter().filter(|w| (*w >> bit) & 1 == 1).count() as f64;
		let share = ones / len as f64;
		assert!((share - 0.5).abs() < 0.01, "bit {bit} is set in {share} of the values");
	}
	// Read as canonical values, the masked update is not the plaintext: no more coordinates
	// agree than chance (2⁻³² each) allows.
	let agree = masked.iter().zip(&values).filter(|(m, v)| **m as i32 == **v).count();
	assert!(agree <= 1, "{agree} masked values decode to the plaintext");
}

#[test]
fn a_hand_over_of_both_secrets_of_one_member_is_refused() {
	let mut rng = ChaCha20Rng::seed_from_u64(21);
	let members = members(&mut rng, 5, 8);
	let mut round = run_round(&members, 3, &[4], &mut rng);
	// A holder hands over a share of a survivor's key secret: with its self seed too, the
	// unmasker could read that survivor's update.
	let entry = round.handed.iter_mut().find(|h| h.owner == 0).unwrap();
	let Handover::SelfSeed(share) = entry.share.clone() else { panic!("a survivor's self seed") };
	entry.share = Handover::KeySecret(share);
	assert_eq!(round.recover(), Err(SecAggError::BothSecretsOfOneMember));
}

#[test]
fn a_wrong_share_of_a_dropped_members_key_is_refused_not_unmasked_to_garbage() {
	let mut rng = ChaCha20Rng::seed_from_u64(22);
	let members = members(&mut rng, 5, 8);
	let mut round = run_round(&members, 3, &[1], &mut rng);
	let entry = round.handed.iter_mut().find(|h| h.owner == 1).unwrap();
	let Handover::KeySecret(share) = &mut entry.share else { panic!("a dropped key's share") };
	share.y[0] ^= 1;
	assert_eq!(round.recover(), Err(SecAggError::SharesInconsistent));
}

#[test]
fn fewer_shares_than_the_threshold_recover_nothing() {
	let mut rng = ChaCha20Rng::seed_from_u64(23);
	let members = members(&mut rng, 5, 8);
	let mut round = run_round(&members, 3, &[], &mut rng);
	// Only two survivors hand over anything.
	round.handed.retain(|h| h.holder < 2);
	assert_eq!(round.recover(), Err(SecAggError::TooFewShares));
}
