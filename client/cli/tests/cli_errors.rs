//! Bad input to `din` fails with a clear message and the documented exit code
//! (`client/cli/src/exit.rs`), before anything is sent anywhere.

use std::process::{Command, Output};

fn din(args: &[&str], config: Option<&str>) -> Output {
	let dir = tempfile::tempdir().expect("temp dir");
	let config_path = dir.path().join("config");
	if let Some(text) = config {
		std::fs::write(&config_path, text).expect("config file");
	}
	Command::new(env!("CARGO_BIN_EXE_din"))
		.args(args)
		.env("DIN_CONFIG", &config_path)
		.env_remove("DIN_URL")
		.env_remove("DIN_SURI")
		.env_remove("DIN_KEY_FILE")
		.output()
		.expect("din runs")
}

fn assert_fails(output: &Output, code: i32, message: &str) {
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
	assert!(stderr.contains(message), "expected `{message}` in: {stderr}");
	// stderr is a pipe here, as in a log file: no colour codes.
	assert!(!stderr.contains('\x1b'), "an escape character in: {stderr:?}");
}

#[test]
fn a_bad_secret_uri_is_invalid_input() {
	assert_fails(&din(&["key", "inspect", "--suri", "not a key"], None), 7, "secret URI");
}

#[test]
fn a_missing_signer_is_invalid_input() {
	assert_fails(&din(&["key", "inspect"], None), 7, "no signing key");
}

#[test]
fn an_unreachable_node_is_exit_4() {
	let port = std::net::TcpListener::bind("127.0.0.1:0")
		.and_then(|l| l.local_addr())
		.expect("port")
		.port();
	let url = format!("ws://127.0.0.1:{port}");
	assert_fails(&din(&["task", "status", "--task", "0", "--url", &url], None), 4, &url);
}

#[test]
fn a_malformed_config_file_is_exit_3() {
	assert_fails(&din(&["key", "dev"], Some("url ws://x\n")), 3, "line 1");
}

#[test]
fn the_config_file_supplies_settings_and_flags_win() {
	let port = std::net::TcpListener::bind("127.0.0.1:0")
		.and_then(|l| l.local_addr())
		.expect("port")
		.port();
	let from_file = format!("ws://127.0.0.1:{port}");
	let output = din(&["task", "status", "--task", "0"], Some(&format!("url = \"{from_file}\"\n")));
	assert_fails(&output, 4, &from_file);
	let output = din(&["key", "inspect", "--suri", "//Alice"], Some("suri = \"//Bob\"\n"));
	assert!(output.status.success());
	assert_eq!(
		String::from_utf8_lossy(&output.stdout).trim(),
		"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
	);
}

#[test]
fn unknown_data_sources_and_rules_are_usage_errors() {
	let args = [
		"participant",
		"run",
		"--task",
		"0",
		"--data",
		"mnist",
		"--state-dir",
		"s",
		"--store-dir",
		"d",
	];
	assert_fails(&din(&args, None), 2, "expected digits");
}

#[test]
fn completion_scripts_are_valid_bash() {
	let output = din(&["completions", "bash"], None);
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	let mut bash = Command::new("bash")
		.arg("-n")
		.stdin(std::process::Stdio::piped())
		.stderr(std::process::Stdio::piped())
		.spawn()
		.expect("bash runs");
	use std::io::Write;
	bash.stdin
		.take()
		.expect("piped")
		.write_all(&output.stdout)
		.expect("script written");
	let checked = bash.wait_with_output().expect("bash exits");
	assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stderr));
	assert!(String::from_utf8_lossy(&output.stdout).contains("release-key"));
}
