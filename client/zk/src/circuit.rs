//! The evaluation circuit: "the model committed to in `model_commitment` classifies exactly
//! `correct` of the `total` samples committed to in `test_set_commitment` correctly", under
//! the integer reference evaluator of `docs/canonical-encoding.md`.
//!
//! ## Fields
//!
//! - constants: [`CircuitShape`] (architecture, sample count) and the Poseidon parameters;
//! - public inputs (allocated first, in `din_zk_verifier::layout` order): model commitment,
//!   test-set commitment, correct, total, binding (the chain's hash of task, target and
//!   prover: no constraint uses it, Groth16's per-input QAP constraint binds it);
//! - witness (`Option`, so one struct serves setup and proving): the model's i32 values,
//!   the test set's raw pixels and labels.
//!
//! ## Arithmetic (why the integers inside equal the reference's)
//!
//! Committed features are codes `c` of the shape's [`FeatureDomain`], range-checked as
//! `code_bits` booleans, with `x = 2^s·(c − o)`: on the digits grid a raw pixel (`s = 12`,
//! `o = 0`, 5 bits, so `0 ≤ c ≤ 31` in the circuit; the commitment only admits `c ≤ 16`),
//! for signed features the feature itself (`s = 0`, `o = 2^(bits−1)`). Write `p = c − o` and
//! `t = 16 − s` (4 on the grid, 16 for signed features). Every weight is 32 booleans (two's
//! complement), so `|w| ≤ 2^31`. With the reference's formulas:
//! - first layer: `acc = Σ w·x + b·2^16 = 2^s·u` with `u = Σ w·p + 2^t·b`. Softmax: argmax
//!   over `u` equals argmax over `acc` (positive factor). MLP: `h = max(⌊acc / 2^16⌋, 0) =
//!   max(⌊u / 2^t⌋, 0)`: the truncation is `v = u + 2^L = 2^t·q' + r` with `r` (`t` bits)
//!   and `q'` (`L + 1 − t` bits) both range-checked, so `q'` is the unique floor and
//!   `q = q' − 2^{L−t} = ⌊u/2^t⌋`; `q ≥ 0` iff the top bit of `q'` is set, so `h = top·q`
//!   (one constraint).
//! - output layer (MLP): `z = Σ w·h + b·2^16`, not truncated.
//!
//! `L` is derived from the shape: the smallest `L` with `|u| < 2^L` for all admissible
//! weights and features ([`Bounds`]); everything below is sized from it, so the circuit is
//! complete for every i32 model.
//!
//! ## Packed dot products
//!
//! `k` outputs of a layer share one field element at radix `2^S`: the *packed column*
//! `A_j = Σ_i 2^{S·i} w_{i,j}` is one witness per model (one constraint), and one product
//! `A_j · x_j` per input per sample yields all `k` dot products at once:
//! `Σ_j A_j x_j + Σ_i 2^{S·i}·scale·b_i = Σ_i 2^{S·i} z_i` exactly as integers, because
//! `S·k ≤ 252`. Unpacking is done by the consumers' bit decompositions (below), whose digit
//! ranges make the base-`2^S` representation unique. Softmax 64→10: 2 × 64 products per
//! sample instead of 640.
//!
//! ## Argmax (bounded differences, lowest index wins)
//!
//! Witness the prediction one-hot `s` (booleans, `Σ s = 1`) and `m` (`L + 1` bits, so
//! `|m| < 2^L`). With `lt_c = Σ_{j>c} s_j = [c < pred]`, every class gets
//! `e_c = m − z_c − lt_c`, decomposed into `L + 1` bits at radix `S = L + 2` (packed per
//! group, one equation per group). Since the true `|e_c| < 2^{L+1}`, the decomposition proves
//! `e_c ≥ 0` for every `c`: `z_c < m` before the prediction, `z_c ≤ m` after it. Finally the
//! match products `P_c = s_c·(e_c + 2^160·t_c)` (`t`: the committed one-hot label) sum to
//! `e_pred + 2^160·t_pred` per sample, and `Σ_samples Σ_c P_c = 2^160·correct` forces every
//! `e_pred = 0` (so `m = z_pred`: `pred` is the lowest maximal index, as the reference) and
//! `correct = Σ t_pred`: the sum of `e_pred` is below `2^160`, and all quantities are far
//! below the field size. No generic 254-bit comparison anywhere.
use crate::{
	gadgets::{alloc_bits, le_bits, lincomb, materialize, pack_bits, poseidon_hash},
	shape::{CircuitShape, ModelShape},
	ZkError,
};
use ark_bn254::Fr;
use ark_ff::{Field, One, Zero};
use ark_r1cs_std::{
	alloc::AllocVar,
	boolean::Boolean,
	eq::EqGadget,
	fields::{fp::FpVar, FieldVar},
};
use ark_relations::{
	gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError},
	ns,
};
use din_fl::TestSet;
use din_zk_verifier::{
	commitment::{self, FeatureDomain, DOMAIN_MODEL, PIXEL_BITS, VALUE_BITS},
	layout::{self, PublicInputs},
};

