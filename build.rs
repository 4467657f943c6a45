//! Facts for `--version` that Cargo does not provide: the git commit the binary was built
//! from ("unknown" outside a git checkout, e.g. a source tarball) and the target triple, so
//! a binary found on a Pi says exactly what it is.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").expect("cargo sets TARGET for build scripts");
    println!("cargo:rustc-env=RAINFOREST_TARGET={target}");
    let commit = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=RAINFOREST_COMMIT={commit}");
    // A new commit or checkout changes HEAD (checkout), the branch's ref file (commit), or
    // packed-refs (after `git gc`); watching those reruns this script exactly then. Paths
    // that do not exist are left out: Cargo would rerun on every build for them.
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name]).map(PathBuf::from) {
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
}

/// One line of `git` output, or `None` where git or the repository is missing.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let line = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && !line.is_empty()).then_some(line)
}
