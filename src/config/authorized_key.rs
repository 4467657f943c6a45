//! Whether a string is an OpenSSH public key line, as one line of `authorized_keys` holds it.
//!
//! A key that sshd cannot parse is silently ignored by it, so a mangled paste would leave
//! staff locked out of a box they cannot reach any other way: checked here instead, down to
//! the key data, which must decode and name the same key type as the line does.
//!
//! Messages never quote the line: it might be a private key pasted by mistake. They name
//! only its key type (a short word from a fixed alphabet) and its length.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// The key types OpenSSH accepts in `authorized_keys` and that are still considered sound
/// (not `ssh-dss`).
const KEY_TYPES: &[&str] = &[
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/// What an element of `ssh.authorized_keys` should look like.
pub(super) const EXPECTED: &str = "an OpenSSH public key line (the contents of a .pub file): \
     a key type (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, \
     ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com or sk-ecdsa-sha2-nistp256@openssh.com), \
     its base64 key data, then an optional comment";

/// The line with surrounding whitespace removed, or the whole problem message.
pub(super) fn check(text: &str) -> Result<String, String> {
    let line = text.trim();
    let found = || format!("{} characters", text.chars().count());
    if line.contains("PRIVATE KEY") {
        return Err(format!(
            "expected a public key (the .pub file), found a private key ({}): \
             remove it from the file and treat it as leaked",
            found()
        ));
    }
    if line.contains(['\n', '\r']) {
        let lines = line.lines().count();
        return Err(format!(
            "expected a single line (one key per string), found {} on {lines} lines",
            found()
        ));
    }
    // sshd separates the fields by spaces and tabs only (sshkey_read): with a form feed or
    // another control character between them it reads one field and skips the key.
    if let Some(position) = line.chars().position(|c| c.is_control() && c != '\t') {
        return Err(format!(
            "expected the fields separated by spaces or tabs and no other control character \
             (sshd would skip this key), found {} with a control character at character {}",
            found(),
            position + 1
        ));
    }
    let mut fields = line.split_ascii_whitespace();
    let (Some(kind), data) = (fields.next(), fields.next()) else {
        return Err(format!("expected {EXPECTED}, found \"\""));
    };
    if !KEY_TYPES.contains(&kind) {
        let found = if line
            .split_ascii_whitespace()
            .skip(1)
            .any(|word| KEY_TYPES.contains(&word))
        {
            "options before it (such as from=\"…\"), which are not supported here".to_string()
        } else if looks_like_a_key_type(kind) {
            format!("{kind:?}")
        } else {
            format!("{} not starting with a key type", found())
        };
        return Err(format!("expected {EXPECTED}, found {found}"));
    }
    let Some(data) = data else {
        return Err(format!(
            "expected base64 key data after {kind:?}, found nothing"
        ));
    };
    let Ok(blob) = STANDARD.decode(data) else {
        return Err(format!(
            "expected base64 key data after {kind:?}, found {} characters that are not \
             base64 (is the key cut short or wrapped?)",
            data.chars().count()
        ));
    };
    match blob_fields(&blob) {
        Some(fields) if fields.len() >= 2 && fields[0] == kind.as_bytes() => Ok(line.to_string()),
        Some(fields) if fields.len() >= 2 && looks_like_a_key_type_bytes(fields[0]) => {
            Err(format!(
                "expected key data of type {kind:?}, found data of type {:?} (the key type \
                 and the data do not belong together)",
                String::from_utf8_lossy(fields[0])
            ))
        }
        _ => Err(format!(
            "expected key data of type {kind:?}, found {} characters of damaged or truncated \
             key data",
            data.chars().count()
        )),
    }
}

/// Splits an SSH wire-format public key into its fields: each is a 32-bit big-endian length
/// and that many bytes (RFC 4253, section 6.6), and together they fill the blob exactly. `None`
/// when they do not, which is how a truncated or altered key shows.
fn blob_fields(mut blob: &[u8]) -> Option<Vec<&[u8]>> {
    let mut fields = Vec::new();
    while !blob.is_empty() {
        let (length, rest) = blob.split_first_chunk::<4>()?;
        let length = usize::try_from(u32::from_be_bytes(*length)).ok()?;
        if length > rest.len() {
            return None;
        }
        let (field, rest) = rest.split_at(length);
        fields.push(field);
        blob = rest;
    }
    Some(fields)
}

/// A word that may be shown in a message: short and from the alphabet of key type names, so
/// it cannot be a piece of key material.
fn looks_like_a_key_type(word: &str) -> bool {
    looks_like_a_key_type_bytes(word.as_bytes())
}

fn looks_like_a_key_type_bytes(word: &[u8]) -> bool {
    (1..=40).contains(&word.len())
        && word.iter().all(|&b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'@' | b'.')
        })
        && word.iter().any(u8::is_ascii_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real keys made for these tests by ssh-keygen (their private halves were discarded).
    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKXN9hkJZwXriTDMX8ua3rxHW4nEeeyHiuyeiSV7TcJ1 staff@laptop";
    const RSA: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC1n26Tcr+9424qLwnueRV00Io5DNyCuF7a2zeMP094w0G/xLCoPKPFrChSv87mIGHii5WeATqBTTQKqU9lpFQTgdYO9ZAtJOlFnyCF9eQ63THQtFs9Lof2By1NX0R3dIkq8G9D/Adtp8dVp/nYL1CvdXlxJu5aPCyblKz3D4Tps1ZVCR6/MrsH9Z3y6RsIHhyoa1TY2yvMG7m2B7zyAgMrfF8/BsQt2Kwp+2gt83f1k5zi/roqFFUShLT2VNL57EAWHsDJszT2NgbdCFfUSLnNzerIte/vIsEDf9rFX6dlhF3Z4+/f8tVOkbvj+iwee0EbKt07b12XYv4vfHqCerJt ops";
    const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMR4GcUH88FAb6bJvTDZbHP5vu/raB0SaGSQFifm3+YXVmSa5V093sHAnhqZ8gl8h5eVf/stvZhf5sGVWhgScGc= ec";

    /// A wire-format key of `kind` with `fields` after the type, base64-encoded.
    fn data(kind: &str, fields: &[&[u8]]) -> String {
        let mut blob = Vec::new();
        for field in std::iter::once(kind.as_bytes()).chain(fields.iter().copied()) {
            blob.extend_from_slice(&u32::try_from(field.len()).unwrap().to_be_bytes());
            blob.extend_from_slice(field);
        }
        STANDARD.encode(blob)
    }

    #[test]
    fn every_supported_key_type_is_accepted() {
        for real in [ED25519, RSA, ECDSA] {
            assert_eq!(check(real), Ok(real.to_string()));
        }
        for kind in KEY_TYPES {
            let line = format!("{kind} {}", data(kind, &[b"public", b"parts"]));
            assert_eq!(check(&line), Ok(line.clone()), "{kind}");
        }
    }

    #[test]
    fn comments_are_optional_and_whitespace_is_trimmed() {
        let bare = ED25519.rsplit_once(' ').unwrap().0;
        assert_eq!(check(bare), Ok(bare.to_string()));
        assert_eq!(check(&format!("  {ED25519}\n")), Ok(ED25519.to_string()));
        let spaced = format!("{bare} Jane Doe (laptop)");
        assert_eq!(check(&spaced), Ok(spaced.clone()));
        let tabbed = bare.replace(' ', "\t");
        assert_eq!(check(&tabbed), Ok(tabbed.clone()));
    }

    #[test]
    fn wrong_lines_are_rejected_with_the_reason() {
        let (kind, rest) = ED25519.split_once(' ').unwrap();
        let (blob, _) = rest.split_once(' ').unwrap();
        let rsa_data = RSA.split(' ').nth(1).unwrap();
        let cases = [
            (String::new(), "found \"\""),
            ("   ".to_string(), "found \"\""),
            (format!("ssh-dss {blob}"), "found \"ssh-dss\""),
            (format!("ssh-ed2519 {blob}"), "found \"ssh-ed2519\""),
            (format!("from=\"10.0.0.1\" {ED25519}"), "options before it"),
            (format!("AAAA{blob}"), "not starting with a key type"),
            (kind.to_string(), "found nothing"),
            (format!("{kind} {}", &blob[..blob.len() - 1]), "not base64"),
            (format!("{kind} {blob}!"), "not base64"),
            (format!("{kind} {}", &blob[..blob.len() - 4]), "truncated"),
            (
                format!("{kind} {rsa_data}"),
                "found data of type \"ssh-rsa\"",
            ),
            (format!("{kind} {}", data("ssh-ed25519", &[])), "truncated"),
            (format!("{ED25519}\n{ED25519}"), "on 2 lines"),
            (format!("{kind}\r{blob}"), "single line"),
            (
                format!("{kind}\u{c}{blob}"),
                "control character at character 12",
            ),
            (format!("{kind} {blob}\u{c}staff"), "control character"),
            (format!("{kind}\u{b}{blob}"), "control character"),
            (format!("{kind} {blob} staff\u{1b}[2J"), "control character"),
            (format!("{kind} {blob} a\u{85}b"), "control character"),
        ];
        for (line, reason) in cases {
            let message = check(&line).expect_err(&line);
            assert!(message.contains(reason), "{line:?}: {message}");
        }
    }

    #[test]
    fn a_private_key_is_never_quoted() {
        let private = "-----BEGIN OPENSSH PRIVATE KEY-----\n\
                       b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n\
                       -----END OPENSSH PRIVATE KEY-----\n";
        let message = check(private).unwrap_err();
        assert!(message.contains("private key"), "{message}");
        assert!(!message.contains("b3BlbnNz"), "{message}");
        assert!(!message.contains("BEGIN"), "{message}");
    }

    #[test]
    fn only_harmless_words_are_quoted() {
        let key_material = "AAAAC3NzaC1lZDI1NTE5AAAAIMyBXJpm";
        let message = check(&format!("{key_material} {key_material}")).unwrap_err();
        assert!(!message.contains(key_material), "{message}");
        assert!(looks_like_a_key_type("ssh-ed25519"));
        assert!(looks_like_a_key_type("sk-ecdsa-sha2-nistp256@openssh.com"));
        assert!(!looks_like_a_key_type("AAAAC3Nz"));
        assert!(!looks_like_a_key_type("abc+/="));
        assert!(!looks_like_a_key_type(&"a".repeat(41)));
    }
}
