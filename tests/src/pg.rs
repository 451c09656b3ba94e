//! PostgreSQL for tests. `scripts/test.sh` starts a throwaway cluster and
//! exports its URL as `BAODAO_TEST_DATABASE_URL` (or keeps one already
//! set); each test gets a database of its own in it. Without the variable,
//! tests that need PostgreSQL fail, with the way to run them: they are
//! never skipped.

use std::sync::atomic::{AtomicU32, Ordering};

use tokio_postgres::NoTls;

/// The variable naming the test cluster (a database URL whose user may
/// create databases).
pub const URL_VAR: &str = "BAODAO_TEST_DATABASE_URL";

/// The test cluster's URL.
pub fn cluster_url() -> anyhow::Result<String> {
    std::env::var(URL_VAR).map_err(|_| {
        anyhow::anyhow!(
            "{URL_VAR} is not set: run the tests with scripts/test.sh, which starts a throwaway \
             PostgreSQL, or set it to postgres://USER@HOST:PORT/DB of a user who may create databases"
        )
    })
}

/// Creates an empty database in the test cluster; returns its URL.
pub async fn fresh_database() -> anyhow::Result<String> {
    fresh_database_in(&cluster_url()?).await
}

/// Creates an empty database in the cluster at `url`; returns its URL.
pub async fn fresh_database_in(url: &str) -> anyhow::Result<String> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "baodao_t{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        uuid::Uuid::new_v4().simple()
    );
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    let driver = tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await?;
    drop(client);
    let _ = driver.await;
    Ok(with_database(url, &name))
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    format!("{base}/{name}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced_and_the_rest_kept() {
        assert_eq!(
            with_database("postgres://u@127.0.0.1:5432/postgres", "x"),
            "postgres://u@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h:1/db?sslmode=disable", "x"),
            "postgres://u@h:1/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h:1", "x"), "postgres://u@h:1/x");
    }
}
