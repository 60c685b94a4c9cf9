//! Links CMU Sphinx (Debian: libpocketsphinx-dev, libsphinxbase-dev). pkg-config supplies the
//! library directory when the libraries live outside the default search path.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    match Command::new("pkg-config")
        .args(["--libs-only-L", "pocketsphinx"])
        .output()
    {
        Ok(out) if out.status.success() => {
            for dir in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                if let Some(dir) = dir.strip_prefix("-L") {
                    println!("cargo:rustc-link-search=native={dir}");
                }
            }
        }
        _ => println!(
            "cargo:warning=pkg-config does not know pocketsphinx; if linking fails, run scripts/install-deps.sh (libpocketsphinx-dev libsphinxbase-dev)"
        ),
    }
    // Only these two: pkg-config also lists sphinxad (audio capture), which the agent does not use.
    println!("cargo:rustc-link-lib=pocketsphinx");
    println!("cargo:rustc-link-lib=sphinxbase");
}
