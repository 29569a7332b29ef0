//! `docs/robustness.md` is the poisoning matrix of the current code: its tables' columns are
//! exactly `din_ml::robustness::RULE_NAMES` and it has a row for every attack of
//! `matrix_attacks`. A rule or an attack added without rerunning
//! `scripts/bench/poisoning.sh` fails here.

use din_ml::robustness::{matrix_attacks, RULE_NAMES};

#[test]
fn the_committed_robustness_table_covers_the_current_rules_and_attacks() {
	// The package directory of this run (cargo and scripts/test.sh set it), not the one
	// compiled in: a build shared by checkouts at other paths keeps theirs.
	let path: std::path::PathBuf = std::env::var_os("CARGO_MANIFEST_DIR")
		.map(std::path::PathBuf::from)
		.unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
		.join("../../docs/robustness.md");
	let doc = std::fs::read_to_string(path).expect("docs/robustness.md exists");
	let header = format!("| attack | attackers | {} |", RULE_NAMES.join(" | "));
	let headers: Vec<&str> = doc.lines().filter(|l| l.starts_with("| attack |")).collect();
	assert!(!headers.is_empty(), "no table in docs/robustness.md");
	for line in headers {
		assert_eq!(line, header, "rerun scripts/bench/poisoning.sh: the rules changed");
	}
	for (name, _) in matrix_attacks() {
		assert!(
			doc.lines().any(|l| l.starts_with(&format!("| {name} |"))),
			"rerun scripts/bench/poisoning.sh: no row for {name}"
		);
	}
}