/// Largest weight magnitude (`|i32::MIN|`).
const WEIGHT_ABS_MAX: u128 = 1 << 31;
/// Largest raw pixel the circuit's 5-bit range check admits.
const PIXEL_CIRCUIT_MAX: u128 = (1 << PIXEL_BITS) - 1;
/// Output-layer bias factor after a hidden layer (`b·2^16`).
const HIDDEN_BIAS_SCALE: u64 = 1 << 16;

/// `t` of the module docs: `⌊2^s·u / 2^16⌋ = ⌊u / 2^t⌋`.
fn trunc_bits(features: FeatureDomain) -> u32 {
	16 - features.step_shift()
}

/// First-layer bias factor `2^t`: `b·2^16 / 2^s`.
fn first_bias_scale(features: FeatureDomain) -> u64 {
	1 << trunc_bits(features)
}

/// Largest `|p| = |c − o|` the circuit's range check on a code admits.
fn feature_circuit_max(features: FeatureDomain) -> u128 {
	match features {
		FeatureDomain::DigitsGrid => PIXEL_CIRCUIT_MAX,
		FeatureDomain::Signed { .. } => u128::from(features.offset()),
	}
}
/// Weight of the label bit in the match products (`2^COUNT_SHIFT`).
const COUNT_SHIFT: u64 = 160;
/// Packed integers stay below `2^PACK_LIMIT` (< modulus / 2).
const PACK_LIMIT: u32 = 252;

/// Smallest `L` with `max_abs < 2^L`.
fn bits_for(max_abs: u128) -> u32 {
	128 - max_abs.leading_zeros()
}

fn pow2(e: u32) -> Fr {
	Fr::from(2u64).pow([u64::from(e)])
}

/// Value bounds (in bits) derived from the shape; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
	/// `|u| < 2^first` for the first layer's `u = Σ w·p + 2^t·b`.
	pub first: u32,
	/// `|z| < 2^output` for the logits compared by the argmax.
	pub output: u32,
	/// `t` of the module docs: the hidden layer's truncation.
	pub trunc: u32,
}

impl Bounds {
	/// Bounds of `model` over test features of `features`; `None` if they would not fit
	/// the packing (absurd shapes) or the domain is not one the circuit takes.
	pub fn of(model: &ModelShape, features: FeatureDomain) -> Option<Self> {
		if !features.is_valid() {
			return None;
		}
		let inputs = model.inputs() as u128;
		let trunc = trunc_bits(features);
		let first_max = inputs
			.checked_mul(WEIGHT_ABS_MAX.checked_mul(feature_circuit_max(features))?)?
			.checked_add(WEIGHT_ABS_MAX * u128::from(first_bias_scale(features)))?;
		let first = bits_for(first_max);
		let output = match *model {
			ModelShape::SoftmaxRegression { .. } => first,
			ModelShape::Mlp { hidden, .. } => {
				let h_max = 1u128.checked_shl(first.checked_sub(trunc)?)?;
				let z_max = (hidden as u128)
					.checked_mul(WEIGHT_ABS_MAX)?
					.checked_mul(h_max)?
					.checked_add(WEIGHT_ABS_MAX * u128::from(HIDDEN_BIAS_SCALE))?;
				bits_for(z_max)
			},
		};
		// Keeps every packed quantity and the count sum (< 2^(output+1+32)) below 2^160.
		(output <= 118 && first < 120).then_some(Self { first, output, trunc })
	}

