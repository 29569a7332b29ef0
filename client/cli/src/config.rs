//! The config file: defaults for the `DIN_*` environment variables behind the flags.
//!
//! `$DIN_CONFIG`, else `~/.din/config`, if it exists, holds `key = value` lines (`#`
//! comments, optional double quotes around the value). Each key is an environment variable
//! name without its `DIN_` prefix, in any case: `url = "ws://10.0.0.5:9944"` sets
//! `DIN_URL` unless the environment already has it, and every flag reads its variable, so
//! flags win over the environment, which wins over the file.
//!
//! ```text
//! # ~/.din/config
//! url = "ws://127.0.0.1:9944"
//! key_file = "/home/me/.din/participant.key"
//! store_peers = "/ip4/10.0.0.2/tcp/4040/p2p/12D3KooW…"
//! ```

use std::path::PathBuf;

use anyhow::{bail, Context};

fn path() -> Option<PathBuf> {
	if let Some(path) = std::env::var_os("DIN_CONFIG") {
		return Some(PathBuf::from(path));
	}
	std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".din").join("config"))
}

/// `(DIN_KEY, value)` pairs of the file's text.
pub fn parse(text: &str) -> anyhow::Result<Vec<(String, String)>> {
	let mut pairs = Vec::new();
	for (number, line) in text.lines().enumerate() {
		let line = line.trim();
		if line.is_empty() || line.starts_with('#') {
			continue;
		}
		let Some((key, value)) = line.split_once('=') else {
			bail!("line {}: expected `key = value`", number + 1);
		};
		let key = key.trim();
		if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
			bail!("line {}: `{key}` is not a setting name", number + 1);
		}
		let value = value.trim();
		let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
		pairs.push((format!("DIN_{}", key.to_ascii_uppercase()), value.to_string()));
	}
	Ok(pairs)
}

/// Sets every variable of the config file that the environment does not set yet.
pub fn load_into_env() -> anyhow::Result<()> {
	let Some(path) = path() else { return Ok(()) };
	let text = match std::fs::read_to_string(&path) {
		Ok(text) => text,
		Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
		Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
	};
	for (key, value) in parse(&text).with_context(|| format!("config file {}", path.display()))? {
		if std::env::var_os(&key).is_none() {
			// Still single-threaded: nothing else reads the environment yet.
			std::env::set_var(key, value);
		}
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn parses_keys_values_comments_and_quotes() {
		let pairs = parse("# c\nurl = \"ws://x:1\"\n\nstore_peers=/ip4/1.2.3.4/tcp/1\n").unwrap();
		assert_eq!(
			pairs,
			vec![
				("DIN_URL".into(), "ws://x:1".into()),
				("DIN_STORE_PEERS".into(), "/ip4/1.2.3.4/tcp/1".into())
			]
		);
	}

	#[test]
	fn rejects_lines_without_a_setting() {
		assert!(parse("just words").unwrap_err().to_string().contains("line 1"));
		assert!(parse("bad key = 1").unwrap_err().to_string().contains("not a setting"));
	}
}
