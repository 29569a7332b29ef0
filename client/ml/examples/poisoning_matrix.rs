//! The poisoning matrix: every aggregation rule against every attack, at several fixed
//! attacker fractions, on IID and Dirichlet(0.5) splits of the digits, over several seeds;
//! each cell the mean and spread of the final accuracy's drop against the same seed's
//! clean FedAvg run; then, per split, the round-by-round accuracy of each rule's worst
//! cell beside the clean run. Writes `docs/robustness.md`. Run by `scripts/bench/poisoning.sh`:
//!
//! ```text
//! poisoning_matrix [--seeds N] [--rounds R] [--fractions 10,20,30,40] [--splits iid,dirichlet]
//!                  [--threads T] [--out docs/robustness.md]
//! ```
//!
//! Every participant trains in this process (`din_ml::federated::simulate`), 10 of them,
//! the first `fraction` of them attacking in every round, with the schedule of the
//! centered-clipping acceptance test (one epoch a round, batch 16, SGD with momentum,
//! learning rate 0.05 for the first two thirds of the rounds, then 0.01).

use std::collections::BTreeMap;
use std::sync::Mutex;

use din_fl::{AggregationRule, Aggregator, ModelSpec, Update};
use din_ml::data::digits::digits_train_test;
use din_ml::data::Dataset;
use din_ml::eval::evaluate;
use din_ml::federated::simulate_with;
use din_ml::model::Model;
use din_ml::poisoning::Poisoning;
use din_ml::robustness::{
	matrix_attacks, matrix_rules, matrix_schedule, matrix_split, rule_name, RULE_NAMES,
};

const PARTICIPANTS: usize = 10;

struct Options {
	seeds: u64,
	rounds: usize,
	fractions: Vec<usize>,
	splits: Vec<String>,
	threads: usize,
	out: String,
}

fn options() -> Options {
	let mut options = Options {
		seeds: 5,
		rounds: 60,
		fractions: vec![10, 20, 30, 40],
		splits: vec!["iid".into(), "dirichlet".into()],
		threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
		out: "docs/robustness.md".into(),
	};
	let mut args = std::env::args().skip(1);
	while let Some(flag) = args.next() {
		let value = args.next().unwrap_or_else(|| panic!("{flag} needs a value"));
		let list = || value.split(',').map(str::to_string).collect::<Vec<_>>();
		match flag.as_str() {
			"--seeds" => options.seeds = value.parse().expect("--seeds N"),
			"--rounds" => options.rounds = value.parse().expect("--rounds R"),
			"--fractions" => {
				options.fractions =
					list().iter().map(|f| f.parse().expect("--fractions 10,30")).collect()
			},
			"--splits" => options.splits = list(),
			"--threads" => options.threads = value.parse().expect("--threads T"),
			"--out" => options.out = value,
			other => panic!("unknown flag {other}"),
		}
	}
	for split in &options.splits {
		assert!(split == "iid" || split == "dirichlet", "--splits: iid or dirichlet, not {split}");
	}
	options
}

fn spec() -> ModelSpec {
	ModelSpec::Mlp { inputs: 64, hidden: vec![64], classes: 10 }
}

fn accuracy(update: &Update, test: &Dataset) -> f64 {
	let model = Model::from_update(&spec(), update, &candle_core::Device::Cpu).expect("model");
	evaluate(&model, test).expect("evaluates").accuracy
}

