//! `/admin/v1/organizations/{id}/credits`: an organization's prepaid credits (design.md §2).
//!
//! `POST` records a movement: a purchase (the platform fee of the organization's tier is
//! charged on top, so the balance grows by exactly the credits bought: two entries, +charged and
//! −fee), a refund (positive) or an adjustment (either sign). Only an admin records one: it
//! stands for money received or returned. `GET` pages through the ledger, newest first, beside
//! the totals; every role of the organization reads it. Spend entries are written by the spend
//! writer as calls are logged, never here.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use http::StatusCode;
use serde::Deserialize;
use tollgate_limits::{LedgerEntry, LedgerKind};
use tollgate_store::{CreditKind, NewCreditEntry, Organization};
use tollgate_types::NanoUsd;
use utoipa::{IntoParams, ToSchema};

use crate::admin::audit::{self, Target};
use crate::admin::caller::Caller;
use crate::admin::errors::{AdminError, ErrorBody};
use crate::admin::fields;
use crate::admin::json::{self, PageQuery};
use crate::admin::rbac::{self, Action, Denied};
use crate::admin::views::{
    CreditBalanceView, CreditEntryView, CreditsPageView, CreditsWrittenView,
};
use crate::state::AppState;

/// `POST /admin/v1/organizations/{id}/credits`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordCreditsRequest {
    /// A decimal string, never a JSON number; at most nine decimals. Purchases and refunds are
    /// positive; an adjustment may be negative, never zero. For a purchase, the credits bought
    /// (the fee is charged on top).
    #[schema(example = "100.00")]
    pub amount_usd: String,
    /// `purchase` unless set.
    #[schema(value_type = Option<RecordedKindValue>)]
    pub kind: Option<String>,
    /// A payment id or a note, copied to every entry written.
    pub reference: Option<String>,
}

