//! Gives each test a freshly migrated store of each backend, and removes it afterwards.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use sqlx::Connection;
use tollgate_store::{Backend, DynStore};

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub struct TestDb {
    pub store: DynStore,
    /// Opening this URL again reaches the same database (and, for PostgreSQL, the same schema).
    pub url: String,
}

/// Runs `test` against a new database of `backend`; the database is removed even if it panics.
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    let place = Place::create(backend).await;
    let store = tollgate_store::open(&place.url)
        .await
        .unwrap_or_else(|error| panic!("opening the {backend:?} test store failed: {error}"));
    let outcome = AssertUnwindSafe(test(TestDb {
        store: store.clone(),
        url: place.url.clone(),
    }))
    .catch_unwind()
    .await;
    store.close().await;
    place.remove().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

pub fn postgres_url() -> String {
    std::env::var("TOLLGATE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into())
}

/// Where a test's database lives: a temp folder, or a PostgreSQL schema.
pub struct Place {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Folder(std::path::PathBuf),
    Schema { admin_url: String, schema: String },
}

impl Place {
    pub async fn create(backend: Backend) -> Place {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let folder = std::env::temp_dir().join(format!("tollgate-store-test-{unique}"));
                Place {
                    url: format!("sqlite://{}/store.db", folder.display()),
                    cleanup: Cleanup::Folder(folder),
                }
            }
            Backend::Postgres => {
                let admin_url = postgres_url();
                let schema = format!("tg_test_{unique}");
                let mut admin = admin_connection(&admin_url).await;
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&mut admin)
                    .await
                    .expect("create the test schema");
                admin.close().await.ok();
                let separator = if admin_url.contains('?') { '&' } else { '?' };
                Place {
                    url: format!("{admin_url}{separator}options%5Bsearch_path%5D={schema}"),
                    cleanup: Cleanup::Schema { admin_url, schema },
                }
            }
        }
    }

    pub async fn remove(self) {
        match self.cleanup {
            Cleanup::Folder(folder) => {
                std::fs::remove_dir_all(folder).ok();
            }
            Cleanup::Schema { admin_url, schema } => {
                let mut admin = admin_connection(&admin_url).await;
                sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                    .execute(&mut admin)
                    .await
                    .expect("drop the test schema");
                admin.close().await.ok();
            }
        }
    }
}

pub async fn admin_connection(url: &str) -> sqlx::PgConnection {
    match sqlx::PgConnection::connect(url).await {
        Ok(connection) => connection,
        Err(error) => panic!(
            "PostgreSQL is required by the storage suite and is unreachable at {url}: {error}. \
             Start it (`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main \
             start`) or point TOLLGATE_TEST_POSTGRES_URL at one."
        ),
    }
}

/// Generates `sqlite::NAME` and `postgres::NAME` tests from `async fn NAME(db: TestDb)` in the
/// calling module. `flavor = "current_thread";` first picks Tokio's single-threaded runtime.
macro_rules! on_both_backends {
    (flavor = "current_thread"; $($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "current_thread")]
                async fn $name() {
                    $crate::harness::run(tollgate_store::Backend::Sqlite, super::$name).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "current_thread")]
                async fn $name() {
                    $crate::harness::run(tollgate_store::Backend::Postgres, super::$name).await;
                }
            )+
        }
    };
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::harness::run(tollgate_store::Backend::Sqlite, super::$name).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::harness::run(tollgate_store::Backend::Postgres, super::$name).await;
                }
            )+
        }
    };
}