	fn hidden_digit_bits(&self) -> u32 {
		self.first + 1
	}

	fn argmax_radix(&self) -> u32 {
		self.output + 2
	}
}

/// Per-sample native values the witness needs.
struct SampleTrace {
	/// `v_i = u_i + 2^L` of the hidden layer (MLP only).
	hidden_v: Vec<u128>,
	/// The logits compared by the argmax.
	z: Vec<i128>,
	/// Lowest index among the maximal logits.
	pred: usize,
}

fn dot(w: &[i32], xs: impl Iterator<Item = i128>) -> i128 {
	w.iter().zip(xs).map(|(&w, x)| i128::from(w) * x).sum()
}

fn affine(
	values: &[i32],
	w_off: usize,
	b_off: usize,
	outs: usize,
	ins: usize,
	xs: &[i128],
	bias_scale: i128,
) -> Vec<i128> {
	(0..outs)
		.map(|o| {
			dot(&values[w_off + o * ins..w_off + (o + 1) * ins], xs.iter().copied())
				+ bias_scale * i128::from(values[b_off + o])
		})
		.collect()
}

fn lowest_argmax(z: &[i128]) -> usize {
	let mut best = 0;
	for (c, &v) in z.iter().enumerate() {
		if v > z[best] {
			best = c;
		}
	}
	best
}

/// `p = c − o` of each feature code (module docs).
fn feature_values(features: FeatureDomain, codes: &[u32]) -> Vec<i128> {
	let offset = i128::from(features.offset());
	codes.iter().map(|&c| i128::from(c) - offset).collect()
}

fn trace_sample(
	model: &ModelShape,
	bounds: &Bounds,
	values: &[i32],
	xs: &[i128],
	bias_scale: i128,
) -> SampleTrace {
	let (hidden_v, z) = match *model {
		ModelShape::SoftmaxRegression { inputs, classes } => {
			(Vec::new(), affine(values, 0, classes * inputs, classes, inputs, xs, bias_scale))
		},
		ModelShape::Mlp { inputs, hidden, classes } => {
			let u = affine(values, 0, hidden * inputs, hidden, inputs, xs, bias_scale);
			let off = 1i128 << bounds.first;
			let hidden_v = u.iter().map(|&u| (u + off) as u128).collect();
			let h: Vec<i128> = u.iter().map(|&u| (u >> bounds.trunc).max(0)).collect();
			let base = hidden * inputs + hidden;
			(
				hidden_v,
				affine(
					values,
					base,
					base + classes * hidden,
					classes,
					hidden,
					&h,
					HIDDEN_BIAS_SCALE.into(),
				),
			)
		},
	};
	let pred = lowest_argmax(&z);
	SampleTrace { hidden_v, z, pred }
}

/// Correct predictions of `values` on the raw pixels/labels of the digits grid, computed
/// exactly as the circuit does (used for the witness; tested equal to `din_fl::reference`).
pub fn native_correct_count(
	model: &ModelShape,
	values: &[i32],
	pixels: &[u8],
	labels: &[u32],
) -> Option<u32> {
	let codes: Vec<u32> = pixels.iter().map(|&p| u32::from(p)).collect();
	native_correct_count_in(model, FeatureDomain::DigitsGrid, values, &codes, labels)
}

/// [`native_correct_count`] for feature codes of any domain
/// (`din_zk_verifier::commitment::test_set_codes`).
pub fn native_correct_count_in(
	model: &ModelShape,
	features: FeatureDomain,
	values: &[i32],
	codes: &[u32],
	labels: &[u32],
) -> Option<u32> {
	let bounds = Bounds::of(model, features)?;
	let inputs = model.inputs();
	let bias_scale = i128::from(first_bias_scale(features));
	let correct = labels
		.iter()
		.enumerate()
		.filter(|(n, &l)| {
			let xs = feature_values(features, &codes[n * inputs..(n + 1) * inputs]);
			trace_sample(model, &bounds, values, &xs, bias_scale).pred == l as usize
		})
		.count();
	u32::try_from(correct).ok()
}

