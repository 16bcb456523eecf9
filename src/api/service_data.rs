//! Service data (issue 17): the figures platforms judge sellers by (TT-DATA-1..3,
//! DY-QA-1..3) per shop, agent and platform for a day, week or month in each shop's time
//! zone, as JSON or CSV; a chart's daily series; DY-QA-3's rating analysis; and the
//! caller's own figures (the reception data panel). Each figure carries its rule ID, its
//! period, its numerator and its denominator.

use super::doc::{BadRequest, Forbidden, NotFound, Unauthorized, Unprocessable};
use super::error::{ApiResult, JsonResult};
use super::extract::{ApiJson, ApiQuery, Auth};
use axum::http::header;
use axum::response::IntoResponse;
use shopmux_core::services::service_data::{FigureQuery, FigureReport, SeriesQuery, ServiceSeries};

/// Figures per shop (default), agent or platform, for the day, week (Monday first) or
/// month containing `date` in each shop's time zone, or for the days `from`..`to`. The
/// main account only; an agent reads its own at `/api/v1/me/service-data`.
#[utoipa::path(get, path = "/api/v1/service-data", tag = "service_data", params(FigureQuery),
    responses((status = 200, body = FigureReport), BadRequest, Unauthorized, Forbidden,
        NotFound, Unprocessable))]
pub async fn figures(auth: Auth, ApiQuery(q): ApiQuery<FigureQuery>) -> JsonResult<FigureReport> {
    Ok(ApiJson(auth.inbox().service_figures(&auth.viewer, &q).await?))
}

/// The same figures as CSV, one line per figure: shop, platform, agent, time zone,
/// rule, figure, unit, from, to, numerator, denominator, value.
#[utoipa::path(get, path = "/api/v1/service-data/export", tag = "service_data",
    params(FigureQuery),
    responses((status = 200, description = "CSV", content_type = "text/csv", body = String),
        BadRequest, Unauthorized, Forbidden, NotFound, Unprocessable))]
pub async fn export(
    auth: Auth, ApiQuery(q): ApiQuery<FigureQuery>,
) -> ApiResult<impl IntoResponse> {
    let report = auth.inbox().service_figures(&auth.viewer, &q).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"service-data.csv\""),
        ],
        csv(&report),
    ))
}

/// One shop's (or one agent's) figures per local day, at most 92 days: what the
/// Service data page charts. Another agent's series: the main account only.
#[utoipa::path(get, path = "/api/v1/service-data/series", tag = "service_data",
    params(SeriesQuery),
    responses((status = 200, body = ServiceSeries), BadRequest, Unauthorized, Forbidden,
        NotFound, Unprocessable))]
pub async fn series(auth: Auth, ApiQuery(q): ApiQuery<SeriesQuery>) -> JsonResult<ServiceSeries> {
    Ok(ApiJson(auth.inbox().service_series(&auth.viewer, &q).await?))
}

/// DY-QA-3's rating analysis: ratings, satisfaction and rating rate per agent over the
/// days `from`..`to` (at most 30 where a shop's platform says so). The ratings
/// themselves are listed by `GET /api/v1/ratings` with its filters (agent, source,
/// score, time). A sub-account sees its own row only.
#[utoipa::path(get, path = "/api/v1/service-data/ratings", tag = "service_data",
    params(FigureQuery),
    responses((status = 200, body = FigureReport), BadRequest, Unauthorized, NotFound,
        Unprocessable))]
pub async fn ratings(auth: Auth, ApiQuery(q): ApiQuery<FigureQuery>) -> JsonResult<FigureReport> {
    Ok(ApiJson(auth.inbox().rating_analysis(&auth.viewer, &q).await?))
}

/// The caller's own figures in each shop it sees (the reception data panel).
#[utoipa::path(get, path = "/api/v1/me/service-data", tag = "service_data",
    params(FigureQuery),
    responses((status = 200, body = FigureReport), BadRequest, Unauthorized, NotFound,
        Unprocessable))]
pub async fn mine(auth: Auth, ApiQuery(q): ApiQuery<FigureQuery>) -> JsonResult<FigureReport> {
    Ok(ApiJson(auth.inbox().my_service_figures(&auth.viewer, &q).await?))
}

/// A report as CSV.
fn csv(report: &FigureReport) -> String {
    let mut out = String::from(
        "shop_id,platform,agent_id,time_zone,rule,figure,unit,from,to,numerator,denominator,value\n",
    );
    for row in &report.rows {
        for f in &row.figures {
            let unit = serde_json::to_value(f.unit).unwrap_or_default();
            let fields = [
                row.shop_id.map(|s| s.to_string()).unwrap_or_default(),
                row.platform.clone(),
                row.agent_id.map(|a| a.to_string()).unwrap_or_default(),
                row.time_zone.clone().unwrap_or_default(),
                f.rule.clone(),
                f.kind.as_str().to_owned(),
                unit.as_str().unwrap_or_default().to_owned(),
                f.from.to_rfc3339(),
                f.to.to_rfc3339(),
                f.numerator.to_string(),
                f.denominator.to_string(),
                f.value.map(|v| v.to_string()).unwrap_or_default(),
            ];
            let line: Vec<String> = fields.iter().map(|v| cell(v)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
    }
    out
}

/// A CSV cell: quoted when it holds a comma, quote or line break; a leading `=`, `+`,
/// `-` or `@` is prefixed with `'` so spreadsheets do not run it.
fn cell(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '@']) || (v.starts_with('-') && v.parse::<f64>().is_err()) {
        format!("'{v}")
    } else {
        v.to_owned()
    };
    if v.contains([',', '"', '\n', '\r']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v }
}
