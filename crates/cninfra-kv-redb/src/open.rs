//! Opening the database file: create it with its mode, retry while another holder has it
//! (up to `lock-timeout`), make sure the tables exist.

use std::path::Path;
use std::time::Duration;

use redb::{Database, DatabaseError};
use tokio::time::Instant;

use crate::config::RedbConfig;
use crate::error::RedbError;
use crate::schema::{CHANGES, META, VALUES};

/// Pause between two attempts on a locked file.
const RETRY_EVERY: Duration = Duration::from_millis(50);

/// Opens (creating if needed) the file of `config`, waiting up to its `lock-timeout` while
/// the file is held elsewhere.
pub(crate) async fn open_database(config: &RedbConfig) -> Result<Database, RedbError> {
    if config.db_path.as_os_str().is_empty() {
        return Err(RedbError::EmptyPath);
    }
    let started = Instant::now();
    loop {
        let path = config.db_path.clone();
        let mode = config.file_mode;
        let attempt = tokio::task::spawn_blocking(move || open_once(&path, mode))
            .await
            .map_err(|source| RedbError::Interrupted {
                path: config.db_path.clone(),
                source,
            })?;
        match attempt {
            Err(RedbError::Locked { path, .. }) => {
                let waited = started.elapsed();
                if waited >= config.lock_timeout {
                    return Err(RedbError::Locked { path, waited });
                }
                tracing::debug!(target: crate::LOG, path = %path.display(), ?waited, "database file is locked; retrying");
                tokio::time::sleep(RETRY_EVERY.min(config.lock_timeout - waited)).await;
            }
            other => return other,
        }
    }
}

fn open_once(path: &Path, mode: u32) -> Result<Database, RedbError> {
    create_file(path, mode)?;
    let open_error = |source: redb::Error| RedbError::Open {
        path: path.to_owned(),
        source,
    };
    let db = Database::create(path).map_err(|err| match err {
        DatabaseError::DatabaseAlreadyOpen => RedbError::Locked {
            path: path.to_owned(),
            waited: Duration::ZERO,
        },
        other => open_error(other.into()),
    })?;
    // Create the tables once, so that readers of a new file find them.
    let txn = db.begin_write().map_err(|err| open_error(err.into()))?;
    for result in [
        txn.open_table(VALUES).map(drop),
        txn.open_table(META).map(drop),
        txn.open_table(CHANGES).map(drop),
    ] {
        result.map_err(|err| open_error(err.into()))?;
    }
    txn.commit().map_err(|err| open_error(err.into()))?;
    Ok(db)
}

/// Creates the file (and its folder) with exactly `mode` unless it exists.
fn create_file(path: &Path, mode: u32) -> Result<(), RedbError> {
    let create_error = |source| RedbError::Create {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(create_error)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    match options.open(path) {
        Ok(file) => {
            // The umask narrowed the mode given to open; set it exactly.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(std::fs::Permissions::from_mode(mode))
                    .map_err(create_error)?;
            }
            #[cfg(not(unix))]
            let _ = (file, mode);
            tracing::info!(target: crate::LOG, path = %path.display(), mode = format_args!("{mode:#o}"), "created database file");
            Ok(())
        }
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(create_error(err)),
    }
}