/// The evaluation circuit (see the module docs).
#[derive(Debug, Clone)]
pub struct EvaluationCircuit {
	// --- constants ---
	/// Architecture and sample count.
	pub shape: CircuitShape,
	// --- public inputs ---
	/// `[model commitment, test-set commitment, correct, total, binding]`.
	pub public: Option<PublicInputs>,
	// --- witness ---
	/// The model's flat i32 values (schema order).
	pub weights: Option<Vec<i32>>,
	/// Feature codes in the shape's domain (raw pixels on the digits grid), row-major.
	pub codes: Option<Vec<u32>>,
	/// Class index per sample.
	pub labels: Option<Vec<u32>>,
}

impl EvaluationCircuit {
	/// The circuit without assignments, for key generation and constraint counting.
	pub fn for_setup(shape: CircuitShape) -> Self {
		Self { shape, public: None, weights: None, codes: None, labels: None }
	}

	/// A fully assigned circuit; computes both commitments and the correct count. `binding`
	/// is the statement hash the chain will check the proof against
	/// (`din_primitives::score_binding`: task, target, prover).
	pub fn new(
		shape: CircuitShape,
		weights: &[i32],
		test_set: &TestSet,
		binding: &[u8; 32],
	) -> Result<Self, ZkError> {
		let model = shape.model;
		if weights.len() != model.value_count() {
			return Err(ZkError::ValueCount { expected: model.value_count(), got: weights.len() });
		}
		if test_set.labels.len() != shape.samples {
			return Err(ZkError::SampleCount {
				expected: shape.samples,
				got: test_set.labels.len(),
			});
		}
		let features = shape.features;
		let codes = commitment::test_set_codes(
			features,
			&test_set.features,
			&test_set.labels,
			model.inputs(),
			model.classes(),
		)?;
		let correct = native_correct_count_in(&model, features, weights, &codes, &test_set.labels)
			.ok_or(ZkError::UnsupportedShape)?;
		let public = PublicInputs {
			model_commitment: commitment::model_commitment(weights),
			test_set_commitment: commitment::test_set_commitment_in(
				features,
				&test_set.features,
				&test_set.labels,
				model.inputs(),
				model.classes(),
			)?,
			correct,
			total: u32::try_from(shape.samples).map_err(|_| ZkError::UnsupportedShape)?,
			binding: layout::binding_scalar(binding),
		};
		Ok(Self {
			shape,
			public: Some(public),
			weights: Some(weights.to_vec()),
			codes: Some(codes),
			labels: Some(test_set.labels.clone()),
		})
	}
}

