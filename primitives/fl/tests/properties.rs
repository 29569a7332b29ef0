//! Properties of the integer core that must hold for every input: byte-exact encoding,
//! fixed-point rounding, and aggregation results that depend only on the multiset of
//! updates — not on their order, nor on the build. (That they do not depend on the number
//! of threads either is `din-aggregate`'s test of its parallel executor.)

use din_fl::encoding::{dequantize, quantize, Update, UPDATE_HEADER_LEN};
use din_fl::rules::{Aggregator, MAX_CLIPPING_ITERATIONS};
use din_fl::{count_correct, predict, AggregationRule, ModelSpec, Perbill, TestSet};
use proptest::prelude::*;

fn update_strategy(len: usize) -> impl Strategy<Value = Update> {
	(any::<[u8; 32]>(), 1u64..5_000, prop::collection::vec(any::<i32>(), len)).prop_map(
		|(schema_hash, num_samples, values)| Update {
			schema_hash,
			author: din_fl::NO_AUTHOR,
			num_samples,
			values,
		},
	)
}

/// Between 3 and 9 updates of one shape, with either full-range or clustered values
/// (clustered values make ties and equal coordinates likely).
fn update_set() -> impl Strategy<Value = Vec<Update>> {
	(3usize..10, 1usize..40, any::<bool>()).prop_flat_map(|(count, len, clustered)| {
		let value = if clustered { (-3i32..3).boxed() } else { any::<i32>().boxed() };
		prop::collection::vec(
			// Large weights push Σ n past 2^31, onto FedAvg's i128 path.
			(prop_oneof![1u64..1_000, 1u64..(1 << 29)], prop::collection::vec(value, len))
				.prop_map(|(num_samples, values)| Update {
					schema_hash: [5; 32],
					author: din_fl::NO_AUTHOR,
					num_samples,
					values,
				}),
			count,
		)
	})
}

/// The task rule trimming `ppm` parts per million on each side.
fn trimmed(ppm: u32) -> AggregationRule {
	AggregationRule::TrimmedMean { beta: Perbill::from_parts(ppm * 1_000) }
}

/// Every rule that is valid for `count` updates.
fn rules_for(count: usize) -> Vec<AggregationRule> {
	let f = ((count - 3) / 2) as u32;
	vec![
		AggregationRule::FedAvg,
		AggregationRule::Median,
		trimmed(0),
		trimmed(200_000),
		trimmed(499_999),
		AggregationRule::Krum { f },
		AggregationRule::Krum { f: 0 },
		AggregationRule::MultiKrum { f, m: 1 },
		AggregationRule::MultiKrum { f, m: (count / 2) as u32 },
		AggregationRule::MultiKrum { f: 0, m: count as u32 },
		AggregationRule::CenteredClipping { tau: 3, iterations: 2 },
		AggregationRule::CenteredClipping { tau: u32::MAX, iterations: MAX_CLIPPING_ITERATIONS },
	]
}