/// One run of the matrix: a split and seed, an attack at a fraction (none: the clean run),
/// a rule.
#[derive(Clone)]
struct Job {
	split: String,
	seed: u64,
	attack: Option<(&'static str, Poisoning, usize)>,
	rule: AggregationRule,
}

/// The test accuracy of the global model after each round of `job`.
fn run(job: &Job, train: &Dataset, test: &Dataset, rounds: usize) -> Vec<f64> {
	let parts = matrix_split(train, PARTICIPANTS, &job.split, job.seed).expect("the digits split");
	let config = matrix_schedule(rounds, PARTICIPANTS, job.seed);
	let (attackers, attack) = match job.attack {
		Some((_, attack, fraction)) => (fraction * PARTICIPANTS / 100, attack),
		None => (0, Poisoning::LabelFlip),
	};
	let combine = |updates: &[&Update], _: &Update| Ok(job.rule.aggregate(updates)?);
	let mut curve = Vec::with_capacity(rounds);
	let each_round = |_, global: &Update| curve.push(accuracy(global, test));
	simulate_with(
		&spec(),
		7 + job.seed,
		&parts,
		rounds,
		config,
		combine,
		attackers,
		attack,
		each_round,
	)
	.expect("the run");
	curve
}

/// The rounds a curve table shows: the first, every fifth, and the last.
fn shown_rounds(rounds: usize) -> Vec<usize> {
	let mut shown: Vec<usize> = (1..=rounds).filter(|r| *r == 1 || r % 5 == 0).collect();
	if shown.last() != Some(&rounds) {
		shown.push(rounds);
	}
	shown
}

/// The mean over `curves` of each shown round's accuracy, in percent.
fn mean_curve(curves: &[&Vec<f64>], shown: &[usize]) -> Vec<f64> {
	shown
		.iter()
		.map(|round| {
			100.0 * curves.iter().map(|curve| curve[round - 1]).sum::<f64>() / curves.len() as f64
		})
		.collect()
}

fn mean_and_spread(drops: &[f64]) -> (f64, f64) {
	let n = drops.len() as f64;
	let mean = drops.iter().sum::<f64>() / n;
	let variance = drops.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
	(mean, variance.sqrt())
}

/// The round-by-round table of `split`: the mean accuracy over the seeds of the clean run
/// and of each rule's worst cell (the attack and fraction of its largest mean drop).
fn curves_section(
	split: &str,
	options: &Options,
	jobs: &[Job],
	curves: &BTreeMap<usize, Vec<f64>>,
	drops: &BTreeMap<(String, &str, usize, &str), Vec<f64>>,
) -> String {
	let shown = shown_rounds(options.rounds);
	let runs = |matches: &dyn Fn(&Job) -> bool| -> Vec<&Vec<f64>> {
		jobs.iter()
			.enumerate()
			.filter(|(_, job)| job.split == split && matches(job))
			.map(|(index, _)| &curves[&index])
			.collect()
	};
	let mut columns =
		vec![("clean FedAvg".to_string(), mean_curve(&runs(&|job| job.attack.is_none()), &shown))];
	for rule in RULE_NAMES {
		let worst = drops
			.iter()
			.filter(|((s, _, _, r), _)| s == split && *r == rule)
			.map(|((_, attack, fraction, _), drops)| (mean_and_spread(drops).0, *attack, *fraction))
			.max_by(|a, b| a.0.total_cmp(&b.0));
		let Some((_, attack, fraction)) = worst else { continue };
		let cell = |job: &Job| {
			rule_name(&job.rule) == rule
				&& job.attack.is_some_and(|(name, _, f)| name == attack && f == fraction)
		};
		columns.push((format!("{rule}: {attack}, {fraction}%"), mean_curve(&runs(&cell), &shown)));
	}
	let mut section = String::from(
		"\nRound by round: the mean accuracy (%) over the seeds after each shown round, clean \
		 and in each rule's worst cell.\n\n",
	);
	let names: Vec<&str> = columns.iter().map(|(name, _)| name.as_str()).collect();
	section += &format!("| round | {} |\n", names.join(" | "));
	section += &format!("|---:|{}\n", "---:|".repeat(columns.len()));
	for (row, round) in shown.iter().enumerate() {
		let cells: Vec<String> =
			columns.iter().map(|(_, curve)| format!("{:.1}", curve[row])).collect();
		section += &format!("| {round} | {} |\n", cells.join(" | "));
	}
	section
}

fn main() {
	let options = options();
	let (train, test) = digits_train_test().expect("the shipped digits");
	let mut jobs = Vec::new();
	for split in &options.splits {
		for seed in 0..options.seeds {
			let job = |attack, rule| Job { split: split.clone(), seed, attack, rule };
			jobs.push(job(None, AggregationRule::FedAvg));
			for (name, attack) in matrix_attacks() {
				for &fraction in &options.fractions {
					let attackers = fraction * PARTICIPANTS / 100;
					for rule in matrix_rules(attackers, PARTICIPANTS) {
						jobs.push(job(Some((name, attack, fraction)), rule));
					}
				}
			}
		}
	}
	let total = jobs.len();
	eprintln!("{total} runs of {} rounds on {} threads", options.rounds, options.threads);
	let started = std::time::Instant::now();
	let results: Mutex<Vec<(usize, Vec<f64>)>> = Mutex::new(Vec::new());
	let next = Mutex::new(0usize);
	std::thread::scope(|scope| {
		for _ in 0..options.threads.max(1) {
			scope.spawn(|| loop {
				let index = {
					let mut next = next.lock().unwrap();
					let index = *next;
					*next += 1;
					index
				};
				let Some(job) = jobs.get(index) else { break };
				let curve = run(job, &train, &test, options.rounds);
				let mut results = results.lock().unwrap();
				results.push((index, curve));
				if results.len() % 20 == 0 || results.len() == total {
					eprintln!(
						"{} of {total} runs done in {:.0?}",
						results.len(),
						started.elapsed()
					);
				}
			});
		}
	});
	let curves: BTreeMap<usize, Vec<f64>> = results.into_inner().unwrap().into_iter().collect();
	let accuracy: BTreeMap<usize, f64> = curves
		.iter()
		.map(|(index, curve)| (*index, *curve.last().expect("a round")))
		.collect();

	// Drops in points against the same split and seed's clean run, per cell.
	let mut clean = BTreeMap::new();
	let mut drops: BTreeMap<(String, &str, usize, &str), Vec<f64>> = BTreeMap::new();
	for (index, job) in jobs.iter().enumerate() {
		if job.attack.is_none() {
			clean.insert((job.split.clone(), job.seed), accuracy[&index]);
		}
	}
	for (index, job) in jobs.iter().enumerate() {
		if let Some((name, _, fraction)) = job.attack {
			let base = clean[&(job.split.clone(), job.seed)];
			drops
				.entry((job.split.clone(), name, fraction, rule_name(&job.rule)))
				.or_default()
				.push(100.0 * (base - accuracy[&index]));
		}
	}

	let mut doc = String::new();
	doc += "<!-- Generated by scripts/bench/poisoning.sh (client/ml/examples/poisoning_matrix.rs); do not edit. -->\n";
	doc += "# Robustness of the aggregation rules under poisoning\n\n";
	doc += &format!(
		"{PARTICIPANTS} participants on the digits (64-64-10 MLP), the first 10–40% of them \
		 attacking in every round (fixed attackers), {} rounds of one local epoch \
		 (`din_ml::federated::simulate`), {} seed(s) (the split, the initial model, the \
		 shuffles). Each cell is the drop of the final accuracy, in points, against the same \
		 seed's clean FedAvg run: the mean over the seeds ± their standard deviation (lower \
		 is better; negative: better than clean). Rules as `din_ml::robustness::matrix_rules` \
		 sets them for the attackers' count: trimmed mean β = the attackers' share (at least \
		 10%), Krum and Multi-Krum f = the attackers (at most 3 of 10, `2f + 3 ≤ n`), centered \
		 clipping τ 2^-5, 10 iterations, from the median. Under each table, each rule's worst \
		 cell (its largest mean drop) round by round. {total} runs took {:.1} min on {} \
		 thread(s).\n\n",
		options.rounds,
		options.seeds,
		started.elapsed().as_secs_f64() / 60.0,
		options.threads,
	);
	doc += &format!(
		"Reproduce: `scripts/bench/poisoning.sh --seeds {} --rounds {} --fractions {} --splits {}`.\n",
		options.seeds,
		options.rounds,
		options.fractions.iter().map(|f| f.to_string()).collect::<Vec<_>>().join(","),
		options.splits.join(","),
	);
	for split in &options.splits {
		let seeds_clean: Vec<f64> =
			(0..options.seeds).map(|seed| 100.0 * clean[&(split.clone(), seed)]).collect();
		let (clean_mean, clean_spread) = mean_and_spread(&seeds_clean);
		doc += &format!(
			"\n## {}\n\nClean FedAvg: {clean_mean:.2}% ± {clean_spread:.2}.\n\n",
			if split == "iid" { "IID" } else { "Dirichlet(α = 0.5), non-IID" }
		);
		doc += &format!("| attack | attackers | {} |\n", RULE_NAMES.join(" | "));
		doc += &format!("|---|---:|{}\n", "---:|".repeat(RULE_NAMES.len()));
		for (name, _) in matrix_attacks() {
			for &fraction in &options.fractions {
				let cells: Vec<String> = RULE_NAMES
					.iter()
					.map(|rule| {
						let (mean, spread) =
							mean_and_spread(&drops[&(split.clone(), name, fraction, *rule)]);
						format!("{mean:.1} ± {spread:.1}")
					})
					.collect();
				doc += &format!("| {name} | {fraction}% | {} |\n", cells.join(" | "));
			}
		}
		doc += &curves_section(split, &options, &jobs, &curves, &drops);
	}
	std::fs::write(&options.out, doc).expect("writes the table");
	eprintln!("wrote {}", options.out);
}
