//! Storing events: one UNNEST insert per table (COPY is refused under row-level security),
//! idempotent on the event id, with each event's players alongside.

use benchsight_core::event::GameEvent;
use benchsight_core::ids::TenantId;
use sqlx::{Postgres, Transaction};

use crate::db::DbError;
use crate::etl::team_text;

pub(crate) fn zone_text(zone: benchsight_core::domain::Zone) -> &'static str {
    use benchsight_core::domain::Zone;
    match zone {
        Zone::Offensive => "o",
        Zone::Defensive => "d",
        Zone::Neutral => "n",
    }
}

pub(crate) fn review_status(event: &GameEvent) -> &'static str {
    use benchsight_core::domain::ReviewBand;
    match event.confidence.review_band() {
        ReviewBand::Accepted => "accepted",
        ReviewBand::NeedsReview => "needs_review",
        ReviewBand::Hidden => "hidden",
    }
}

/// Replaces a stored event's current version with `event` (same id) and its players; the
/// review status is given, since a reviewer's decision is not the engine's band. Returns whether
/// the event existed.
pub async fn replace_event(
    tx: &mut Transaction<'static, Postgres>,
    tenant: &TenantId,
    event: &GameEvent,
    review: &str,
) -> Result<bool, DbError> {
    let payload = serde_json::to_value(event).map_err(|e| DbError::Corrupt(e.to_string()))?;
    let updated = sqlx::query(
        "UPDATE event SET payload = $3, event_type = $4, detail1 = $5, detail2 = $6, team = $7,
             period = $8, clock_ms = $9, media_time_ms = $10, zone = $11, puck_x = $12,
             puck_y = $13, confidence = $14, review_status = $15, retracted = false
         WHERE tenant_id = $1 AND event_id = $2",
    )
    .bind(tenant.as_str())
    .bind(event.event_id.as_uuid())
    .bind(payload)
    .bind(event.event_type.as_str())
    .bind(event.detail1.as_ref().map(|d| d.as_str().to_owned()))
    .bind(event.detail2.as_ref().map(|d| d.as_str().to_owned()))
    .bind(event.team.map(team_text))
    .bind(i16::from(event.period.number()))
    .bind(
        event
            .clock
            .map(|c| i32::try_from(c.remaining_ms()).unwrap_or(i32::MAX)),
    )
    .bind(
        event
            .media_time_ms
            .map(|t| i64::try_from(t.0).unwrap_or(i64::MAX)),
    )
    .bind(event.zone.map(zone_text))
    .bind(event.puck.map(|p| p.x_ft()))
    .bind(event.puck.map(|p| p.y_ft()))
    .bind(event.confidence.get())
    .bind(review)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if updated != 1 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM event_player WHERE tenant_id = $1 AND event_id = $2")
        .bind(tenant.as_str())
        .bind(event.event_id.as_uuid())
        .execute(&mut **tx)
        .await?;
    insert_players(tx, tenant, std::slice::from_ref(event)).await?;
    Ok(true)
}

/// Where appliance events came from: the device, its store incarnation and each event's `seq`
/// (parallel to the events).
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub device: &'a str,
    pub store: uuid::Uuid,
    pub seqs: &'a [i64],
}

/// Inserts `events` of `tenant` (those already stored are left as they are) and returns how
/// many were new.
pub async fn insert_events(
    tx: &mut Transaction<'static, Postgres>,
    tenant: &TenantId,
    events: &[GameEvent],
    origin: Option<Origin<'_>>,
) -> Result<u64, DbError> {
    let device = origin.map(|o| o.device);
    let stores: Vec<Option<uuid::Uuid>> = events.iter().map(|_| origin.map(|o| o.store)).collect();
    let seqs: Vec<Option<i64>> = (0..events.len())
        .map(|i| origin.and_then(|o| o.seqs.get(i).copied()))
        .collect();
    // One array per column, bound to UNNEST.
    let (mut ids, mut games, mut types, mut d1, mut d2, mut teams) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let (mut periods, mut clocks, mut media, mut zones) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut xs, mut ys, mut confidences, mut reviews, mut payloads) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for event in events {
        ids.push(event.event_id.as_uuid());
        games.push(event.game_id.as_str());
        types.push(event.event_type.as_str());
        d1.push(event.detail1.as_ref().map(|d| d.as_str().to_owned()));
        d2.push(event.detail2.as_ref().map(|d| d.as_str().to_owned()));
        teams.push(event.team.map(team_text));
        periods.push(i16::from(event.period.number()));
        clocks.push(
            event
                .clock
                .map(|c| i32::try_from(c.remaining_ms()).unwrap_or(i32::MAX)),
        );
        media.push(
            event
                .media_time_ms
                .map(|t| i64::try_from(t.0).unwrap_or(i64::MAX)),
        );
        zones.push(event.zone.map(zone_text));
        xs.push(event.puck.map(|p| p.x_ft()));
        ys.push(event.puck.map(|p| p.y_ft()));
        confidences.push(event.confidence.get());
        reviews.push(review_status(event));
        payloads.push(serde_json::to_value(event).map_err(|e| DbError::Corrupt(e.to_string()))?);
    }
    let added = sqlx::query(
        "INSERT INTO event (tenant_id, device_id, event_id, game_id, event_type, detail1, detail2,
             team, period, clock_ms, media_time_ms, zone, puck_x, puck_y, confidence,
             review_status, payload, store_id, seq)
         SELECT $1, $2, * FROM UNNEST($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
             $8::text[], $9::smallint[], $10::int[], $11::bigint[], $12::text[],
             $13::float8[], $14::float8[], $15::real[], $16::text[], $17::jsonb[], $18::uuid[],
             $19::bigint[])
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant.as_str())
    .bind(device)
    .bind(&ids)
    .bind(&games)
    .bind(&types)
    .bind(&d1)
    .bind(&d2)
    .bind(&teams)
    .bind(&periods)
    .bind(&clocks)
    .bind(&media)
    .bind(&zones)
    .bind(&xs)
    .bind(&ys)
    .bind(&confidences)
    .bind(&reviews)
    .bind(&payloads)
    .bind(&stores)
    .bind(&seqs)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    insert_players(tx, tenant, events).await?;
    Ok(added)
}

/// The events' players (those already stored are left as they are).
async fn insert_players(
    tx: &mut Transaction<'static, Postgres>,
    tenant: &TenantId,
    events: &[GameEvent],
) -> Result<(), DbError> {
    let (mut p_ids, mut p_roles, mut p_teams, mut p_numbers, mut p_tracks) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for event in events {
        for player in &event.players {
            p_ids.push(event.event_id.as_uuid());
            p_roles.push(player.role.to_string());
            p_teams.push(team_text(player.team));
            p_numbers.push(player.number.map(|n| i16::try_from(n).unwrap_or(i16::MAX)));
            p_tracks.push(
                player
                    .track_id
                    .map(|t| i64::try_from(t).unwrap_or(i64::MAX)),
            );
        }
    }
    sqlx::query(
        "INSERT INTO event_player (tenant_id, event_id, role, team, number, track_id)
         SELECT $1, * FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::smallint[], $6::bigint[])
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant.as_str())
    .bind(&p_ids)
    .bind(&p_roles)
    .bind(&p_teams)
    .bind(&p_numbers)
    .bind(&p_tracks)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
