//! `tollgate keys create|list|revoke`: virtual keys from the command line, for scripting.
//!
//! These talk to the store directly (the storage URL `serve` would use: the config's
//! `storage.url`, or the zero-config `./tollgate-data/tollgate.db`), so they work whether or not
//! the server runs (SQLite's WAL lets both at once). They act with the operator's authority, as
//! the master key does. Input is checked by the same code as `POST /admin/v1/keys`, and keys are
//! printed in the admin API's JSON form.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use tollgate_server::admin::{CreateKeyRequest, CreatedKeyView, KeyView, audit};
use tollgate_store::{DynStore, KeyFilter, PageRequest, Timestamp};

use crate::cli::load_config;
use crate::wiring;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key. Prints it as JSON, its secret in `key` (shown this once: only its SHA-256
    /// is stored).
    Create(Box<CreateArgs>),
    /// List keys (never their secrets).
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON (an array of keys) instead of a table.
        #[arg(long)]
        json: bool,
        /// Include revoked keys.
        #[arg(long)]
        include_revoked: bool,
    },
    /// Revoke a key. The admin API's revoke takes effect on the next request; a server already
    /// running caches keys for up to 30 seconds, so it may accept a key revoked here for that
    /// long.
    Revoke {
        /// The key's id (`key_…`).
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Args)]
pub struct StoreArgs {
    /// YAML config file whose `storage.url` to use (default: the zero-config store under
    /// ./tollgate-data/).
    #[arg(long, short)]
    config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// A name to recognise the key by.
    #[arg(long)]
    name: String,
    /// Public model names the key may call, comma-separated (default: every model).
    #[arg(long, value_delimiter = ',')]
    models: Vec<String>,
    /// Budget in dollars, as a decimal (`12.50`).
    #[arg(long)]
    budget_usd: Option<String>,
    /// none (lifetime, the default), daily, weekly or monthly.
    #[arg(long)]
    budget_period: Option<String>,
    /// hard (never exceeded) or soft (the crossing call completes); default: the config's
    /// `budgets.mode`.
    #[arg(long)]
    budget_mode: Option<String>,
    /// Alert when settled spend reaches this percent of the budget (1-100); default: the
    /// config's `budgets.alert_at_percent`.
    #[arg(long)]
    budget_alert_percent: Option<u32>,
    /// Requests per minute.
    #[arg(long)]
    rpm_limit: Option<u32>,
    /// Tokens per minute.
    #[arg(long)]
    tpm_limit: Option<u64>,
    #[arg(long)]
    org_id: Option<String>,
    #[arg(long)]
    team_id: Option<String>,
    #[arg(long)]
    user_id: Option<String>,
    /// admin, org_admin, team_admin, member (default) or viewer.
    #[arg(long)]
    role: Option<String>,
    /// When the key stops working: RFC 3339 (`2026-12-31T23:59:59Z`) or unix seconds.
    #[arg(long)]
    expires_at: Option<String>,
    #[command(flatten)]
    store: StoreArgs,
}

