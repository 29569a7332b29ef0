//! The scheme end to end, as a subgroup and its unmasker run it: per-round keys, sealed
//! Shamir shares of every member's self seed and key secret, masked uploads, dropouts after
//! the shares went out, recovery from the survivors' hand-over only.

use din_secagg::keys::KeyPair;
use din_secagg::member::Member;
use din_secagg::unmask::{self, Advertised, Handed, Handover};
use din_secagg::{mask, Context, SecAggError, Seed};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

const CONTEXT: Context = Context { task: 4, round: 7, subgroup: 1 };

/// A member and the update it trained.
struct Participant {
	member: Member,
	share_public: Seed,
	values: Vec<i32>,
	samples: u64,
}

/// What reaches the unmasker of one round.
struct Round {
	total: Vec<u64>,
	advertised: Vec<Advertised>,
	uploaded: Vec<u32>,
	handed: Vec<Handed>,
	threshold: u8,
}

impl Round {
	/// The unmasked sum, which must name no wrong share.
	fn recover(self) -> Result<Vec<i64>, SecAggError> {
		self.recover_naming().map(|(sum, wrong)| {
			assert_eq!(wrong, Vec::<u32>::new(), "honest holders named");
			sum
		})
	}

	/// The unmasked sum and the holders of wrong shares.
	fn recover_naming(self) -> Result<(Vec<i64>, Vec<u32>), SecAggError> {
		let Round { total, advertised, uploaded, handed, threshold } = self;
		unmask::recover(total, &advertised, &uploaded, &handed, threshold, &CONTEXT)
			.map(|r| (r.weighted_sum, r.wrong_shares))
	}
}

/// Runs the scheme for `participants` with threshold `threshold` up to the hand-over; the
/// members in `dropped` send their shares but never upload.
fn run_round(
	participants: &mut [Participant],
	threshold: u8,
	dropped: &[usize],
	rng: &mut ChaCha20Rng,
) -> Round {
	let n = participants.len();
	let (share_publics, publics, inbox) = share(participants, threshold, rng);
	let survivors: Vec<usize> = (0..n).filter(|i| !dropped.contains(i)).collect();
	let uploaded: Vec<u32> = survivors.iter().map(|s| *s as u32).collect();
	let uploads: Vec<Vec<u64>> = survivors
		.iter()
		.map(|&i| {
			let p = &participants[i];
			p.member.mask(&p.values, p.samples, &publics).unwrap()
		})
		.collect();
	let everyone: Vec<u32> = (0..n as u32).collect();
	let len = participants[0].values.len();
	let total = mask::sum(uploads.iter().map(|u| u.as_slice()), len);
	let handed = survivors
		.iter()
		.flat_map(|&h| {
			let (handed, unopened) = participants[h]
				.member
				.hand_over(&share_publics, &inbox[h], &everyone, &uploaded)
				.unwrap();
			assert!(unopened.is_empty(), "every honest bundle opens");
			handed
		})
		.collect();
	Round { total, advertised: advertised(participants), uploaded, handed, threshold }
}

/// Every member's share key, advertised round key, and inbox: `inbox[j]` holds what each
/// other member sealed for member `j`.
#[allow(clippy::type_complexity)]
fn share(
	participants: &mut [Participant],
	threshold: u8,
	rng: &mut ChaCha20Rng,
) -> (Vec<Seed>, Vec<(u32, Seed)>, Vec<Vec<(u32, Vec<u8>)>>) {
	let n = participants.len();
	let share_publics: Vec<Seed> = participants.iter().map(|p| p.share_public).collect();
	let publics = participants.iter().map(|p| (p.member.me(), p.member.public())).collect();
	let mut inbox: Vec<Vec<(u32, Vec<u8>)>> = vec![Vec::new(); n];
	for (i, p) in participants.iter_mut().enumerate() {
		for (to, sealed) in p.member.seal_shares(&share_publics, threshold, rng).unwrap() {
			inbox[to as usize].push((i as u32, sealed));
		}
	}
	(share_publics, publics, inbox)
}

fn advertised(participants: &[Participant]) -> Vec<Advertised> {
	participants
		.iter()
		.map(|p| Advertised {
			member: p.member.me(),
			public: p.member.public(),
			self_seed_commitment: p.member.self_seed_commitment(),
		})
		.collect()
}

