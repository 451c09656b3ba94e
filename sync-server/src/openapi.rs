//! The OpenAPI document, served at `/api/openapi.json`.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Baodao sync API", version = "1", description = "Kiosk uploads, offline snapshots and member points; the office's review of held records and its audit log."),
    paths(
        crate::routes::v1::batches::post,
        crate::routes::v1::snapshot::get,
        crate::routes::v1::kiosks::enrol,
        crate::routes::v1::kiosks::heartbeat,
        crate::routes::v1::points::get,
        crate::routes::v1::office::queue,
        crate::routes::v1::office::decide,
        crate::routes::v1::office::audit,
        crate::routes::v1::office::points,
        crate::routes::v1::office::points_csv,
        crate::routes::v1::office::points_xlsx,
        crate::routes::v1::office::organization_xlsx,
        crate::routes::v1::office::change_member,
        crate::routes::v1::office::save_activity,
        crate::routes::v1::office::cancel_activity,
        crate::routes::v1::office::enter,
        crate::routes::v1::office::void,
        crate::routes::health::get,
        crate::routes::health::ready,
    ),
    modifiers(&KioskToken)
)]
pub struct ApiDoc;

struct KioskToken;

impl Modify for KioskToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "kiosk_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "office_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub async fn get() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