pub async fn run(command: KeysCommand) -> ExitCode {
    let result = match command {
        KeysCommand::Create(args) => create(*args).await,
        KeysCommand::List {
            store,
            json,
            include_revoked,
        } => list(store, json, include_revoked).await,
        KeysCommand::Revoke { id, store } => revoke(store, &id).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tollgate: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn open(args: &StoreArgs) -> Result<DynStore, String> {
    let config = load_config(args.config.as_deref()).ok_or("the config is not valid")?;
    wiring::open_store(&config)
        .await
        .map_err(|error| format!("could not open the store {}: {error}", config.storage.url))
}

async fn create(args: CreateArgs) -> Result<(), String> {
    let request = CreateKeyRequest {
        name: args.name,
        models: (!args.models.is_empty()).then_some(args.models),
        rpm_limit: args.rpm_limit,
        tpm_limit: args.tpm_limit,
        max_parallel: None,
        budget_usd: args.budget_usd,
        budget_period: args.budget_period,
        budget_mode: args.budget_mode,
        budget_alert_percent: args.budget_alert_percent,
        org_id: args.org_id,
        team_id: args.team_id,
        user_id: args.user_id,
        role: args.role,
        expires_at: args.expires_at.map(serde_json::Value::String),
        metadata: None,
        guardrails: None,
    };
    // The same checks as the admin API; its messages start with the field (`budget_usd: …`),
    // shown here as the flag (`--budget-usd: …`).
    let new = request
        .into_new_key(Timestamp::now())
        .map_err(|error| match &error.param {
            Some(param) if error.message.starts_with(param.as_str()) => format!(
                "--{}{}",
                param.replace('_', "-"),
                &error.message[param.len()..]
            ),
            _ => error.message,
        })?;
    let store = open(&args.store).await?;
    let created = store
        .create_key(new)
        .await
        .map_err(|error| error.to_string());
    if let Ok(created) = &created {
        let changes = audit::created(&KeyView::from(&created.key));
        append_audit(
            &store,
            audit::cli_key_event("key.create", &created.key, changes),
        )
        .await;
    }
    store.close().await;
    print_json(serde_json::to_string_pretty(&CreatedKeyView::from(
        &created?,
    )))
}

async fn list(args: StoreArgs, json: bool, include_revoked: bool) -> Result<(), String> {
    let store = open(&args).await?;
    let filter = KeyFilter {
        include_revoked,
        ..KeyFilter::default()
    };
    let mut keys = Vec::new();
    let mut page = PageRequest::first(1000);
    let result = loop {
        match store.list_keys(&filter, &page).await {
            Ok(found) => {
                keys.extend(found.items.iter().map(KeyView::from));
                match found.next {
                    Some(next) => page.after = Some(next),
                    None => break Ok(()),
                }
            }
            Err(error) => break Err(error.to_string()),
        }
    };
    store.close().await;
    result?;
    if json {
        return print_json(serde_json::to_string_pretty(&keys));
    }
    print_table(&keys);
    Ok(())
}

async fn revoke(args: StoreArgs, id: &str) -> Result<(), String> {
    let store = open(&args).await?;
    let before = store.get_key(id).await.ok().flatten();
    let revoked = store
        .revoke_key(id)
        .await
        .map_err(|error| error.to_string());
    if let (Some(before), Ok(after)) = (&before, &revoked) {
        let changes = audit::diff(&KeyView::from(before), &KeyView::from(after));
        append_audit(&store, audit::cli_key_event("key.revoke", after, changes)).await;
    }
    store.close().await;
    let key = revoked?;
    println!("revoked {} ({})", key.id, key.name);
    eprintln!(
        "note: a running server may accept this key for up to 30 s (its key cache); \
         POST /admin/v1/keys/{}/revoke takes effect at once",
        key.id
    );
    Ok(())
}

/// Records a command-line change in the audit log; a failure is reported but does not undo or
/// fail the change (as with the admin API).
async fn append_audit(store: &DynStore, event: tollgate_store::NewAuditEvent) {
    if let Err(error) = store.append_audit(event).await {
        eprintln!(
            "tollgate: warning: the change was made but its audit event was not recorded: {error}"
        );
    }
}

fn print_json(rendered: serde_json::Result<String>) -> Result<(), String> {
    let text = rendered.map_err(|error| error.to_string())?;
    println!("{text}");
    Ok(())
}

fn print_table(keys: &[KeyView]) {
    let rows: Vec<[String; 6]> = keys
        .iter()
        .map(|key| {
            [
                key.id.clone(),
                key.name.clone(),
                key.prefix.clone(),
                key.role.to_string(),
                key.status.to_string(),
                key.last_used_at.clone().unwrap_or_else(|| "never".into()),
            ]
        })
        .collect();
    let header = ["ID", "NAME", "PREFIX", "ROLE", "STATUS", "LAST USED"].map(String::from);
    let mut widths = header.clone().map(|title| title.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
}