proptest! {
	#[test]
	fn encode_decode_round_trips(update in (0usize..300).prop_flat_map(update_strategy)) {
		let bytes = update.encode().unwrap();
		prop_assert_eq!(bytes.len(), UPDATE_HEADER_LEN + 4 * update.values.len());
		let decoded = Update::decode(&bytes).unwrap();
		prop_assert_eq!(&decoded, &update);
		prop_assert_eq!(decoded.encode().unwrap(), bytes);
	}

	#[test]
	fn decode_then_encode_is_identity_or_an_error(bytes in prop::collection::vec(any::<u8>(), 0..120), count in 0u32..8) {
		// Random tails behind a valid header prefix: either exact and identical, or rejected.
		let mut framed = b"DINU\x02\x00".to_vec();
		framed.extend_from_slice(&[0; 72]);
		framed.extend_from_slice(&count.to_le_bytes());
		framed.extend_from_slice(&bytes);
		match Update::decode(&framed) {
			Ok(update) => prop_assert_eq!(update.encode().unwrap(), framed),
			Err(_) => prop_assert_ne!(framed.len(), UPDATE_HEADER_LEN + 4 * count as usize),
		}
	}

	#[test]
	fn quantize_is_the_nearest_grid_point(value in -30_000.0f32..30_000.0) {
		let q = quantize(value).unwrap();
		let exact = f64::from(value) * 65536.0;
		prop_assert!((f64::from(q) - exact).abs() <= 0.5);
		// Half-way cases go away from zero.
		if (f64::from(q) - exact).abs() == 0.5 {
			prop_assert!(f64::from(q).abs() > exact.abs());
		}
	}

	#[test]
	fn quantize_inverts_dequantize(q in -(1i32 << 24)..=(1 << 24)) {
		prop_assert_eq!(quantize(dequantize(q)), Ok(q));
	}
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(96))]

	#[test]
	fn every_rule_ignores_input_order(
		(updates, shuffled) in update_set().prop_flat_map(|set| (Just(set.clone()), Just(set).prop_shuffle()))
	) {
		let original: Vec<&Update> = updates.iter().collect();
		let permuted: Vec<&Update> = shuffled.iter().collect();
		for rule in rules_for(updates.len()) {
			prop_assert_eq!(rule.aggregate(&original), rule.aggregate(&permuted), "{:?}", rule);
		}
	}

	#[test]
	fn fedavg_median_and_trimmed_mean_match_naive_definitions(updates in update_set()) {
		let refs: Vec<&Update> = updates.iter().collect();
		let total: u64 = updates.iter().map(|u| u.num_samples).sum();
		let len = updates[0].values.len();
		let column = |j: usize| {
			let mut column: Vec<i64> = updates.iter().map(|u| i64::from(u.values[j])).collect();
			column.sort();
			column
		};
		let fedavg = AggregationRule::FedAvg.aggregate(&refs).unwrap();
		let median = AggregationRule::Median.aggregate(&refs).unwrap();
		let trimmed = trimmed(250_000).aggregate(&refs).unwrap();
		let trim = updates.len() / 4;
		for j in 0..len {
			let sum: i128 = updates.iter().map(|u| i128::from(u.num_samples) * i128::from(u.values[j])).sum();
			prop_assert_eq!(i128::from(fedavg.values[j]), round_half_away(sum, i128::from(total)));
			let sorted = column(j);
			let n = sorted.len();
			let expected_median = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]).div_euclid(2) };
			prop_assert_eq!(i64::from(median.values[j]), expected_median);
			let kept = &sorted[trim..n - trim];
			let kept_sum: i64 = kept.iter().sum();
			prop_assert_eq!(i128::from(trimmed.values[j]), round_half_away(i128::from(kept_sum), kept.len() as i128));
		}
		prop_assert_eq!(fedavg.num_samples, total);
	}

	#[test]
	fn centered_clipping_matches_its_naive_definition(updates in update_set(), tau in prop_oneof![1u32..8, Just(u32::MAX)], iterations in 1u32..=MAX_CLIPPING_ITERATIONS) {
		let refs: Vec<&Update> = updates.iter().collect();
		let rule = AggregationRule::CenteredClipping { tau, iterations };
		let out = rule.aggregate(&refs).unwrap();
		let median = AggregationRule::Median.aggregate(&refs).unwrap();
		let expected = naive_centered_clipping(&updates, median.values, tau, iterations);
		prop_assert_eq!(out.values, expected);
		prop_assert_eq!(out.num_samples, updates.iter().map(|u| u.num_samples).sum::<u64>());
	}

	#[test]
	fn count_correct_agrees_with_per_sample_predictions(
		weights in prop::collection::vec(-(1i32 << 18)..(1 << 18), 3 * 4 + 4 + 4 * 3 + 3),
		features in prop::collection::vec(0i32..=65536, 5 * 3),
		labels in prop::collection::vec(0u32..4, 5),
	) {
		let spec = ModelSpec::Mlp { inputs: 3, hidden: vec![4], classes: 3 };
		let test_set = TestSet::new(3, features, labels).unwrap();
		let expected = (0..test_set.len())
			.filter(|i| {
				let (x, label) = test_set.sample(*i).unwrap();
				predict(&spec, &weights, x).unwrap() == label
			})
			.count() as u32;
		prop_assert_eq!(count_correct(&spec, &weights, &test_set), Ok(expected));
	}
}