/// The kinds a caller records (`fee` and `spend` entries are the gateway's own).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum RecordedKindValue {
    Purchase,
    Refund,
    Adjustment,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CreditListQuery {
    /// Entries per page, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[utoipa::path(
    post,
    path = "/admin/v1/organizations/{id}/credits",
    tag = "credits",
    params(("id" = String, Path, description = "Organization id")),
    request_body = RecordCreditsRequest,
    responses(
        (status = 201, description = "The entries written and the totals after them", body = CreditsWrittenView),
        (status = 400, body = ErrorBody),
        (status = 403, description = "Only an admin records credits", body = ErrorBody),
        (status = 404, description = "Unknown, or not the caller's organization", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn record(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<CreditsWrittenView>), AdminError> {
    let org = load(&state, &caller, &id, Action::Write).await?;
    let request: RecordCreditsRequest = json::read_body(&state, body, false).await?;
    let reference = fields::optional_text("reference", request.reference)?;
    let kind = match request.kind.as_deref().map(str::trim) {
        None | Some("purchase") => CreditKind::Purchase,
        Some("refund") => CreditKind::Refund,
        Some("adjustment") => CreditKind::Adjustment,
        Some(other) => {
            return Err(AdminError::field(
                "kind",
                format!(
                    "`{}` is not recorded by hand (expected purchase, refund or adjustment)",
                    other.chars().take(40).collect::<String>()
                ),
            ));
        }
    };
    let amount = match kind {
        CreditKind::Adjustment => fields::signed_usd("amount_usd", &request.amount_usd)?,
        _ => fields::usd("amount_usd", &request.amount_usd)?,
    };
    if amount == NanoUsd::ZERO {
        return Err(AdminError::field("amount_usd", "must not be zero"));
    }
    let (entries, fee) = match kind {
        CreditKind::Purchase => {
            let purchase = state
                .credit_fees()
                .purchase(Some(&org.tier), amount)
                .ok_or_else(|| AdminError::field("amount_usd", "is too large"))?;
            let entries = purchase
                .ledger_entries(reference.as_deref().unwrap_or_default())
                .into_iter()
                // A tier without a fee writes no empty fee entry.
                .filter(|entry| entry.amount != NanoUsd::ZERO)
                .map(|entry| into_new_entry(entry, reference.clone()))
                .collect();
            (entries, Some(purchase.fee))
        }
        _ => (
            vec![NewCreditEntry {
                kind,
                amount,
                reference,
            }],
            None,
        ),
    };
    let written = state.store().append_credits(&org.id, &entries).await?;
    // The request path caches each organization's balance and whether it pays by credits.
    state.auth().invalidate();
    let action = match kind {
        CreditKind::Refund => "credits.refund",
        CreditKind::Adjustment => "credits.adjustment",
        _ => "credits.purchase",
    };
    let mut changes = serde_json::Map::new();
    changes.insert("amount_usd".into(), amount.to_string().into());
    if let Some(fee) = fee {
        changes.insert("fee_usd".into(), fee.to_string().into());
    }
    if let Some(reference) = written.first().and_then(|entry| entry.reference.clone()) {
        changes.insert("reference".into(), reference.into());
    }
    changes.insert(
        "entry_ids".into(),
        written.iter().map(|entry| entry.id.clone()).collect(),
    );
    if !org.credits_enabled {
        changes.insert("credits_enabled".into(), true.into());
    }
    audit::record(&state, &caller, action, Target::Org(&org), changes).await;
    let totals = state.store().credit_totals(&org.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreditsWrittenView {
            balance: CreditBalanceView::new(&org.id, totals),
            entries: written.iter().map(CreditEntryView::from).collect(),
            fee_usd: fee.map(|fee| fee.to_string()),
        }),
    ))
}

#[utoipa::path(
    get,
    path = "/admin/v1/organizations/{id}/credits",
    tag = "credits",
    params(("id" = String, Path, description = "Organization id"), CreditListQuery),
    responses(
        (status = 200, description = "A page of the ledger, newest first, and the totals", body = CreditsPageView),
        (status = 400, body = ErrorBody),
        (status = 404, description = "Unknown, or not the caller's organization", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    query: Result<Query<CreditListQuery>, QueryRejection>,
) -> Result<Json<CreditsPageView>, AdminError> {
    let org = load(&state, &caller, &id, Action::Read).await?;
    let Query(query) = query.map_err(json::query_error)?;
    let page = PageQuery {
        limit: query.limit,
        after: query.cursor,
    }
    .page()?;
    let entries =
        state
            .store()
            .list_credits(&org.id, &page)
            .await
            .map_err(|error| match error {
                // The only caller mistake a ledger page can hold.
                tollgate_store::StoreError::Invalid(_) => {
                    AdminError::field("cursor", "is not a cursor this API answered")
                }
                other => other.into(),
            })?;
    let totals = state.store().credit_totals(&org.id).await?;
    Ok(Json(CreditsPageView {
        balance: CreditBalanceView::new(&org.id, totals),
        entries: entries.items.iter().map(CreditEntryView::from).collect(),
        next_cursor: entries.next,
    }))
}

/// The organization, if the caller may see (and, for `Write`, record) its credits.
async fn load(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: Action,
) -> Result<Organization, AdminError> {
    let hidden = || AdminError::not_found(format!("organization `{id}`"));
    // Refused before the lookup, so a caller cannot tell another tenant's ids from unknown ones.
    if let Err(Denied::NotFound) = rbac::check_credits(&caller.actor, id, Action::Read) {
        return Err(hidden());
    }
    let org = state.store().get_org(id).await?.ok_or_else(hidden)?;
    rbac::check_credits(&caller.actor, &org.id, action).map_err(|denied| match denied {
        Denied::NotFound => hidden(),
        Denied::Forbidden => AdminError::forbidden(format!(
            "Role `{}` may not record credits; only an admin does (credits stand for a payment).",
            caller.actor.role.as_str()
        )),
    })?;
    Ok(org)
}

/// A ledger row as the fee arithmetic shapes it, in the store's terms.
fn into_new_entry(entry: LedgerEntry, reference: Option<String>) -> NewCreditEntry {
    let kind = match entry.kind {
        LedgerKind::Purchase => CreditKind::Purchase,
        LedgerKind::Fee => CreditKind::Fee,
        LedgerKind::Spend => CreditKind::Spend,
        LedgerKind::Refund => CreditKind::Refund,
        LedgerKind::Adjustment => CreditKind::Adjustment,
    };
    NewCreditEntry {
        kind,
        amount: entry.amount,
        reference,
    }
}
