//! The DPO's web view (server-rendered HTML).

use std::sync::Arc;

use axum::Router;

use super::App;

pub(crate) fn router(_body_limit: usize) -> Router<Arc<App>> {
    Router::new()
}