/// `iterations` times `v ← v + round(Σ clip(xᵢ − v) / N)`, an offset of squared norm above
/// `τ²` scaled coordinate by coordinate by `τ / floor(√norm²)` (rounded).
fn naive_centered_clipping(
	updates: &[Update],
	mut v: Vec<i32>,
	tau: u32,
	iterations: u32,
) -> Vec<i32> {
	let tau = i128::from(tau);
	for _ in 0..iterations {
		let mut sums = vec![0i128; v.len()];
		for update in updates {
			let offsets: Vec<i128> = update
				.values
				.iter()
				.zip(&v)
				.map(|(x, c)| i128::from(*x) - i128::from(*c))
				.collect();
			let squared: u128 = offsets.iter().map(|d| d.unsigned_abs() * d.unsigned_abs()).sum();
			let clipped = squared > (tau * tau) as u128;
			let root = squared.isqrt() as i128;
			for (sum, d) in sums.iter_mut().zip(&offsets) {
				*sum += if clipped { round_half_away(d * tau, root) } else { *d };
			}
		}
		v = v
			.iter()
			.zip(&sums)
			.map(|(c, sum)| (i128::from(*c) + round_half_away(*sum, updates.len() as i128)) as i32)
			.collect();
	}
	v
}

fn round_half_away(numerator: i128, denominator: i128) -> i128 {
	// Independent formulation: floor((2|x| + d) / 2d) with the sign restored.
	let magnitude = (2 * numerator.abs() + denominator) / (2 * denominator);
	if numerator < 0 {
		-magnitude
	} else {
		magnitude
	}
}

/// The same fixed inputs give the same aggregates in every build: this test runs both
/// with default features (AVX2 dispatch) and with `--no-default-features` (portable),
/// against one set of recorded fingerprints.
#[test]
fn aggregates_match_recorded_fingerprints_in_every_build() {
	use rand::{Rng, SeedableRng};
	let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
	let updates: Vec<Update> = (0..11)
		.map(|_| Update {
			schema_hash: [2; 32],
			author: din_fl::NO_AUTHOR,
			num_samples: rng.gen_range(1..5_000),
			values: (0..9_001).map(|_| rng.gen()).collect(),
		})
		.collect();
	let refs: Vec<&Update> = updates.iter().collect();
	let fingerprints: Vec<(u64, u64)> = rules_for(updates.len())
		.into_iter()
		.map(|rule| {
			let out = rule.aggregate(&refs).unwrap();
			// FNV-1a over the values' bytes: any changed bit changes it (and a change of
			// the header's format does not).
			let digest = out
				.values
				.iter()
				.flat_map(|value| value.to_le_bytes())
				.fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
					(hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
				});
			(out.num_samples, digest)
		})
		.collect();
	// Rule order as in `rules_for`: FedAvg, Median, TrimmedMean 0 / 0.2 / 0.499999,
	// Krum f, Krum 0, MultiKrum m = 1 (= Krum f), m = N/2, m = N with f = 0 (= FedAvg),
	// CenteredClipping τ 3 (2 iterations: offsets of ~10^11 shrink to nothing, so the
	// median stays), τ u32::MAX (10 iterations).
	let recorded: Vec<(u64, u64)> = vec![
		(21670, 2043811468476476207),
		(21670, 15065842187691698852),
		(21670, 8178291955513956686),
		(21670, 5811353521553549641),
		(21670, 15065842187691698852),
		(2944, 11820941329258954266),
		(1073, 8683576356102783142),
		(2944, 11820941329258954266),
		(9667, 7245862767172119269),
		(21670, 2043811468476476207),
		(21670, 15065842187691698852),
		(21670, 5943383411481025208),
	];
	assert_eq!(fingerprints, recorded);
}