fn participants(rng: &mut ChaCha20Rng, n: usize, len: usize) -> Vec<Participant> {
	(0..n)
		.map(|me| {
			let share_keys = KeyPair::generate(rng);
			let share_public = share_keys.public();
			Participant {
				member: Member::new(CONTEXT, me as u32, share_keys, rng),
				share_public,
				values: (0..len).map(|_| rng.gen_range(-(1 << 20)..(1 << 20))).collect(),
				samples: rng.gen_range(1..=100_000),
			}
		})
		.collect()
}

fn plain_numerator(participants: &[Participant], dropped: &[usize]) -> Vec<i64> {
	let len = participants[0].values.len();
	(0..len)
		.map(|k| {
			participants
				.iter()
				.enumerate()
				.filter(|(i, _)| !dropped.contains(i))
				.map(|(_, p)| i64::from(p.values[k]) * p.samples as i64)
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
		let mut subgroup = participants(&mut rng, n, len);
		let threshold = din_secagg::member::threshold(n as u32);
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
		let unmasked = run_round(&mut subgroup, threshold, &dropped, &mut rng).recover();
		prop_assert_eq!(unmasked, Ok(plain_numerator(&subgroup, &dropped)));
	}
}

#[test]
fn a_hand_over_of_both_secrets_of_one_member_is_refused() {
	let mut rng = ChaCha20Rng::seed_from_u64(21);
	let mut subgroup = participants(&mut rng, 5, 8);
	let mut round = run_round(&mut subgroup, 3, &[4], &mut rng);
	// A holder hands over a share of a survivor's key secret: with its self seed too, the
	// unmasker could read that survivor's update.
	let entry = round.handed.iter_mut().find(|h| h.owner == 0).unwrap();
	let Handover::SelfSeed(share) = entry.share.clone() else { panic!("a survivor's self seed") };
	entry.share = Handover::KeySecret(share);
	assert_eq!(round.recover(), Err(SecAggError::BothSecretsOfOneMember));
}

/// Flips `mask` into byte `byte` of the `nth` share of `owner`'s secret in `round`'s
/// hand-over; returns its holder.
fn spoil(round: &mut Round, owner: u32, nth: usize, byte: usize, mask: u8) -> u32 {
	let entry = round.handed.iter_mut().filter(|h| h.owner == owner).nth(nth).unwrap();
	let (Handover::SelfSeed(share) | Handover::KeySecret(share)) = &mut entry.share;
	share.y[byte] ^= mask;
	entry.holder
}

/// Attack: a holder hands over a wrong share of a dropped member's round key, so that the sum
/// unmasks to garbage. With room to outvote it (8 members, threshold 5, 7 holders: up to one
/// wrong share is told apart), the sum is right and the liar is named. Even a change in the
/// bits X25519 ignores is caught: key secrets are clamped when made.
#[test]
fn a_wrong_share_of_a_dropped_members_key_is_outvoted_and_its_holder_named() {
	let mut rng = ChaCha20Rng::seed_from_u64(22);
	let mut subgroup = participants(&mut rng, 8, 8);
	let threshold = din_secagg::member::threshold(8);
	assert_eq!(threshold, 5);
	for (byte, mask) in [(9, 0x10), (0, 0x01)] {
		let mut round = run_round(&mut subgroup, threshold, &[1], &mut rng);
		// The first of the owner's shares: in the subset the unmasker tries first.
		let liar = spoil(&mut round, 1, 0, byte, mask);
		assert_eq!(round.recover_naming(), Ok((plain_numerator(&subgroup, &[1]), vec![liar])));
	}
}

/// The same for a survivor's self seed. Without room to outvote (5 members, threshold 3, 4
/// holders) a wrong share cannot be told from the right ones: the sum is still right (the
/// seed matches its commitment) and nobody is named, not even when two liars make their
/// errors cancel in the secret so that an honest share looks off. Two wrong shares that do
/// not cancel leave no three that give the committed seed: refused, not unmasked to
/// garbage.
#[test]
fn a_wrong_share_of_a_survivors_self_seed_is_outvoted_named_only_when_provable_or_refused() {
	let mut rng = ChaCha20Rng::seed_from_u64(25);
	let mut subgroup = participants(&mut rng, 7, 8);
	let mut round = run_round(&mut subgroup, 4, &[], &mut rng);
	let liar = spoil(&mut round, 2, 0, 31, 0x80);
	assert_eq!(round.recover_naming(), Ok((plain_numerator(&subgroup, &[]), vec![liar])));

	let mut small = participants(&mut rng, 5, 8);
	let fresh =
		|small: &mut Vec<Participant>, rng: &mut ChaCha20Rng| run_round(small, 3, &[4], rng);
	let mut one = fresh(&mut small, &mut rng);
	spoil(&mut one, 2, 0, 31, 0x80);
	assert_eq!(one.recover_naming(), Ok((plain_numerator(&small, &[4]), vec![])));
	// Holders at the points 1 and 3 have the same Lagrange weight at zero among {1, 2, 3}:
	// the same error in both cancels in the secret.
	let mut cancelling = fresh(&mut small, &mut rng);
	spoil(&mut cancelling, 2, 0, 31, 0x80);
	spoil(&mut cancelling, 2, 2, 31, 0x80);
	assert_eq!(cancelling.recover_naming(), Ok((plain_numerator(&small, &[4]), vec![])));
	let mut two = fresh(&mut small, &mut rng);
	spoil(&mut two, 2, 0, 31, 0x80);
	spoil(&mut two, 2, 2, 5, 0x01);
	assert_eq!(two.recover_naming(), Err(SecAggError::SharesInconsistent));
}

#[test]
fn fewer_shares_than_the_threshold_recover_nothing() {
	let mut rng = ChaCha20Rng::seed_from_u64(23);
	let mut subgroup = participants(&mut rng, 5, 8);
	let mut round = run_round(&mut subgroup, 3, &[], &mut rng);
	// Only two survivors hand over anything.
	round.handed.retain(|h| h.holder < 2);
	assert_eq!(round.recover(), Err(SecAggError::TooFewShares));
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
	let subgroup = participants(&mut rng, 4, 1);
	let publics: Vec<(u32, Seed)> =
		subgroup.iter().map(|p| (p.member.me(), p.member.public())).collect();
	let masked = subgroup[0].member.mask(&values, 50, &publics).unwrap();
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
fn a_garbage_bundle_costs_only_its_senders_share_and_the_subgroup_still_unmasks() {
	let mut rng = ChaCha20Rng::seed_from_u64(24);
	let mut subgroup = participants(&mut rng, 5, 8);
	let (share_publics, publics, mut inbox) = share(&mut subgroup, 3, &mut rng);
	// Member 4 sends member 0 garbage instead of its sealed shares.
	inbox[0].iter_mut().find(|(from, _)| *from == 4).unwrap().1 = vec![0xee; 81];
	let uploaded = [0, 1, 2, 3, 4];
	let (handed, unopened) = subgroup[0]
		.member
		.hand_over(&share_publics, &inbox[0], &uploaded, &uploaded)
		.unwrap();
	assert_eq!(unopened, vec![4]);
	assert_eq!(handed.len(), 4, "member 0 still hands over every other member's share");
	// The others' shares of member 4 still reach the threshold.
	let mut all = handed;
	for h in 1..5 {
		let (handed, _) = subgroup[h]
			.member
			.hand_over(&share_publics, &inbox[h], &uploaded, &uploaded)
			.unwrap();
		all.extend(handed);
	}
	let uploads: Vec<Vec<u64>> = subgroup
		.iter()
		.map(|p| p.member.mask(&p.values, p.samples, &publics).unwrap())
		.collect();
	let total = mask::sum(uploads.iter().map(|u| u.as_slice()), 8);
	let unmasked = unmask::recover(total, &advertised(&subgroup), &uploaded, &all, 3, &CONTEXT);
	assert_eq!(unmasked.map(|r| r.weighted_sum), Ok(plain_numerator(&subgroup, &[])));
}

#[test]
fn an_eligible_member_that_never_advertised_is_left_out_of_the_masks_and_the_rest_unmask() {
	let mut rng = ChaCha20Rng::seed_from_u64(26);
	let mut subgroup = participants(&mut rng, 5, 8);
	// Everyone sealed shares for all five eligible members, but member 3 never advertised
	// its round key: the others mask against the four that did, and one of those drops.
	let (share_publics, publics, inbox) = share(&mut subgroup, 3, &mut rng);
	let publics: Vec<(u32, Seed)> = publics.into_iter().filter(|(m, _)| *m != 3).collect();
	let advertised_members: Vec<u32> = publics.iter().map(|(m, _)| *m).collect();
	let uploaded = [0, 1, 4];
	let uploads: Vec<Vec<u64>> = uploaded
		.iter()
		.map(|&i| {
			let p = &subgroup[i as usize];
			p.member.mask(&p.values, p.samples, &publics).unwrap()
		})
		.collect();
	let total = mask::sum(uploads.iter().map(|u| u.as_slice()), 8);
	let mut handed = Vec::new();
	for h in uploaded {
		let (mine, unopened) = subgroup[h as usize]
			.member
			.hand_over(&share_publics, &inbox[h as usize], &advertised_members, &uploaded)
			.unwrap();
		assert!(unopened.is_empty());
		handed.extend(mine);
	}
	let advertised: Vec<Advertised> =
		advertised(&subgroup).into_iter().filter(|a| a.member != 3).collect();
	let unmasked = unmask::recover(total, &advertised, &uploaded, &handed, 3, &CONTEXT);
	assert_eq!(unmasked.map(|r| r.weighted_sum), Ok(plain_numerator(&subgroup, &[2, 3])));
}

#[test]
fn a_dropped_members_recovered_round_key_opens_none_of_its_sealed_shares() {
	let mut rng = ChaCha20Rng::seed_from_u64(27);
	let mut subgroup = participants(&mut rng, 4, 8);
	let (_, _, inbox) = share(&mut subgroup, 3, &mut rng);
	let round = run_round(&mut subgroup, 3, &[2], &mut rng);
	// Member 2 dropped: its round key secret is recovered from the hand-over, as the
	// unmasker (and, from the public hand-over, anyone) does.
	let shares: Vec<_> = round
		.handed
		.iter()
		.filter(|h| h.owner == 2)
		.map(|h| match &h.share {
			Handover::KeySecret(share) => share.clone(),
			Handover::SelfSeed(_) => panic!("a dropped member's round key"),
		})
		.collect();
	let recovered = KeyPair::from_secret(din_secagg::shamir::combine(&shares[..3]).unwrap());
	assert_eq!(recovered.public(), subgroup[2].member.public());
	// What it sealed for member 0 (in public, on chain) still opens only under the share
	// keys, so its self seed stays hidden.
	let (_, sealed) = inbox[0].iter().find(|(from, _)| *from == 2).unwrap();
	let with_round_key = recovered.agree(&subgroup[0].share_public, &CONTEXT).unwrap();
	assert_eq!(
		din_secagg::keys::open_shares(&with_round_key, 2, 0, &CONTEXT, sealed),
		Err(SecAggError::SharesDoNotOpen)
	);
}

/// The evaluator's side: the masked artifacts of a subgroup of 4 with one member killed
/// after uploading aggregate to the plain FedAvg of the four updates, bit for bit.
#[test]
fn the_evaluators_duty_aggregates_masked_artifacts_to_the_plain_fedavg() {
	use din_fl::duty::Rejection;
	use din_fl::rules::Aggregator;
	use din_secagg::artifact::MaskedUpdate;
	use din_secagg::duty::{aggregate_masked, masked_commitment, MaskedSubmitted, Record};
	let schema = din_fl::spec::ModelSpec::SoftmaxRegression { inputs: 2, classes: 2 }
		.schema()
		.unwrap();
	let len = schema.value_count();
	let mut rng = ChaCha20Rng::seed_from_u64(28);
	let mut subgroup = participants(&mut rng, 4, len);
	let round = run_round(&mut subgroup, 3, &[], &mut rng);
	// Member 3 uploaded and was killed: it hands over nothing.
	let handed: Vec<Handed> = round.handed.iter().filter(|h| h.holder != 3).cloned().collect();
	let publics: Vec<(u32, Seed)> =
		subgroup.iter().map(|p| (p.member.me(), p.member.public())).collect();
	let uploads: Vec<MaskedSubmitted> = subgroup
		.iter()
		.map(|p| {
			let bytes = MaskedUpdate {
				schema_hash: schema.hash(),
				author: [p.member.me() as u8; 32],
				num_samples: p.samples,
				words: p.member.mask(&p.values, p.samples, &publics).unwrap(),
			}
			.encode();
			MaskedSubmitted {
				member: p.member.me(),
				commitment: masked_commitment(&bytes),
				bytes: Ok(bytes),
				author: [p.member.me() as u8; 32],
				num_samples: p.samples,
			}
		})
		.collect();
	let record =
		Record { advertised: advertised(&subgroup), handed, threshold: 3, context: CONTEXT };
	let ((aggregate, rejected), why) = aggregate_masked(&schema, &uploads, &record);
	assert_eq!((rejected, why), (vec![], None));
	let plain: Vec<din_fl::Update> = subgroup
		.iter()
		.map(|p| din_fl::Update {
			schema_hash: schema.hash(),
			author: din_fl::NO_AUTHOR,
			num_samples: p.samples,
			values: p.values.clone(),
		})
		.collect();
	let refs: Vec<&din_fl::Update> = plain.iter().collect();
	assert_eq!(aggregate, Some(din_fl::rules::FedAvg.aggregate(&refs).unwrap()));

	// An upload swapped after its commitment, one claiming another author, one unavailable:
	// the sum cannot be unmasked, and exactly those are to blame.
	let mut spoiled = uploads.clone();
	if let Ok(bytes) = &mut spoiled[0].bytes {
		let last = bytes.len() - 1;
		bytes[last] ^= 1;
	}
	spoiled[1].author = [9; 32];
	spoiled[2].bytes = Err(Rejection::Unavailable("timeout".into()));
	let ((aggregate, rejected), _) = aggregate_masked(&schema, &spoiled, &record);
	assert_eq!(aggregate, None);
	assert_eq!(
		rejected,
		vec![
			(0, Rejection::CommitmentMismatch),
			(1, Rejection::NotTheAuthor),
			(2, Rejection::Unavailable("timeout".into()))
		]
	);
	// Too few hand-overs: nothing to blame on chain, the subgroup carries the model over.
	let few = Record { handed: record.handed[..4].to_vec(), ..record.clone() };
	let ((aggregate, rejected), why) = aggregate_masked(&schema, &uploads, &few);
	assert_eq!((aggregate, rejected, why), (None, vec![], Some(SecAggError::TooFewShares)));
}

/// Attack, at the evaluator's duty: a member hands over a wrong share where the others can
/// outvote it (7 members, threshold 4). The aggregate is the plain FedAvg all the same, and
/// the liar is put in the invalid set (`WrongShare`).
#[test]
fn the_evaluators_duty_blames_a_provably_wrong_share_and_keeps_the_aggregate() {
	use din_fl::duty::Rejection;
	use din_fl::rules::Aggregator;
	use din_secagg::artifact::MaskedUpdate;
	use din_secagg::duty::{aggregate_masked, masked_commitment, MaskedSubmitted, Record};
	let schema = din_fl::spec::ModelSpec::SoftmaxRegression { inputs: 2, classes: 2 }
		.schema()
		.unwrap();
	let mut rng = ChaCha20Rng::seed_from_u64(29);
	let mut subgroup = participants(&mut rng, 7, schema.value_count());
	let mut round = run_round(&mut subgroup, 4, &[], &mut rng);
	let liar = spoil(&mut round, 5, 0, 3, 0x21);
	let publics: Vec<(u32, Seed)> =
		subgroup.iter().map(|p| (p.member.me(), p.member.public())).collect();
	let uploads: Vec<MaskedSubmitted> = subgroup
		.iter()
		.map(|p| {
			let author = [p.member.me() as u8; 32];
			let bytes = MaskedUpdate {
				schema_hash: schema.hash(),
				author,
				num_samples: p.samples,
				words: p.member.mask(&p.values, p.samples, &publics).unwrap(),
			}
			.encode();
			MaskedSubmitted {
				member: p.member.me(),
				commitment: masked_commitment(&bytes),
				bytes: Ok(bytes),
				author,
				num_samples: p.samples,
			}
		})
		.collect();
	let record = Record {
		advertised: advertised(&subgroup),
		handed: round.handed,
		threshold: 4,
		context: CONTEXT,
	};
	let ((aggregate, rejected), why) = aggregate_masked(&schema, &uploads, &record);
	assert_eq!(why, None);
	assert_eq!(rejected, vec![(liar as usize, Rejection::WrongShare)]);
	let plain: Vec<din_fl::Update> = subgroup
		.iter()
		.map(|p| din_fl::Update {
			schema_hash: schema.hash(),
			author: din_fl::NO_AUTHOR,
			num_samples: p.samples,
			values: p.values.clone(),
		})
		.collect();
	let refs: Vec<&din_fl::Update> = plain.iter().collect();
	assert_eq!(aggregate, Some(din_fl::rules::FedAvg.aggregate(&refs).unwrap()));
}
