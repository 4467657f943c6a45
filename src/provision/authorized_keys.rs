//! root's `authorized_keys`, from `[ssh]`.

use super::MANAGED;

/// The whole file: one key per line. The keys were checked to be single OpenSSH public key
/// lines, so none can add a second line or an option.
pub(super) fn authorized_keys_file(keys: &[String]) -> String {
    let mut file = format!("# {MANAGED} ssh.authorized_keys\n");
    for key in keys {
        file.push_str(key);
        file.push('\n');
    }
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_per_line() {
        let keys = [
            "ssh-ed25519 AAAA a".to_string(),
            "ssh-rsa BBBB b".to_string(),
        ];
        let file = authorized_keys_file(&keys);
        let lines: Vec<&str> = file.lines().collect();
        assert!(lines[0].starts_with("# "), "{file}");
        assert_eq!(lines[1..], ["ssh-ed25519 AAAA a", "ssh-rsa BBBB b"]);
        assert!(file.ends_with('\n'));
    }
}