/// The value of a two's-complement bit vector scaled by `scale`, as `(coeff, bit)` terms.
fn signed_terms<'a>(
	bits: &'a [Boolean<Fr>],
	scale: Fr,
) -> impl Iterator<Item = (Fr, &'a Boolean<Fr>)> + 'a {
	let top = bits.len() - 1;
	bits.iter().enumerate().map(move |(i, b)| {
		let w = pow2(i as u32) * scale;
		(if i == top { -w } else { w }, b)
	})
}

/// A layer's packed columns `A_{g,j}` and packed biases, for `k` outputs per group.
struct PackedLayer {
	groups: Vec<(usize, usize)>,
	columns: Vec<Vec<FpVar<Fr>>>,
	bias: Vec<FpVar<Fr>>,
}

#[allow(clippy::too_many_arguments)]
fn pack_layer(
	cs: &ConstraintSystemRef<Fr>,
	value_bits: &[Vec<Boolean<Fr>>],
	(w_off, b_off): (usize, usize),
	(outs, ins): (usize, usize),
	radix: u32,
	bias_scale: u64,
	offset: Fr,
) -> Result<PackedLayer, SynthesisError> {
	let per_group = (PACK_LIMIT / radix) as usize;
	let groups: Vec<(usize, usize)> =
		(0..outs).step_by(per_group).map(|s| (s, per_group.min(outs - s))).collect();
	let mut columns = Vec::with_capacity(groups.len());
	let mut bias = Vec::with_capacity(groups.len());
	for &(start, len) in &groups {
		let mut cols = Vec::with_capacity(ins);
		for j in 0..ins {
			let terms: Vec<(Fr, &Boolean<Fr>)> = (0..len)
				.flat_map(|i| {
					signed_terms(&value_bits[w_off + (start + i) * ins + j], pow2(radix * i as u32))
				})
				.collect();
			cols.push(materialize(cs, &lincomb(cs, terms, Fr::zero())?)?);
		}
		columns.push(cols);
		let terms: Vec<(Fr, &Boolean<Fr>)> = (0..len)
			.flat_map(|i| {
				signed_terms(
					&value_bits[b_off + start + i],
					pow2(radix * i as u32) * Fr::from(bias_scale),
				)
			})
			.collect();
		let constant: Fr = (0..len).map(|i| pow2(radix * i as u32) * offset).sum();
		bias.push(materialize(cs, &lincomb(cs, terms, constant)?)?);
	}
	Ok(PackedLayer { groups, columns, bias })
}

impl PackedLayer {
	/// `Σ_j A_{g,j}·x_j + bias_g`: one constraint per input.
	fn apply(&self, g: usize, xs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
		// One flat sum (a `+=` chain would make nested linear combinations, quadratic to inline).
		let mut terms = Vec::with_capacity(xs.len() + 1);
		for (a, x) in self.columns[g].iter().zip(xs) {
			terms.push(a * x);
		}
		terms.push(self.bias[g].clone());
		Ok(terms.into_iter().sum())
	}
}

/// `Σ_i 2^{radix·i} · digit_i` for little-endian digit bit vectors (no constraint).
fn packed_digits(
	cs: &ConstraintSystemRef<Fr>,
	digits: &[Vec<Boolean<Fr>>],
	radix: u32,
) -> Result<FpVar<Fr>, SynthesisError> {
	let terms: Vec<(Fr, &Boolean<Fr>)> = digits
		.iter()
		.enumerate()
		.flat_map(|(i, d)| {
			d.iter()
				.enumerate()
				.map(move |(b, bit)| (pow2(radix * i as u32 + b as u32), bit))
		})
		.collect();
	lincomb(cs, terms, Fr::zero())
}

/// Proves `pred` is the lowest argmax of the packed logits and returns `Σ_c P_c`.
#[allow(clippy::too_many_arguments)]
fn argmax_match(
	cs: &ConstraintSystemRef<Fr>,
	layer: &PackedLayer,
	packed: &[FpVar<Fr>],
	bounds: &Bounds,
	classes: usize,
	label_bits: &[Boolean<Fr>],
	trace: Option<&SampleTrace>,
) -> Result<FpVar<Fr>, SynthesisError> {
	let l = bounds.output;
	let radix = bounds.argmax_radix();
	let m_native = trace.map(|t| t.z[t.pred]);
	let m_bits = alloc_bits(cs, m_native.map(|m| (m + (1i128 << l)) as u128), l as usize + 1)?;
	let m = le_bits(cs, &m_bits, pow2(l))?;
	let s = (0..classes)
		.map(|c| {
			Boolean::new_witness(cs.clone(), || {
				trace.map(|t| t.pred == c).ok_or(SynthesisError::AssignmentMissing)
			})
		})
		.collect::<Result<Vec<_>, _>>()?;
	lincomb(cs, s.iter().map(|b| (Fr::one(), b)), Fr::zero())?.enforce_equal(&FpVar::one())?;

	let mut diffs: Vec<FpVar<Fr>> = Vec::with_capacity(classes);
	for (g, &(start, len)) in layer.groups.iter().enumerate() {
		let mut digits = Vec::with_capacity(len);
		for i in 0..len {
			let c = start + i;
			let e = trace.map(|t| (t.z[t.pred] - t.z[c] - i128::from(c < t.pred)) as u128);
			digits.push(alloc_bits(cs, e, l as usize + 1)?);
		}
		let lt_terms: Vec<(Fr, &Boolean<Fr>)> = (0..len)
			.flat_map(|i| s[start + i + 1..].iter().map(move |b| (pow2(radix * i as u32), b)))
			.collect();
		let lt = lincomb(cs, lt_terms, Fr::zero())?;
		let scale: Fr = (0..len).map(|i| pow2(radix * i as u32)).sum();
		let lhs = &m * scale - &packed[g] - lt;
		lhs.enforce_equal(&packed_digits(cs, &digits, radix)?)?;
		for d in &digits {
			diffs.push(le_bits(cs, d, Fr::zero())?);
		}
	}
	let k = pow2(COUNT_SHIFT as u32);
	let mut products = Vec::with_capacity(classes);
	for c in 0..classes {
		let with_label = &diffs[c] + FpVar::from(label_bits[c].clone()) * k;
		products.push(FpVar::from(s[c].clone()) * with_label);
	}
	Ok(products.into_iter().sum())
}

impl ConstraintSynthesizer<Fr> for EvaluationCircuit {
	fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
		let model = self.shape.model;
		let samples = self.shape.samples;
		let (inputs, classes) = (model.inputs(), model.classes());
		let features = self.shape.features;
		let bounds = Bounds::of(&model, features).ok_or(SynthesisError::Unsatisfiable)?;
		let bias_scale = first_bias_scale(features);
		let public = self.public;
		let missing = SynthesisError::AssignmentMissing;

		// --- public inputs, in `din_zk_verifier::layout` order ---
		let model_c = FpVar::new_input(ns!(cs, "model_commitment"), || {
			public.map(|p| p.model_commitment).ok_or(missing)
		})?;
		let test_c = FpVar::new_input(ns!(cs, "test_set_commitment"), || {
			public.map(|p| p.test_set_commitment).ok_or(missing)
		})?;
		let correct = FpVar::new_input(ns!(cs, "correct"), || {
			public.map(|p| Fr::from(p.correct)).ok_or(missing)
		})?;
		let total = FpVar::new_input(ns!(cs, "total"), || {
			public.map(|p| Fr::from(p.total)).ok_or(missing)
		})?;
		// Used by no constraint: the statement it names (who may submit the proof, for what)
		// is outside the circuit's arithmetic, and Groth16 binds every input regardless.
		let _binding =
			FpVar::new_input(ns!(cs, "binding"), || public.map(|p| p.binding).ok_or(missing))?;
		// --- constants ---
		total.enforce_equal(&FpVar::constant(Fr::from(samples as u64)))?;

		// --- witness: the model, range-checked bit by bit, and its commitment ---
		let weights = self.weights.as_deref();
		if weights.is_some_and(|w| w.len() != model.value_count()) {
			return Err(SynthesisError::Unsatisfiable);
		}
		let wcs = ns!(cs, "model").cs();
		let value_bits = (0..model.value_count())
			.map(|i| alloc_bits(&wcs, weights.map(|w| u128::from(w[i] as u32)), VALUE_BITS))
			.collect::<Result<Vec<_>, _>>()?;
		let flat: Vec<Boolean<Fr>> = value_bits.iter().flatten().cloned().collect();
		let mut elements = vec![
			FpVar::constant(Fr::from(DOMAIN_MODEL)),
			FpVar::constant(Fr::from(model.value_count() as u64)),
		];
		elements.extend(pack_bits(&wcs, &flat)?);
		poseidon_hash(&wcs, &elements)?.enforce_equal(&model_c)?;
		drop(flat);

		// Packed layers (one constraint per packed column / bias).
		let (first, second) = match model {
			ModelShape::SoftmaxRegression { .. } => (
				pack_layer(
					&wcs,
					&value_bits,
					(0, classes * inputs),
					(classes, inputs),
					bounds.argmax_radix(),
					bias_scale,
					Fr::zero(),
				)?,
				None,
			),
			ModelShape::Mlp { hidden, .. } => {
				let base = hidden * inputs + hidden;
				(
					pack_layer(
						&wcs,
						&value_bits,
						(0, hidden * inputs),
						(hidden, inputs),
						bounds.hidden_digit_bits(),
						bias_scale,
						pow2(bounds.first),
					)?,
					Some(pack_layer(
						&wcs,
						&value_bits,
						(base, base + classes * hidden),
						(classes, hidden),
						bounds.argmax_radix(),
						HIDDEN_BIAS_SCALE,
						Fr::zero(),
					)?),
				)
			},
		};

		// --- witness: the test set, sample by sample ---
		let codes = self.codes.as_deref();
		let labels = self.labels.as_deref();
		if codes.is_some_and(|c| c.len() != samples * inputs)
			|| labels.is_some_and(|l| l.len() != samples)
		{
			return Err(SynthesisError::Unsatisfiable);
		}
		let scs = ns!(cs, "samples").cs();
		let code_bits = features.code_bits();
		let offset = Fr::from(features.offset());
		let mut test_bits: Vec<Boolean<Fr>> =
			Vec::with_capacity(samples * (inputs * code_bits + classes));
		let mut matches = Vec::with_capacity(samples);
		for n in 0..samples {
			let row = codes.map(|c| &c[n * inputs..(n + 1) * inputs]);
			let trace = match (weights, row) {
				(Some(w), Some(r)) => Some(trace_sample(
					&model,
					&bounds,
					w,
					&feature_values(features, r),
					i128::from(bias_scale),
				)),
				_ => None,
			};
			let mut xs = Vec::with_capacity(inputs);
			for j in 0..inputs {
				let bits = alloc_bits(&scs, row.map(|r| u128::from(r[j])), code_bits)?;
				// p = c − o (module docs).
				xs.push(le_bits(&scs, &bits, offset)?);
				test_bits.extend(bits);
			}
			let label = labels.map(|l| l[n] as usize);
			let label_bits = (0..classes)
				.map(|c| Boolean::new_witness(scs.clone(), || label.map(|l| l == c).ok_or(missing)))
				.collect::<Result<Vec<_>, _>>()?;
			test_bits.extend(label_bits.iter().cloned());

			let (out_layer, out_inputs) = match (&second, model) {
				(Some(out), ModelShape::Mlp { hidden, .. }) => {
					let h = hidden_layer(&scs, &first, &xs, &bounds, hidden, trace.as_ref())?;
					(out, h)
				},
				_ => (&first, xs),
			};
			let packed = (0..out_layer.groups.len())
				.map(|g| out_layer.apply(g, &out_inputs))
				.collect::<Result<Vec<_>, _>>()?;
			matches.push(argmax_match(
				&scs,
				out_layer,
				&packed,
				&bounds,
				classes,
				&label_bits,
				trace.as_ref(),
			)?);
		}
		matches
			.into_iter()
			.sum::<FpVar<Fr>>()
			.enforce_equal(&(correct * pow2(COUNT_SHIFT as u32)))?;

		let mut elements: Vec<FpVar<Fr>> = features
			.header(samples, inputs, classes)
			.into_iter()
			.map(FpVar::constant)
			.collect();
		elements.extend(pack_bits(&scs, &test_bits)?);
		poseidon_hash(&scs, &elements)?.enforce_equal(&test_c)?;
		Ok(())
	}
}

