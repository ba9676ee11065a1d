//! Files written whole or not at all: every results file, checkpoint, model and plot goes
//! through [`write_atomic`], so a killed run never leaves a half-written file behind.

use anyhow::{Context, Result};
use std::path::Path;

/// Writes `bytes` to `path` atomically: into a temporary file in the same folder (named after
/// the target and this process), then renamed over the target; missing parent folders are
/// created. On failure the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?;
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("writing {}", tmp.display())
    })?;
    std::fs::rename(&tmp, path).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("renaming {} to {}", tmp.display(), path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_into_new_folders_and_leaves_no_temporaries() {
        let dir = std::env::temp_dir().join(format!("layerscript-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let f = dir.join("a/b/config.json");
        write_atomic(&f, b"{}").unwrap();
        write_atomic(&f, b"{\"x\": 1}").unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "{\"x\": 1}");
        let names: Vec<_> = std::fs::read_dir(f.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("config.json")]);
        assert!(write_atomic(&dir, b"x").is_err(), "a folder is not a file");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
