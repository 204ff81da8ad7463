//! Bearer tokens: loaded from the environment or a private file, never from argv, never
//! printed.
use anyhow::{Context, Result, bail};
use std::fmt;
use std::path::Path;

/// A bearer token. `Debug` and `Display` are redacted so a token cannot reach a log line or
/// an error message by accident; only [`Token::expose`] hands out the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(secret: impl Into<String>) -> Self {
        Token(secret.into().trim().to_string())
    }

    /// The secret, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads a token file, refusing one that anyone but its owner can read or write: a
    /// commander token on a shared jump host must not be readable by other users.
    pub fn from_file(path: &Path) -> Result<Token> {
        check_private(path)?;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading token file {}", path.display()))?;
        let token = Token::new(text);
        if token.0.is_empty() {
            bail!("token file {} is empty", path.display());
        }
        Ok(token)
    }

    /// Writes a token to a new file that only its owner can read (mode 0600).
    pub fn write_private(&self, path: &Path) -> Result<()> {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(path)
            .with_context(|| format!("creating token file {}", path.display()))?;
        // An existing file keeps its old mode on open: tighten it explicitly.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(self.0.as_bytes())?;
        f.write_all(b"\n")?;
        Ok(())
    }
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)
        .with_context(|| format!("reading token file {}", path.display()))?;
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        bail!(
            "token file {} is readable by other users (mode {:o}); run `chmod 600 {}` and try again",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<()> {
    Ok(())
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_secret() {
        let t = Token::new("s3cr3t-value");
        assert!(!format!("{t:?} {t}").contains("s3cr3t"));
        assert_eq!(t.expose(), "s3cr3t-value");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_token_file_others_can_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        Token::new("abc").write_private(&path).unwrap();
        assert_eq!(Token::from_file(&path).unwrap().expose(), "abc");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = Token::from_file(&path).unwrap_err().to_string();
        assert!(err.contains("readable by other users"), "{err}");
        assert!(err.contains("chmod 600"), "{err}");
    }
}
