//! The store's one error type.

/// What can go wrong in the store. Callers map `NotFound`, `Conflict` and `Invalid` to 4xx answers;
/// everything else is internal and must not be echoed to an API caller.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Holds only the URL's scheme: the rest may carry a password.
    #[error(
        "unsupported storage url `{0}…` (expected sqlite://PATH, postgres://… or postgresql://…)"
    )]
    UnsupportedUrl(String),
    #[error("could not create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("{entity} `{id}` not found")]
    NotFound { entity: &'static str, id: String },
    /// A uniqueness rule was broken (same team name in an org, same email), or a row that other
    /// rows still reference was to be deleted.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request names something that does not exist or does not fit together (a team of
    /// another organization), or an operation that does not apply (rotating a revoked key).
    #[error("invalid: {0}")]
    Invalid(String),
    /// A stored value could not be read back (an unknown enum text, malformed JSON).
    #[error("corrupt stored value in {column}: {detail}")]
    Corrupt {
        column: &'static str,
        detail: String,
    },
}

impl StoreError {
    pub(crate) fn not_found(entity: &'static str, id: &str) -> StoreError {
        StoreError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub(crate) fn corrupt(column: &'static str, detail: impl ToString) -> StoreError {
        StoreError::Corrupt {
            column,
            detail: detail.to_string(),
        }
    }

    /// Turns constraint violations into `Conflict`/`Invalid` with a message a caller can read;
    /// `writing` says what was being written, for the message.
    pub(crate) fn from_write(error: StoreError, writing: &str) -> StoreError {
        let StoreError::Database(sqlx::Error::Database(db)) = &error else {
            return error;
        };
        match db.kind() {
            sqlx::error::ErrorKind::UniqueViolation => {
                StoreError::Conflict(format!("{writing}: already exists"))
            }
            sqlx::error::ErrorKind::ForeignKeyViolation => StoreError::Invalid(format!(
                "{writing}: refers to an organization, team or user that does not exist \
                 (or belongs to another organization)"
            )),
            // The database's own message names tables and columns: keep it out of answers.
            sqlx::error::ErrorKind::CheckViolation | sqlx::error::ErrorKind::NotNullViolation => {
                StoreError::Invalid(format!("{writing}: breaks a consistency rule"))
            }
            _ => error,
        }
    }

    /// Deleting a row that others still reference is a conflict, not a bad reference.
    pub(crate) fn from_delete(error: StoreError, deleting: &str) -> StoreError {
        if let StoreError::Database(sqlx::Error::Database(db)) = &error
            && db.kind() == sqlx::error::ErrorKind::ForeignKeyViolation
        {
            return StoreError::Conflict(format!(
                "{deleting}: still has teams, users, keys or credit entries; delete or move them first"
            ));
        }
        error
    }
}
