//! The age side of backups: recipients from flags and files, encryption to them as the
//! copy streams out, and decryption with an identity file. Only the standard X25519
//! recipients (`age1…`), so the Debian `age` tool (or rage) decrypts what sitrep wrote.
use anyhow::{Context, Result, bail};
use std::io::{BufRead, Read, Write};
use std::path::Path;
use std::str::FromStr;

/// How a backup leaves the host: encrypted to these recipients, or (asked for explicitly)
/// as a plain copy.
#[derive(Clone, Debug)]
pub enum Protection {
    Encrypt(Vec<age::x25519::Recipient>),
    Plain,
}

impl Protection {
    /// From `--recipient` (repeatable), `--recipients-file` and `--no-encrypt`. Neither
    /// recipients nor `--no-encrypt` is refused: a plain copy must be asked for.
    pub fn from_flags(
        recipients: &[String],
        recipients_file: Option<&Path>,
        no_encrypt: bool,
    ) -> Result<Protection> {
        if no_encrypt {
            if !recipients.is_empty() || recipients_file.is_some() {
                bail!("--no-encrypt cannot be combined with --recipient or --recipients-file");
            }
            return Ok(Protection::Plain);
        }
        let mut parsed = Vec::new();
        for (i, r) in recipients.iter().enumerate() {
            parsed.push(parse_recipient(r).with_context(|| format!("--recipient #{}", i + 1))?);
        }
        if let Some(file) = recipients_file {
            let f = std::fs::File::open(file)
                .with_context(|| format!("reading the recipients file {}", file.display()))?;
            parsed.extend(
                read_recipients(std::io::BufReader::new(f))
                    .with_context(|| format!("in the recipients file {}", file.display()))?,
            );
        }
        if parsed.is_empty() {
            bail!(
                "a backup is encrypted to age recipients: give --recipient age1… (repeatable) or --recipients-file FILE, or --no-encrypt for a plain copy (readable by anyone who gets the file)"
            );
        }
        Ok(Protection::Encrypt(parsed))
    }

    pub fn encrypted(&self) -> bool {
        matches!(self, Protection::Encrypt(_))
    }

    /// Copies `from` to `to`, through the encryptor when encrypting; returns `to`.
    pub fn copy<R: Read, W: Write>(&self, from: &mut R, to: W) -> Result<W> {
        match self {
            Protection::Plain => {
                let mut to = to;
                std::io::copy(from, &mut to)?;
                Ok(to)
            }
            Protection::Encrypt(recipients) => {
                let encryptor = age::Encryptor::with_recipients(
                    recipients.iter().map(|r| r as &dyn age::Recipient),
                )
                .context("preparing the encryption")?;
                let mut sealed = encryptor.wrap_output(to)?;
                std::io::copy(from, &mut sealed)?;
                // Without finish the last chunk is missing and the file does not decrypt.
                Ok(sealed.finish()?)
            }
        }
    }
}

fn parse_recipient(s: &str) -> Result<age::x25519::Recipient> {
    let s = s.trim();
    age::x25519::Recipient::from_str(s).map_err(|e| {
        anyhow::anyhow!(
            "not an age X25519 recipient ({e}): expected age1… as printed by `age-keygen -y KEYFILE`"
        )
    })
}

/// An age recipients file: one recipient a line; blank lines and `#` comments ignored.
pub fn read_recipients<R: BufRead>(file: R) -> Result<Vec<age::x25519::Recipient>> {
    let mut out = Vec::new();
    for (n, line) in file.lines().enumerate() {
        let line = line?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(parse_recipient(line).with_context(|| format!("line {}", n + 1))?);
    }
    Ok(out)
}

/// Whether `file` starts with the age header (an encrypted backup) rather than a database.
pub fn is_age_file(file: &Path) -> Result<bool> {
    let mut head = [0u8; 21];
    let mut f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let n = read_up_to(&mut f, &mut head)?;
    Ok(&head[..n] == b"age-encryption.org/v1")
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Decrypts the age file `from` with the identities in `identity_file` (as written by
/// `age-keygen`) into `to`.
pub fn decrypt(from: &Path, identity_file: &Path, to: &mut impl Write) -> Result<()> {
    crate::paths::require_private(identity_file, "the identity file")?;
    let identities = age::IdentityFile::from_file(identity_file.to_string_lossy().into_owned())
        .with_context(|| format!("reading the identity file {}", identity_file.display()))?
        .into_identities()
        .with_context(|| format!("reading the identity file {}", identity_file.display()))?;
    if identities.is_empty() {
        bail!("{} holds no age identity", identity_file.display());
    }
    let input = std::fs::File::open(from).with_context(|| format!("opening {}", from.display()))?;
    let decryptor = age::Decryptor::new_buffered(std::io::BufReader::new(input))
        .with_context(|| format!("{} is not an age file", from.display()))?;
    let mut plain = decryptor
        .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
        .with_context(|| {
            format!(
                "cannot decrypt {} with {}",
                from.display(),
                identity_file.display()
            )
        })?;
    std::io::copy(&mut plain, to)
        .with_context(|| format!("decrypting {} (damaged or truncated?)", from.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_recipient_and_no_opt_out_is_refused() {
        let err = Protection::from_flags(&[], None, false).unwrap_err();
        assert!(err.to_string().contains("--no-encrypt"), "{err}");
        assert!(!Protection::from_flags(&[], None, true).unwrap().encrypted());
    }

    #[test]
    fn a_bad_recipient_is_named() {
        let err = Protection::from_flags(&["age1nope".into()], None, false).unwrap_err();
        assert!(format!("{err:#}").contains("--recipient #1"), "{err:#}");
    }

    #[test]
    fn recipients_files_skip_comments_and_round_trip() {
        let key = age::x25519::Identity::generate();
        let text = format!("# ops team\n\n{}\n", key.to_public());
        let recipients = read_recipients(text.as_bytes()).unwrap();
        assert_eq!(recipients.len(), 1);
        let sealed = Protection::Encrypt(recipients)
            .copy(&mut &b"hello"[..], Vec::new())
            .unwrap();
        assert!(sealed.starts_with(b"age-encryption.org/v1"));
        assert_eq!(age::decrypt(&key, &sealed).unwrap(), b"hello");
    }
}