/// Hidden layer with range-checked truncation and ReLU; returns `h`.
fn hidden_layer(
	cs: &ConstraintSystemRef<Fr>,
	layer: &PackedLayer,
	xs: &[FpVar<Fr>],
	bounds: &Bounds,
	hidden: usize,
	trace: Option<&SampleTrace>,
) -> Result<Vec<FpVar<Fr>>, SynthesisError> {
	let digit_bits = bounds.hidden_digit_bits();
	let mut h = Vec::with_capacity(hidden);
	for (g, &(start, len)) in layer.groups.iter().enumerate() {
		let packed = layer.apply(g, xs)?;
		let digits = (0..len)
			.map(|i| alloc_bits(cs, trace.map(|t| t.hidden_v[start + i]), digit_bits as usize))
			.collect::<Result<Vec<_>, _>>()?;
		packed.enforce_equal(&packed_digits(cs, &digits, digit_bits)?)?;
		for d in &digits {
			// q = q' − 2^{L−t}, q' = d[t..]; the top bit of q' is [q ≥ 0].
			let q = le_bits(cs, &d[bounds.trunc as usize..], pow2(bounds.first - bounds.trunc))?;
			let top = d[digit_bits as usize - 1].clone();
			h.push(FpVar::from(top) * q);
		}
	}
	Ok(h)
}
