//! Filesystem helpers whose errors name the path. Every read and write of
//! sitegen goes through here so no error ever says just "No such file".

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub fn read_to_string(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| Error::io(path, "read file", e))
}

pub fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| Error::io(path, "read file", e))
}

pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    fs::write(path, bytes).map_err(|e| Error::io(path, "write file", e))
}

pub fn create_dir_all(path: &Path) -> Result<()> {
    fs::create_dir_all(path).map_err(|e| Error::io(path, "create directory", e))
}

pub fn remove_dir_all(path: &Path) -> Result<()> {
    fs::remove_dir_all(path).map_err(|e| Error::io(path, "remove directory", e))
}

pub fn rename(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to).map_err(|e| Error::io(from, &format!("rename to {}", to.display()), e))
}

/// Writes `bytes` to a temporary file with a unique name beside `file`, then
/// renames it over `file`: readers see the old or the new file, never part.
pub fn write_atomic(file: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = file.parent().expect("a file in a folder");
    create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, "create a temporary file", e))?;
    tmp.write_all(bytes)
        .map_err(|e| Error::io(tmp.path(), "write file", e))?;
    tmp.persist(file)
        .map_err(|e| Error::io(file, "replace file", e.error))?;
    Ok(())
}

/// `a/./b/../c` → `a/c`, lexically, without touching the filesystem.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A folder that reads for publishing must stay inside, after following
/// symbolic links (DESIGN.md, invariant 7): `sites/<domain>/`,
/// `content/<domain>/`, `themes/<theme>/`, `templates/`,
/// `data/platform/<tenant>/`. A link inside it may point elsewhere inside
/// it; a link that leads out (to `/proc/self/environ`, `/etc`, another
/// site's folder or another tenant's snapshot) fails the build, naming the
/// link and where it points. Git stores symlinks, so a content pull
/// request can carry one.
#[derive(Debug, Clone)]
pub struct Root {
    /// As the workspace names it (`content/cocotte.maison`), for messages.
    shown: PathBuf,
    /// The real path, every link resolved.
    real: PathBuf,
}

impl Root {
    /// The root `shown` (a path under the workspace root), which must itself
    /// resolve to `real_workspace.join(rel)`: the folder itself, or
    /// `content/`, being a link to elsewhere is refused too. A folder that
    /// does not exist is a root with nothing in it.
    pub fn new(real_workspace: &Path, workspace: &Path, rel: &Path) -> Result<Root> {
        let shown = workspace.join(rel);
        let expected = real_workspace.join(rel);
        let real = match std::fs::canonicalize(&shown) {
            Ok(real) => real,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // A link to nowhere is still a link.
                if let Some(link) = first_link(workspace, &shown) {
                    return Err(escape_error(&link, &shown));
                }
                expected.clone()
            }
            Err(e) => return Err(Error::io(&shown, "resolve", e)),
        };
        if real != expected {
            let link = first_link(workspace, &shown).unwrap_or_else(|| shown.clone());
            return Err(escape_error(&link, &shown));
        }
        Ok(Root { shown, real })
    }

    pub fn shown(&self) -> &Path {
        &self.shown
    }

    /// Checks that `path` (under this root, as the workspace names it)
    /// resolves inside the root and returns it. A path that does not exist
    /// is returned as is (the caller's read then fails naming it), unless a
    /// link on the way leads out.
    pub fn check(&self, path: &Path) -> Result<PathBuf> {
        let real = match std::fs::canonicalize(path) {
            Ok(real) => real,
            // A link to nothing is refused too; a plain missing file is the
            // caller's "cannot read" error.
            Err(_) => match first_link(&self.shown, path) {
                Some(link) => return Err(escape_error(&link, &self.shown)),
                None => return Ok(path.to_path_buf()),
            },
        };
        if !real.starts_with(&self.real) {
            let link = first_link(&self.shown, path).unwrap_or_else(|| path.to_path_buf());
            return Err(escape_error(&link, &self.shown));
        }
        Ok(path.to_path_buf())
    }

    /// Reads a file that must resolve inside this root.
    pub fn read(&self, path: &Path) -> Result<Vec<u8>> {
        read(&self.check(path)?)
    }

    /// Reads a text file that must resolve inside this root.
    pub fn read_to_string(&self, path: &Path) -> Result<String> {
        read_to_string(&self.check(path)?)
    }
}

/// The first component of `path` below `base` that is a symbolic link.
fn first_link(base: &Path, path: &Path) -> Option<PathBuf> {
    let rel = path.strip_prefix(base).ok()?;
    let mut cur = base.to_path_buf();
    for c in rel.components() {
        cur.push(c);
        if std::fs::symlink_metadata(&cur).is_ok_and(|m| m.file_type().is_symlink()) {
            return Some(cur);
        }
    }
    None
}

fn escape_error(link: &Path, root: &Path) -> Error {
    let target = std::fs::read_link(link)
        .map(|t| t.display().to_string())
        .unwrap_or_else(|_| "elsewhere".into());
    Error::build(format!(
        "symbolic link to {target} leads outside {}; files are published only from inside their own folder",
        root.display()
    ))
    .at(crate::error::Location::file(link))
    .hint("replace the link with a copy of the file (git stores links as mode 120000: `git ls-files -s` shows them)")
}
